-- Daily KPIs per store: till sales, click & collect orders to be picked up there, pick-ups, returns.
with

dates as (
    select date_day from {{ ref('dim_date') }}
),

stores as (
    select store_id from {{ ref('dim_stores') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where store_id is not null
),

returns as (
    select * from {{ ref('fct_returns') }}
    where return_channel = 'store' and store_id is not null
),

pickups as (
    select * from {{ ref('fct_touchpoints') }}
    where touchpoint_type = 'store_pickup' and store_id is not null
),

sales_days as (
    select
        placed_date as date_day,
        store_id,
        count(*) filter (where ordering_channel = 'store') as store_sale_count,
        sum(order_total_pln) filter (where ordering_channel = 'store') as store_revenue_pln,
        count(*) filter (where ordering_channel = 'store' and customer_key is null) as anonymous_sale_count,
        count(*) filter (where is_click_and_collect) as click_and_collect_order_count,
        sum(order_total_pln) filter (where is_click_and_collect) as click_and_collect_revenue_pln
    from orders
    group by all
),

pickup_days as (
    select touchpoint_date as date_day, store_id, count(*) as pickup_count
    from pickups
    group by all
),

return_days as (
    select returned_date as date_day, store_id, count(*) as return_count, sum(refund_pln) as refund_pln
    from returns
    group by all
),

final as (
    select
        dates.date_day,
        stores.store_id,
        cast(coalesce(sales_days.store_sale_count, 0) as bigint) as store_sale_count,
        {{ pln('coalesce(sales_days.store_revenue_pln, 0)') }} as store_revenue_pln,
        {{ pln('sales_days.store_revenue_pln / nullif(sales_days.store_sale_count, 0)') }} as store_aov_pln,
        cast(coalesce(sales_days.anonymous_sale_count, 0) as bigint) as anonymous_sale_count,
        cast(coalesce(sales_days.click_and_collect_order_count, 0) as bigint) as click_and_collect_order_count,
        {{ pln('coalesce(sales_days.click_and_collect_revenue_pln, 0)') }} as click_and_collect_revenue_pln,
        cast(coalesce(pickup_days.pickup_count, 0) as bigint) as pickup_count,
        cast(coalesce(return_days.return_count, 0) as bigint) as return_count,
        {{ pln('coalesce(return_days.refund_pln, 0)') }} as refund_pln
    from dates
    cross join stores
    left join sales_days on sales_days.date_day = dates.date_day and sales_days.store_id = stores.store_id
    left join pickup_days on pickup_days.date_day = dates.date_day and pickup_days.store_id = stores.store_id
    left join return_days on return_days.date_day = dates.date_day and return_days.store_id = stores.store_id
)

select * from final
