-- Every record as a node of the identity graph: `record_node` is a hash of its type and id (macro
-- stable_id), in the id space of the identifier nodes (int_identity__identifiers.node_id), so it stays the
-- same when other records come and go.
select
    {{ stable_id(["'record'", 'record_type', 'record_id']) }} as record_node,
    record_type,
    record_id,
    observed_at
from {{ ref('int_identity__records') }}
