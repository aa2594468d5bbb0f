-- The identifier rows of customer_identity_map: every identifier value (attributes aside) with the profile
-- it belongs to and the rule that decided it, e-mails, phones and cards as their keyed pseudonyms
-- (int_identity__pseudonyms). A table made in every run, so the incremental map writes only the values
-- whose row changed and deletes those no longer here.
with

identifiers as (
    select * from {{ ref('int_identity__identifiers') }}
    where link_rule <> 'attribute'
),

components as (
    select * from {{ ref('int_identity__components') }}
),

profiles as (
    select * from {{ ref('int_identity__profiles') }}
),

pseudonyms as (
    select * from {{ ref('int_identity__pseudonyms') }}
),

-- the household of each shared value's profiles (the evidence is keyed by a hash of the value)
value_households as (
    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        any_value(households.household_key) as household_key
    from {{ ref('int_identity__identifiers') }} as identifiers
    inner join {{ ref('int_identity__household_evidence') }} as evidence
        on evidence.evidence_id = {{ surrogate_key(["identifiers.identifier_type", "identifiers.identifier_value"]) }}
    inner join {{ ref('int_identity__households') }} as households on households.component = evidence.component
    group by identifiers.identifier_type, identifiers.identifier_value
),

values_ as (
    select
        'identifier' as entity_kind,
        identifiers.identifier_type as entity_type,
        case
            when {{ published_as_pseudonym('identifiers.identifier_type', 'identifiers.is_person_level') }}
                then pseudonyms.pseudonym
            else identifiers.identifier_value
        end as entity_id,
        profiles.customer_key,
        profiles.anonymous_id,
        case
            when components.refused_reason like 'shared:%' then 'shared'
            when components.refused_reason is not null then 'refused_by_limit'
            else identifiers.link_rule
        end as link_rule,
        coalesce(components.refused_reason, identifiers.rule_detail) as rule_detail,
        cast(null as double) as match_probability,
        -- a shared value (a family phone) names the household whose profiles share it
        value_households.household_key,
        identifiers.first_seen_at,
        identifiers.last_seen_at,
        identifiers.record_count
    from identifiers
    inner join components on components.node_id = identifiers.node_id
    left join pseudonyms
        on
            pseudonyms.identifier_type = identifiers.identifier_type
            and pseudonyms.identifier_value = identifiers.identifier_value
    -- values that link nothing belong to no profile
    left join profiles
        on
            profiles.component = components.component
            and identifiers.link_rule = 'identifying'
            and components.refused_reason is null
    left join value_households
        on
            value_households.identifier_type = identifiers.identifier_type
            and value_households.identifier_value = identifiers.identifier_value
)

select
    {{ surrogate_key(["entity_kind", "entity_type", "entity_id"]) }} as identity_map_key,
    *
from values_
