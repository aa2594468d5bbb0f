-- Every profile with its household: profiles joined by household evidence (int_identity__household_evidence)
-- are one household (connected components, int_identity__household_components); a profile with no
-- evidence is a household of its own. `household_key` is made like customer_key, from the earliest
-- record of the household's earliest profile, so it stays put when the data grows.
with

profiles as (
    select * from {{ ref('int_identity__profiles') }}
),

grouped as (
    select
        profiles.component,
        coalesce(household_components.household, -1 - profiles.component) as household
    from profiles
    left join {{ ref('int_identity__household_components') }} as household_components using (component)
),

anchors as (
    select
        grouped.household,
        {{ first_ordered('profiles.anchor_record', 'profiles.first_seen_at nulls last, profiles.anchor_record') }}
            as anchor_record
    from grouped
    inner join profiles using (component)
    group by grouped.household
)

select
    grouped.component,
    {{ surrogate_key(["'household'", "anchors.anchor_record"]) }} as household_key
from grouped
inner join anchors using (household)
