with

source as (
    select * from {{ source('loyalty', 'members') }}
),

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

renamed as (
    select
        member_id,
        card_number,
        {{ normalize_loyalty_card('card_number') }} as loyalty_card_normalized,
        email,
        {{ normalize_email('email') }} as email_normalized,
        phone,
        phone_numbers.phone_e164 as phone_normalized,
        first_name,
        last_name,
        birth_date,
        postal_code,
        city,
        home_store_id,
        enrolled_at,
        updated_at,
        status as member_status,
        _source_file
    from source
    left join phone_numbers on phone_numbers.phone_raw = source.phone
    qualify row_number() over (partition by member_id order by {{ newest_first('updated_at') }}) = 1
),

final as (
    select
        *,
        {{ is_placeholder_email('email_normalized') }} as is_placeholder_email,
        {{ is_placeholder_phone('phone_normalized') }} as is_placeholder_phone
    from renamed
)

select * from final
