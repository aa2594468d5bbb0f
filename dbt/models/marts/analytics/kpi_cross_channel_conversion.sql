-- Cross-channel conversion: orders by the channel their journey started in and the channel they were
-- placed in (kpi_order_journeys), with the share of the purchase channel's orders each start holds.
with

journeys as (
    select * from {{ ref('kpi_order_journeys') }}
),

final as (
    select
        start_channel,
        ordering_channel as purchase_channel,
        bool_or(is_cross_channel) as is_cross_channel,
        count(*) as order_count,
        cast(count(*) / sum(count(*)) over (partition by ordering_channel) as double)
            as share_of_purchase_channel_orders,
        cast(count(*) / sum(count(*)) over () as double) as share_of_all_orders,
        {{ pln('sum(order_total_pln)') }} as revenue_pln,
        cast(avg(touchpoints_to_conversion) as double) as avg_touchpoints_to_conversion
    from journeys
    group by start_channel, ordering_channel
)

select * from final
