with

source as (
    select * from {{ source('webshop', 'customers') }}
),

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

renamed as (
    select
        id as customer_id,
        email,
        {{ normalize_email('email') }} as email_normalized,
        phone,
        phone_numbers.phone_e164 as phone_normalized,
        -- what matching people without a shared identifier compares: as delivered, trimmed, '' -> null
        nullif(trim(first_name), '') as first_name,
        nullif(trim(last_name), '') as last_name,
        birth_date,
        accepts_marketing as has_accepted_marketing,
        created_at,
        updated_at,
        nullif(trim(default_address__address1), '') as street_address,
        nullif(trim(default_address__city), '') as city,
        nullif(trim(default_address__zip), '') as postal_code,
        nullif(trim(default_address__country_code), '') as country_code,
        _source_file,
        _dlt_load_id
    from source
    left join phone_numbers on phone_numbers.phone_raw = source.phone
    qualify row_number() over (partition by id order by {{ newest_first('updated_at') }}) = 1
),

final as (
    select
        *,
        {{ is_placeholder_email('email_normalized') }} as is_placeholder_email,
        {{ is_placeholder_phone('phone_normalized') }} as is_placeholder_phone
    from renamed
)

select * from final
