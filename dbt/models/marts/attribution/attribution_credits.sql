-- The credit each step of each order's conversion path earns under each attribution model: one row per
-- order, model and step (int_attribution__step_credits unpivoted), with the revenue it brings.
with

paths as (
    select * from {{ ref('int_attribution__conversion_paths') }}
),

credits as (
    select * from {{ ref('int_attribution__step_credits') }}
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
    unpivot credits
    on first_touch_credit as first_touch,
    last_touch_credit as last_touch,
    linear_credit as linear,
    time_decay_credit as time_decay,
    position_based_credit as position_based
    into name attribution_model value credit
),

final as (
    select
        {{ surrogate_key(["unpivoted.order_key", "unpivoted.attribution_model", "unpivoted.step_number"]) }}
            as attribution_credit_key,
        unpivoted.order_key,
        cast(unpivoted.attribution_model as varchar) as attribution_model,
        unpivoted.step_number,
        unpivoted.step_count,
        paths.touchpoint_key,
        paths.step_at,
        paths.channel,
        paths.step_type,
        paths.campaign_id,
        paths.untracked_campaign_id,
        cast(paths.seconds_before_order / 86400.0 as double) as days_before_order,
        cast(unpivoted.credit as double) as credit,
        {{ pln('unpivoted.credit * paths.order_total_pln') }} as attributed_revenue_pln,
        orders.customer_key,
        orders.ordering_channel,
        orders.placed_date
    from unpivoted
    inner join paths on paths.conversion_step_key = unpivoted.conversion_step_key
    inner join orders on orders.order_key = unpivoted.order_key
)

select * from final
