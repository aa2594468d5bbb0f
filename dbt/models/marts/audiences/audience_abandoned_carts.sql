-- Customers who abandoned a checkout in the last var('audience_abandoned_cart_days', 7) days and have
-- ordered nothing since, with the channels they may be contacted in now (macro audience_contact_plan:
-- current marketing consent, frequency cap, next best channel). Customers with no consented channel are
-- left out. To build another audience, copy this model and change the `eligible` CTE.
with

touchpoints as (
    select * from {{ ref('fct_touchpoints') }}
),

contactability as (
    select * from {{ ref('int_audiences__contactability') }}
),

as_of as (
    select {{ audience_as_of(ref('fct_touchpoints')) }} as as_of_at
),

checkouts as (
    select
        touchpoints.customer_key,
        touchpoints.touchpoint_at as abandoned_at,
        stg.total_pln
    from touchpoints
    inner join {{ ref('stg_webshop__abandoned_checkouts') }} as stg
        on cast(stg.checkout_id as string) = touchpoints.source_record_id
    where
        touchpoints.touchpoint_type = 'checkout_abandoned'
        and touchpoints.customer_key is not null
        and touchpoints.touchpoint_at <= (select as_of_at from as_of)
        and touchpoints.touchpoint_at > (select as_of_at from as_of)
        - {{ interval_days(var('audience_abandoned_cart_days', 7)) }}
),

last_orders as (
    select
        customer_key,
        max(placed_at) as last_ordered_at
    from {{ ref('fct_orders') }}
    where customer_key is not null and placed_at <= (select as_of_at from as_of)
    group by customer_key
),

eligible as (
    select
        checkouts.customer_key,
        max(checkouts.abandoned_at) as last_abandoned_at,
        cast(count(*) as integer) as abandoned_checkout_count,
        {{ pln(last_by('checkouts.total_pln', 'checkouts.abandoned_at')) }} as last_cart_value_pln
    from checkouts
    left join last_orders on last_orders.customer_key = checkouts.customer_key
    group by checkouts.customer_key
    -- no order, in any channel, since the newest abandoned checkout
    having
        max(checkouts.abandoned_at) is not null
        and (
            any_value(last_orders.last_ordered_at) is null
            or max(checkouts.abandoned_at) > any_value(last_orders.last_ordered_at)
        )
),

final as (
    {{ audience_contact_plan('eligible', 'contactability') }}
)

select * from final
