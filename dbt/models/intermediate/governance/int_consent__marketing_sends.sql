-- Every marketing message send with the consent that was in force for its recipient, channel and the
-- marketing purpose at the moment it was sent: the newest consent-ledger event at or before the send
-- decides (consent_precedence: at the same moment a withdrawal wins).
--   granted            consent was in force
--   withdrawn          the recipient had withdrawn it: a violation (the platform's suppression failed)
--   no_record          a known customer with no consent event for the channel before the send (consent
--                      may be held elsewhere, e.g. the app's push permission, so not counted as a violation)
--   unknown_recipient  the recipient is not a known customer (a device only, or a phone shared by a
--                      household that identity stitching sets aside): consent cannot be looked up
with

sends as (
    select
        events.message_event_id,
        events.message_id,
        events.campaign_id,
        events.message_channel as channel,
        events.event_at as sent_at,
        keys.customer_key
    from {{ ref('stg_marketing__message_events') }} as events
    left join {{ ref('int_identity__record_keys') }} as keys
        on keys.record_type = 'marketing_message' and keys.record_id = events.message_id
    where events.event_type = 'send'
),

ledger as (
    select * from {{ ref('int_consent__ledger') }}
    where customer_key is not null and purpose = 'marketing'
),

in_force as (
    select
        sends.message_event_id,
        ledger.consent_event_key,
        ledger.is_granted,
        ledger.event_at,
        ledger.captured_via,
        row_number() over (
            partition by sends.message_event_id order by {{ consent_precedence('ledger.') }} asc
        ) as precedence
    from sends
    inner join ledger
        on
            ledger.customer_key = sends.customer_key
            and ledger.channel = sends.channel
            and ledger.event_at <= sends.sent_at
)

select
    sends.message_event_id,
    sends.message_id,
    sends.campaign_id,
    sends.channel,
    sends.sent_at,
    sends.customer_key,
    case
        when sends.customer_key is null then 'unknown_recipient'
        when in_force.consent_event_key is null then 'no_record'
        when in_force.is_granted then 'granted'
        else 'withdrawn'
    end as consent_at_send,
    in_force.consent_event_key as deciding_consent_event_key,
    in_force.event_at as consent_status_since,
    in_force.captured_via as consent_captured_via
from sends
left join in_force
    on in_force.message_event_id = sends.message_event_id and in_force.precedence = 1
