-- Profiles that need a look, one row per profile with every reason that holds:
--   limited          a per-profile limit refused a merge (the component was split)
--   oversized        more records than var('identity_oversized_record_count', 2500)
--   two_first_names  two first names that are neither one name (int_identity__name_forms' name_key:
--                    diminutives and typos given with the same identifier map to one key) nor one slip
--                    of the keyboard apart, the name or a diminutive of it (same first letter, one edit,
--                    two for names of 8 letters or more: joann / joanna, ol / ola = aleksandra); two
--                    names of seed first_name_variants are two names however close (maria / marta), and
--                    so is a name of the seed with an `a` added (jan / jana)
--   two_birth_dates  two birth dates more than var('identity_health_birth_date_gap_days', 366) days apart
--                    (a typo in the day, the month or the year next to it stays within a year)
--   two_last_names   two last names more than two edits apart (one for names under 5 letters) once the
--                    feminine form of a Polish adjectival surname is folded into the masculine (kowalska
--                    / kowalski; two edits: a slip on top of a mistyped ending, majewka / majewski), on
--                    two records that do not carry the same birth date. A household mostly shares its
--                    last name, so an over-merged family shows in first names and birth dates instead;
--                    a marriage changes a last name, so a married and a maiden name under the same birth
--                    date are one person and not listed (with the birth date missing on a side they are:
--                    a look decides)
--   many_emails      more identifying e-mails than var('identity_health_max_emails', 2) (a person's own
--                    and an old or work address are two)
--   many_phones      more identifying phones than var('identity_health_max_phones', 2) (a person's own
--                    and a new number are two)
-- Names and birth dates come from the records that carry a person's particulars (web shop accounts,
-- loyalty members: int_identity__match_records); they are compared, never shown. Over-merged profiles
-- (two people under one key) are what stitching is blamed for; this table lists every candidate.
with

components as (
    select * from {{ ref('int_identity__components') }}
),

profiles as (
    select * from {{ ref('int_identity__profiles') }}
),

identifiers as (
    select
        identifiers.*,
        components.component,
        components.original_component,
        components.refused_reason
    from {{ ref('int_identity__identifiers') }} as identifiers
    inner join components on components.node_id = identifiers.node_id
    where identifiers.link_rule = 'identifying'
),

-- the components before limits were applied that each profile comes from (several, when the
-- probabilistic stage merged profiles)
profile_origin as (
    select distinct
        components.component,
        components.original_component
    from components
    inner join {{ ref('int_identity__record_nodes') }} as record_nodes on record_nodes.record_node = components.node_id
),

-- profiles from a component a limit split, with what was refused there
limited as (
    select
        profile_origin.component,
        count(distinct identifiers.node_id) as refused_identifiers,
        {{ string_agg_ordered('identifiers.refused_reason', '; ', 'identifiers.refused_reason', distinct=true) }}
            as refusal_reasons
    from profile_origin
    inner join identifiers on identifiers.original_component = profile_origin.original_component
    where identifiers.refused_reason is not null and identifiers.refused_reason not like 'shared:%'
    group by profile_origin.component
),

-- how many profiles each component before limits was split into
origin_sizes as (
    select
        original_component,
        count(distinct component) as profiles
    from profile_origin
    group by original_component
),

-- how many profiles the component(s) a profile comes from were split into
split as (
    select
        profile_origin.component,
        max(origin_sizes.profiles) as profiles_from_same_component
    from profile_origin
    inner join origin_sizes on origin_sizes.original_component = profile_origin.original_component
    group by profile_origin.component
),

counts as (
    select * from {{ ref('int_identity__profile_identifiers') }}
),

-- accounts and memberships in their final profile, with the names (first names as their name_key, last
-- names with feminine forms folded) and birth dates matching compares
particulars as (
    select
        components.component,
        match_records.unique_id,
        match_records.first_name,
        match_records.last_name,
        match_records.birth_date
    from {{ ref('int_identity__match_records') }} as match_records
    inner join {{ ref('int_identity__record_nodes') }} as record_nodes
        on
            record_nodes.record_type = match_records.record_type
            and record_nodes.record_id = match_records.record_id
    inner join components on components.node_id = record_nodes.record_node
),

