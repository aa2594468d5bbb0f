-- The same product on the same day at a different price or promotion in different channels
-- (web shop, app, stores). One row per (day, sku) that differs, with each channel's price side by side.
with

prices as (
    select * from {{ ref('stg_reference__prices') }}
),

per_day as (
    select
        price_date,
        sku,
        max(case when sales_channel = 'web' then price_pln end) as web_price_pln,
        max(case when sales_channel = 'app' then price_pln end) as app_price_pln,
        max(case when sales_channel = 'store' then price_pln end) as store_price_pln,
        max(case when sales_channel = 'web' then promo_id end) as web_promo_id,
        max(case when sales_channel = 'app' then promo_id end) as app_promo_id,
        max(case when sales_channel = 'store' then promo_id end) as store_promo_id,
        count(distinct price_pln) as distinct_prices,
        count(distinct coalesce(promo_id, '')) as distinct_promotions,
        count(distinct effective_price_pln) as distinct_effective_prices
    from prices
    group by price_date, sku
)

select
    {{ date_text("price_date") }} || ':' || sku as price_difference_key,
    price_date,
    sku,
    web_price_pln,
    app_price_pln,
    store_price_pln,
    web_promo_id,
    app_promo_id,
    store_promo_id,
    case
        when distinct_prices > 1 and distinct_promotions > 1 then 'price_and_promotion'
        when distinct_prices > 1 then 'price'
        else 'promotion'
    end as difference_kind
from per_day
where distinct_prices > 1 or distinct_promotions > 1
