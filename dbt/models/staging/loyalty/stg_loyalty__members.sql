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
        -- what matching people without a shared identifier compares: as delivered, trimmed, '' -> null
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        birth_date,
        nullif(trim(street), '') as street_address,
        nullif(trim(postal_code), '') as postal_code,
        nullif(trim(city), '') as city,
        nullif(trim(country), '') as country_code,
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
