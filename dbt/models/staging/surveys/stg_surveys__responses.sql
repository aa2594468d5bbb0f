with

source as (
    select * from {{ source('surveys', 'responses') }}
),

renamed as (
    select
        response_id,
        survey_type,
        email,
        {{ normalize_email('email') }} as email_normalized,
        phone,
        {{ normalize_phone('phone') }} as phone_normalized,
        score,
        comment,
        responded_at,
        touchpoint_channel,
        order_id as order_reference,
        ticket_id,
        _source_file
    from source
    qualify row_number() over (partition by response_id order by {{ newest_first() }}) = 1
)

select * from renamed
