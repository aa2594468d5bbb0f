-- Every journey, one row each: the steps (int_attribution__steps) of one customer or anonymous visitor
-- that led to an order, or that did not.
--   converted      the conversion path of an order (int_attribution__conversion_paths: the buyer's steps
--                  in the lookback window before it); an order with no step is a `direct` journey
--   not_converted  steps after which the same customer placed no order within the lookback window,
--                  grouped while less than the window separates one from the next; a store visit
--                  (till receipt) counts like any step, so converted and not converted journeys compare
--   open           like not_converted, but the last step is less than a window before the end of the
--                  data: it may still convert, so the summaries leave it out
-- Paths show channels in order with repeats collapsed (`web > email > web > store`); combinations show
-- the set of channels (`email + store + web`).
-- Incremental (docs/incremental.md): every journey is a profile's (the order's buyer, the steps' customer
-- or visitor), and a run recomputes every journey of the profiles whose steps, orders or conversion paths
-- changed since its last run (macro journey_profiles_to_recompute), and of those with an open journey the
-- end of the data has now left more than a window behind; it deletes the journeys of those profiles it
-- did not write again (regrouped, or a profile merged into another).
{{ config(
    materialized='incremental',
    unique_key='journey_key',
    pre_hook="{{ write_recomputed_keys(journey_profiles_to_recompute()) }}",
    post_hook=["{{ delete_unwritten('coalesce(customer_key, anonymous_id)', 'profile_key') }}", "{{ drop_recomputed_keys() }}"]
) }}

with

steps as (
    select * from {{ ref('int_attribution__steps') }}
    {% if is_incremental() %}
        where profile_key in (select profile_key from {{ recomputed_keys_relation() }})
    {% endif %}
),

orders as (
    select
        order_key,
        customer_key,
        anonymous_id,
        coalesce(customer_key, anonymous_id) as profile_key,
        ordering_channel,
        fulfilment_type,
        placed_at,
        order_total_pln
    from {{ ref('fct_orders') }}
    {% if is_incremental() %}
        where coalesce(customer_key, anonymous_id) in (select profile_key from {{ recomputed_keys_relation() }})
    {% endif %}
),

paths as (
    select * from {{ ref('int_attribution__conversion_paths') }}
    {% if is_incremental() %}
        where order_key in (select order_key from orders)
    {% endif %}
),

data_end as (
    select max(touchpoint_at) as data_end_at from {{ ref('fct_touchpoints') }}
),

converted_steps as (
    select
        {{ surrogate_key(["'order'", "paths.order_key"]) }} as journey_key,
        paths.order_key,
        paths.step_number,
        paths.step_at,
        paths.channel,
        paths.step_type
    from paths
    where paths.step_type <> 'direct'
),

-- steps that no order of the same customer followed within the window (a till sale is its own order's
-- conversion but a step of the orders after it: one followed by no further order is a step that led nowhere)
unconverted as (
    select steps.*
    from steps
    where not exists (
        select 1
        from orders
        where
            orders.profile_key = steps.profile_key
            and orders.placed_at > steps.step_at
            and orders.placed_at <= steps.step_at + {{ attribution_lookback() }}
    )
),

unconverted_grouped as (
    select
        *,
        sum(
            case
                when previous_step_at is null or step_at - previous_step_at > {{ attribution_lookback() }} then 1 else 0
            end
        )
            over (partition by profile_key order by step_at, touchpoint_key) as journey_no
    from (
        select
            *,
            lag(step_at) over (partition by profile_key order by step_at, touchpoint_key) as previous_step_at
        from unconverted
    ) as lagged
),

unconverted_steps as (
    select
        {{ surrogate_key(["'steps'", "first_value(touchpoint_key)
            over (partition by profile_key, journey_no order by step_at, touchpoint_key)"]) }} as journey_key,
        cast(null as string) as order_key,
        cast(row_number() over (partition by profile_key, journey_no order by step_at, touchpoint_key) as integer)
            as step_number,
        step_at,
        channel,
        step_type,
        customer_key,
        anonymous_id
    from unconverted_grouped
),

all_steps as (
    select
        journey_key,
        step_number,
        step_at,
        channel,
        step_type
    from converted_steps
    union all
    select
        journey_key,
        step_number,
        step_at,
        channel,
        step_type
    from unconverted_steps
),

-- one token per run of the same channel
collapsed as (
    select
        journey_key,
        step_number,
        channel
    from (
        select
            *,
            lag(channel) over (partition by journey_key order by step_number) as previous_channel
        from all_steps
    ) as lagged
    where previous_channel is null or previous_channel <> channel
),

step_summary as (
    select
        journey_key,
        count(*) as touchpoint_count,
        count(distinct channel) as channel_count,
        {{ join_list(aggregate_list("channel", order_by="channel", distinct=true), ' + ') }}
            as channel_combination,
        min(step_at) as first_step_at,
        max(step_at) as last_step_at,
        {{ first_by("channel", "step_number") }} as first_channel,
        {{ last_by("channel", "step_number") }} as last_channel,
        {{ last_by("step_type", "step_number") }} as last_step_type
    from all_steps
    group by journey_key
),

path_summary as (
    select
        journey_key,
        {{ string_agg_ordered('channel', ' > ', 'step_number') }} as channel_path
    from collapsed
    group by journey_key
),

journeys as (
    select
        {{ surrogate_key(["'order'", "orders.order_key"]) }} as journey_key,
        'converted' as journey_status,
        orders.order_key,
        orders.customer_key,
        orders.anonymous_id,
        orders.ordering_channel as conversion_channel,
        orders.fulfilment_type,
        orders.placed_at as converted_at,
        orders.order_total_pln
    from orders
    union all
    select
        journey_key,
        case
            when max(step_at) > (select data_end_at from data_end) - {{ attribution_lookback() }} then 'open'
            else 'not_converted'
        end as journey_status,
        null as order_key,
        any_value(customer_key) as customer_key,
        any_value(anonymous_id) as anonymous_id,
        null as conversion_channel,
        null as fulfilment_type,
        null as converted_at,
        null as order_total_pln
    from unconverted_steps
    group by journey_key
),

final as (
    select
        journeys.journey_key,
        journeys.journey_status,
        journeys.journey_status = 'converted' as is_converted,
        journeys.order_key,
        journeys.customer_key,
        journeys.anonymous_id,
        coalesce(step_summary.first_step_at, journeys.converted_at) as journey_started_at,
        coalesce(journeys.converted_at, step_summary.last_step_at) as journey_ended_at,
        cast(coalesce(step_summary.touchpoint_count, 0) as integer) as touchpoint_count,
        cast(coalesce(step_summary.channel_count, 0) as integer) as channel_count,
        coalesce(path_summary.channel_path, 'direct') as channel_path,
        coalesce(step_summary.channel_combination, 'direct') as channel_combination,
        coalesce(step_summary.first_channel, 'direct') as first_channel,
        coalesce(step_summary.last_channel, 'direct') as last_channel,
        coalesce(step_summary.last_step_type, 'direct') as last_step_type,
        cast(journeys.conversion_channel as string) as conversion_channel,
        cast(journeys.fulfilment_type as string) as fulfilment_type,
        journeys.journey_status = 'converted' and step_summary.first_channel is not null
        and step_summary.first_channel <> journeys.conversion_channel as is_cross_channel,
        cast(journeys.order_total_pln as decimal(18, 2)) as order_total_pln,
        {{ batch_column() }}
    from journeys
    left join step_summary on step_summary.journey_key = journeys.journey_key
    left join path_summary on path_summary.journey_key = journeys.journey_key
)

select * from final
