-- Every first name the sources give (normalised: macro normalize_person_name) with the `name_key`
-- identity stitching compares instead of it, so that a diminutive or a typo is the same person and two
-- different names are not:
--   as_given    the name is its own key
--   diminutive  the seed first_name_variants gives its full form (kasia -> katarzyna)
--   typo        the name is given with the same e-mail, phone, account, membership or card as a more
--               common name that differs from it by one edit (two for names of 8 letters or more) and
--               starts with the same letter; neither is the other with an `a` added (jan / jana and
--               daniel / daniela are two people), and it is not itself a name of the seed (full or
--               diminutive)
-- A typo takes the key of the name it was meant to be (that name's full form: "olaa" next to "ola"
-- is aleksandra).
with

records as (
    select * from {{ ref('int_identity__records') }}
    where first_name is not null
),

variants as (
    select
        variant,
        full_name
    from {{ ref('first_name_variants') }}
),

known_names as (
    select variant as name from variants
    union
    select full_name from variants
),

forms as (
    select
        names.first_name,
        coalesce(variants.full_name, names.first_name) as full_form,
        variants.full_name is not null as is_diminutive
    from (select distinct first_name from records) as names
    left join variants on variants.variant = names.first_name
),

uses as (
    select
        first_name,
        count(*) as uses
    from records
    group by first_name
),

-- names given with the same identifying value (two records carrying one e-mail): placeholders say
-- nothing about who gave a name
named_records as (
    select
        record_type,
        record_id,
        first_name,
        customer_id,
        member_id,
        loyalty_card,
        email,
        phone
    from records
),

given as (
    select * from named_records
    unpivot (
        identifier_value for identifier_type in (customer_id, member_id, loyalty_card, email, phone)
    )
),

given_with as (
    select
        given.first_name,
        given.identifier_type,
        given.identifier_value
    from given
    anti join {{ ref('int_identity__placeholders') }}
        using (identifier_type, identifier_value)
),

co_given as (
    select distinct
        a.first_name as name_a,
        b.first_name as name_b
    from given_with as a
    inner join given_with as b using (identifier_type, identifier_value)
    where a.first_name < b.first_name
),

similar_names as (
    select
        name_a,
        name_b
    from co_given
    where
        left(name_a, 1) = left(name_b, 1)
        and greatest(length(name_a), length(name_b)) >= 3
        and {{ edit_distance('name_a', 'name_b') }}
        <= case when least(length(name_a), length(name_b)) >= 8 then 2 else 1 end
        -- a feminine form is another person (jan / jana); a doubled final a is a typo (ola / olaa)
        and not (name_a || 'a' = name_b and right(name_a, 1) <> 'a')
        and not (name_b || 'a' = name_a and right(name_b, 1) <> 'a')
),

-- each similar pair read both ways: the rarer name (ties: the later in the alphabet) is the typo
directed as (
    select
        similar_names.name_a as typo,
        similar_names.name_b as meant
    from similar_names
    inner join uses as ua on ua.first_name = similar_names.name_a
    inner join uses as ub on ub.first_name = similar_names.name_b
    where ua.uses < ub.uses
    union all
    select
        similar_names.name_b,
        similar_names.name_a
    from similar_names
    inner join uses as ua on ua.first_name = similar_names.name_a
    inner join uses as ub on ub.first_name = similar_names.name_b
    where ub.uses <= ua.uses
),

typos as (
    select
        directed.typo,
        {{ first_ordered('directed.meant', 'uses.uses desc, directed.meant asc') }} as meant
    from directed
    inner join uses on uses.first_name = directed.meant
    -- a name of the seed, full or diminutive, is a name, not a typo
    anti join known_names on known_names.name = directed.typo
    group by directed.typo
),

-- a typo's name is the name it was meant to be, followed one more hop (a typo of a typo)
meant as (
    select
        typos.typo,
        coalesce(second_hop.meant, typos.meant) as meant
    from typos
    left join typos as second_hop on second_hop.typo = typos.meant
)

select
    forms.first_name,
    forms.full_form,
    coalesce(meant_forms.full_form, forms.full_form) as name_key,
    case
        when meant.typo is not null then 'typo'
        when forms.is_diminutive then 'diminutive'
        else 'as_given'
    end as name_rule
from forms
left join meant on meant.typo = forms.first_name
left join forms as meant_forms on meant_forms.first_name = meant.meant
