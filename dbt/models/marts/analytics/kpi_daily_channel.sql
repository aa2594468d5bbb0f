-- Daily KPIs per sales channel (web, app, store): traffic, conversion, revenue, AOV, cart abandonment,
-- time on site and the click & collect share of online orders.
with

dates as (
    select date_day from {{ ref('dim_date') }}
),

channels as (
    select channel from {{ ref('dim_channels') }}
    where is_sales_channel
),

sessions as (
    select * from {{ ref('fct_sessions') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

session_days as (
    select
        session_date as date_day,
        platform as channel,
        count(*) as session_count,
        count(case when has_purchased then 1 end) as converted_session_count,
        count(case when has_added_to_cart then 1 end) as cart_session_count,
        count(case when has_added_to_cart and not has_purchased then 1 end) as abandoned_cart_session_count,
        sum(duration_seconds) as total_duration_seconds
    from sessions
    group by session_date, platform
),

order_days as (
    select
        placed_date as date_day,
        ordering_channel as channel,
        count(*) as order_count,
        sum(order_total_pln) as revenue_pln,
        count(case when is_click_and_collect then 1 end) as click_and_collect_order_count,
        count(case when customer_key is null then 1 end) as anonymous_order_count,
        count(distinct customer_key) as ordering_customer_count
    from orders
    group by placed_date, ordering_channel
),

final as (
    select
        dates.date_day,
        channels.channel,
        -- session figures need the clickstream (source events): NULL where it is off
        cast({{ if_source_on('events', 'coalesce(session_days.session_count, 0)') }} as bigint) as session_count,
        cast({{ if_source_on('events', 'coalesce(session_days.converted_session_count, 0)') }} as bigint)
            as converted_session_count,
        cast(session_days.converted_session_count / nullif(session_days.session_count, 0) as double)
            as session_conversion_rate,
        cast({{ if_source_on('events', 'coalesce(session_days.cart_session_count, 0)') }} as bigint)
            as cart_session_count,
        cast({{ if_source_on('events', 'coalesce(session_days.abandoned_cart_session_count, 0)') }} as bigint)
            as abandoned_cart_session_count,
        cast(session_days.abandoned_cart_session_count / nullif(session_days.cart_session_count, 0) as double)
            as abandoned_cart_rate,
        cast(session_days.total_duration_seconds / nullif(session_days.session_count, 0) as double)
            as avg_session_duration_seconds,
        cast(coalesce(order_days.order_count, 0) as bigint) as order_count,
        {{ pln('coalesce(order_days.revenue_pln, 0)') }} as revenue_pln,
        {{ pln('cast(order_days.revenue_pln as double) / nullif(order_days.order_count, 0)') }} as aov_pln,
        cast(coalesce(order_days.click_and_collect_order_count, 0) as bigint) as click_and_collect_order_count,
        case
            when channels.channel in ('web', 'app')
                then cast(order_days.click_and_collect_order_count / nullif(order_days.order_count, 0) as double)
        end as click_and_collect_share,
        cast(coalesce(order_days.anonymous_order_count, 0) as bigint) as anonymous_order_count,
        cast(coalesce(order_days.ordering_customer_count, 0) as bigint) as ordering_customer_count
    from dates
    cross join channels
    left join session_days
        on session_days.date_day = dates.date_day and session_days.channel = channels.channel
    left join order_days
        on order_days.date_day = dates.date_day and order_days.channel = channels.channel
)

select * from final
