with

source as (
    select * from {{ source('reference', 'stock_levels') }}
),

renamed as (
    select
        {{ date_text("snapshot_date") }} || ':' || sku || ':' || location_id || ':' || system as stock_key,
        snapshot_date,
        sku,
        location_id,
        system as stock_system,
        quantity_on_hand
    from source
    qualify row_number() over (partition by snapshot_date, sku, location_id, system order by {{ newest_first() }}) = 1
)

select * from renamed
