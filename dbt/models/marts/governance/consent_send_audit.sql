-- Per campaign and channel: the marketing sends by the consent in force when each was sent
-- (int_consent__marketing_sends), so that a campaign sent past the suppression list shows at a glance.
select
    {{ surrogate_key(["campaign_id", "channel"]) }} as consent_send_audit_key,
    campaign_id,
    channel,
    count(*) as sends,
    count(case when consent_at_send = 'granted' then 1 end) as sends_with_consent,
    count(case when consent_at_send = 'withdrawn' then 1 end) as sends_after_withdrawal,
    count(case when consent_at_send = 'no_record' then 1 end) as sends_without_consent_record,
    count(case when consent_at_send = 'unknown_recipient' then 1 end) as sends_to_unknown_recipients,
    min(sent_at) as first_sent_at,
    max(sent_at) as last_sent_at
from {{ ref('int_consent__marketing_sends') }}
group by campaign_id, channel
