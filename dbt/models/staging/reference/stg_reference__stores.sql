with

source as (
    select * from {{ source('reference', 'stores') }}
),

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

renamed as (
    select
        store_id,
        name as store_name,
        city,
        address,
        postal_code,
        region,
        store_type,
        store_phone,
        phone_numbers.phone_e164 as store_phone_normalized,
        opened_at as opened_date,
        latitude,
        longitude
    from source
    left join phone_numbers on phone_numbers.phone_raw = source.store_phone
    qualify row_number() over (partition by store_id order by {{ newest_first() }}) = 1
)

select * from renamed
