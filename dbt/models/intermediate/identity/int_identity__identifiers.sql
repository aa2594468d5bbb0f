-- Every distinct identifier value, with the rule that decides whether it may link records:
--   identifying  links every record that carries it
--   placeholder  a stand-in for a missing value (seed placeholder_identifiers, one repeated digit,
--                a store's own phone); never links
--   shared       seen with more distinct values of another type than seed identity_shared_rules
--                allows (a family phone, a shared computer's cookie); never links
--   attribute    not an identifier (a first name): only feeds the shared rules
-- `node_id` is the value's node in the identity graph: a hash of its type and value (macro stable_id), so it
-- stays the same when other values come and go (identity stitching re-stitches only what changed).
with

observations as (
    select * from {{ ref('int_identity__observations') }}
),

types as (
    select * from {{ ref('identity_identifier_types') }}
),

shared_rules as (
    select * from {{ ref('identity_shared_rules') }}
),

placeholders as (
    select * from {{ ref('int_identity__placeholders') }}
),

values_seen as (
    select
        identifier_type,
        identifier_value,
        count(distinct record_type || ':' || record_id) as record_count,
        min(observed_at) as first_seen_at,
        max(observed_at) as last_seen_at
    from observations
    group by identifier_type, identifier_value
),

-- for each shared rule: how many distinct values of the other type share a record with the value
co_occurrence as (
    select
        mine.identifier_type,
        mine.identifier_value,
        shared_rules.co_identifier_type,
        shared_rules.max_distinct,
        count(distinct other.identifier_value) as distinct_values
    from observations as mine
    inner join shared_rules
        on mine.identifier_type = shared_rules.identifier_type
    inner join observations as other
        on
            other.record_type = mine.record_type
            and other.record_id = mine.record_id
            and other.identifier_type = shared_rules.co_identifier_type
    -- a placeholder on the other side says nothing about this value
    anti join placeholders
        on
            placeholders.identifier_type = other.identifier_type
            and placeholders.identifier_value = other.identifier_value
    group by mine.identifier_type, mine.identifier_value, shared_rules.co_identifier_type, shared_rules.max_distinct
),

shared as (
    select
        identifier_type,
        identifier_value,
        {{ string_agg_ordered(
            "'seen with ' || distinct_values || ' ' || co_identifier_type || ' values (max ' || max_distinct || ')'",
            '; ',
            'co_identifier_type'
        ) }} as shared_reason
    from co_occurrence
    where distinct_values > max_distinct
    group by identifier_type, identifier_value
),

ruled as (
    select
        values_seen.*,
        types.priority,
        coalesce(types.is_person_level, false) as is_person_level,
        case
            when types.priority is null then 'attribute'
            when
                placeholders.identifier_value is not null
                or (
                    values_seen.identifier_type = 'phone'
                    and length(
                        replace(substr(values_seen.identifier_value, 4), substr(values_seen.identifier_value, 4, 1), '')
                    )
                    = 0
                )
                then 'placeholder'
            when shared.identifier_value is not null then 'shared'
            else 'identifying'
        end as link_rule,
        shared.shared_reason
    from values_seen
    left join types using (identifier_type)
    left join placeholders using (identifier_type, identifier_value)
    left join shared using (identifier_type, identifier_value)
)

select
    {{ stable_id(["'identifier'", 'identifier_type', 'identifier_value']) }} as node_id,
    identifier_type,
    identifier_value,
    priority,
    is_person_level,
    link_rule,
    case link_rule
        when 'placeholder' then 'placeholder value: never links'
        when 'shared' then shared_reason
        when 'attribute' then 'attribute, not an identifier'
    end as rule_detail,
    record_count,
    first_seen_at,
    last_seen_at
from ruled
