-- Profiles that need a look: those where a per-profile limit refused a merge (`limited`), and those
-- holding more records than var('identity_oversized_record_count') (`oversized`). Over-merged giant
-- profiles are what stitching tools are blamed for; this table shows every candidate with the reason.
with

components as (
    select * from {{ ref('int_identity__components') }}
),

profiles as (
    select * from {{ ref('int_identity__profiles') }}
),

identifiers as (
    select identifiers.*, components.component, components.original_component, components.refused_reason
    from {{ ref('int_identity__identifiers') }} as identifiers
    inner join components on components.node_id = identifiers.node_id
    where identifiers.link_rule = 'identifying'
),

-- the components a limit split, with what was refused
limited as (
    select
        original_component,
        count(*) as refused_identifiers,
        string_agg(distinct refused_reason, '; ' order by refused_reason) as refusal_reasons
    from identifiers
    where refused_reason is not null and refused_reason not like 'shared:%'
    group by original_component
),

profile_origin as (
    select distinct components.component, components.original_component
    from components
    inner join {{ ref('int_identity__record_nodes') }} as record_nodes on record_nodes.record_node = components.node_id
),

counts as (
    select * from {{ ref('int_identity__profile_identifiers') }}
),

flagged as (
    select
        profiles.component,
        profiles.customer_key,
        profiles.anonymous_id,
        profiles.record_count,
        limited.refused_identifiers,
        limited.refusal_reasons,
        limited.original_component is not null as is_limited,
        profiles.record_count > {{ var('identity_oversized_record_count', 2500) }} as is_oversized,
        count(*) over (partition by profile_origin.original_component) as profiles_from_same_component
    from profiles
    inner join profile_origin using (component)
    left join limited using (original_component)
)

select
    coalesce(flagged.customer_key, flagged.anonymous_id) as profile_key,
    flagged.customer_key,
    case
        when flagged.is_limited and flagged.is_oversized then 'limited_and_oversized'
        when flagged.is_limited then 'limited'
        else 'oversized'
    end as health_status,
    flagged.record_count,
    coalesce(counts.email_count, 0) as email_count,
    coalesce(counts.phone_count, 0) as phone_count,
    coalesce(counts.loyalty_card_count, 0) as loyalty_card_count,
    coalesce(counts.account_count, 0) as account_count,
    coalesce(counts.membership_count, 0) as membership_count,
    coalesce(counts.cookie_count, 0) as cookie_count,
    coalesce(counts.device_count, 0) as device_count,
    coalesce(flagged.refused_identifiers, 0) as refused_identifiers,
    flagged.refusal_reasons,
    flagged.profiles_from_same_component
from flagged
left join counts using (component)
where flagged.is_limited or flagged.is_oversized
