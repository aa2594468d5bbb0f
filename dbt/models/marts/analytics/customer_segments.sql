-- One row per known customer: RFM scores and segment, value tier, lifecycle stage, single- vs
-- multichannel, preferred channel and store, historical CLV and the CLV models' predictions (P(alive),
-- expected purchases, expected 12-month CLV), as of the analytics as-of date.
{#- the three RFM measures; `desc`: a lower value is better (a recent last order) -#}
{%- set rfm_measures = [
    {'score': 'recency_score', 'value': 'recency_days', 'worst_first': 'desc'},
    {'score': 'frequency_score', 'value': 'order_count', 'worst_first': 'asc'},
    {'score': 'monetary_score', 'value': 'revenue_pln', 'worst_first': 'asc'},
] %}
with

customers as (
    select * from {{ ref('dim_customers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where customer_key is not null
),

as_of as (
    select as_of_date from {{ ref('int_analytics__as_of_date') }}
),

clv as (
    select * from {{ ref('int_analytics__clv') }}
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
    select
        customer_key,
        ordering_channel,
        count(*) as order_count,
        max(placed_at) as last_placed_at
    from orders_as_of
    group by customer_key, ordering_channel
),

preferred_channel as (
    select
        customer_key,
        {{ first_ordered('ordering_channel', 'order_count desc, last_placed_at desc, ordering_channel asc') }}
            as preferred_channel
    from channel_orders
    group by customer_key
),

buyers as (
    select
        order_summary.*,
        {{ dbt.datediff(
            'order_summary.last_order_date', 'as_of.as_of_date', 'day'
        ) }} as recency_days,
        {{ dbt.datediff(
            'order_summary.first_order_date', 'as_of.as_of_date', 'day'
        ) }} + 1 as tenure_days
    from order_summary
    cross join as_of
),

-- RFM scores 1-5 among the buyers, 5 = best. A customer's quintile by rank, 1 + floor(5 x percent_rank)
-- with the worst value first (ties share it), capped so that a score is at most one above the score of
-- the next-worse distinct value: a value held by many customers (most buyers have one order) then takes
-- one score, not several, and the next values still step through the scale (1, 2, 3, 4, 5+ orders score
-- 1 to 5 where most buyers have one or two). Where ties are few it is the plain quintile. Recursively,
-- score(k) = min(score(k - 1) + 1, quintile(k)) over the distinct values k = 1, 2, ... from the worst,
-- which is k + the running minimum of (quintile - k).
{%- for m in rfm_measures %}

{{ m.score }}_quintiles as (
    select
        {{ m.value }} as measure_value,
        least(5, 1 + floor(5 * percent_rank() over (order by {{ m.value }} {{ m.worst_first }}))) as quintile
    from buyers
),

{{ m.score }}_levels as (
    select
        measure_value,
        min(quintile) as quintile,
        row_number() over (order by measure_value {{ m.worst_first }}) as level
    from {{ m.score }}_quintiles
    group by measure_value
),

{{ m.score }}s as (
    select
        measure_value,
        cast(
            level + min(quintile - level) over (order by level rows between unbounded preceding and current row)
            as integer
        ) as score
    from {{ m.score }}_levels
),
{%- endfor %}

scored as (
    select
        buyers.*,
        recency_scores.score as recency_score,
        frequency_scores.score as frequency_score,
        monetary_scores.score as monetary_score,
        -- share of buyers with at least this revenue: the top of the ranking is near 0
        cume_dist() over (order by buyers.revenue_pln desc) as revenue_top_share
    from buyers
    inner join recency_scores on recency_scores.measure_value = buyers.recency_days
    inner join frequency_scores on frequency_scores.measure_value = buyers.order_count
    inner join monetary_scores on monetary_scores.measure_value = buyers.revenue_pln
),

-- the typical repurchase interval: the median days between a customer's consecutive purchase days
purchase_days as (
    select distinct
        customer_key,
        placed_date
    from orders_as_of
),

purchase_gaps as (
    select
        {{ dbt.datediff(
            'lag(placed_date) over (partition by customer_key order by placed_date)', 'placed_date', 'day'
        ) }} as gap_days
    from purchase_days
),

repurchase_cycle as (
    select
        coalesce(
            percentile_cont(0.5) within group (order by gap_days),
            {{ var('lifecycle_default_cycle_days') }}
        ) as cycle_days
    from purchase_gaps
    where gap_days is not null
),

-- lifecycle thresholds: the vars when set, else 2 and 4 repurchase intervals
lifecycle_thresholds as (
    select
        cast(
            {%- if var('lifecycle_active_days') is not none %} {{ var('lifecycle_active_days') }}
            {%- else %} round(2 * cycle_days){% endif %} as integer
        ) as active_max_days,
        cast(
            {%- if var('lifecycle_at_risk_days') is not none %} {{ var('lifecycle_at_risk_days') }}
            {%- else %} round(4 * cycle_days){% endif %} as integer
        ) as at_risk_max_days
    from repurchase_cycle
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
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        cast(scored.recency_score as string) || cast(scored.frequency_score as string)
        || cast(scored.monetary_score as string) as rfm_code,
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
            when scored.tenure_days <= {{ var('lifecycle_new_days') }} then 'new'
            when scored.recency_days <= lifecycle_thresholds.active_max_days then 'active'
            when scored.recency_days <= lifecycle_thresholds.at_risk_max_days then 'at_risk'
            else 'lapsed'
        end as lifecycle_stage,
        lifecycle_thresholds.active_max_days as lifecycle_active_max_days,
        lifecycle_thresholds.at_risk_max_days as lifecycle_at_risk_max_days,
        case
            when scored.customer_key is null then 'no_orders'
            when scored.purchase_channel_count >= 2 then 'multichannel'
            else 'single_channel'
        end as customer_group,
        coalesce(scored.purchase_channel_count >= 2, false) as is_multichannel_buyer,
        preferred_channel.preferred_channel,
        customers.preferred_store_id,
        {{ pln('cast(scored.revenue_pln as double) / scored.order_count') }} as aov_pln,
        -- orders per year over the customer's tenure, the tenure floored so one recent order is not a year's habit
        cast(
            scored.order_count * cast(365 as double)
            / greatest(scored.tenure_days, {{ var('purchase_frequency_min_tenure_days') }})
            as double
        ) as purchase_frequency_per_year,
        {{ pln('coalesce(scored.revenue_pln, 0)') }} as historical_clv_pln,
        cast(clv.p_alive as double) as p_alive,
        cast(clv.expected_purchases_90d as double) as expected_purchases_90d,
        {{ pln('clv.expected_clv_12m_pln') }} as predicted_clv_pln
    from customers
    cross join as_of
    cross join lifecycle_thresholds
    left join scored on scored.customer_key = customers.customer_key
    left join preferred_channel on preferred_channel.customer_key = customers.customer_key
    left join clv on clv.customer_key = customers.customer_key
)

select * from final
