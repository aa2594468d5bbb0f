-- Every pair of records probabilistic matching scored at or above the review probability, and every pair
-- an analyst decided on: what became of it, the model's probability, and how each field compared.
-- `match_status`:
--   merged        the two records are in one profile (a match, or accepted by an analyst)
--   review        the grey zone: decide it in seed identity_match_decisions (accept / reject)
--   refused       a match or an acceptance that would have put two accounts, memberships or cards in one
--                 profile, or profiles an analyst kept apart
--   rejected_by_analyst
-- Fields are compared, never shown: `<field>_agreement` is the level the pair reached (exact, a close
-- spelling, different, missing on a side), so the mart carries no personal value. Records are named by
-- their internal ids (`webshop_customer:100123`), to be looked up in the source when reviewing.
with

links as (
    select * from {{ ref('int_identity__match_links') }}
),

pairs as (
    select
        least(unique_id_l, unique_id_r) as record_a,
        greatest(unique_id_l, unique_id_r) as record_b,
        *
    from {{ ref('int_identity__match_pairs') }}
),

levels as (
    select
        comparison,
        gamma,
        level_label
    from {{ ref('int_identity__match_model') }}
),

record_profiles as (
    select
        records.unique_id,
        nodes_components.component,
        profiles.customer_key
    from {{ ref('int_identity__match_records') }} as records
    inner join {{ ref('int_identity__record_nodes') }} as nodes
        on nodes.record_type = records.record_type and nodes.record_id = records.record_id
    inner join {{ ref('int_identity__components') }} as nodes_components
        on nodes_components.node_id = nodes.record_node
    inner join {{ ref('int_identity__profiles') }} as profiles
        on profiles.component = nodes_components.component
),

agreement as (
    select
        pairs.record_a,
        pairs.record_b,
        {%- for field in ['first_name', 'last_name', 'birth_date', 'address', 'email', 'phone'] %}
        case
            when pairs.gamma_{{ field }} = -1 then 'missing on a side'
            else (
                select level_label from levels
                where levels.comparison = '{{ field }}' and levels.gamma = pairs.gamma_{{ field }}
            )
        end as {{ field }}_agreement
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from pairs
)

select
    {{ surrogate_key(["links.record_a", "links.record_b"], separator='|') }} as match_candidate_key,
    links.record_a,
    links.record_b,
    a.customer_key as customer_key_a,
    b.customer_key as customer_key_b,
    case
        when links.link_status = 'rejected_by_analyst' then 'rejected_by_analyst'
        when a.component = b.component then 'merged'
        when links.link_status in ('match', 'accepted_by_analyst') then 'refused'
        else 'review'
    end as match_status,
    links.link_status,
    links.match_probability,
    links.match_weight,
    {%- for field in ['first_name', 'last_name', 'birth_date', 'address', 'email', 'phone'] %}
    agreement.{{ field }}_agreement,
    {%- endfor %}
    links.decided_by,
    links.decided_at,
    links.decision_note
from links
inner join record_profiles as a on a.unique_id = links.record_a
inner join record_profiles as b on b.unique_id = links.record_b
left join agreement on agreement.record_a = links.record_a and agreement.record_b = links.record_b
