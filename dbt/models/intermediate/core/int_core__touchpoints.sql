-- Every interaction of every channel in one table: clickstream events, marketing message events, ad
-- clicks, helpdesk tickets, survey responses, abandoned checkouts, store visits (one per till receipt)
-- and web/app orders. The grain is one source record; `channel` is the vocabulary of dim_channels.
with

events as (
    select * from {{ ref('stg_events__events') }}
),

sessions as (
    select
        session_id,
        campaign_id
    from {{ ref('int_core__sessions') }}
),

message_events as (
    select * from {{ ref('stg_marketing__message_events') }}
),

ad_clicks as (
    select * from {{ ref('stg_ads__ad_clicks') }}
),

tickets as (
    select * from {{ ref('stg_helpdesk__tickets') }}
),

survey_responses as (
    select * from {{ ref('stg_surveys__responses') }}
),

abandoned_checkouts as (
    select * from {{ ref('stg_webshop__abandoned_checkouts') }}
),

till_lines as (
    select * from {{ ref('stg_pos__receipt_lines') }}
),

web_orders as (
    select * from {{ ref('stg_webshop__orders') }}
),

campaigns as (
    {{ campaigns_by_utm_campaign() }}
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
),

-- the orders an interaction can refer to, as fct_orders keys them
orders as (
    select
        'webshop' as source_system,
        cast(order_id as varchar) as order_id
    from web_orders
    union all
    select distinct
        'pos' as source_system,
        receipt_id as order_id
    from till_lines
    where transaction_type = 'SALE'
),

-- the session an ad click landed in, and the session a web order was placed in
click_sessions as (
    select
        click_id,
        {{ first_by("session_id", "event_at") }} as session_id
    from events
    where click_id is not null and session_id is not null
    group by click_id
),

order_sessions as (
    select
        order_id,
        {{ first_by("session_id", "event_at") }} as session_id
    from events
    where event_name = 'purchase' and order_id is not null and session_id is not null
    group by order_id
),

receipts as (
    select
        receipt_id,
        any_value(transaction_type) as transaction_type,
        any_value(store_id) as store_id,
        min(receipt_at) as receipt_at,
        any_value(original_order_id) as original_order_id,
        any_value(original_receipt_id) as original_receipt_id
    from till_lines
    group by receipt_id
),

clickstream as (
    select
        events.event_at as touchpoint_at,
        events.platform as channel,
        events.event_name as touchpoint_type,
        'events' as source_system,
        'web_event' as source_record_type,
        events.event_id as source_record_id,
        sessions.campaign_id,
        events.session_id,
        case when events.order_id is not null then 'webshop' end as order_source_system,
        cast(events.order_id as varchar) as order_id,
        cast(null as varchar) as store_id,
        events.sku,
        'web_session' as identity_record_type,
        events.session_id as identity_record_id
    from events
    left join sessions on sessions.session_id = events.session_id
),

messages as (
    select
        event_at as touchpoint_at,
        message_channel as channel,
        'message_' || event_type as touchpoint_type,
        'marketing' as source_system,
        'marketing_message_event' as source_record_type,
        message_event_id as source_record_id,
        campaign_id,
        cast(null as varchar) as session_id,
        cast(null as varchar) as order_source_system,
        cast(null as varchar) as order_id,
        cast(null as varchar) as store_id,
        cast(null as varchar) as sku,
        'marketing_message' as identity_record_type,
        message_id as identity_record_id
    from message_events
),

clicks as (
    select
        ad_clicks.clicked_at as touchpoint_at,
        'ads' as channel,
        'ad_click' as touchpoint_type,
        'ads' as source_system,
        'ad_click' as source_record_type,
        ad_clicks.click_id as source_record_id,
        ad_clicks.campaign_id,
        click_sessions.session_id,
        cast(null as varchar) as order_source_system,
        cast(null as varchar) as order_id,
        cast(null as varchar) as store_id,
        cast(null as varchar) as sku,
        'ad_click' as identity_record_type,
        ad_clicks.click_id as identity_record_id
    from ad_clicks
    left join click_sessions on click_sessions.click_id = ad_clicks.click_id
),

helpdesk as (
    select
        created_at as touchpoint_at,
        case ticket_channel
            when 'phone' then 'call_center'
            when 'messenger' then 'social'
            else ticket_channel
        end as channel,
        'ticket_opened' as touchpoint_type,
        'helpdesk' as source_system,
        'helpdesk_ticket' as source_record_type,
        cast(ticket_id as varchar) as source_record_id,
        cast(null as varchar) as campaign_id,
        cast(null as varchar) as session_id,
        {{ order_reference_source('order_reference') }} as order_source_system,
        order_reference as order_id,
        cast(null as varchar) as store_id,
        cast(null as varchar) as sku,
        'helpdesk_ticket' as identity_record_type,
        cast(ticket_id as varchar) as identity_record_id
    from tickets
),

