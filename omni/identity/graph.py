"""The identity graph as arrays, read from the warehouse's `int_identity__*` models and seeds: what the
dbt Python model int_identity__deterministic_components and the benchmark both hand to `stitch`.

Nodes carry stable ids (int_identity__identifiers.node_id, int_identity__record_nodes.record_node: hashes
of the value or the record, one id space). `stitch` works on dense indices 0..n-1: the graph numbers its
nodes in ascending order of their stable ids and maps the results back, and every label it returns is the
smallest stable id among the label's nodes. A label therefore does not depend on which other parts of the
graph were stitched with it, which is what lets `restitch` stitch only the parts that changed.

Locality (what makes a partial re-stitch equal to a full one): call a *graph component* a connected
component over every edge that may link (all edges except those to attribute values such as first names).
Everything `stitch` decides about the nodes of one graph component depends only on that component's nodes,
their edges (linking edges and the records' attribute edges) and the node attributes in the nodes'
signature (int_identity__nodes): strong components and the weak values' joins never cross it; a weak
value is refused by looking at the strong components it touches and the conflict-check values they hold
(identifiers of the component, attributes of its records); an oversized profile is rebuilt from its own
edges, merging by (priority, record count descending, stable id), an order whose restriction to any subset
is that subset's own order. An attribute value links nothing, so it is always a profile of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omni.identity.stitch import ATTRIBUTE, Stitched, components, stitch

# the columns read from each relation (the same in dbt and in the benchmark)
EDGE_COLUMNS = "record_node, identifier_node"
IDENTIFIER_COLUMNS = "node_id, identifier_type, coalesce(priority, 999) as priority, record_count"
TYPE_COLUMNS = (
    "identifier_type, coalesce(max_per_profile, -1) as max_per_profile, "
    "case link_strength when 'weak' then 1 when 'attribute' then 2 else 0 end as strength, "
    "coalesce(is_conflict_check, false) as conflict_check"
)
NODE_COLUMNS = "node_id, node_signature"
PREVIOUS_COLUMNS = "node_id, node_signature, graph_component"

# an incremental run re-stitches at most this share of the graph's nodes; when more are affected, the
# whole graph is stitched (one pass over everything is then cheaper than selecting the parts)
MAX_RESTITCH_SHARE = 0.5


class NodeIdCollision(ValueError):
    """Two nodes of the identity graph got the same stable id."""


@dataclass(frozen=True)
class IdentityGraph:
    n_nodes: int
    src: np.ndarray  # record node of each edge (dense index)
    dst: np.ndarray  # identifier node of each edge (dense index)
    node_type: np.ndarray
    type_names: list[str]
    max_per_profile: np.ndarray
    merge_order: np.ndarray
    strength: np.ndarray
    conflict_check: np.ndarray
    node_ids: np.ndarray | None = None  # stable id of each dense index, ascending (None: the index itself)

    @classmethod
    def from_arrow(
        cls, edges: pa.Table, identifiers: pa.Table, types: pa.Table, record_nodes: np.ndarray
    ) -> IdentityGraph:
        """edges, identifiers and types as selected by the *_COLUMNS above; record_nodes: the stable ids of
        the record nodes. Every edge's endpoints must be among the nodes."""
        type_names = types["identifier_type"].to_pylist()
        ident_ids = identifiers["node_id"].to_numpy().astype(np.int64)
        record_ids = np.asarray(record_nodes, dtype=np.int64)
        all_ids = np.r_[ident_ids, record_ids]
        order = np.argsort(all_ids, kind="stable")
        node_ids = all_ids[order]
        same = np.flatnonzero(node_ids[1:] == node_ids[:-1])
        if len(same):
            raise NodeIdCollision(
                f"{len(same)} stable node id(s) of the identity graph are shared by two nodes (first: "
                f"{int(node_ids[same[0]])}): a hash collision; the ids must be unique"
            )
        n_nodes = len(node_ids)
        dense = np.empty(n_nodes, dtype=np.int64)
        dense[order] = np.arange(n_nodes)
        ident_dense = dense[: len(ident_ids)]
        codes = pc.fill_null(pc.index_in(identifiers["identifier_type"], value_set=pa.array(type_names)), -1)
        node_type = np.full(n_nodes, -1, dtype=np.int64)
        node_type[ident_dense] = codes.to_numpy().astype(np.int64)
        # merge order inside an oversized profile: strongest type first, then the most used value, then the
        # stable id (the dense index follows it)
        priority = identifiers["priority"].to_numpy().astype(np.int64)
        used = identifiers["record_count"].to_numpy().astype(np.int64)
        rank = np.zeros(n_nodes, dtype=np.int64)
        rank[ident_dense] = np.argsort(np.lexsort((ident_dense, -used, priority)), kind="stable")
        return cls(
            n_nodes=n_nodes,
            src=_dense(node_ids, edges["record_node"].to_numpy().astype(np.int64), "record_node"),
            dst=_dense(node_ids, edges["identifier_node"].to_numpy().astype(np.int64), "identifier_node"),
            node_type=node_type,
            type_names=type_names,
            max_per_profile=types["max_per_profile"].to_numpy().astype(np.int64),
            merge_order=rank,
            strength=types["strength"].to_numpy().astype(np.int64),
            conflict_check=types["conflict_check"].to_numpy(zero_copy_only=False).astype(bool),
            node_ids=node_ids,
        )

    def stitch(self) -> Stitched:
        """`stitch` over the dense indices (its labels are its own numbers)."""
        return stitch(
            self.n_nodes,
            self.src,
            self.dst,
            self.node_type,
            self.type_names,
            self.max_per_profile,
            self.merge_order,
            strength=self.strength,
            conflict_check=self.conflict_check,
        )

    @property
    def ids(self) -> np.ndarray:
        return np.arange(self.n_nodes, dtype=np.int64) if self.node_ids is None else self.node_ids

    def links(self) -> np.ndarray:
        """Per edge: whether it may link (everything but an edge to an attribute value), as stitch sees it."""
        if not len(self.dst):
            return np.zeros(0, bool)
        return self.strength[self.node_type[self.dst]] != ATTRIBUTE

    def identifiers_link(self, node_ids: np.ndarray) -> np.ndarray:
        """Per identifier node (stable ids, nodes of this graph): whether its edges may link."""
        if not len(node_ids):
            return np.zeros(0, bool)
        return (
            self.strength[self.node_type[_dense(self.ids, np.asarray(node_ids, np.int64), "node")]]
            != ATTRIBUTE
        )

    def labelled(self, labels: np.ndarray) -> np.ndarray:
        """Each node's label replaced by the smallest stable id among the nodes sharing the label."""
        if not len(labels):
            return np.zeros(0, np.int64)
        _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
        return self.ids[first][inverse]  # ids ascend with the index: the first index is the smallest id

    def table(self) -> pa.Table:
        """One row per node: `node_id`, `component`, `original_component`, `refused_reason` and
        `graph_component` (the connected component over every linking edge), labels as stable ids."""
        result = self.stitch()
        link = self.links()
        reason = np.full(self.n_nodes, None, dtype=object)
        for node, why in result.refused.items():
            reason[node] = why
        return pa.table(
            {
                "node_id": pa.array(self.ids, pa.int64()),
                "component": pa.array(self.labelled(result.component), pa.int64()),
                "original_component": pa.array(self.labelled(result.original_component), pa.int64()),
                "refused_reason": pa.array(reason, pa.string()),
                "graph_component": pa.array(
                    self.labelled(components(self.n_nodes, self.src[link], self.dst[link])), pa.int64()
                ),
            }
        )


