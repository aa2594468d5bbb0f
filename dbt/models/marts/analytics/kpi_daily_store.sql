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
        count(case when ordering_channel = 'store' then 1 end) as store_sale_count,
        sum(case when ordering_channel = 'store' then order_total_pln end) as store_revenue_pln,
        count(case when ordering_channel = 'store' and customer_key is null then 1 end) as anonymous_sale_count,
        count(case when is_click_and_collect then 1 end) as click_and_collect_order_count,
        sum(case when is_click_and_collect then order_total_pln end) as click_and_collect_revenue_pln
    from orders
    group by placed_date, store_id
),

pickup_days as (
    select
        touchpoint_date as date_day,
        store_id,
        count(*) as pickup_count
    from pickups
    group by touchpoint_date, store_id
),

return_days as (
    select
        returned_date as date_day,
        store_id,
        count(*) as return_count,
        sum(refund_pln) as refund_pln
    from returns
    group by returned_date, store_id
),

final as (
    select
        dates.date_day,
        stores.store_id,
        cast(coalesce(sales_days.store_sale_count, 0) as bigint) as store_sale_count,
        {{ pln('coalesce(sales_days.store_revenue_pln, 0)') }} as store_revenue_pln,
        {{ pln('cast(sales_days.store_revenue_pln as double) / nullif(sales_days.store_sale_count, 0)') }}
            as store_aov_pln,
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
