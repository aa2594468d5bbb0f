-- Stock of the same product, location and day that the web shop and the ERP report differently
-- (the web shop shows store stock for click & collect; the ERP is the store's own count).
with

stock as (
    select * from {{ ref('stg_reference__stock_levels') }}
),

compared as (
    select
        snapshot_date,
        sku,
        location_id,
        max(case when stock_system = 'webshop' then quantity_on_hand end) as webshop_quantity,
        max(case when stock_system = 'erp' then quantity_on_hand end) as erp_quantity
    from stock
    group by snapshot_date, sku, location_id
    having count(distinct stock_system) = 2
)

select
    {{ date_text("snapshot_date") }} || ':' || sku || ':' || location_id as stock_mismatch_key,
    snapshot_date,
    sku,
    location_id,
    webshop_quantity,
    erp_quantity,
    webshop_quantity - erp_quantity as difference
from compared
where webshop_quantity <> erp_quantity