def _dense(node_ids: np.ndarray, ids: np.ndarray, what: str) -> np.ndarray:
    pos = np.minimum(np.searchsorted(node_ids, ids), max(len(node_ids) - 1, 0))
    missing = ~(node_ids[pos] == ids) if len(node_ids) else np.ones(len(ids), bool)
    if missing.any():
        raise ValueError(f"{int(missing.sum())} edge(s) name a {what} that is not a node of the graph")
    return pos


@dataclass(frozen=True)
class Affected:
    nodes: np.ndarray  # stable ids of the current nodes to re-stitch, ascending
    signatures: np.ndarray  # their signatures
    vanished: np.ndarray  # stable ids of the previous nodes that are gone
    touched: int  # nodes that are new, gone, or whose signature changed
    total: int  # current nodes


# the views and the temporary table a run makes on its connection (dropped when it ends)
_VIEW = "omni_restitch_{}"
_AFFECTED = "omni_restitch_affected"


def affected_nodes(con: duckdb.DuckDBPyConnection) -> Affected:
    """The nodes an incremental run re-stitches: every node of a previous graph component that holds a
    touched node (new, gone, or with another signature), and every new node; computed in DuckDB from the
    `nodes` and `previous` views of a run (`restitch`), kept in a temporary table for the subgraph's
    selection."""
    nodes, previous = _VIEW.format("nodes"), _VIEW.format("previous")
    con.execute(f"""
        create or replace temporary table {_AFFECTED} as
        with compared as (
            select
                coalesce(now.node_id, before.node_id) as node_id,
                now.node_signature,
                before.graph_component,
                case
                    when before.node_id is null then 'new'
                    when now.node_id is null then 'gone'
                    when now.node_signature is distinct from before.node_signature then 'changed'
                    else 'same'
                end as state
            from {nodes} as now
            full outer join {previous} as before on before.node_id = now.node_id
        )
        select node_id, node_signature, state from compared
        where
            state = 'new'
            or graph_component in (select graph_component from compared where state in ('changed', 'gone'))
    """)
    affected = con.sql(
        f"select node_id, node_signature from {_AFFECTED} where state <> 'gone' order by node_id"
    ).to_arrow_table()
    vanished = con.sql(
        f"select node_id from {_AFFECTED} where state = 'gone' order by node_id"
    ).to_arrow_table()
    ((total,),) = con.sql(f"select count(*) from {nodes}").fetchall()
    ((touched,),) = con.sql(f"select count(*) from {_AFFECTED} where state <> 'same'").fetchall()
    return Affected(
        nodes=affected["node_id"].to_numpy().astype(np.int64),
        signatures=affected["node_signature"].to_numpy().astype(np.int64),
        vanished=vanished["node_id"].to_numpy().astype(np.int64),
        touched=int(touched),
        total=int(total),
    )


