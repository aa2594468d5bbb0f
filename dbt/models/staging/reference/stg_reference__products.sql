with

source as (
    select * from {{ source('reference', 'products') }}
),

renamed as (
    select
        sku,
        name as product_name,
        category,
        brand,
        {{ pln('base_price_pln') }} as base_price_pln,
        vat_rate,
        ean,
        coalesce(active, true) as is_active
    from source
    qualify row_number() over (partition by sku order by {{ newest_first() }}) = 1
)

select * from renamed
