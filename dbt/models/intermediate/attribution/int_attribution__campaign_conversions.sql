-- The orders each campaign converted, and the orders tagged with a campaign that never reached their buyer,
-- one row per (campaign, order). A campaign is credited with an order only where it reached the buyer
-- first: a send, open or click of one of its messages to that customer, or a click on one of its ads,
-- before the order. What ties an order to a campaign (its tag):
--   click   a click on the campaign's message or ad, the order within var('campaign_conversion_window_days')
--           after it (the click is the exposure)
--   utm     a visit that landed with the campaign's utm, the order within the window after it; credited when
--           the campaign reached the customer before the visit and within the window before the order
--   coupon  the order carries the campaign's coupon (its register's code, or a code its messages carried);
--           credited when the campaign reached the customer before the order (a message carrying that code,
--           or any exposure for the register's code)
-- An order tagged by utm or coupon whose buyer the campaign never reached (an anonymous order, a link or
-- code passed on, a customer split in two by stitching) is `untracked`: credited to the campaign's channel,
-- not to the campaign. A coupon code several campaigns share counts as untracked only when none of them
-- reached the buyer with it.
{%- set window = interval_days(var('campaign_conversion_window_days', 7)) %}
with

-- the register's campaigns: the only campaigns of dim_campaigns with a coupon code
campaigns as (
    select
        campaign_id,
        coupon_code
    from {{ ref('stg_marketing__campaigns') }}
),

message_events as (
    select
        message_event_id,
        coupon_code
    from {{ ref('stg_marketing__message_events') }}
),

touchpoints as (
    select * from {{ ref('int_core__touchpoints') }}
    where customer_key is not null and campaign_id is not null
),

sessions as (
    select
        session_id,
        customer_key,
        campaign_id,
        started_at
    from {{ ref('int_core__sessions') }}
    where campaign_id is not null
),

orders as (
    select
        order_key,
        customer_key,
        placed_at,
        order_total_pln,
        discount_pln,
        upper(coupon_code) as coupon_code
    from {{ ref('int_core__orders') }}
),

-- what of a campaign reached a customer, and when: a message sent, opened or clicked, an ad clicked
exposures as (
    select
        touchpoints.campaign_id,
        touchpoints.customer_key,
        touchpoints.touchpoint_at as exposed_at,
        touchpoints.touchpoint_type,
        upper(message_events.coupon_code) as coupon_code
    from touchpoints
    left join message_events
        on
            touchpoints.source_record_type = 'marketing_message_event'
            and message_events.message_event_id = touchpoints.source_record_id
    where touchpoints.touchpoint_type in ('message_send', 'message_open', 'message_click', 'ad_click')
),

-- the codes of each campaign: its register's, and those its messages carried
campaign_coupons as (
    select
        campaign_id,
        coupon_code,
        max(is_registered) as is_registered
    from (
        select
            campaign_id,
            upper(coupon_code) as coupon_code,
            1 as is_registered
        from campaigns
        where coupon_code is not null
        union all
        select distinct
            campaign_id,
            coupon_code,
            0
        from exposures
        where coupon_code is not null
    ) as codes
    group by campaign_id, coupon_code
),

tags as (
    select
        exposures.campaign_id,
        orders.order_key,
        'click' as tag_type,
        cast(null as string) as coupon_code,
        false as is_registered_coupon,
        exposures.exposed_at as tagged_at
    from exposures
    inner join orders
        on
            orders.customer_key = exposures.customer_key
            and orders.placed_at >= exposures.exposed_at
            and orders.placed_at < exposures.exposed_at + {{ window }}
    where exposures.touchpoint_type in ('message_click', 'ad_click')
    union all
    select
        sessions.campaign_id,
        orders.order_key,
        'utm',
        null,
        false,
        sessions.started_at
    from sessions
    inner join orders
        on
            orders.customer_key = sessions.customer_key
            and orders.placed_at >= sessions.started_at
            and orders.placed_at < sessions.started_at + {{ window }}
    union all
    -- anonymous visits and orders: tagged, never credited
    select
        sessions.campaign_id,
        fct_orders.order_key,
        'utm',
        null,
        false,
        sessions.started_at
    from {{ ref('int_core__sessions') }} as sessions
    inner join {{ ref('int_core__orders') }} as fct_orders
        on
            fct_orders.customer_key is null
            and fct_orders.anonymous_id = sessions.anonymous_id
            and fct_orders.placed_at >= sessions.started_at
            and fct_orders.placed_at < sessions.started_at + {{ window }}
    where sessions.campaign_id is not null and sessions.customer_key is null
    union all
    select
        campaign_coupons.campaign_id,
        orders.order_key,
        'coupon',
        orders.coupon_code,
        campaign_coupons.is_registered = 1,
        orders.placed_at
    from campaign_coupons
    inner join orders on orders.coupon_code = campaign_coupons.coupon_code
),

-- each tag with the latest exposure that stands behind it (null: the campaign never reached the buyer)
evidenced as (
    select
        tags.campaign_id,
        tags.order_key,
        tags.tag_type,
        tags.coupon_code,
        tags.tagged_at,
        max(exposures.exposed_at) as exposed_at
    from tags
    inner join orders on orders.order_key = tags.order_key
    left join exposures
        on
            exposures.campaign_id = tags.campaign_id
            and exposures.customer_key = orders.customer_key
            and exposures.exposed_at <= tags.tagged_at
            and (tags.tag_type <> 'utm' or exposures.exposed_at >= orders.placed_at - {{ window }})
            and (tags.tag_type <> 'coupon' or tags.is_registered_coupon or exposures.coupon_code = tags.coupon_code)
    group by tags.campaign_id, tags.order_key, tags.tag_type, tags.coupon_code, tags.tagged_at
),

-- codes some campaign was credited through, per order
credited_codes as (
    select distinct
        order_key,
        coupon_code
    from evidenced
    where tag_type = 'coupon' and exposed_at is not null
),

per_campaign_order as (
    select
        evidenced.campaign_id,
        evidenced.order_key,
        max(case when evidenced.exposed_at is not null then 1 else 0 end) = 1 as is_credited,
        max(case when evidenced.tag_type = 'click' and evidenced.exposed_at is not null then 1 else 0 end) = 1
            as is_credited_by_click,
        max(case when evidenced.tag_type = 'utm' and evidenced.exposed_at is not null then 1 else 0 end) = 1
            as is_credited_by_utm,
        max(case when evidenced.tag_type = 'coupon' and evidenced.exposed_at is not null then 1 else 0 end) = 1
            as is_credited_by_coupon,
        max(case when evidenced.tag_type = 'utm' then 1 else 0 end) = 1 as has_utm_tag,
        max(case when evidenced.tag_type = 'coupon' and credited_codes.order_key is null then 1 else 0 end) = 1
            as has_unclaimed_coupon,
        min(evidenced.tagged_at) as first_tagged_at,
        max(evidenced.exposed_at) as exposed_at
    from evidenced
    left join credited_codes
        on
            credited_codes.order_key = evidenced.order_key
            and credited_codes.coupon_code = evidenced.coupon_code
    group by evidenced.campaign_id, evidenced.order_key
),

final as (
    select
        {{ surrogate_key(["per_campaign_order.campaign_id", "per_campaign_order.order_key"]) }}
            as campaign_conversion_key,
        per_campaign_order.campaign_id,
        per_campaign_order.order_key,
        orders.customer_key,
        orders.placed_at,
        case when per_campaign_order.is_credited then 'credited' else 'untracked' end as credit_status,
        per_campaign_order.is_credited,
        per_campaign_order.is_credited_by_click,
        per_campaign_order.is_credited_by_utm,
        per_campaign_order.is_credited_by_coupon,
        per_campaign_order.exposed_at,
        orders.order_total_pln,
        orders.discount_pln
    from per_campaign_order
    inner join orders on orders.order_key = per_campaign_order.order_key
    where
        per_campaign_order.is_credited
        or per_campaign_order.has_utm_tag
        or per_campaign_order.has_unclaimed_coupon
)

select * from final
