with

stores as (
    select * from {{ ref('stg_reference__stores') }}
),

final as (
    select
        store_id,
        store_name,
        city,
        region,
        postal_code,
        store_type,
        opened_date,
        latitude,
        longitude
    from stores
)

select * from final
