-- How many distinct identifying values of each type every profile holds.
with

identifiers as (
    select
        identifiers.identifier_type,
        components.component
    from {{ ref('int_identity__identifiers') }} as identifiers
    inner join {{ ref('int_identity__components') }} as components on components.node_id = identifiers.node_id
    where identifiers.link_rule = 'identifying' and components.refused_reason is null
)

select
    component,
    count(case when identifier_type = 'email' then 1 end) as email_count,
    count(case when identifier_type = 'phone' then 1 end) as phone_count,
    count(case when identifier_type = 'loyalty_card' then 1 end) as loyalty_card_count,
    count(case when identifier_type = 'customer_id' then 1 end) as account_count,
    count(case when identifier_type = 'member_id' then 1 end) as membership_count,
    count(case when identifier_type = 'cookie_id' then 1 end) as cookie_count,
    count(case when identifier_type = 'device_id' then 1 end) as device_count
from identifiers
group by component
