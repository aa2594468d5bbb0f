-- Customer value side by side for buyer groups: all buyers, multichannel, single-channel, and the
-- single-channel buyers of each channel. One row per group.
with

segments as (
    select * from {{ ref('customer_segments') }}
    where order_count > 0
),

grouped as (
    select
        'all_buyers' as group_name,
        *
    from segments
    union all
    select
        customer_group as group_name,
        *
    from segments
    union all
    select
        'single_channel_' || preferred_channel,
        *
    from segments
    where customer_group = 'single_channel'
),

final as (
    select
        group_name as customer_group,
        count(*) as customer_count,
        cast(count(*) / (select count(*) from segments) as double) as share_of_buyers,
        cast(sum(order_count) as bigint) as order_count,
        cast(avg(order_count) as double) as orders_per_customer,
        count(case when order_count >= 2 then 1 end) as repeat_customer_count,
        cast(count(case when order_count >= 2 then 1 end) / count(*) as double) as repeat_rate,
        {{ pln('sum(revenue_pln)') }} as revenue_pln,
        {{ pln('cast(sum(revenue_pln) as double) / sum(order_count)') }} as aov_pln,
        cast(avg(purchase_frequency_per_year) as double) as avg_purchase_frequency_per_year,
        {{ pln('avg(cast(historical_clv_pln as double))') }} as avg_historical_clv_pln,
        {{ pln('avg(cast(predicted_clv_pln as double))') }} as avg_predicted_clv_pln,
        cast(avg(recency_days) as double) as avg_recency_days
    from grouped
    group by group_name
)

select * from final
