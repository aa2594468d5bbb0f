-- Channel paths that led to orders (kpi_order_journeys): how many orders and how much revenue each path
-- brought, in how many steps, and how many buyers took it.
with

journeys as (
    select * from {{ ref('kpi_order_journeys') }}
),

final as (
    select
        channel_path,
        any_value(channel_count) as channel_count,
        any_value(channel_count) >= 2 as is_multichannel_path,
        count(*) as order_count,
        cast(count(*) / sum(count(*)) over () as double) as share_of_orders,
        count(distinct customer_key) as customer_count,
        {{ pln('sum(order_total_pln)') }} as revenue_pln,
        {{ pln('avg(cast(order_total_pln as double))') }} as aov_pln,
        cast(avg(touchpoints_to_conversion) as double) as avg_touchpoints_to_conversion,
        cast(avg({{ date_difference('second', "journey_started_at", "placed_at") }} / cast(86400 as double)) as double)
            as avg_days_to_conversion
    from journeys
    group by channel_path
)

select * from final
