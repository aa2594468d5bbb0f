with

source as (
    select * from {{ source('surveys', 'responses') }}
),

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

renamed as (
    select
        response_id,
        survey_type,
        email,
        {{ normalize_email('email') }} as email_normalized,
        phone,
        phone_numbers.phone_e164 as phone_normalized,
        score,
        comment,
        responded_at,
        touchpoint_channel,
        order_id as order_reference,
        ticket_id,
        _source_file
    from source
    left join phone_numbers on phone_numbers.phone_raw = source.phone
    qualify row_number() over (partition by response_id order by {{ newest_first() }}) = 1
)

select * from renamed
