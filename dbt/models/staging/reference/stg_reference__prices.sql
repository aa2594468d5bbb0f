with

source as (
    select * from {{ source('reference', 'prices') }}
),

renamed as (
    select
        {{ date_text("price_date") }} || ':' || sku || ':' || channel as price_key,
        price_date,
        sku,
        channel as sales_channel,
        {{ pln('price_pln') }} as price_pln,
        nullif(promo_id, '') as promo_id,
        {{ pln('promo_price_pln') }} as promo_price_pln,
        {{ pln('coalesce(promo_price_pln, price_pln)') }} as effective_price_pln
    from source
    qualify row_number() over (partition by price_date, sku, channel order by {{ newest_first() }}) = 1
)

select * from renamed
