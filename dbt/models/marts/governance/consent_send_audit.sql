-- Per campaign and channel: the marketing sends by the consent in force when each was sent
-- (int_consent__marketing_sends), so that a campaign sent past the suppression list shows at a glance.
select
    md5(campaign_id || ':' || channel) as consent_send_audit_key,
    campaign_id,
    channel,
    count(*) as sends,
    count(*) filter (where consent_at_send = 'granted') as sends_with_consent,
    count(*) filter (where consent_at_send = 'withdrawn') as sends_after_withdrawal,
    count(*) filter (where consent_at_send = 'no_record') as sends_without_consent_record,
    count(*) filter (where consent_at_send = 'unknown_recipient') as sends_to_unknown_recipients,
    min(sent_at) as first_sent_at,
    max(sent_at) as last_sent_at
from {{ ref('int_consent__marketing_sends') }}
group by campaign_id, channel
