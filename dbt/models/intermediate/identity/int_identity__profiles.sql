-- One row per profile (connected component). A profile holding a person-level identifier (seed
-- identity_identifier_types.is_person_level) is a known customer and gets a `customer_key`; the others
-- (cookies, devices, references only) get an `anonymous_id`.
-- Keys are made from the profile's earliest record (internal ids only, no personal data), so they stay
-- the same on every re-run with the same data, and when new data arrives unless the profile merges with
-- an older one (then the older key wins, and every record of both follows it).
with

components as (
    select * from {{ ref('int_identity__components') }}
),

records as (
    select
        record_nodes.*,
        components.component
    from {{ ref('int_identity__record_nodes') }} as record_nodes
    inner join components on components.node_id = record_nodes.record_node
),

identifiers as (
    select
        identifiers.*,
        components.component
    from {{ ref('int_identity__identifiers') }} as identifiers
    inner join components on components.node_id = identifiers.node_id
    where identifiers.link_rule = 'identifying' and components.refused_reason is null
),

known as (
    select distinct component from identifiers
    where is_person_level
),

anchors as (
    select
        component,
        {{ first_ordered(
            "record_type || ':' || record_id", 'observed_at nulls last, record_type, record_id'
        ) }} as anchor_record,
        count(*) as record_count,
        min(observed_at) as first_seen_at,
        max(observed_at) as last_seen_at
    from records
    group by component
)

select
    anchors.component,
    known.component is not null as is_known,
    case
        when known.component is not null then {{ surrogate_key(["'customer'", "anchors.anchor_record"]) }}
    end as customer_key,
    case
        when known.component is null then {{ surrogate_key(["'anonymous'", "anchors.anchor_record"]) }}
    end as anonymous_id,
    anchors.anchor_record,
    anchors.record_count,
    anchors.first_seen_at,
    anchors.last_seen_at
from anchors
left join known using (component)
