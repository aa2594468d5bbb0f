-- The credit each step of each order's conversion path earns under each attribution model: one row per
-- order, model and step (int_attribution__step_credits unpivoted), with the revenue it brings.
-- Incremental (docs/incremental.md): a run rewrites every row of the orders whose credits, path or order
-- (fct_orders: buyer, ordering channel, date) changed since its last run.
{{ config(materialized='incremental', unique_key='order_key', spark_partition_month_of='placed_date') }}

with

{% if is_incremental() %}
    recomputed_orders as (
        select order_key from {{ ref('int_attribution__step_credits') }} as credits
        where {{ changed_since_last_run('credits') }}
        union
        select order_key from {{ ref('int_attribution__conversion_paths') }} as paths
        where {{ changed_since_last_run('paths') }}
        union
        select order_key from {{ ref('fct_orders') }} as orders
        where {{ changed_since_last_run('orders') }}
    ),
{% endif %}

paths as (
    select * from {{ ref('int_attribution__conversion_paths') }}
    {% if is_incremental() %}
        where order_key in (select order_key from recomputed_orders)
    {% endif %}
),

credits as (
    select
        conversion_step_key,
        order_key,
        step_number,
        step_count,
        first_touch_credit,
        last_touch_credit,
        linear_credit,
        time_decay_credit,
        position_based_credit
    from {{ ref('int_attribution__step_credits') }}
    {% if is_incremental() %}
        where order_key in (select order_key from recomputed_orders)
    {% endif %}
),

orders as (
    select
        order_key,
        customer_key,
        ordering_channel,
        placed_date
    from {{ ref('fct_orders') }}
),

unpivoted as (
    select * from credits
    unpivot (
        credit for attribution_model in (
            first_touch_credit as first_touch,
            last_touch_credit as last_touch,
            linear_credit as linear,
            time_decay_credit as time_decay,
            position_based_credit as position_based
        )
    )
),

final as (
    select
        {{ surrogate_key(["unpivoted.order_key", "unpivoted.attribution_model", "unpivoted.step_number"]) }}
            as attribution_credit_key,
        unpivoted.order_key,
        cast(unpivoted.attribution_model as string) as attribution_model,
        unpivoted.step_number,
        unpivoted.step_count,
        paths.touchpoint_key,
        paths.step_at,
        paths.channel,
        paths.step_type,
        paths.campaign_id,
        paths.untracked_campaign_id,
        paths.seconds_before_order / cast(86400 as double) as days_before_order,
        cast(unpivoted.credit as double) as credit,
        {{ pln('unpivoted.credit * paths.order_total_pln') }} as attributed_revenue_pln,
        orders.customer_key,
        orders.ordering_channel,
        orders.placed_date,
        {{ batch_column() }}
    from unpivoted
    inner join paths on paths.conversion_step_key = unpivoted.conversion_step_key
    inner join orders on orders.order_key = unpivoted.order_key
)

select * from final
