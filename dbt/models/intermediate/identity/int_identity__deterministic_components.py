"""Profiles of the first, deterministic stage of identity stitching (omni.identity.stitch): strong values link, weak values (phones,
cookies, devices) join only profiles that do not conflict, per-profile limits from seed
identity_identifier_types. One row per node: identifiers first (node_id of int_identity__identifiers),
then records (record_node of int_identity__record_nodes)."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from omni.identity.graph import EDGE_COLUMNS, IDENTIFIER_COLUMNS, TYPE_COLUMNS, IdentityGraph

    edges = dbt.ref("int_identity__edges")
    identifiers = dbt.ref("int_identity__identifiers")
    types = dbt.ref("identity_identifier_types")
    record_nodes = dbt.ref("int_identity__record_nodes")
    graph = IdentityGraph.from_arrow(
        edges=edges.project(EDGE_COLUMNS).fetch_arrow_table(),
        identifiers=identifiers.order("node_id").project(IDENTIFIER_COLUMNS).fetch_arrow_table(),
        types=types.order("identifier_type").project(TYPE_COLUMNS).fetch_arrow_table(),
        n_records=record_nodes.aggregate("count(*)").fetchall()[0][0],
    )
    result = graph.stitch()
    reason = np.full(graph.n_nodes, None, dtype=object)
    for node, why in result.refused.items():
        reason[node] = why
    return pa.table(
        {
            "node_id": pa.array(np.arange(graph.n_nodes, dtype=np.int64)),
            "component": pa.array(result.component),
            "original_component": pa.array(result.original_component),
            "refused_reason": pa.array(reason, pa.string()),
        }
    )
