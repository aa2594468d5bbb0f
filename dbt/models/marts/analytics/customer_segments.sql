-- One row per known customer: RFM scores and segment, value tier, lifecycle stage, single- vs
-- multichannel, preferred channel and store, historical and predicted CLV, as of the last day with data.
with

customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where customer_key is not null
),

sessions as (
    select session_date from {{ ref('fct_sessions') }}
),

-- the last day with data (orders or clickstream), unless var('analytics_as_of_date') pins it
as_of as (
    select
        {%- if var('analytics_as_of_date', none) %}
        cast('{{ var("analytics_as_of_date") }}' as date) as as_of_date
        {%- else %}
        greatest(
            (select max(placed_date) from {{ ref('fct_orders') }}),
            (select max(session_date) from sessions)
        ) as as_of_date
        {%- endif %}
),

-- orders up to the as-of date only, so a pinned date gives the segments of that day
orders_as_of as (
    select orders.*
    from orders
    cross join as_of
    where orders.placed_date <= as_of.as_of_date
),

order_summary as (
    select
        customer_key,
        count(*) as order_count,
        sum(order_total_pln) as revenue_pln,
        min(placed_date) as first_order_date,
        max(placed_date) as last_order_date,
        count(distinct ordering_channel) as purchase_channel_count
    from orders_as_of
    group by customer_key
),

-- the channel with the most orders; a tie goes to the channel ordered through most recently
channel_orders as (
    select customer_key, ordering_channel, count(*) as order_count, max(placed_at) as last_placed_at
    from orders_as_of
    group by customer_key, ordering_channel
),

preferred_channel as (
    select
        customer_key,
        first(ordering_channel order by order_count desc, last_placed_at desc, ordering_channel) as preferred_channel
    from channel_orders
    group by customer_key
),

buyers as (
    select
        order_summary.*,
        date_diff('day', order_summary.last_order_date, as_of.as_of_date) as recency_days,
        date_diff('day', order_summary.first_order_date, as_of.as_of_date) + 1 as tenure_days
    from order_summary
    cross join as_of
),

-- quintile scores by rank: 1 + floor(5 x percent_rank), so tied customers share a score
scored as (
    select
        *,
        least(5, 1 + floor(5 * percent_rank() over (order by recency_days desc))) as recency_score,
        least(5, 1 + floor(5 * percent_rank() over (order by order_count))) as frequency_score,
        least(5, 1 + floor(5 * percent_rank() over (order by revenue_pln))) as monetary_score,
        -- share of buyers with at least this revenue: the top of the ranking is near 0
        cume_dist() over (order by revenue_pln desc) as revenue_top_share
    from buyers
),

final as (
    select
        customers.customer_key,
        as_of.as_of_date,
        cast(coalesce(scored.order_count, 0) as bigint) as order_count,
        {{ pln('coalesce(scored.revenue_pln, 0)') }} as revenue_pln,
        scored.first_order_date,
        scored.last_order_date,
        cast(scored.recency_days as integer) as recency_days,
        cast(scored.recency_score as integer) as recency_score,
        cast(scored.frequency_score as integer) as frequency_score,
        cast(scored.monetary_score as integer) as monetary_score,
        case
            when scored.customer_key is null then null
            else cast(scored.recency_score as varchar) || cast(scored.frequency_score as varchar)
                || cast(scored.monetary_score as varchar)
        end as rfm_code,
        case
            when scored.customer_key is null then 'prospect'
            when scored.recency_score <= 2 and scored.frequency_score <= 2 then 'hibernating'
            when scored.recency_score <= 2 and scored.frequency_score <= 4 then 'at_risk'
            when scored.recency_score <= 2 then 'cannot_lose'
            when scored.recency_score = 3 and scored.frequency_score <= 2 then 'about_to_sleep'
            when scored.recency_score = 3 and scored.frequency_score = 3 then 'need_attention'
            when scored.recency_score = 5 and scored.frequency_score >= 4 then 'champions'
            when scored.frequency_score >= 4 then 'loyal'
            when scored.recency_score = 4 and scored.frequency_score = 1 then 'promising'
            when scored.recency_score = 5 and scored.frequency_score = 1 then 'new_customers'
            else 'potential_loyalists'
        end as rfm_segment,
        case
            when scored.customer_key is null then 'none'
            when scored.revenue_top_share <= {{ var('value_tier_vip_share', 0.05) }} then 'vip'
            when scored.revenue_top_share <= {{ var('value_tier_high_share', 0.25) }} then 'high'
            when scored.revenue_top_share <= {{ var('value_tier_medium_share', 0.60) }} then 'medium'
            else 'low'
        end as value_tier,
        case
            when scored.customer_key is null then 'prospect'
            when scored.tenure_days <= {{ var('lifecycle_new_days', 30) }} then 'new'
            when scored.recency_days <= {{ var('lifecycle_active_days', 90) }} then 'active'
            when scored.recency_days <= {{ var('lifecycle_at_risk_days', 180) }} then 'at_risk'
            else 'lapsed'
        end as lifecycle_stage,
        case
            when scored.customer_key is null then 'no_orders'
            when scored.purchase_channel_count >= 2 then 'multichannel'
            else 'single_channel'
        end as customer_group,
        coalesce(scored.purchase_channel_count >= 2, false) as is_multichannel_buyer,
        preferred_channel.preferred_channel,
        customers.preferred_store_id,
        {{ pln('scored.revenue_pln / scored.order_count') }} as aov_pln,
        -- orders per year over the customer's tenure, the tenure floored so one recent order is not a year's habit
        cast(
            scored.order_count * 365.0 / greatest(scored.tenure_days, {{ var('clv_min_tenure_days', 90) }})
            as double
        ) as purchase_frequency_per_year,
        {{ pln('coalesce(scored.revenue_pln, 0)') }} as historical_clv_pln,
        {{ pln(
            'scored.revenue_pln / scored.order_count'
            ~ ' * scored.order_count * 365.0 / greatest(scored.tenure_days, ' ~ var('clv_min_tenure_days', 90) ~ ')'
            ~ ' * ' ~ var('clv_expected_lifespan_years', 3)
        ) }} as predicted_clv_pln
    from customers
    cross join as_of
    left join scored on scored.customer_key = customers.customer_key
    left join preferred_channel on preferred_channel.customer_key = customers.customer_key
)

select * from final
