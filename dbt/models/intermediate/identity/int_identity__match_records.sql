-- The records probabilistic matching compares: web shop accounts and loyalty members, the records that
-- carry a person's particulars, each with its deterministic profile (`component`) and its fields as
-- matching compares them (macros normalize_person_name, normalize_street, normalize_postal_code; first
-- names as their name_key, so a diminutive or a typo is its full name). Only e-mails and phones that
-- identify (int_identity__identifiers.link_rule) are compared: a placeholder says nothing about who a
-- record is, and a family phone or mailbox says which household, not which person.
with

name_forms as (
    select * from {{ ref('int_identity__name_forms') }}
),

people as (
    select
        'webshop_customer' as record_type,
        cast(customer_id as string) as record_id,
        'account' as record_kind,
        first_name,
        last_name,
        birth_date,
        street_address,
        postal_code,
        city,
        email_normalized as email,
        phone_normalized as phone
    from {{ ref('stg_webshop__customers') }}
    union all
    select
        'loyalty_member',
        member_id,
        'membership',
        first_name,
        last_name,
        birth_date,
        street_address,
        postal_code,
        city,
        email_normalized,
        phone_normalized
    from {{ ref('stg_loyalty__members') }}
),

identifying as (
    select
        identifier_type,
        identifier_value
    from {{ ref('int_identity__identifiers') }} as identifiers
    inner join {{ ref('int_identity__deterministic_components') }} as components using (node_id)
    where
        identifiers.link_rule = 'identifying' and components.refused_reason is null
        and identifiers.identifier_type in ('email', 'phone')
),

nodes as (
    select
        record_nodes.record_type,
        record_nodes.record_id,
        components.component
    from {{ ref('int_identity__record_nodes') }} as record_nodes
    inner join {{ ref('int_identity__deterministic_components') }} as components
        on components.node_id = record_nodes.record_node
)

select
    people.record_type || ':' || people.record_id as unique_id,
    people.record_type,
    people.record_id,
    nodes.component,
    people.record_kind,
    coalesce(name_forms.name_key, {{ normalize_person_name('people.first_name') }}) as first_name,
    {{ normalize_last_name('people.last_name') }} as last_name,
    cast(people.birth_date as date) as birth_date,
    {{ normalize_street('people.street_address') }} as street,
    {{ normalize_postal_code('people.postal_code') }} as postal_code,
    {{ normalize_person_name('people.city') }} as city,
    split_part(emails.identifier_value, '@', 1) as email_local,
    emails.identifier_value as email,
    phones.identifier_value as phone
from people
inner join nodes using (record_type, record_id)
left join name_forms on name_forms.first_name = {{ normalize_person_name('people.first_name') }}
left join identifying as emails on emails.identifier_type = 'email' and emails.identifier_value = people.email
left join identifying as phones on phones.identifier_type = 'phone' and phones.identifier_value = people.phone
