with

source as (
    select * from {{ source('reference', 'stores') }}
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
        opened_at as opened_date,
        latitude,
        longitude
    from source
    qualify row_number() over (partition by store_id order by {{ newest_first() }}) = 1
)

select * from renamed
