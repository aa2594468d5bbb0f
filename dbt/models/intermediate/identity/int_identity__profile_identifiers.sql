-- How many distinct identifying values of each type every profile holds.
with

identifiers as (
    select identifiers.identifier_type, components.component
    from {{ ref('int_identity__identifiers') }} as identifiers
    inner join {{ ref('int_identity__components') }} as components on components.node_id = identifiers.node_id
    where identifiers.link_rule = 'identifying' and components.refused_reason is null
)

select
    component,
    count(*) filter (where identifier_type = 'email') as email_count,
    count(*) filter (where identifier_type = 'phone') as phone_count,
    count(*) filter (where identifier_type = 'loyalty_card') as loyalty_card_count,
    count(*) filter (where identifier_type = 'customer_id') as account_count,
    count(*) filter (where identifier_type = 'member_id') as membership_count,
    count(*) filter (where identifier_type = 'cookie_id') as cookie_count,
    count(*) filter (where identifier_type = 'device_id') as device_count
from identifiers
group by component
