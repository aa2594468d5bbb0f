"""Identity stitching on Spark: the graph components in the engine, the rules per component in parallel.

On DuckDB the dbt model int_identity__deterministic_components fetches the graph and stitches it in one
process (omni.identity.graph). On Spark the graph never comes to one process:

1. The *graph components* (connected components over every edge that may link: all but the edges to
   attribute values, omni.identity.graph) are computed in Spark by label propagation: every node starts
   with its stable id as label, takes the smallest label among its neighbours and then its label's label
   (pointer jumping), until no label changes. A component's label is then the smallest stable id among
   its nodes, the label DuckDB's stitching gives it (`graph_component`).
2. Everything stitching decides about a graph component depends only on that component's nodes, their
   edges and the attribute values its records carry (the locality omni.identity.graph explains). So the
   components are spread over buckets (a hash of the label), each bucket gets its components' nodes,
   edges and the attribute values their records carry, and `groupBy(bucket).applyInArrow` runs the same
   rule code as DuckDB (`IdentityGraph.from_arrow(...).table()`) on each bucket, in parallel on the
   executors. A bucket's result rows are those of its own nodes.

The rows equal those of a full stitch on DuckDB: same node ids (dbt macro stable_id), same labels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from omni.identity.graph import IdentityGraph
from omni.identity.stitch import ATTRIBUTE

# label propagation stops with an error past this many rounds (each round at least halves the distance
# from a node to its component's smallest id through pointer jumping, so a graph needs few)
MAX_ROUNDS = 64
# nodes per bucket of the per-component stitching, on average (a bucket is one call of the rule code)
NODES_PER_BUCKET = 200_000

ROW_SCHEMA = pa.schema(
    [
        ("node_id", pa.int64()),
        ("component", pa.int64()),
        ("original_component", pa.int64()),
        ("refused_reason", pa.string()),
        ("graph_component", pa.int64()),
        ("node_signature", pa.int64()),
    ]
)


class ComponentsDidNotConverge(RuntimeError):
    """Label propagation needed more than MAX_ROUNDS rounds."""


def graph_components(edges: Any, nodes: Any) -> tuple[Any, int]:
    """(node_id, graph_component) for every node of `nodes` (a DataFrame with `node_id`) over the
    undirected `edges` (`src`, `dst`), the label being the smallest node id of the component; and the
    rounds it took."""
    from pyspark.sql import functions as F

    both = edges.select(F.col("src").alias("a"), F.col("dst").alias("b")).unionByName(
        edges.select(F.col("dst").alias("a"), F.col("src").alias("b"))
    )
    both = both.localCheckpoint()
    labels = nodes.select("node_id", F.col("node_id").alias("label")).localCheckpoint()
    for rounds in range(1, MAX_ROUNDS + 1):
        neighbours = (
            both.join(labels.withColumnRenamed("node_id", "b"), "b")
            .groupBy("a")
            .agg(F.min("label").alias("neighbour_label"))
            .withColumnRenamed("a", "node_id")
        )
        spread = labels.join(neighbours, "node_id", "left").select(
            "node_id", F.least("label", F.coalesce("neighbour_label", "label")).alias("label")
        )
        # pointer jumping: a node takes the label of the node its label names
        jumped = (
            spread.alias("n")
            .join(spread.alias("l"), F.col("n.label") == F.col("l.node_id"), "left")
            .select(
                F.col("n.node_id").alias("node_id"),
                F.least(F.col("n.label"), F.coalesce(F.col("l.label"), F.col("n.label"))).alias("label"),
            )
            .localCheckpoint()
        )
        changed = (
            jumped.alias("new")
            .join(labels.alias("old"), "node_id")
            .where(F.col("new.label") != F.col("old.label"))
            .limit(1)
            .count()
        )
        labels = jumped
        if not changed:
            return labels.withColumnRenamed("label", "graph_component"), rounds
    raise ComponentsDidNotConverge(
        f"identity graph components: labels still changed after {MAX_ROUNDS} rounds of propagation"
    )


def stitch_on_spark(edges: Any, identifiers: Any, types: Any, nodes: Any) -> Any:
    """The rows of a full stitch (node_id, component, original_component, refused_reason,
    graph_component, node_signature) as a Spark DataFrame (lazy: nothing runs until it is read). Inputs
    are Spark DataFrames with the columns of omni.identity.graph (EDGE_COLUMNS, IDENTIFIER_COLUMNS,
    TYPE_COLUMNS, NODE_COLUMNS)."""
    from pyspark.sql import functions as F

    types_table = types.orderBy("identifier_type").toArrow()
    attribute_types = [
        name
        for name, strength in zip(
            types_table["identifier_type"].to_pylist(), types_table["strength"].to_pylist(), strict=True
        )
        if strength == ATTRIBUTE
    ]
    identifiers = identifiers.withColumn(
        "is_attribute", F.col("identifier_type").isin(attribute_types) if attribute_types else F.lit(False)
    )
    # edges that may link: every edge but those to attribute values
    linking = edges.join(
        identifiers.where(~F.col("is_attribute")).select(F.col("node_id").alias("identifier_node")),
        "identifier_node",
    ).select(F.col("record_node").alias("src"), F.col("identifier_node").alias("dst"))
    labels, _rounds = graph_components(linking, nodes.select("node_id"))

    n_nodes = nodes.count()
    buckets = max(1, -(-n_nodes // NODES_PER_BUCKET))
    placed = labels.withColumn("bucket", F.pmod(F.xxhash64("graph_component"), F.lit(buckets)))
    node_rows = (
        nodes.join(placed, "node_id")
        .join(identifiers.select("node_id", F.lit(False).alias("is_record")), "node_id", "left")
        .select(
            "bucket",
            F.lit("node").alias("kind"),
            "node_id",
            "node_signature",
            F.coalesce("is_record", F.lit(True)).alias("is_record"),
        )
    )
    # every edge of a record, in the record's bucket (attribute edges too: their values are context)
    edge_rows = edges.join(
        placed.select(F.col("node_id").alias("record_node"), "bucket"), "record_node"
    ).select("bucket", F.lit("edge").alias("kind"), "record_node", "identifier_node")
    # the identifiers of the bucket's nodes, and the attribute values its records carry
    own_identifiers = identifiers.join(placed.select("node_id", "bucket"), "node_id")
    context = (
        edge_rows.select("bucket", F.col("identifier_node").alias("node_id"))
        .join(identifiers.where(F.col("is_attribute")), "node_id")
        .select(*own_identifiers.columns)
    )
    identifier_rows = (
        own_identifiers.unionByName(context)
        .distinct()
        .select(
            "bucket",
            F.lit("identifier").alias("kind"),
            "node_id",
            "identifier_type",
            "priority",
            "record_count",
        )
    )
    rows = node_rows.unionByName(edge_rows, allowMissingColumns=True).unionByName(
        identifier_rows, allowMissingColumns=True
    )

    def stitch_bucket(table: pa.Table) -> pa.Table:
        return _stitch_bucket(table, types_table)

    return rows.groupBy("bucket").applyInArrow(stitch_bucket, schema=_spark_schema())


def _stitch_bucket(table: pa.Table, types: pa.Table) -> pa.Table:
    """The rule code on one bucket's components (rows of kind node / edge / identifier)."""
    kind = table["kind"].to_numpy(zero_copy_only=False)
    nodes = table.filter(pa.array(kind == "node"))
    edges = table.filter(pa.array(kind == "edge")).select(["record_node", "identifier_node"])
    identifiers = table.filter(pa.array(kind == "identifier")).select(
        ["node_id", "identifier_type", "priority", "record_count"]
    )
    own = nodes["node_id"].to_numpy().astype(np.int64)
    records = own[nodes["is_record"].to_numpy(zero_copy_only=False).astype(bool)]
    graph = IdentityGraph.from_arrow(
        edges.cast(pa.schema([("record_node", pa.int64()), ("identifier_node", pa.int64())])),
        identifiers,
        types,
        records,
    )
    rows = graph.table()
    keep = np.isin(rows["node_id"].to_numpy(), own)
    rows = rows.filter(pa.array(keep))
    signatures = dict(
        zip(own.tolist(), nodes["node_signature"].to_numpy(zero_copy_only=False).tolist(), strict=True)
    )
    signature = pa.array([signatures[n] for n in rows["node_id"].to_pylist()], pa.int64())
    return rows.append_column("node_signature", signature).cast(ROW_SCHEMA)


_SPARK_TYPES = {pa.int64(): "bigint", pa.string(): "string"}


def _spark_schema() -> str:
    """ROW_SCHEMA in Spark's DDL."""
    return ", ".join(f"{field.name} {_SPARK_TYPES[field.type]}" for field in ROW_SCHEMA)
