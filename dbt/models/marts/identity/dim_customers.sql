-- One row per known customer (stitched profile): the golden record. No names, e-mails or phones.
-- Survivorship: an attribute comes from the most trusted source that has it (loyalty enrolment, then
-- the web shop account, then the newest order), and within a source from the newest record.
with

profiles as (
    select * from {{ ref('int_identity__profiles') }}
    where is_known
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
    where customer_key is not null
),

orders as (
    select * from {{ ref('fct_orders') }}
    where customer_key is not null
),

members as (
    select
        record_keys.customer_key,
        stg.city,
        stg.postal_code,
        stg.home_store_id,
        cast(year(stg.birth_date) as bigint) as birth_year,
        stg.enrolled_at,
        stg.updated_at
    from {{ ref('stg_loyalty__members') }} as stg
    inner join record_keys on record_keys.record_type = 'loyalty_member' and record_keys.record_id = stg.member_id
),

accounts as (
    select
        record_keys.customer_key,
        stg.city,
        stg.postal_code,
        stg.created_at,
        stg.updated_at
    from {{ ref('stg_webshop__customers') }} as stg
    inner join record_keys
        on record_keys.record_type = 'webshop_customer' and record_keys.record_id = cast(stg.customer_id as string)
),

shipping as (
    select
        record_keys.customer_key,
        stg.shipping_city as city,
        stg.shipping_postal_code as postal_code,
        stg.placed_at
    from {{ ref('stg_webshop__orders') }} as stg
    inner join record_keys
        on record_keys.record_type = 'webshop_order' and record_keys.record_id = cast(stg.order_id as string)
    where stg.shipping_city is not null
),

address_candidates as (
    select
        customer_key,
        city,
        postal_code,
        1 as source_rank,
        updated_at as as_of
    from members
    where city is not null
    union all
    select
        customer_key,
        city,
        postal_code,
        2,
        updated_at
    from accounts
    where city is not null
    union all
    select
        customer_key,
        city,
        postal_code,
        3,
        placed_at
    from shipping
),

address as (
    select
        customer_key,
        {{ first_ordered('city', 'source_rank asc, as_of desc nulls last') }} as city,
        {{ first_ordered('postal_code', 'source_rank asc, as_of desc nulls last') }} as postal_code
    from address_candidates
    group by customer_key
),

membership as (
    select
        customer_key,
        {{ first_ordered('home_store_id', 'updated_at desc nulls last') }} as home_store_id,
        {{ first_ordered('birth_year', 'updated_at desc nulls last') }} as birth_year,
        min(enrolled_at) as enrolled_at
    from members
    group by customer_key
),

order_summary as (
    select
        customer_key,
        count(*) as order_count,
        count(case when ordering_channel = 'web' then 1 end) as web_order_count,
        count(case when ordering_channel = 'app' then 1 end) as app_order_count,
        count(case when ordering_channel = 'store' then 1 end) as store_order_count,
        count(case when is_click_and_collect then 1 end) as click_and_collect_order_count,
        sum(order_total_pln) as revenue_pln,
        min(placed_at) as first_order_at,
        max(placed_at) as last_order_at,
        {{ aggregate_list("ordering_channel", order_by="ordering_channel", distinct=true) }} as purchase_channels
    from orders
    group by customer_key
),

-- the store a customer bought or collected in most; of stores used as often, the one of the latest order, then
-- the first store id (mode() picks any of them: another one from run to run and from engine to engine)
store_use as (
    select
        customer_key,
        store_id,
        count(*) as order_count,
        max(placed_at) as last_order_at
    from orders
    where store_id is not null
    group by customer_key, store_id
),

most_used_store as (
    select
        customer_key,
        {{ first_ordered('store_id', 'order_count desc, last_order_at desc, store_id') }} as most_used_store_id
    from store_use
    group by customer_key
),

-- the platform of each session: the first event's (int_core__sessions), not a grouping of every event
session_platforms as (
    select
        session_id,
        platform
    from {{ ref('int_core__sessions') }}
),

