-- The conversion path of every order of fct_orders: the buyer's steps (int_attribution__steps) in the
-- lookback window before the order, numbered from the first. The buyer is the order's customer_key, or
-- its anonymous_id for an anonymous order; steps of every channel count, so an app visit before a till
-- sale or an e-mail opened before a store visit is on the path. Paths do not stop at an earlier order:
-- a step inside the window of two orders is on both paths. An order with no step in the window (a
-- walk-in till sale, a typed-in web visit of an unknown visitor...) gets one `direct` step, so every
-- order is attributed and its credits still sum to 1.
-- Incremental (docs/incremental.md): a run recomputes the whole path of the orders that changed (their
-- buyer too), of the orders placed within the lookback after a changed step of their buyer's profile, and
-- of the orders whose path held a step that changed, moved to another profile or is gone. A path step
-- written again unchanged keeps the stamp it had (macro select_stamped).
{{ config(materialized='incremental', unique_key='order_key', spark_partition_month_of='placed_at') }}

with

{% if is_incremental() %}
    changed_steps as (
        select
            touchpoint_key,
            profile_key,
            step_at
        from {{ ref('int_attribution__steps') }} as steps
        where {{ changed_since_last_run('steps') }}
    ),

    -- a changed step (as it is now) is on the paths of its profile's orders in the lookback after it (as in
    -- `matched` below); as it was before, on the paths written with it (the branch after the union)
    recomputed_orders as (
        select order_key from {{ ref('int_core__orders') }} as orders
        where
            {{ changed_since_last_run('orders') }}
            or exists (
                select 1 from changed_steps
                where
                    changed_steps.profile_key = coalesce(orders.customer_key, orders.anonymous_id)
                    and {{ on_conversion_path('changed_steps', 'orders') }}
            )
        union
        select previous.order_key from {{ this }} as previous
        where
            previous.touchpoint_key in (select touchpoint_key from changed_steps)
            or (
                previous.touchpoint_key is not null
                and not exists (
                    select 1 from {{ ref('int_attribution__steps') }} as steps
                    where steps.touchpoint_key = previous.touchpoint_key
                )
            )
    ),
{% endif %}

orders as (
    select
        order_key,
        coalesce(customer_key, anonymous_id) as profile_key,
        placed_at,
        order_total_pln
    from {{ ref('int_core__orders') }}
    {% if is_incremental() %}
        where order_key in (select order_key from recomputed_orders)
    {% endif %}
),

steps as (
    select * from {{ ref('int_attribution__steps') }}
    {% if is_incremental() %}
        where profile_key in (select profile_key from orders)
    {% endif %}
),

matched as (
    select
        orders.order_key,
        orders.placed_at,
        orders.order_total_pln,
        steps.touchpoint_key,
        steps.step_at,
        steps.channel,
        steps.step_type,
        steps.campaign_id,
        steps.untracked_campaign_id,
        steps.session_id
    from orders
    inner join steps
        on
            steps.profile_key = orders.profile_key
            and {{ on_conversion_path('steps', 'orders') }}
),

direct as (
    select
        orders.order_key,
        orders.placed_at,
        orders.order_total_pln,
        cast(null as string) as touchpoint_key,
        cast(null as {{ instant_type() }}) as step_at,
        'direct' as channel,
        'direct' as step_type,
        cast(null as string) as campaign_id,
        cast(null as string) as untracked_campaign_id,
        cast(null as string) as session_id
    from orders
    where not exists (
        select 1 from matched
        where matched.order_key = orders.order_key
    )
),

unioned as (
    select * from matched
    union all
    select * from direct
),

computed as (
    select
        {{ surrogate_key(["order_key", "step_number"]) }} as conversion_step_key,
        *
    from (
        select
            order_key,
            cast(row_number() over (partition by order_key order by step_at, touchpoint_key) as integer) as step_number,
            cast(count(*) over (partition by order_key) as integer) as step_count,
            touchpoint_key,
            step_at,
            channel,
            step_type,
            campaign_id,
            untracked_campaign_id,
            session_id,
            placed_at,
            order_total_pln,
            -- seconds from the step to the order (0 for the direct step), for time decay
            cast(coalesce({{ date_difference('second', "step_at", "placed_at") }}, 0) as bigint)
                as seconds_before_order
        from unioned
    ) as numbered
),

-- a path step written again unchanged keeps its stamp: the credits downstream recompute only changed paths
final as (
    {{ select_stamped('computed', 'conversion_step_key', [
        'order_key', 'step_number', 'step_count', 'touchpoint_key', 'step_at', 'channel', 'step_type',
        'campaign_id', 'untracked_campaign_id', 'session_id', 'placed_at', 'order_total_pln',
        'seconds_before_order'
    ]) }}
)

select * from final
