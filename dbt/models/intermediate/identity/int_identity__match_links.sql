-- Every pair of records probabilistic matching scored at or above the review probability, and every pair
-- an analyst decided on (seed identity_match_decisions), with what happens to it:
--   accepted_by_analyst / rejected_by_analyst   the analyst's decision, whatever the model says
--   match      match_probability >= var identity_match_probability and the first names do not
--              disagree: the profiles may merge
--   review     between the review and the match probability, or first names that disagree (two
--              different names, not a typo or a diminutive: a spouse at the same address, with the
--              family phone, is no match whatever the rest says): listed in identity_match_candidates
-- Whether a `match` or an analyst's acceptance merges profiles is decided in int_identity__components
-- (never two accounts, two memberships or two cards in one profile).
with

pairs as (
    select
        least(unique_id_l, unique_id_r) as record_a,
        greatest(unique_id_l, unique_id_r) as record_b,
        match_probability,
        match_weight,
        -- Splink's level 0 is "all other comparisons": both first names given, and different
        gamma_first_name = 0 as first_names_disagree
    from {{ ref('int_identity__match_pairs') }}
),

decisions as (
    select
        least(record_a, record_b) as record_a,
        greatest(record_a, record_b) as record_b,
        lower(trim(decision)) as decision,
        decided_by,
        decided_at,
        note
    from {{ ref('identity_match_decisions') }}
    qualify row_number() over (
        partition by least(record_a, record_b), greatest(record_a, record_b)
        order by decided_at desc nulls last
    ) = 1
),

records as (
    select
        unique_id,
        component
    from {{ ref('int_identity__match_records') }}
)

select
    coalesce(pairs.record_a, decisions.record_a) as record_a,
    coalesce(pairs.record_b, decisions.record_b) as record_b,
    a.component as component_a,
    b.component as component_b,
    pairs.match_probability,
    pairs.match_weight,
    case
        when decisions.decision = 'accept' then 'accepted_by_analyst'
        when decisions.decision = 'reject' then 'rejected_by_analyst'
        when
            pairs.match_probability >= {{ var('identity_match_probability', 0.99) }}
            and not pairs.first_names_disagree then 'match'
        else 'review'
    end as link_status,
    decisions.decided_by,
    decisions.decided_at,
    decisions.note as decision_note
from pairs
full outer join decisions
    on decisions.record_a = pairs.record_a and decisions.record_b = pairs.record_b
-- a decision about a record that is not (or no longer) compared is kept out: it has no profile to join
inner join records as a on a.unique_id = coalesce(pairs.record_a, decisions.record_a)
inner join records as b on b.unique_id = coalesce(pairs.record_b, decisions.record_b)