-- the channels a customer was seen in, whatever the record
record_channels as (
    select
        customer_key,
        'web' as channel
    from record_keys
    where record_type in ('webshop_customer', 'webshop_checkout')
    union
    select
        record_keys.customer_key,
        session_platforms.platform
    from record_keys
    inner join
        session_platforms
        on record_keys.record_type = 'web_session' and record_keys.record_id = session_platforms.session_id
    union
    select
        customer_key,
        'store'
    from record_keys
    where record_type in ('pos_receipt', 'loyalty_member')
    union
    select
        customer_key,
        ordering_channel
    from orders
    union
    select
        record_keys.customer_key,
        tickets.ticket_channel
    from record_keys
    inner join {{ ref('stg_helpdesk__tickets') }} as tickets
        on record_keys.record_type = 'helpdesk_ticket' and record_keys.record_id = cast(tickets.ticket_id as string)
),

channels as (
    select
        customer_key,
        {{ aggregate_list("channel", order_by="channel", distinct=true) }} as channels_used
    from record_channels
    where channel is not null
    group by customer_key
),

-- marketing consent in force per channel, as governance decides it (consent_current: the newest event of
-- the consent ledger wins, a withdrawal or unsubscribe from its moment on)
consent as (
    select
        customer_key,
        bool_or(case when channel = 'email' then is_granted end) as has_email_marketing_consent,
        bool_or(case when channel = 'sms' then is_granted end) as has_sms_marketing_consent,
        bool_or(case when channel = 'push' then is_granted end) as has_push_marketing_consent
    from {{ ref('consent_current') }}
    where purpose = 'marketing'
    group by customer_key
)

select
    profiles.customer_key,
    profiles.first_seen_at,
    profiles.last_seen_at,
    profiles.record_count,
    coalesce(channels.channels_used, {{ array_of([]) }}) as channels_used,
    {{ list_length('coalesce(channels.channels_used, ' ~ array_of([]) ~ ')') }} as channel_count,
    coalesce(order_summary.purchase_channels, {{ array_of([]) }}) as purchase_channels,
    {{ list_length('coalesce(order_summary.purchase_channels, ' ~ array_of([]) ~ ')') }} >= 2 as is_multichannel_buyer,
    coalesce(ids.account_count, 0) > 0 as has_webshop_account,
    coalesce(ids.membership_count, 0) > 0 as is_loyalty_member,
    coalesce(ids.email_count, 0) as email_count,
    coalesce(ids.phone_count, 0) as phone_count,
    coalesce(ids.loyalty_card_count, 0) as loyalty_card_count,
    coalesce(ids.cookie_count, 0) as cookie_count,
    coalesce(ids.device_count, 0) as device_count,
    address.city,
    address.postal_code,
    coalesce(membership.home_store_id, most_used_store.most_used_store_id) as preferred_store_id,
    membership.birth_year,
    membership.enrolled_at as loyalty_enrolled_at,
    coalesce(consent.has_email_marketing_consent, false) as has_email_marketing_consent,
    coalesce(consent.has_sms_marketing_consent, false) as has_sms_marketing_consent,
    coalesce(consent.has_push_marketing_consent, false) as has_push_marketing_consent,
    coalesce(order_summary.order_count, 0) as order_count,
    coalesce(order_summary.web_order_count, 0) as web_order_count,
    coalesce(order_summary.app_order_count, 0) as app_order_count,
    coalesce(order_summary.store_order_count, 0) as store_order_count,
    coalesce(order_summary.click_and_collect_order_count, 0) as click_and_collect_order_count,
    {{ pln('coalesce(order_summary.revenue_pln, 0)') }} as revenue_pln,
    order_summary.first_order_at,
    order_summary.last_order_at,
    households.household_key
from profiles
inner join {{ ref('int_identity__households') }} as households using (component)
left join {{ ref('int_identity__profile_identifiers') }} as ids using (component)
left join channels using (customer_key)
left join address using (customer_key)
left join membership using (customer_key)
left join order_summary using (customer_key)
left join most_used_store using (customer_key)
left join consent using (customer_key)
