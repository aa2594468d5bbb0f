-- Every source record with the profile it belongs to: `customer_key` for known customers, else an
-- `anonymous_id`; `linked_by` is the strongest identifying value type the record carries (null: the
-- record carries nothing that links, it stands alone); `match_probability` is set when the record's
-- deterministic profile joined this one by a probabilistic match; `household_key` is the household of the
-- record's profile (int_identity__households).
with

record_nodes as (
    select * from {{ ref('int_identity__record_nodes') }}
),

components as (
    select * from {{ ref('int_identity__components') }}
),

links as (
    select
        observations.record_type,
        observations.record_id,
        first(identifiers.identifier_type order by identifiers.priority) as linked_by
    from {{ ref('int_identity__observations') }} as observations
    inner join {{ ref('int_identity__identifiers') }} as identifiers
        using (identifier_type, identifier_value)
    inner join components on components.node_id = identifiers.node_id
    where identifiers.link_rule = 'identifying' and components.refused_reason is null
    group by observations.record_type, observations.record_id
)

select
    record_nodes.record_type,
    record_nodes.record_id,
    record_nodes.observed_at,
    profiles.customer_key,
    profiles.anonymous_id,
    coalesce(profiles.customer_key, profiles.anonymous_id) as profile_key,
    links.linked_by,
    -- the probability of the link that joined the record's deterministic profile to this one (null: none)
    components.match_probability,
    households.household_key,
    profiles.component
from record_nodes
inner join components on components.node_id = record_nodes.record_node
inner join {{ ref('int_identity__profiles') }} as profiles on profiles.component = components.component
inner join {{ ref('int_identity__households') }} as households on households.component = profiles.component
left join links using (record_type, record_id)
