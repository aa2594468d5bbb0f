-- Every interaction of every channel in one table: clickstream events, marketing message events, ad
-- clicks, helpdesk tickets, survey responses, abandoned checkouts, store visits (one per till receipt)
-- and web/app orders. The grain is one source record; `channel` is the vocabulary of dim_channels.
-- Incremental (docs/incremental.md): a run recomputes the touchpoints whose source record changed, whose
-- customer key changed, whose session changed (its campaign), whose order reference now names an order
-- that changed, and the web orders whose UTM campaign now names another campaign.
{{ config(materialized='incremental', unique_key='touchpoint_key', spark_partition_month_of='touchpoint_at') }}

with

campaigns as (
    {{ campaigns_by_utm_campaign() }}
),

{% if is_incremental() %}
    changed_keys as (
        select record_type, record_id from {{ ref('int_identity__record_keys') }} as keys
        where {{ changed_since_last_run('keys') }}
    ),

    changed_sessions as (
        select session_id from {{ ref('int_core__sessions') }} as sessions
        where {{ changed_since_last_run('sessions') }}
    ),

    changed_events as (
        select event_id, session_id, click_id, event_name, order_id from {{ ref('stg_events__events') }} as events
        where {{ changed_since_last_run('events') }}
    ),

    -- orders that came or changed, by the reference other records use (a web order id, a receipt id)
    changed_orders as (
        select cast(order_id as string) as order_reference from {{ ref('stg_webshop__orders') }} as orders
        where {{ changed_since_last_run('orders') }}
        union
        select receipt_id from {{ ref('stg_pos__receipt_lines') }} as lines
        where {{ changed_since_last_run('lines') }}
    ),

    -- web orders whose UTM campaign now names another campaign than the one this table gave them
    recampaigned_orders as (
        select previous.source_record_id as order_reference
        from {{ this }} as previous
        inner join {{ ref('stg_webshop__orders') }} as web_orders
            on cast(web_orders.order_id as string) = previous.source_record_id
        inner join campaigns on campaigns.utm_campaign = web_orders.utm_campaign
        where previous.source_record_type = 'webshop_order' and previous.campaign_id is distinct from campaigns.campaign_id
    ),
{% endif %}

events as (
    select * from {{ ref('stg_events__events') }}
),

-- the clickstream events whose touchpoint is recomputed (all of them in a full build)
touched_events as (
    select * from events
    {% if is_incremental() %}
        where
            event_id in (select event_id from changed_events)
            or session_id in (select session_id from changed_sessions)
            or cast(order_id as string) in (select order_reference from changed_orders)
    {% endif %}
),

sessions as (
    select
        session_id,
        campaign_id
    from {{ ref('int_core__sessions') }}
),

message_events as (
    select * from {{ ref('stg_marketing__message_events') }}
    {% if is_incremental() %}
        where
            {{ changed_since_last_run() }}
            or message_id in (select record_id from changed_keys where record_type = 'marketing_message')
    {% endif %}
),

ad_clicks as (
    select * from {{ ref('stg_ads__ad_clicks') }}
    {% if is_incremental() %}
        where
            {{ changed_since_last_run() }}
            or click_id in (select record_id from changed_keys where record_type = 'ad_click')
            or click_id in (select click_id from changed_events)
            or click_id in (
                select events.click_id from events
                inner join changed_sessions on changed_sessions.session_id = events.session_id
            )
    {% endif %}
),

tickets as (
    select * from {{ ref('stg_helpdesk__tickets') }}
    {% if is_incremental() %}
        where
            {{ changed_since_last_run() }}
            or cast(ticket_id as string) in (select record_id from changed_keys where record_type = 'helpdesk_ticket')
            or order_reference in (select order_reference from changed_orders)
    {% endif %}
),

survey_responses as (
    select * from {{ ref('stg_surveys__responses') }}
    {% if is_incremental() %}
        where
            {{ changed_since_last_run() }}
            or response_id in (select record_id from changed_keys where record_type = 'survey_response')
            or order_reference in (select order_reference from changed_orders)
    {% endif %}
),

abandoned_checkouts as (
    select * from {{ ref('stg_webshop__abandoned_checkouts') }}
    {% if is_incremental() %}
        where
            {{ changed_since_last_run() }}
            or cast(checkout_id as string) in (
                select record_id from changed_keys where record_type = 'webshop_checkout'
            )
    {% endif %}
),

