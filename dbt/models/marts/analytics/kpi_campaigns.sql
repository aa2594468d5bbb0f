-- Campaign performance, one row per campaign: sends, deliveries, opens, clicks, conversions, attributed
-- revenue, cost, ROI and ROAS. A conversion is an order of the same customer within
-- var('campaign_conversion_window_days') after a click of the campaign, or an order carrying its coupon.
{%- set message_cost = var('message_cost_pln', {'email': 0.01, 'sms': 0.12, 'push': 0.002}) %}
with

campaigns as (
    select * from {{ ref('dim_campaigns') }}
),

message_events as (
    select * from {{ ref('stg_marketing__message_events') }}
),

touchpoints as (
    select * from {{ ref('fct_touchpoints') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

messages as (
    select
        campaign_id,
        count(distinct message_id) filter (where event_type = 'send') as send_count,
        count(distinct message_id) filter (where event_type = 'delivery') as delivery_count,
        count(distinct message_id) filter (where event_type = 'open') as open_count,
        count(distinct message_id) filter (where event_type = 'click') as message_click_count
    from message_events
    where campaign_id is not null
    group by campaign_id
),

recipients as (
    select campaign_id, count(distinct customer_key) as reached_customer_count
    from touchpoints
    where touchpoint_type = 'message_delivery' and campaign_id is not null
    group by campaign_id
),

-- a click on a message or an ad, or a session that landed with the campaign's utm
clicks as (
    select campaign_id, customer_key, touchpoint_at as clicked_at
    from touchpoints
    where campaign_id is not null
        and customer_key is not null
        and (touchpoint_type in ('message_click', 'ad_click') or touchpoint_type = 'page_view' and session_id is not null)
),

-- a coupon of the campaign's register converts any order carrying it; a coupon sent in the campaign's
-- messages (codes are reused across campaigns) converts the orders of the customers it was sent to
registered_coupon_conversions as (
    select distinct campaigns.campaign_id, orders.order_key
    from campaigns
    inner join orders on upper(orders.coupon_code) = upper(campaigns.coupon_code)
    where campaigns.coupon_code is not null
),

sent_coupons as (
    select message_events.campaign_id, message_events.coupon_code, touchpoints.customer_key, message_events.event_at
    from message_events
    inner join touchpoints
        on touchpoints.source_record_type = 'marketing_message_event'
        and touchpoints.source_record_id = message_events.message_event_id
    where message_events.event_type = 'send'
        and message_events.coupon_code is not null
        and message_events.campaign_id is not null
        and touchpoints.customer_key is not null
),

sent_coupon_conversions as (
    select distinct sent_coupons.campaign_id, orders.order_key
    from sent_coupons
    inner join orders
        on orders.customer_key = sent_coupons.customer_key
        and upper(orders.coupon_code) = upper(sent_coupons.coupon_code)
        and orders.placed_at >= sent_coupons.event_at
),

click_conversions as (
    select distinct clicks.campaign_id, orders.order_key
    from clicks
    inner join orders
        on orders.customer_key = clicks.customer_key
        and orders.placed_at >= clicks.clicked_at
        and orders.placed_at < clicks.clicked_at + to_days({{ var('campaign_conversion_window_days', 7) }})
),

coupon_conversions as (
    select * from registered_coupon_conversions
    union
    select * from sent_coupon_conversions
),

conversions as (
    select campaign_id, order_key, bool_or(via_coupon) as via_coupon
    from (
        select campaign_id, order_key, false as via_coupon from click_conversions
        union all
        select campaign_id, order_key, true from coupon_conversions
    ) as unioned
    group by campaign_id, order_key
),

converted as (
    select
        conversions.campaign_id,
        count(*) as conversion_count,
        count(*) filter (where conversions.via_coupon) as coupon_conversion_count,
        sum(orders.order_total_pln) as attributed_revenue_pln
    from conversions
    inner join orders on orders.order_key = conversions.order_key
    group by conversions.campaign_id
),

costed as (
    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.channel,
        campaigns.campaign_purpose,
        campaigns.start_date,
        campaigns.end_date,
        cast(coalesce(messages.send_count, 0) as bigint) as send_count,
        cast(coalesce(messages.delivery_count, 0) as bigint) as delivery_count,
        cast(coalesce(messages.open_count, 0) as bigint) as open_count,
        cast(coalesce(messages.message_click_count, 0) as bigint) as message_click_count,
        cast(coalesce(recipients.reached_customer_count, 0) as bigint) as reached_customer_count,
        campaigns.ad_impressions,
        campaigns.ad_clicks,
        cast(coalesce(converted.conversion_count, 0) as bigint) as conversion_count,
        cast(coalesce(converted.coupon_conversion_count, 0) as bigint) as coupon_conversion_count,
        coalesce(converted.attributed_revenue_pln, 0) as attributed_revenue_pln,
        case campaigns.channel
            when 'ads' then campaigns.ad_spend_pln
            when 'email' then coalesce(messages.send_count, 0) * {{ message_cost['email'] }}
            when 'sms' then coalesce(messages.send_count, 0) * {{ message_cost['sms'] }}
            when 'push' then coalesce(messages.send_count, 0) * {{ message_cost['push'] }}
            else 0
        end as cost_pln
    from campaigns
    left join messages on messages.campaign_id = campaigns.campaign_id
    left join recipients on recipients.campaign_id = campaigns.campaign_id
    left join converted on converted.campaign_id = campaigns.campaign_id
),

final as (
    select
        campaign_id,
        campaign_name,
        channel,
        campaign_purpose,
        start_date,
        end_date,
        send_count,
        delivery_count,
        open_count,
        message_click_count,
        reached_customer_count,
        ad_impressions,
        ad_clicks,
        cast(open_count / nullif(delivery_count, 0) as double) as open_rate,
        cast(
            case when channel = 'ads' then ad_clicks / nullif(ad_impressions, 0)
                else message_click_count / nullif(delivery_count, 0) end
            as double
        ) as click_through_rate,
        conversion_count,
        coupon_conversion_count,
        {{ pln('attributed_revenue_pln') }} as attributed_revenue_pln,
        {{ pln('cost_pln') }} as cost_pln,
        cast(attributed_revenue_pln / nullif(cost_pln, 0) as double) as roas,
        cast((attributed_revenue_pln - cost_pln) / nullif(cost_pln, 0) as double) as roi
    from costed
)

select * from final