@dataclass(frozen=True)
class Restitched:
    rows: pa.Table  # the rows to write (node_id ... graph_component, node_signature)
    vanished: np.ndarray  # stable ids of the rows to delete
    mode: str  # 'full' or 'partial'
    nodes_restitched: int
    reason: str


Input = pa.Table | duckdb.DuckDBPyRelation


def restitch(
    edges: Input,
    identifiers: Input,
    types: Input,
    nodes: Input,
    previous: Input | None = None,
    max_share: float = MAX_RESTITCH_SHARE,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Restitched:
    """Stitch the graph: all of it without `previous` (the last result, PREVIOUS_COLUMNS), else only the
    affected nodes (`affected_nodes`) when they are at most `max_share` of the nodes. `nodes`: every
    current node (NODE_COLUMNS); identifiers as IDENTIFIER_COLUMNS, edges as EDGE_COLUMNS. The rows of a
    partial run, written over the previous result (and the vanished rows deleted), equal a full run's.

    The inputs are Arrow tables or relations of `con` (in the dbt model: of the warehouse). The affected
    nodes and their subgraph are selected in DuckDB (joins over millions of nodes and edges), and only
    they are fetched, unless the whole graph is stitched."""
    con = con if con is not None else duckdb.connect()
    inputs = {
        "edges": edges,
        "identifiers": identifiers,
        "types": types,
        "nodes": nodes,
        "previous": previous,
    }
    named = []
    try:
        for name, data in inputs.items():
            if data is None:
                continue
            view = _VIEW.format(name)
            if isinstance(data, pa.Table):
                con.register(view, data)
            else:  # a temporary view: nothing of the run is ever stored in the warehouse
                con.execute(f"create or replace temporary view {view} as {data.sql_query()}")
            named.append((view, isinstance(data, pa.Table)))
        types_table = con.sql(
            f"select * from {_VIEW.format('types')} order by identifier_type"
        ).to_arrow_table()
        if previous is None:
            return _full(con, types_table, "no previous result")
        affected = affected_nodes(con)
        share = len(affected.nodes) / max(affected.total, 1)
        if share > max_share:
            return _full(
                con,
                types_table,
                f"{len(affected.nodes)} of {affected.total} nodes affected, more than {max_share:.0%}",
                affected.vanished,
            )
        return _partial(con, types_table, affected)
    finally:
        con.execute(f"drop table if exists {_AFFECTED}")
        for view, registered in named:
            if registered:
                con.unregister(view)
            else:
                con.execute(f"drop view if exists {view}")


def _partial(con: duckdb.DuckDBPyConnection, types: pa.Table, affected: Affected) -> Restitched:
    """Stitch the affected nodes' subgraph (their edges, and the attribute values their records carry)."""
    aff = f"(select node_id from {_AFFECTED} where state <> 'gone')"
    edges = con.sql(f"""
        select record_node, identifier_node from {_VIEW.format("edges")}
        where record_node in {aff} or identifier_node in {aff}
    """).to_arrow_table()
    identifiers = con.sql(f"""
        select * from {_VIEW.format("identifiers")}
        where node_id in {aff} or node_id in (
            select identifier_node from {_VIEW.format("edges")} where record_node in {aff}
        )
    """).to_arrow_table()
    ident_ids = identifiers["node_id"].to_numpy().astype(np.int64)
    src = edges["record_node"].to_numpy().astype(np.int64)
    dst = edges["identifier_node"].to_numpy().astype(np.int64)
    src_in = np.isin(src, affected.nodes)
    dst_in = np.isin(dst, affected.nodes)
    # the subgraph: the affected nodes, their records' edges, and the attribute values those records carry
    context = np.setdiff1d(dst[src_in], affected.nodes)
    keep_ident = np.isin(ident_ids, affected.nodes) | np.isin(ident_ids, context)
    graph = IdentityGraph.from_arrow(
        edges.filter(pa.array(src_in)),
        identifiers.filter(pa.array(keep_ident)),
        types,
        np.setdiff1d(affected.nodes, ident_ids),
    )
    # an edge with one end outside the affected nodes must be one that links nothing (to an attribute
    # value); the signatures guarantee it (a new edge changes its record's signature and its value's record
    # count), and a partial run checks it
    crossing = np.r_[dst[src_in & ~dst_in], dst[dst_in & ~src_in]]
    if graph.identifiers_link(crossing).any():
        return _full(
            con, types, "a linking edge joins an affected node to an unaffected one", affected.vanished
        )
    rows = graph.table()
    rows = rows.filter(pa.array(np.isin(rows["node_id"].to_numpy(), affected.nodes)))
    return Restitched(
        rows=_with_signatures(rows, affected.nodes, affected.signatures),
        vanished=affected.vanished,
        mode="partial",
        nodes_restitched=rows.num_rows,
        reason=f"{affected.touched} node(s) new, gone or changed",
    )


def _full(
    con: duckdb.DuckDBPyConnection, types: pa.Table, reason: str, vanished: np.ndarray | None = None
) -> Restitched:
    edges = con.sql(f"select record_node, identifier_node from {_VIEW.format('edges')}").to_arrow_table()
    identifiers = con.sql(f"select * from {_VIEW.format('identifiers')}").to_arrow_table()
    nodes = con.sql(f"select node_id, node_signature from {_VIEW.format('nodes')}").to_arrow_table()
    records = con.sql(f"""
        select node_id from {_VIEW.format("nodes")}
        where node_id not in (select node_id from {_VIEW.format("identifiers")})
    """).to_arrow_table()
    graph = IdentityGraph.from_arrow(
        edges, identifiers, types, records["node_id"].to_numpy().astype(np.int64)
    )
    rows = _with_signatures(
        graph.table(),
        nodes["node_id"].to_numpy().astype(np.int64),
        nodes["node_signature"].to_numpy().astype(np.int64),
    )
    return Restitched(
        rows=rows,
        vanished=np.zeros(0, np.int64) if vanished is None else vanished,
        mode="full",
        nodes_restitched=rows.num_rows,
        reason=reason,
    )


def _with_signatures(rows: pa.Table, node_ids: np.ndarray, signatures: np.ndarray) -> pa.Table:
    order = np.argsort(node_ids)
    pos = order[np.searchsorted(node_ids, rows["node_id"].to_numpy(), sorter=order)]
    return rows.append_column("node_signature", pa.array(signatures[pos], pa.int64()))
