-- The identity graph's edges: a record node to each value it carries that may link (`identifying`) or
-- feeds the conflict checks (`attribute`, e.g. first names). Placeholders and shared values
-- (int_identity__identifiers.link_rule) are left out: they link nothing.
select
    record_nodes.record_node,
    identifiers.node_id as identifier_node,
    identifiers.link_rule = 'attribute' as is_attribute
from {{ ref('int_identity__observations') }}
inner join {{ ref('int_identity__identifiers') }} as identifiers
    using (identifier_type, identifier_value)
inner join {{ ref('int_identity__record_nodes') }} as record_nodes
    using (record_type, record_id)
where identifiers.link_rule in ('identifying', 'attribute')
