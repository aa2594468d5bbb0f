"""Profiles of the first, deterministic stage of identity stitching (omni.identity.stitch): strong values
link, weak values (phones, cookies, devices) join only profiles that do not conflict, per-profile limits
from seed identity_identifier_types. One row per node of int_identity__nodes (identifiers and records,
stable ids): `component` the profile, `original_component` the profile before limits, `refused_reason`
why an identifier's merge was refused, `graph_component` the connected component over every linking edge
before any refusal or limit, `node_signature` what the node brought into stitching. Every label is the
smallest stable node id among its nodes, whatever else was stitched in the same run.

Incremental (docs/incremental.md): what stitching decides for a graph component depends only on that
component's nodes, their edges and their signatures (omni.identity.graph explains why). A run compares the
nodes' signatures with the last result: the nodes of every previous graph component that holds a new, gone
or changed node are re-stitched together with the new nodes, their rows replaced, the rows of gone nodes
deleted (post-hook). When more than omni.identity.graph.MAX_RESTITCH_SHARE of the nodes are affected, or
a linking edge would join an affected node to an unaffected one, the whole graph is stitched. Each run
adds a row to meta.identity_stitch_runs (batch, mode, nodes re-stitched, reason)."""

import logging

import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="node_id")
    from omni.identity.graph import (
        EDGE_COLUMNS,
        IDENTIFIER_COLUMNS,
        NODE_COLUMNS,
        PREVIOUS_COLUMNS,
        TYPE_COLUMNS,
        restitch,
    )

    if getattr(session, "engine", None) == "spark":
        return _on_spark(dbt, session)
    previous = None
    # a table of an older version of the model (without the columns a partial run reads) is not read: the
    # build then stops on its changed columns (on_schema_change), and a full refresh rebuilds it
    if dbt.is_incremental and set(PREVIOUS_COLUMNS.split(", ")) <= set(
        session.sql(f"select * from {dbt.this} limit 0").columns
    ):
        previous = session.sql(f"select {PREVIOUS_COLUMNS} from {dbt.this}")
    # relations of the warehouse: the affected part of the graph is chosen in DuckDB, only it is fetched
    result = restitch(
        edges=dbt.ref("int_identity__edges").project(EDGE_COLUMNS),
        identifiers=dbt.ref("int_identity__identifiers").project(IDENTIFIER_COLUMNS),
        types=dbt.ref("identity_identifier_types").project(TYPE_COLUMNS),
        nodes=dbt.ref("int_identity__nodes").project(NODE_COLUMNS),
        previous=previous,
        con=session,
    )
    # the run's record; the post-hook (macro stamp_identity_stitch) stamps it and the rows written with the
    # batch, and deletes the rows of the nodes that are gone
    _record_run(
        session,
        f"{dbt.this.database}.meta.identity_stitch_runs",
        None,
        result.mode,
        result.nodes_restitched,
        len(result.vanished),
        result.reason,
    )
    return result.rows.append_column("_omni_batch", pa.nulls(result.rows.num_rows, pa.int64()))


def _record_run(session, runs, batch, mode, restitched, vanished, reason):
    """The run's row of meta.identity_stitch_runs (a null batch is stamped by the post-hook)."""
    session.execute(
        f"create table if not exists {runs} (batch bigint, mode string not null, "
        "nodes_restitched bigint not null, vanished_nodes bigint not null, reason string, "
        "recorded_at timestamp not null)"
    )
    session.execute(
        f"insert into {runs} values ({'null' if batch is None else int(batch)}, ?, ?, ?, ?, current_timestamp)",
        [mode, restitched, vanished, reason],
    )
    logging.getLogger("omni.identity").info(
        "identity stitching: %s run, %d node(s) re-stitched, %d gone (%s)", mode, restitched, vanished, reason
    )


def _on_spark(dbt, session):
    """On Spark (omni.identity.spark_graph): the graph components in the engine, the rules per component
    in parallel on the executors, for the whole graph. An incremental run writes the rows that differ
    from the stored ones (new nodes, nodes whose profile or signature changed), stamped with the run's
    batch; the others keep their row and stamp, so the models downstream see only what changed, and the
    post-hook deletes the rows of the nodes that are gone."""
    from pyspark.sql import functions as F

    from omni.identity.graph import EDGE_COLUMNS, IDENTIFIER_COLUMNS, NODE_COLUMNS, TYPE_COLUMNS
    from omni.identity.spark_graph import stitch_on_spark

    rows = stitch_on_spark(
        edges=dbt.ref("int_identity__edges").project(EDGE_COLUMNS).frame,
        identifiers=dbt.ref("int_identity__identifiers").project(IDENTIFIER_COLUMNS).frame,
        types=dbt.ref("identity_identifier_types").project(TYPE_COLUMNS).frame,
        nodes=dbt.ref("int_identity__nodes").project(NODE_COLUMNS).frame,
    ).localCheckpoint()
    # the run's figures in one pass over the stitched rows
    ((count, components),) = rows.agg(F.count("*"), F.countDistinct("graph_component")).collect()
    mode, written, changed = "full", rows, count
    if dbt.is_incremental:
        stored = session.sql(f"select {', '.join(rows.columns)} from {dbt.this}").frame.alias("stored")
        # a row equal to the stored one, column by column (nulls equal), is not written again
        same = [F.col(f"new.{c}").eqNullSafe(F.col(f"stored.{c}")) for c in rows.columns]
        written = rows.alias("new").join(stored, on=same, how="left_anti").localCheckpoint()
        mode, changed = "incremental", written.count()
    _record_run(
        session,
        "meta.identity_stitch_runs",
        session.omni_batch,
        mode,
        changed,
        0,
        f"the whole graph: {components} graph components stitched in parallel, {changed} of {count} nodes' "
        "rows written",
    )
    return written.withColumn("_omni_batch", F.lit(session.omni_batch).cast("bigint"))
