-- Campaign performance, one row per campaign: sends, deliveries, opens, clicks, the customers reached, the
-- conversions credited (int_attribution__campaign_conversions: only orders of customers the campaign reached
-- first), the tagged conversions of customers it never reached (untracked), attributed revenue, cost, ROI and
-- ROAS. Cost = what the campaign paid to run: ad spend, messages sent x their price, the coupon discounts it
-- granted on its converted orders, and a fixed cost per month it ran (creative, set-up, the platform).
{%- set message_cost = var('message_cost_pln', {'email': 0.01, 'sms': 0.12, 'push': 0.002}) %}
{%- set fixed_cost = var('campaign_fixed_cost_pln', {'email': 800, 'sms': 300, 'push': 300, 'ads': 0}) %}
{%- set not_tracked = var('message_events_not_tracked', {'sms': ['open']}) %}
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

conversions as (
    select * from {{ ref('int_attribution__campaign_conversions') }}
),

ad_spend as (
    select
        campaign_id,
        spend_date
    from {{ ref('stg_ads__ad_spend') }}
),

sends as (
    select
        campaign_id,
        message_channel,
        count(distinct message_id) as send_count
    from message_events
    where campaign_id is not null and event_type = 'send'
    group by campaign_id, message_channel
),

messages as (
    select
        campaign_id,
        count(distinct case when event_type = 'send' then message_id end) as send_count,
        count(distinct case when event_type = 'delivery' then message_id end) as delivery_count,
        count(distinct case when event_type = 'open' then message_id end) as open_count,
        count(distinct case when event_type = 'click' then message_id end) as message_click_count
    from message_events
    where campaign_id is not null
    group by campaign_id
),

-- messages are priced by the channel they went out in (a triggered campaign sends by e-mail or by push)
send_costs as (
    select
        campaign_id,
        sum(
            send_count * case message_channel
                {%- for channel, price in message_cost.items() %}
                when '{{ channel }}' then {{ price }}
                {%- endfor %}
                else 0
            end
        ) as send_cost_pln
    from sends
    group by campaign_id
),

-- the months a campaign ran: months with a send, or with ad spend
active_months as (
    select
        campaign_id,
        count(distinct active_month) as month_count
    from (
        select
            campaign_id,
            cast(date_trunc('month', {{ local_date('event_at') }}) as date) as active_month
        from message_events
        where campaign_id is not null and event_type = 'send'
        union all
        select
            campaign_id,
            cast(date_trunc('month', spend_date) as date)
        from ad_spend
    ) as months
    group by campaign_id
),

-- customers reached: a message of the campaign sent, opened or clicked to them, or its ad clicked
reach as (
    select
        campaign_id,
        count(distinct customer_key) as reached_customer_count
    from touchpoints
    where
        campaign_id is not null
        and customer_key is not null
        and touchpoint_type in ('message_send', 'message_open', 'message_click', 'ad_click')
    group by campaign_id
),

converted as (
    select
        campaign_id,
        count(case when is_credited then 1 end) as conversion_count,
        count(case when is_credited_by_coupon then 1 end) as coupon_conversion_count,
        sum(case when is_credited then order_total_pln end) as attributed_revenue_pln,
        sum(case when is_credited_by_coupon then discount_pln end) as coupon_discount_pln,
        count(case when not is_credited then 1 end) as untracked_conversion_count,
        sum(case when not is_credited then order_total_pln end) as untracked_revenue_pln
    from conversions
    group by campaign_id
),

-- which events each channel's platform reports: a rate over an event the channel does not track is null
tracked as (
    select
        campaigns.campaign_id,
        campaigns.channel <> 'ads'
        {%- for channel, events in not_tracked.items() if 'open' in events %}
        and campaigns.channel <> '{{ channel }}'
        {%- endfor %} as tracks_opens,
        campaigns.channel <> 'ads'
        {%- for channel, events in not_tracked.items() if 'click' in events %}
            and campaigns.channel <> '{{ channel }}'
        {%- endfor %} as tracks_message_clicks
    from campaigns
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
        cast(coalesce(reach.reached_customer_count, 0) as bigint) as reached_customer_count,
        campaigns.ad_impressions,
        campaigns.ad_clicks,
        tracked.tracks_opens,
        tracked.tracks_message_clicks,
        cast(coalesce(converted.conversion_count, 0) as bigint) as conversion_count,
        cast(coalesce(converted.coupon_conversion_count, 0) as bigint) as coupon_conversion_count,
        coalesce(converted.attributed_revenue_pln, 0) as attributed_revenue_pln,
        cast(coalesce(converted.untracked_conversion_count, 0) as bigint) as untracked_conversion_count,
        coalesce(converted.untracked_revenue_pln, 0) as untracked_revenue_pln,
        case when campaigns.channel = 'ads' then campaigns.ad_spend_pln else 0 end as media_cost_pln,
        coalesce(send_costs.send_cost_pln, 0) as send_cost_pln,
        coalesce(converted.coupon_discount_pln, 0) as coupon_discount_pln,
        coalesce(active_months.month_count, 0) * case campaigns.channel
            {%- for channel, cost in fixed_cost.items() %}
            when '{{ channel }}' then {{ cost }}
            {%- endfor %}
            else 0
        end as fixed_cost_pln
    from campaigns
    inner join tracked on tracked.campaign_id = campaigns.campaign_id
    left join messages on messages.campaign_id = campaigns.campaign_id
    left join send_costs on send_costs.campaign_id = campaigns.campaign_id
    left join active_months on active_months.campaign_id = campaigns.campaign_id
    left join reach on reach.campaign_id = campaigns.campaign_id
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
        cast(case when tracks_opens then open_count / nullif(delivery_count, 0) end as double) as open_rate,
        cast(
            case
                when channel = 'ads' then ad_clicks / nullif(ad_impressions, 0)
                when tracks_message_clicks then message_click_count / nullif(delivery_count, 0)
            end
            as double
        ) as click_through_rate,
        conversion_count,
        coupon_conversion_count,
        cast(conversion_count / nullif(reached_customer_count, 0) as double) as conversion_rate,
        {{ pln('attributed_revenue_pln') }} as attributed_revenue_pln,
        untracked_conversion_count,
        {{ pln('untracked_revenue_pln') }} as untracked_revenue_pln,
        {{ pln('media_cost_pln') }} as media_cost_pln,
        {{ pln('send_cost_pln') }} as send_cost_pln,
        {{ pln('coupon_discount_pln') }} as coupon_discount_pln,
        {{ pln('fixed_cost_pln') }} as fixed_cost_pln,
        {{ pln('media_cost_pln + send_cost_pln + coupon_discount_pln + fixed_cost_pln') }} as cost_pln,
        cast(
            cast(attributed_revenue_pln as double)
            / nullif(media_cost_pln + send_cost_pln + coupon_discount_pln + fixed_cost_pln, 0)
            as double
        ) as roas,
        cast(
            cast(
                attributed_revenue_pln - (media_cost_pln + send_cost_pln + coupon_discount_pln + fixed_cost_pln)
                as double
            )
            / nullif(media_cost_pln + send_cost_pln + coupon_discount_pln + fixed_cost_pln, 0)
            as double
        ) as roi
    from costed
)

select * from final