surveys as (
    select
        responded_at as touchpoint_at,
        -- surveys are sent and answered by e-mail (by text message when only a phone is known)
        case when email is null and phone is not null then 'sms' else 'email' end as channel,
        'survey_response' as touchpoint_type,
        'surveys' as source_system,
        'survey_response' as source_record_type,
        response_id as source_record_id,
        cast(null as varchar) as campaign_id,
        cast(null as varchar) as session_id,
        {{ order_reference_source('order_reference') }} as order_source_system,
        order_reference as order_id,
        cast(null as varchar) as store_id,
        cast(null as varchar) as sku,
        'survey_response' as identity_record_type,
        response_id as identity_record_id
    from survey_responses
),

checkouts as (
    select
        created_at as touchpoint_at,
        ordering_channel as channel,
        'checkout_abandoned' as touchpoint_type,
        'webshop' as source_system,
        'webshop_checkout' as source_record_type,
        cast(checkout_id as varchar) as source_record_id,
        cast(null as varchar) as campaign_id,
        cast(null as varchar) as session_id,
        cast(null as varchar) as order_source_system,
        cast(null as varchar) as order_id,
        cast(null as varchar) as store_id,
        cast(null as varchar) as sku,
        'webshop_checkout' as identity_record_type,
        cast(checkout_id as varchar) as identity_record_id
    from abandoned_checkouts
),

store_visits as (
    select
        receipt_at as touchpoint_at,
        'store' as channel,
        case transaction_type
            when 'SALE' then 'store_purchase'
            when 'PICKUP' then 'store_pickup'
            when 'RETURN' then 'store_return'
        end as touchpoint_type,
        'pos' as source_system,
        'pos_receipt' as source_record_type,
        receipt_id as source_record_id,
        cast(null as varchar) as campaign_id,
        cast(null as varchar) as session_id,
        -- a sale is its own order; a pick-up or a return refers to the order collected or returned
        case
            when transaction_type = 'SALE' then 'pos'
            when original_order_id is not null then 'webshop'
            when original_receipt_id is not null then 'pos'
        end as order_source_system,
        case
            when transaction_type = 'SALE' then receipt_id
            else coalesce(original_order_id, original_receipt_id)
        end as order_id,
        store_id,
        cast(null as varchar) as sku,
        'pos_receipt' as identity_record_type,
        receipt_id as identity_record_id
    from receipts
),

online_orders as (
    select
        web_orders.placed_at as touchpoint_at,
        web_orders.ordering_channel as channel,
        'order_placed' as touchpoint_type,
        'webshop' as source_system,
        'webshop_order' as source_record_type,
        cast(web_orders.order_id as varchar) as source_record_id,
        coalesce(campaigns.campaign_id, sessions.campaign_id) as campaign_id,
        order_sessions.session_id,
        'webshop' as order_source_system,
        cast(web_orders.order_id as varchar) as order_id,
        cast(null as varchar) as store_id,
        cast(null as varchar) as sku,
        'webshop_order' as identity_record_type,
        cast(web_orders.order_id as varchar) as identity_record_id
    from web_orders
    left join campaigns on campaigns.utm_campaign = web_orders.utm_campaign
    left join order_sessions on order_sessions.order_id = web_orders.order_id
    left join sessions on sessions.session_id = order_sessions.session_id
),

unioned as (
    select * from clickstream
    union all
    select * from messages
    union all
    select * from clicks
    union all
    select * from helpdesk
    union all
    select * from surveys
    union all
    select * from checkouts
    union all
    select * from store_visits
    union all
    select * from online_orders
),

final as (
    select
        {{ surrogate_key(["unioned.source_record_type", "unioned.source_record_id"]) }} as touchpoint_key,
        unioned.touchpoint_at,
        {{ local_date('unioned.touchpoint_at') }} as touchpoint_date,
        unioned.channel,
        unioned.touchpoint_type,
        unioned.source_system,
        unioned.source_record_type,
        unioned.source_record_id,
        unioned.campaign_id,
        unioned.session_id,
        -- only orders the warehouse knows
        {{ surrogate_key(["orders.source_system", "orders.order_id"]) }} as order_key,
        unioned.store_id,
        unioned.sku,
        record_keys.customer_key,
        record_keys.anonymous_id
    from unioned
    left join orders
        on
            orders.source_system = unioned.order_source_system
            and orders.order_id = unioned.order_id
    left join record_keys
        on
            record_keys.record_type = unioned.identity_record_type
            and record_keys.record_id = unioned.identity_record_id
)

select * from final
