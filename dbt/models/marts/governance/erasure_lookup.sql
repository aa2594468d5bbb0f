-- The look-up of `omni forget` (omni/erasure.py): which profile an identifying value belongs to, and
-- which records carry an e-mail or phone that links no profile. Values appear only as erasure tokens,
-- the keyed hash of `<identifier_type>:<normalised value>` under the pseudonymisation key, the same hash
-- an erasure request remembers; no e-mail, phone or card is stored.
with

identifiers as (
    select * from {{ ref('int_identity__identifiers') }}
),

components as (
    select * from {{ ref('int_identity__components') }}
),

profiles as (
    select * from {{ ref('int_identity__profiles') }}
),

observations as (
    select * from {{ ref('int_identity__observations') }}
),

-- identifying values of a profile (not shared, not refused by a limit)
profile_values as (
    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        profiles.customer_key,
        profiles.anonymous_id,
        cast(null as {{ dbt.type_string() }}) as record_type,
        cast(null as {{ dbt.type_string() }}) as record_id
    from identifiers
    inner join components on components.node_id = identifiers.node_id
    inner join profiles on profiles.component = components.component
    where identifiers.link_rule = 'identifying' and components.refused_reason is null
),

-- an e-mail or phone that links no profile (shared, placeholder, refused) identifies only the records
-- that carry it
carrying_records as (
    select distinct
        observations.identifier_type,
        observations.identifier_value,
        cast(null as {{ dbt.type_string() }}) as customer_key,
        cast(null as {{ dbt.type_string() }}) as anonymous_id,
        observations.record_type,
        cast(observations.record_id as {{ dbt.type_string() }}) as record_id
    from observations
    where
        observations.identifier_type in ('email', 'phone')
        and not exists (
            select 1
            from profile_values
            where
                profile_values.identifier_type = observations.identifier_type
                and profile_values.identifier_value = observations.identifier_value
        )
),

-- the token of each value, computed once per value and key (int_identity__pseudonyms, which holds every
-- value: the not_null test of erasure_token would say otherwise)
tokens as (
    select
        lookup.identifier_type,
        pseudonyms.erasure_token,
        lookup.customer_key,
        lookup.anonymous_id,
        lookup.record_type,
        lookup.record_id
    from (
        select * from profile_values
        union all
        select * from carrying_records
    ) as lookup
    left join {{ ref('int_identity__pseudonyms') }} as pseudonyms
        on
            pseudonyms.identifier_type = lookup.identifier_type
            and pseudonyms.identifier_value = lookup.identifier_value
)

select
    {{ surrogate_key(['erasure_token', "coalesce(record_type || ':' || record_id, '')"]) }} as erasure_lookup_key,
    erasure_token,
    identifier_type,
    customer_key,
    anonymous_id,
    record_type,
    record_id
from tokens
