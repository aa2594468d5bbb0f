-- Every source record with the profile it belongs to: `customer_key` for known customers, else an
-- `anonymous_id`; `linked_by` is the strongest identifying value type the record carries (null: the
-- record carries nothing that links, it stands alone); `match_probability` is set when the record's
-- deterministic profile joined this one by a probabilistic match; `household_key` is the household of the
-- record's profile (int_identity__households).
-- Incremental (docs/incremental.md): the keys are computed for every record, and a run writes only the
-- records that are new or whose keys changed (a merge of two profiles re-keys only their records), each
-- stamped with the run's batch, so models downstream reprocess exactly those records. A record that is
-- no longer in the warehouse (only an erasure removes records, and it runs a full refresh) is deleted.
-- `_omni_previous_profile_key` is the profile a record written again had before; a record that changed profile is
-- logged in meta.identity_profile_moves (macro log_profile_moves), for models that must recompute the
-- profile a record left.
{{ config(
    materialized='incremental',
    unique_key=['record_type', 'record_id'],
    post_hook=[
        "{{ delete_vanished(ref('int_identity__record_nodes'), ['record_type', 'record_id']) }}",
        "{{ log_profile_moves() }}"
    ]
) }}

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
        {{ first_ordered('identifiers.identifier_type', 'identifiers.priority') }} as linked_by
    from {{ ref('int_identity__observations') }} as observations
    inner join {{ ref('int_identity__identifiers') }} as identifiers
        using (identifier_type, identifier_value)
    inner join components on components.node_id = identifiers.node_id
    where identifiers.link_rule = 'identifying' and components.refused_reason is null
    group by observations.record_type, observations.record_id
),

computed as (
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
        households.household_key
    from record_nodes
    inner join components on components.node_id = record_nodes.record_node
    inner join {{ ref('int_identity__profiles') }} as profiles on profiles.component = components.component
    inner join {{ ref('int_identity__households') }} as households on households.component = profiles.component
    left join links using (record_type, record_id)
)

select
    computed.*,
    {% if is_incremental() %}previous.profile_key{% else %}cast(null as string){% endif %} as _omni_previous_profile_key,
    {{ batch_column() }}
from computed
{% if is_incremental() %}
    left join {{ this }} as previous using (record_type, record_id)
    where
        previous.record_id is null
        or {{ any_differs('computed', 'previous', ['observed_at', 'customer_key', 'anonymous_id', 'linked_by', 'match_probability', 'household_key']) }}
{% endif %}
