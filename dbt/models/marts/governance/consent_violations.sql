-- Marketing messages sent to a customer who had withdrawn consent for that channel before the send:
-- one row per send. Asset check `cases_found` warns when there are any.
select
    message_event_id as consent_violation_key,
    customer_key,
    campaign_id,
    channel,
    sent_at,
    consent_status_since as withdrawn_at,
    consent_captured_via as withdrawn_via,
    {{ date_difference('hour', "consent_status_since", "sent_at") }} as hours_after_withdrawal
from {{ ref('int_consent__marketing_sends') }}
where consent_at_send = 'withdrawn'
