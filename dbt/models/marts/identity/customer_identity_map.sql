-- Every source record and every identifier value with the profile it belongs to and the rule that
-- decided it. Personal values (e-mails, phones, cards) appear only as keyed pseudonyms.
-- Incremental (docs/incremental.md): a run writes the records int_identity__record_keys changed since its
-- last run (new records, and those a merge or a probabilistic link re-keyed), and the identifier values
-- whose row in int_identity__map_values differs from the stored one; values no longer observed are deleted.
{{ config(
    materialized='incremental',
    unique_key='identity_map_key',
    post_hook="{{ delete_vanished_identity_values() }}"
) }}

with

records as (
    select
        'record' as entity_kind,
        record_type as entity_type,
        record_id as entity_id,
        customer_key,
        anonymous_id,
        case
            when match_probability is not null then 'probabilistic'
            when linked_by is null then 'unlinked'
            else 'linked_by_' || linked_by
        end as link_rule,
        case
            when match_probability is not null
                then 'joined by a probabilistic match (probability ' || round(match_probability, 4) || ')'
            when linked_by is null then 'carries no identifying value'
        end as rule_detail,
        match_probability,
        household_key,
        observed_at as first_seen_at,
        observed_at as last_seen_at,
        cast(1 as bigint) as record_count
    from {{ ref('int_identity__record_keys') }}
    {% if is_incremental() %}
        where {{ changed_since_last_run() }}
    {% endif %}
),

values_ as (
    select map_values.*
    from {{ ref('int_identity__map_values') }} as map_values
    {% if is_incremental() %}
        left join {{ this }} as previous on previous.identity_map_key = map_values.identity_map_key
        where
            previous.identity_map_key is null
            or {{ any_differs('map_values', 'previous', ['customer_key', 'anonymous_id', 'link_rule', 'rule_detail', 'household_key', 'first_seen_at', 'last_seen_at', 'record_count']) }}
    {% endif %}
),

entities as (
    select
        {{ surrogate_key(["entity_kind", "entity_type", "entity_id"]) }} as identity_map_key,
        *
    from records
    union all
    select * from values_
)

select
    entities.*,
    {{ batch_column() }}
from entities
