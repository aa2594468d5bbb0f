-- Every source record identity stitching assigns to a customer, with the identifiers it carries as
-- columns (one per identifier type of seed identity_identifier_types). Values are normalised in staging
-- (macros normalize_*). Records carrying no identifier are here too: they end anonymous.
with

customers as (
    select
        'webshop_customer' as record_type,
        cast(customer_id as string) as record_id,
        created_at as observed_at,
        cast(customer_id as string) as customer_id,
        null as member_id,
        null as loyalty_card,
        email_normalized as email,
        phone_normalized as phone,
        null as order_ref,
        null as receipt_ref,
        null as ticket_ref,
        null as device_id,
        null as cookie_id,
        null as click_id,
        {{ normalize_person_name('first_name') }} as first_name
    from {{ ref('stg_webshop__customers') }}
),

orders as (
    select
        'webshop_order',
        cast(order_id as string),
        placed_at,
        cast(customer_id as string),
        null,
        null,
        email_normalized,
        phone_normalized,
        cast(order_id as string),
        null,
        null,
        null,
        null,
        click_id,
        null
    from {{ ref('stg_webshop__orders') }}
),

checkouts as (
    select
        'webshop_checkout',
        cast(checkout_id as string),
        created_at,
        cast(customer_id as string),
        null,
        null,
        email_normalized,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null
    from {{ ref('stg_webshop__abandoned_checkouts') }}
),

-- a web or app session: the cookie or device, the account that logged in, the ad click that opened it,
-- the order it placed
sessions as (
    select
        'web_session',
        session_id,
        min(event_at),
        cast(max(customer_id) as string),
        null,
        null,
        null,
        null,
        cast(max(order_id) as string),
        null,
        null,
        max(device_id),
        max(cookie_id),
        max(click_id),
        null
    from {{ ref('stg_events__events') }}
    where session_id is not null
    group by session_id
),

receipts as (
    select
        'pos_receipt',
        receipt_id,
        min(receipt_at),
        null,
        null,
        any_value(loyalty_card_normalized),
        any_value(case when not is_placeholder_email then email_normalized end),
        -- the store's own number typed by a cashier is set aside here already (it is per store)
        any_value(case when not is_placeholder_phone then phone_normalized end),
        any_value(original_order_id),
        coalesce(any_value(original_receipt_id), receipt_id),
        null,
        null,
        null,
        null,
        null
    from {{ ref('stg_pos__receipt_lines') }}
    group by receipt_id
),

members as (
    select
        'loyalty_member',
        member_id as record_id,
        enrolled_at,
        null,
        member_id,
        loyalty_card_normalized,
        email_normalized,
        phone_normalized,
        null,
        null,
        null,
        null,
        null,
        null,
        {{ normalize_person_name('first_name') }}
    from {{ ref('stg_loyalty__members') }}
),

consents as (
    select
        'consent_event',
        consent_event_id,
        event_at,
        null,
        member_id,
        null,
        email_normalized,
        phone_normalized,
        null,
        null,
        null,
        null,
        null,
        null,
        null
    from {{ ref('stg_loyalty__consent_events') }}
),

messages as (
    select
        'marketing_message',
        message_id,
        min(event_at),
        null,
        null,
        null,
        any_value(email_normalized),
        any_value(phone_normalized),
        null,
        null,
        null,
        any_value(device_id),
        null,
        null,
        null
    from {{ ref('stg_marketing__message_events') }}
    where message_id is not null
    group by message_id
),

tickets as (
    select
        'helpdesk_ticket',
        cast(ticket_id as string),
        created_at,
        null,
        null,
        null,
        email_normalized,
        phone_normalized,
        case when {{ regex_full_match('order_reference', '[0-9]+') }} then order_reference end,
        case when not {{ regex_full_match('order_reference', '[0-9]+') }} then order_reference end,
        cast(ticket_id as string),
        null,
        null,
        null,
        {{ normalize_person_name("split_part(trim(requester_name), ' ', 1)") }}
    from {{ ref('stg_helpdesk__tickets') }}
),

surveys as (
    select
        'survey_response',
        response_id,
        responded_at,
        null,
        null,
        null,
        email_normalized,
        phone_normalized,
        case when {{ regex_full_match('order_reference', '[0-9]+') }} then order_reference end,
        case when not {{ regex_full_match('order_reference', '[0-9]+') }} then order_reference end,
        cast(ticket_id as string),
        null,
        null,
        null,
        null
    from {{ ref('stg_surveys__responses') }}
),

ad_clicks as (
    select
        'ad_click',
        click_id as record_id,
        clicked_at,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        click_id,
        null
    from {{ ref('stg_ads__ad_clicks') }}
),

records as (
    select * from customers
    union all
    select * from orders
    union all
    select * from checkouts
    union all
    select * from sessions
    union all
    select * from receipts
    union all
    select * from members
    union all
    select * from consents
    union all
    select * from messages
    union all
    select * from tickets
    union all
    select * from surveys
    union all
    select * from ad_clicks
)

select * from records
