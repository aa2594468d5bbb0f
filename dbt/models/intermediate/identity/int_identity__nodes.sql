-- Every node of the identity graph (identifiers and records) with `node_signature`: a hash of what the node
-- brings into stitching. An identifier brings its type (and the type's rules in seed
-- identity_identifier_types), its priority, how many records carry it and its link rule; a record brings
-- the edges it has (int_identity__edges: the identifier nodes and whether each is an attribute). A node
-- whose signature is unchanged since the last build changes nothing in stitching by itself, so
-- int_identity__deterministic_components re-stitches only the parts of the graph holding a changed node.
with

identifiers as (
    select * from {{ ref('int_identity__identifiers') }}
),

types as (
    select * from {{ ref('identity_identifier_types') }}
),

record_edges as (
    select
        record_node,
        {{ string_agg_ordered(
            "cast(identifier_node as string) || ':' || cast(is_attribute as string)", ',', 'identifier_node, is_attribute'
        ) }} as edges
    from {{ ref('int_identity__edges') }}
    group by record_node
)

select
    identifiers.node_id,
    false as is_record,
    {{ stable_id([
        "'identifier'",
        'identifiers.identifier_type',
        'identifiers.priority',
        'identifiers.record_count',
        'identifiers.link_rule',
        'types.link_strength',
        'types.is_conflict_check',
        'types.max_per_profile',
    ]) }} as node_signature
from identifiers
left join types using (identifier_type)

union all

select
    record_nodes.record_node as node_id,
    true as is_record,
    {{ stable_id(["'record'", 'record_edges.edges']) }} as node_signature
from {{ ref('int_identity__record_nodes') }} as record_nodes
left join record_edges using (record_node)
