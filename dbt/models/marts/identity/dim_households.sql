-- One row per household of two or more profiles: profiles that share a family phone, a family mailbox or
-- a family card (values identity stitching refuses to merge people on), or an address on their accounts
-- and memberships. A customer without such evidence is a household of one and is not listed here
-- (dim_customers.household_key is still set). No personal values: evidence is counted, never shown.
with

households as (
    select * from {{ ref('int_identity__households') }}
),

profiles as (
    select * from {{ ref('int_identity__profiles') }}
),

evidence as (
    select
        households.household_key,
        evidence.evidence_type,
        evidence.evidence_id
    from {{ ref('int_identity__household_evidence') }} as evidence
    inner join households using (component)
),

evidence_summary as (
    select
        household_key,
        {{ aggregate_list("evidence_type", order_by="evidence_type", distinct=true) }} as evidence_types,
        count(distinct case when evidence_type = 'shared_phone' then evidence_id end) as shared_phone_count,
        count(distinct case when evidence_type = 'shared_email' then evidence_id end) as shared_email_count,
        count(distinct case when evidence_type = 'shared_card' then evidence_id end) as shared_card_count,
        count(distinct case when evidence_type = 'same_address' then evidence_id end) as address_count
    from evidence
    group by household_key
),

members as (
    select
        households.household_key,
        count(case when profiles.is_known then 1 end) as customer_count,
        count(*) as profile_count,
        min(profiles.first_seen_at) as first_seen_at,
        max(profiles.last_seen_at) as last_seen_at
    from households
    inner join profiles using (component)
    group by households.household_key
    having count(*) > 1
)

select
    members.household_key,
    members.customer_count,
    members.profile_count,
    evidence_summary.evidence_types,
    evidence_summary.shared_phone_count,
    evidence_summary.shared_email_count,
    evidence_summary.shared_card_count,
    evidence_summary.address_count,
    members.first_seen_at,
    members.last_seen_at
from members
inner join evidence_summary using (household_key)