-- the names of seed first_name_variants (full forms and diminutives): a name, never a typo of another
known_names as (
    select variant as name from {{ ref('first_name_variants') }}
    union
    select full_name from {{ ref('first_name_variants') }}
),

-- two first names met in one profile
name_pairs as (
    select distinct
        a.first_name as name_a,
        b.first_name as name_b
    from particulars as a
    inner join particulars as b
        on b.component = a.component and a.unique_id < b.unique_id
    where a.first_name <> b.first_name
),

-- the names met in such a pair
pair_names as (
    select name_a as name from name_pairs
    union
    select name_b from name_pairs
),

-- every form of such a name: the name (a name_key), and the diminutives of the seed that mean it
name_forms as (
    select
        name,
        name as form
    from pair_names
    union
    select
        pair_names.name,
        variants.variant
    from pair_names
    inner join {{ ref('first_name_variants') }} as variants on variants.full_name = pair_names.name
),

-- pairs that are one name written two ways: a form of one is a form of the other, or one slip of the
-- keyboard from it (same first letter, one edit, two for names of 8 letters or more), unless both forms
-- are names of the seed (maria / marta are two), or one is a name of the seed and the other that name
-- with an `a` added (jan / jana; a doubled final a is a slip: ola / olaa; a final a dropped from a
-- name is one too: joann / joanna, ol / ola)
one_name as (
    select distinct
        name_pairs.name_a,
        name_pairs.name_b
    from name_pairs
    inner join name_forms as forms_a on forms_a.name = name_pairs.name_a
    inner join name_forms as forms_b on forms_b.name = name_pairs.name_b
    left join known_names as known_a on known_a.name = forms_a.form
    left join known_names as known_b on known_b.name = forms_b.form
    where
        forms_a.form = forms_b.form
        or (
            (known_a.name is null or known_b.name is null)
            and left(forms_a.form, 1) = left(forms_b.form, 1)
            and greatest(length(forms_a.form), length(forms_b.form)) >= 3
            and {{ edit_distance("forms_a.form", "forms_b.form") }}
            <= case when least(length(forms_a.form), length(forms_b.form)) >= 8 then 2 else 1 end
            and not (
                forms_a.form || 'a' = forms_b.form and known_a.name is not null and right(forms_a.form, 1) <> 'a'
            )
            and not (
                forms_b.form || 'a' = forms_a.form and known_b.name is not null and right(forms_b.form, 1) <> 'a'
            )
        )
),

pairs as (
    select
        a.component,
        a.first_name is not null and b.first_name is not null and a.first_name <> b.first_name
        and one_name.name_a is null as first_names_differ,
        coalesce(
            abs({{ dbt.datediff('a.birth_date', 'b.birth_date', 'day') }})
            > {{ var('identity_health_birth_date_gap_days', 366) }},
            false
        ) as birth_dates_differ,
        a.last_name is not null and b.last_name is not null
        and {{ edit_distance("a.last_name", "b.last_name") }}
        > case when least(length(a.last_name), length(b.last_name)) >= 5 then 2 else 1 end
        and not coalesce(a.birth_date = b.birth_date, false) as last_names_differ
    from particulars as a
    inner join particulars as b
        on b.component = a.component and a.unique_id < b.unique_id
    left join one_name on one_name.name_a = a.first_name and one_name.name_b = b.first_name
),

particular_counts as (
    select
        component,
        count(*) as particular_records,
        count(distinct first_name) as first_name_count,
        count(distinct last_name) as last_name_count,
        count(distinct birth_date) as birth_date_count,
        cast({{ dbt.datediff(
            'min(birth_date)', 'max(birth_date)', 'day'
        ) }} as bigint) as birth_date_span_days
    from particulars
    group by component
),

