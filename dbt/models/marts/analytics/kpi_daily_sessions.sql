-- Daily web and app traffic KPIs by platform, device and traffic source: sessions, conversion, cart
-- abandonment, time on site and the revenue of the orders the sessions placed.
with

sessions as (
    select * from {{ ref('fct_sessions') }}
),

orders as (
    select
        order_key,
        order_total_pln
    from {{ ref('fct_orders') }}
),

final as (
    select
        sessions.session_date as date_day,
        sessions.platform,
        coalesce(sessions.device_category, 'unknown') as device_category,
        sessions.traffic_source,
        count(*) as session_count,
        count(case when sessions.customer_key is not null then 1 end) as known_customer_session_count,
        count(case when sessions.has_purchased then 1 end) as converted_session_count,
        cast(count(case when sessions.has_purchased then 1 end) / count(*) as double) as session_conversion_rate,
        count(case when sessions.has_added_to_cart then 1 end) as cart_session_count,
        count(case when sessions.has_added_to_cart and not sessions.has_purchased then 1 end)
            as abandoned_cart_session_count,
        cast(
            count(case when sessions.has_added_to_cart and not sessions.has_purchased then 1 end)
            / nullif(count(case when sessions.has_added_to_cart then 1 end), 0) as double
        ) as abandoned_cart_rate,
        cast(avg(sessions.duration_seconds) as double) as avg_session_duration_seconds,
        count(orders.order_key) as order_count,
        {{ pln('coalesce(sum(orders.order_total_pln), 0)') }} as revenue_pln
    from sessions
    left join orders on orders.order_key = sessions.order_key
    group by
        sessions.session_date, sessions.platform, coalesce(sessions.device_category, 'unknown'), sessions.traffic_source
)

select * from final
