with

products as (
    select * from {{ ref('stg_reference__products') }}
),

final as (
    select
        sku,
        product_name,
        category,
        brand,
        base_price_pln,
        vat_rate,
        ean,
        is_active
    from products
)

select * from final
