-- The consent in force now for every customer, channel and purpose: the newest event wins, and of
-- events at the same moment a withdrawal wins. A customer with no event for a channel and purpose has
-- no consent for it (no row here means no consent).
with

ledger as (
    select * from {{ ref('int_consent__ledger') }}
    where customer_key is not null
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_key, channel, purpose
            order by {{ consent_precedence() }} asc
        ) as recency
    from ledger
)

select
    {{ surrogate_key(["customer_key", "channel", "purpose"]) }} as consent_key,
    customer_key,
    channel,
    purpose,
    is_granted,
    status,
    event_at as status_since,
    source_system as decided_by_source,
    captured_via
from ranked
where recency = 1