till_lines as (
    select * from {{ ref('stg_pos__receipt_lines') }}
),

-- the till lines of the receipts whose store visit is recomputed (all of them in a full build)
touched_till_lines as (
    select * from till_lines
    {% if is_incremental() %}
        where receipt_id in (
            select receipt_id from till_lines
            where
                receipt_id in (select order_reference from changed_orders)
                or receipt_id in (select record_id from changed_keys where record_type = 'pos_receipt')
                or original_order_id in (select order_reference from changed_orders)
                or original_receipt_id in (select order_reference from changed_orders)
        )
    {% endif %}
),

web_orders as (
    select * from {{ ref('stg_webshop__orders') }}
),

touched_web_orders as (
    select * from web_orders
    {% if is_incremental() %}
        where
            cast(order_id as string) in (select order_reference from changed_orders)
            or cast(order_id as string) in (select record_id from changed_keys where record_type = 'webshop_order')
            or cast(order_id as string) in (select order_reference from recampaigned_orders)
            -- its session: a purchase event that came, or a session whose campaign changed
            or order_id in (
                select events.order_id from events
                where
                    events.event_name = 'purchase'
                    and (
                        events.event_id in (select event_id from changed_events)
                        or events.session_id in (select session_id from changed_sessions)
                    )
            )
    {% endif %}
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
),

-- the orders an interaction can refer to, as fct_orders keys them
orders as (
    select
        'webshop' as source_system,
        cast(order_id as string) as order_id
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
    {% if is_incremental() %}
        and click_id in (select click_id from ad_clicks)
    {% endif %}
    group by click_id
),

order_sessions as (
    select
        order_id,
        {{ first_by("session_id", "event_at") }} as session_id
    from events
    where event_name = 'purchase' and order_id is not null and session_id is not null
    {% if is_incremental() %}
        and order_id in (select order_id from touched_web_orders)
    {% endif %}
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
    from touched_till_lines
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
        cast(events.order_id as string) as order_id,
        cast(null as string) as store_id,
        events.sku,
        'web_session' as identity_record_type,
        events.session_id as identity_record_id
    from touched_events as events
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
        cast(null as string) as session_id,
        cast(null as string) as order_source_system,
        cast(null as string) as order_id,
        cast(null as string) as store_id,
        cast(null as string) as sku,
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
        cast(null as string) as order_source_system,
        cast(null as string) as order_id,
        cast(null as string) as store_id,
        cast(null as string) as sku,
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
        cast(ticket_id as string) as source_record_id,
        cast(null as string) as campaign_id,
        cast(null as string) as session_id,
        {{ order_reference_source('order_reference') }} as order_source_system,
        order_reference as order_id,
        cast(null as string) as store_id,
        cast(null as string) as sku,
        'helpdesk_ticket' as identity_record_type,
        cast(ticket_id as string) as identity_record_id
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
        cast(null as string) as campaign_id,
        cast(null as string) as session_id,
        {{ order_reference_source('order_reference') }} as order_source_system,
        order_reference as order_id,
        cast(null as string) as store_id,
        cast(null as string) as sku,
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
        cast(checkout_id as string) as source_record_id,
        cast(null as string) as campaign_id,
        cast(null as string) as session_id,
        cast(null as string) as order_source_system,
        cast(null as string) as order_id,
        cast(null as string) as store_id,
        cast(null as string) as sku,
        'webshop_checkout' as identity_record_type,
        cast(checkout_id as string) as identity_record_id
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
        cast(null as string) as campaign_id,
        cast(null as string) as session_id,
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
        cast(null as string) as sku,
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
        cast(web_orders.order_id as string) as source_record_id,
        coalesce(campaigns.campaign_id, sessions.campaign_id) as campaign_id,
        order_sessions.session_id,
        'webshop' as order_source_system,
        cast(web_orders.order_id as string) as order_id,
        cast(null as string) as store_id,
        cast(null as string) as sku,
        'webshop_order' as identity_record_type,
        cast(web_orders.order_id as string) as identity_record_id
    from touched_web_orders as web_orders
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
        record_keys.anonymous_id,
        {{ batch_column() }}
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