pair_flags as (
    select
        component,
        max(case when first_names_differ then 1 else 0 end) = 1 as has_two_first_names,
        max(case when birth_dates_differ then 1 else 0 end) = 1 as has_two_birth_dates,
        max(case when last_names_differ then 1 else 0 end) = 1 as has_two_last_names
    from pairs
    group by component
),

health as (
    select
        profiles.component,
        profiles.customer_key,
        profiles.anonymous_id,
        profiles.record_count,
        limited.refused_identifiers,
        limited.refusal_reasons,
        limited.component is not null as is_limited,
        profiles.record_count > {{ var('identity_oversized_record_count', 2500) }} as is_oversized,
        coalesce(pair_flags.has_two_first_names, false) as has_two_first_names,
        coalesce(pair_flags.has_two_birth_dates, false) as has_two_birth_dates,
        coalesce(pair_flags.has_two_last_names, false) as has_two_last_names,
        coalesce(counts.email_count, 0) > {{ var('identity_health_max_emails', 2) }} as has_many_emails,
        coalesce(counts.phone_count, 0) > {{ var('identity_health_max_phones', 2) }} as has_many_phones,
        split.profiles_from_same_component
    from profiles
    inner join split on split.component = profiles.component
    left join limited on limited.component = profiles.component
    left join pair_flags on pair_flags.component = profiles.component
    left join counts on counts.component = profiles.component
),

flagged as (
    select * from health
    where
        is_limited
        or is_oversized
        or has_two_first_names
        or has_two_birth_dates
        or has_two_last_names
        or has_many_emails
        or has_many_phones
),

{%- set reason_flags = [
    ('limited', 'is_limited'),
    ('oversized', 'is_oversized'),
    ('two_first_names', 'has_two_first_names'),
    ('two_birth_dates', 'has_two_birth_dates'),
    ('two_last_names', 'has_two_last_names'),
    ('many_emails', 'has_many_emails'),
    ('many_phones', 'has_many_phones'),
] %}

reasons as (
    {%- for reason, flag in reason_flags %}
    select
        component,
        '{{ reason }}' as reason
    from flagged
    where {{ flag }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

reason_lists as (
    select
        component,
        {{ aggregate_list("reason", order_by="reason") }} as reasons,
        count(*) as reason_count
    from reasons
    group by component
)

select
    coalesce(flagged.customer_key, flagged.anonymous_id) as profile_key,
    flagged.customer_key,
    reason_lists.reasons,
    reason_lists.reason_count,
    flagged.is_limited,
    flagged.is_oversized,
    flagged.has_two_first_names,
    flagged.has_two_birth_dates,
    flagged.has_two_last_names,
    flagged.has_many_emails,
    flagged.has_many_phones,
    flagged.record_count,
    coalesce(counts.email_count, 0) as email_count,
    coalesce(counts.phone_count, 0) as phone_count,
    coalesce(counts.loyalty_card_count, 0) as loyalty_card_count,
    coalesce(counts.account_count, 0) as account_count,
    coalesce(counts.membership_count, 0) as membership_count,
    coalesce(counts.cookie_count, 0) as cookie_count,
    coalesce(counts.device_count, 0) as device_count,
    coalesce(particular_counts.particular_records, 0) as particular_records,
    coalesce(particular_counts.first_name_count, 0) as first_name_count,
    coalesce(particular_counts.last_name_count, 0) as last_name_count,
    coalesce(particular_counts.birth_date_count, 0) as birth_date_count,
    particular_counts.birth_date_span_days,
    coalesce(flagged.refused_identifiers, 0) as refused_identifiers,
    flagged.refusal_reasons,
    flagged.profiles_from_same_component
from flagged
inner join reason_lists on reason_lists.component = flagged.component
left join counts on counts.component = flagged.component
left join particular_counts on particular_counts.component = flagged.component
