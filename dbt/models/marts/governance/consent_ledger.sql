-- Every consent event per customer, channel and purpose, from every source that records one:
-- the loyalty / CRM ledger (desk, web form, app), and the unsubscribe links of the marketing platform
-- (a withdrawal of marketing consent for that channel, from the moment it was clicked).
with

crm as (
    select
        'loyalty' as source_system,
        consent_event_id as source_event_id,
        consent_channel as channel,
        consent_purpose as purpose,
        consent_status as status,
        consent_source as captured_via,
        event_at,
        'consent_event' as record_type,
        consent_event_id as record_id
    from {{ ref('stg_loyalty__consent_events') }}
),

unsubscribes as (
    select
        'marketing',
        message_event_id,
        message_channel,
        'marketing',
        'withdrawn',
        'unsubscribe_link',
        event_at,
        'marketing_message',
        message_id
    from {{ ref('stg_marketing__message_events') }}
    where event_type = 'unsubscribe'
),

events as (
    select * from crm
    union all
    select * from unsubscribes
)

select
    md5(events.source_system || ':' || events.source_event_id) as consent_event_key,
    keys.customer_key,
    keys.profile_key,
    events.channel,
    events.purpose,
    events.status,
    events.status = 'granted' as is_granted,
    events.source_system,
    events.captured_via,
    events.event_at
from events
left join {{ ref('int_identity__record_keys') }} as keys
    on keys.record_type = events.record_type and keys.record_id = events.record_id
