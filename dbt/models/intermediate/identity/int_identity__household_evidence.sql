-- What tells that profiles live together: one row per (evidence, profile).
--   shared_phone / shared_email / shared_card  a phone, e-mail or loyalty card identity stitching set
--        aside as shared (a family phone, a family mailbox, a card registered to two members): every
--        profile with a record that carries it, anonymous ones too (an SMS to the family phone)
--   same_address  the same street and postal code on web shop accounts or loyalty memberships
--        (int_identity__match_records; a shipping address can be a gift's, so orders do not count)
-- Evidence reaching more than var('household_max_profiles') known profiles is not a household (an
-- office, a shop's own number, a dormitory) and is left out.
with

components as (
    select * from {{ ref('int_identity__components') }}
),

shared_values as (
    select
        identifiers.identifier_type,
        identifiers.identifier_value
    from {{ ref('int_identity__identifiers') }} as identifiers
    inner join components on components.node_id = identifiers.node_id
    where
        identifiers.identifier_type in ('phone', 'email', 'loyalty_card')
        and (identifiers.link_rule = 'shared' or components.refused_reason like 'shared:%')
),

record_components as (
    select
        record_nodes.record_type,
        record_nodes.record_id,
        components.component
    from {{ ref('int_identity__record_nodes') }} as record_nodes
    inner join components on components.node_id = record_nodes.record_node
),

by_value as (
    select distinct
        'shared_'
        || case shared_values.identifier_type when 'loyalty_card' then 'card' else shared_values.identifier_type end
            as evidence_type,
        {{ surrogate_key(["shared_values.identifier_type", "shared_values.identifier_value"]) }} as evidence_id,
        record_components.component
    from shared_values
    inner join {{ ref('int_identity__observations') }}
        using (identifier_type, identifier_value)
    inner join record_components using (record_type, record_id)
),

by_address as (
    select distinct
        'same_address' as evidence_type,
        {{ surrogate_key(["'address'", "records.postal_code", "records.street"]) }} as evidence_id,
        record_components.component
    from {{ ref('int_identity__match_records') }} as records
    inner join record_components using (record_type, record_id)
    where records.street is not null and records.postal_code is not null
),

evidence as (
    select * from by_value
    union all
    select * from by_address
),

spread as (
    select
        evidence.evidence_id,
        count(distinct case when profiles.is_known then evidence.component end) as known_profiles
    from evidence
    inner join {{ ref('int_identity__profiles') }} as profiles using (component)
    group by evidence.evidence_id
)

select evidence.*
from evidence
inner join spread using (evidence_id)
where spread.known_profiles <= {{ var('household_max_profiles', 8) }}
