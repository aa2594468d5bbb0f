-- One row per order: where its journey started, the channel path that led to it and how many steps it
-- took. The journey is the buyer's interactions in the lookback window before the order, after their
-- previous order, leaving out interactions about another order and messages they never engaged with.
-- Incremental (docs/incremental.md): a journey depends only on its buyer's orders and interactions, so a
-- run recomputes every order of the profiles with an interaction or an order written since its last run,
-- and of the profiles a record left (macro order_journey_profiles_to_recompute); an order with no buyer
-- (no customer key, no anonymous id) when it is written. Orders gone from fct_orders are deleted.
{{ config(
    materialized='incremental',
    unique_key='order_key',
    spark_partition_month_of='placed_at',
    pre_hook="{{ write_recomputed_keys(order_journey_profiles_to_recompute()) }}",
    post_hook=["{{ delete_vanished(ref('fct_orders'), ['order_key']) }}", "{{ drop_recomputed_keys() }}"]
) }}
with

orders as (
    select * from {{ ref('fct_orders') }}
    {% if is_incremental() %}
        where
            coalesce(customer_key, anonymous_id) in (select profile_key from {{ recomputed_keys_relation() }})
            or (coalesce(customer_key, anonymous_id) is null and {{ changed_since_last_run() }})
    {% endif %}
),

touchpoints as (
    select * from {{ ref('fct_touchpoints') }}
    where
        coalesce(customer_key, anonymous_id) is not null
        {% if is_incremental() %}
            and coalesce(customer_key, anonymous_id) in (select profile_key from {{ recomputed_keys_relation() }})
        {% endif %}
        -- a message sent or delivered is not yet an interaction of the customer
        and touchpoint_type not in ({{ journey_excluded_touchpoint_types() }})
),

ordered as (
    select
        *,
        coalesce(customer_key, anonymous_id) as visitor_key,
        lag(placed_at) over (partition by coalesce(customer_key, anonymous_id) order by placed_at, order_key)
            as previous_order_at
    from orders
),

-- a web or app session is one step, whatever its number of events
steps as (
    select
        coalesce(customer_key, anonymous_id) as visitor_key,
        channel,
        order_key,
        min(touchpoint_at) as step_at,
        min(touchpoint_type) as step_type
    from touchpoints
    group by coalesce(customer_key, anonymous_id), channel, order_key, coalesce(session_id, touchpoint_key)
),

journey_steps as (
    select
        ordered.order_key,
        steps.channel,
        steps.step_at,
        steps.step_type
    from ordered
    inner join steps
        on
            steps.visitor_key = ordered.visitor_key
            and steps.step_at < ordered.placed_at
            and steps.step_at >= ordered.placed_at - {{ interval_days(var('journey_lookback_days', 30)) }}
            and (ordered.previous_order_at is null or steps.step_at > ordered.previous_order_at)
            and (steps.order_key is null or steps.order_key = ordered.order_key)
),

-- the path collapses repeats: web, web, app, web -> web > app > web
-- (the comparison in parentheses: sqlfluff parses `is distinct from` only there)
path_steps as (
    select
        *,
        (channel is distinct from lag(channel) over (partition by order_key order by step_at, channel))
            as is_new_channel
    from journey_steps
),

journeys as (
    select
        order_key,
        count(*) as step_count,
        min(step_at) as journey_started_at,
        {{ first_ordered('channel', 'step_at, channel') }} as start_channel,
        {{ first_ordered('step_type', 'step_at, channel') }} as start_touchpoint_type,
        {{ string_agg_ordered('case when is_new_channel then channel end', ' > ', 'step_at, channel') }}
            as path_before_order,
        {{ last_ordered('channel', 'step_at, channel') }} as last_channel,
        {{ aggregate_list("channel", distinct=true) }} as channels
    from path_steps
    group by order_key
),

final as (
    select
        ordered.order_key,
        ordered.customer_key,
        ordered.placed_at,
        ordered.placed_date,
        ordered.ordering_channel,
        ordered.fulfilment_type,
        ordered.order_total_pln,
        coalesce(journeys.start_channel, ordered.ordering_channel) as start_channel,
        coalesce(journeys.start_touchpoint_type, 'order') as start_touchpoint_type,
        coalesce(journeys.journey_started_at, ordered.placed_at) as journey_started_at,
        coalesce(journeys.start_channel, ordered.ordering_channel) <> ordered.ordering_channel as is_cross_channel,
        case
            when journeys.path_before_order is null then ordered.ordering_channel
            when journeys.last_channel = ordered.ordering_channel then journeys.path_before_order
            else journeys.path_before_order || ' > ' || ordered.ordering_channel
        end as channel_path,
        cast(coalesce(journeys.step_count, 0) + 1 as bigint) as touchpoints_to_conversion,
        cast({{ count_distinct_with('journeys.channels', 'ordered.ordering_channel') }} as bigint)
            as channel_count,
        ordered.visitor_key is not null as has_known_visitor,
        {{ batch_column() }}
    from ordered
    left join journeys on journeys.order_key = ordered.order_key
)

select * from final
