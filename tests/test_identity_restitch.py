"""The partial re-stitch of the identity graph (omni.identity.graph.restitch): on small hand-made graphs, the
rows of an incremental run written over the last result equal a full stitch of the new graph."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pytest

from omni.identity.graph import _VIEW, IdentityGraph, NodeIdCollision, affected_nodes, restitch
from omni.identity.stitch import ATTRIBUTE, STRONG, WEAK

# type: (priority, max_per_profile (-1: none), strength, conflict check)
TYPES = {
    "account": (1, 1, STRONG, True),
    "email": (2, 2, STRONG, True),
    "phone": (3, 2, WEAK, False),
    "cookie": (4, -1, WEAK, False),
    "first_name": (999, -1, ATTRIBUTE, True),
}


def node_id(name: str) -> int:
    """A stable id as the warehouse makes them: a 63-bit hash, in no relation to the order of the names."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:15], 16)


def signature(*parts) -> int:
    return int(hashlib.sha256(repr(parts).encode()).hexdigest()[:15], 16)


@dataclass
class Graph:
    """Records carrying identifier values; `unlinked` values are nodes without edges (shared, placeholder)."""

    records: dict[str, list[str]] = field(default_factory=dict)
    unlinked: set[str] = field(default_factory=set)

    def copy(self) -> Graph:
        return Graph({r: list(v) for r, v in self.records.items()}, set(self.unlinked))

    def tables(self) -> dict[str, pa.Table]:
        values = sorted({v for vs in self.records.values() for v in vs} | self.unlinked)
        carried = {v: sum(v in vs for vs in self.records.values()) for v in values}
        src, dst = [], []
        for record, vs in self.records.items():
            for v in vs:
                if v not in self.unlinked:
                    src.append(node_id(record))
                    dst.append(node_id(v))
        kind = {v: v.split(":")[0] for v in values}
        nodes = [(node_id(v), signature(kind[v], carried[v], v in self.unlinked)) for v in values]
        for record, vs in self.records.items():
            linked = sorted(node_id(v) for v in vs if v not in self.unlinked)
            nodes.append((node_id(record), signature("record", linked)))
        names = sorted(TYPES)
        return {
            "edges": pa.table(
                {"record_node": pa.array(src, pa.int64()), "identifier_node": pa.array(dst, pa.int64())}
            ),
            "identifiers": pa.table(
                {
                    "node_id": pa.array([node_id(v) for v in values], pa.int64()),
                    "identifier_type": [kind[v] for v in values],
                    "priority": pa.array([TYPES[kind[v]][0] for v in values], pa.int64()),
                    "record_count": pa.array([carried[v] for v in values], pa.int64()),
                }
            ),
            "types": pa.table(
                {
                    "identifier_type": names,
                    "max_per_profile": pa.array([TYPES[t][1] for t in names], pa.int64()),
                    "strength": pa.array([TYPES[t][2] for t in names], pa.int64()),
                    "conflict_check": [TYPES[t][3] for t in names],
                }
            ),
            "nodes": pa.table(
                {
                    "node_id": pa.array([n for n, _ in nodes], pa.int64()),
                    "node_signature": pa.array([s for _, s in nodes], pa.int64()),
                }
            ),
        }


def rows_by_node(table: pa.Table) -> dict[int, tuple]:
    columns = ["component", "original_component", "refused_reason", "graph_component", "node_signature"]
    data = table.to_pydict()
    return {n: tuple(data[c][i] for c in columns) for i, n in enumerate(data["node_id"])}


def partial_equals_full(before: Graph, after: Graph) -> tuple[dict[int, tuple], int]:
    """Stitch `before` in full, then `after` in full and incrementally from the first result; assert both
    give the same rows; return the full rows and the number of nodes the partial run re-stitched."""
    previous = restitch(**before.tables()).rows
    full = restitch(**after.tables())
    partial = restitch(**after.tables(), previous=previous, max_share=1.0)
    assert full.mode == "full"
    assert partial.mode == "partial", partial.reason
    merged = rows_by_node(previous)
    for gone in partial.vanished.tolist():
        del merged[gone]
    merged.update(rows_by_node(partial.rows))
    expected = rows_by_node(full.rows)
    assert merged == expected
    return expected, partial.nodes_restitched


def profile(rows: dict[int, tuple], name: str) -> int:
    return rows[node_id(name)][0]


# an unrelated customer in every graph: never re-stitched
BYSTANDER = {"r:z1": ["email:z", "cookie:z"], "r:z2": ["cookie:z", "first_name:anna"]}


def test_a_weak_value_that_would_bridge_two_conflicting_profiles_is_refused_in_the_partial_run():
    before = Graph({"r:1": ["email:a", "phone:1"], "r:2": ["email:b"], **BYSTANDER})
    after = before.copy()
    after.records["r:3"] = ["email:b", "phone:1"]  # the phone now reaches the profile of another e-mail
    rows, restitched = partial_equals_full(before, after)
    assert rows[node_id("phone:1")][2] == "shared: would join profiles holding different email values"
    assert profile(rows, "r:1") != profile(rows, "r:3")
    assert profile(rows, "r:2") == profile(rows, "r:3")
    # r:1, r:2, r:3, email:a, email:b, phone:1 (two previous graph components and the new record)
    assert restitched == 6


def test_a_weak_value_joining_profiles_with_different_first_names_is_refused():
    before = Graph({"r:1": ["cookie:c", "first_name:jan"], "r:2": ["email:b", "first_name:ola"], **BYSTANDER})
    after = before.copy()
    after.records["r:3"] = ["email:b", "cookie:c"]
    rows, restitched = partial_equals_full(before, after)
    assert rows[node_id("cookie:c")][2] == "shared: would join profiles holding different first_name values"
    assert profile(rows, "r:1") != profile(rows, "r:2")
    # r:1..3, cookie:c, email:b; the first names link nothing and did not change
    assert restitched == 5


def test_a_new_strong_edge_merges_two_profiles_under_the_smallest_id():
    before = Graph({"r:1": ["email:a", "cookie:1"], "r:2": ["email:b"], "r:4": ["account:x"], **BYSTANDER})
    after = before.copy()
    after.records["r:3"] = ["email:a", "email:b"]
    rows, restitched = partial_equals_full(before, after)
    merged = ["r:1", "r:2", "r:3", "email:a", "email:b", "cookie:1"]
    assert {profile(rows, n) for n in merged} == {min(node_id(n) for n in merged)}
    assert profile(rows, "r:4") != profile(rows, "r:1")
    assert restitched == 6


def test_a_value_becoming_shared_splits_the_profile_it_held_together():
    before = Graph({"r:1": ["cookie:c", "email:a"], "r:2": ["cookie:c"], "r:3": ["email:q"], **BYSTANDER})
    assert len({profile(partial_equals_full(before, before)[0], r) for r in ("r:1", "r:2")}) == 1
    after = before.copy()
    after.unlinked.add("cookie:c")  # e.g. now seen with too many e-mails: its edges are gone
    rows, restitched = partial_equals_full(before, after)
    assert profile(rows, "r:1") != profile(rows, "r:2")
    assert profile(rows, "cookie:c") == node_id("cookie:c")
    assert restitched == 4  # r:1, r:2, cookie:c, email:a


def test_a_new_record_over_the_limit_rebuilds_the_profile():
    before = Graph({"r:1": ["email:a", "email:b", "phone:1"], "r:2": ["phone:1"], **BYSTANDER})
    after = before.copy()
    after.records["r:3"] = ["email:b", "email:c"]  # three e-mails, two allowed
    rows, restitched = partial_equals_full(before, after)
    refused = {n for n, row in rows.items() if row[2] is not None}
    assert len(refused) == 1
    assert rows[refused.pop()][2] == "merge refused: the profile would hold 3 email values (max 2)"
    # the limit splits the profile; the original component still holds all of it
    assert len({rows[node_id(r)][1] for r in ("r:1", "r:2", "r:3")}) == 1
    assert restitched == 7


def test_a_record_gone_splits_its_profile_and_its_row_is_deleted():
    before = Graph({"r:1": ["email:a"], "r:2": ["email:a", "cookie:c"], "r:3": ["cookie:c"], **BYSTANDER})
    after = before.copy()
    del after.records["r:2"]
    previous = restitch(**before.tables()).rows
    partial = restitch(**after.tables(), previous=previous, max_share=1.0)
    assert partial.vanished.tolist() == [node_id("r:2")]
    rows, restitched = partial_equals_full(before, after)
    assert profile(rows, "r:1") != profile(rows, "r:3")
    assert restitched == 4  # r:1, r:3, email:a, cookie:c


def test_an_unchanged_graph_restitches_nothing():
    graph = Graph({"r:1": ["email:a", "cookie:c"], "r:2": ["cookie:c"], **BYSTANDER})
    previous = restitch(**graph.tables()).rows
    partial = restitch(**graph.tables(), previous=previous)
    assert (partial.mode, partial.nodes_restitched, len(partial.vanished)) == ("partial", 0, 0)


def test_more_than_the_share_affected_stitches_everything():
    before = Graph({"r:1": ["email:a"]})
    after = before.copy()
    after.records["r:2"] = ["email:b"]
    after.records["r:3"] = ["email:c"]
    previous = restitch(**before.tables()).rows
    result = restitch(**after.tables(), previous=previous, max_share=0.5)
    assert result.mode == "full"
    assert result.reason == "4 of 6 nodes affected, more than 50%"
    assert rows_by_node(result.rows) == rows_by_node(restitch(**after.tables()).rows)


def test_a_linking_edge_to_an_unchanged_node_stitches_everything():
    """Signatures that miss a change (here: an e-mail's record count left as it was) are caught."""
    before = Graph({"r:1": ["email:a"], "r:2": ["email:b"], **BYSTANDER})
    after = before.copy()
    after.records["r:3"] = ["email:a"]
    tables = after.tables()
    stale = dict(
        zip(*(before.tables()["nodes"][c].to_pylist() for c in ("node_id", "node_signature")), strict=True)
    )
    tables["nodes"] = pa.table(
        {
            "node_id": tables["nodes"]["node_id"],
            "node_signature": pa.array(
                [
                    stale.get(n, s)
                    for n, s in zip(
                        *(tables["nodes"][c].to_pylist() for c in tables["nodes"].column_names), strict=True
                    )
                ],
                pa.int64(),
            ),
        }
    )
    result = restitch(**tables, previous=restitch(**before.tables()).rows, max_share=1.0)
    assert (result.mode, result.reason) == (
        "full",
        "a linking edge joins an affected node to an unaffected one",
    )


def test_affected_nodes_are_whole_previous_components_and_new_nodes():
    previous = pa.table(
        {
            "node_id": pa.array([10, 11, 12, 20, 21], pa.int64()),
            "node_signature": pa.array([1, 1, 1, 1, 1], pa.int64()),
            "graph_component": pa.array([10, 10, 10, 20, 20], pa.int64()),
        }
    )

    def affected(ids: list[int], signatures: list[int]):
        con = duckdb.connect()
        con.register(_VIEW.format("previous"), previous)
        con.register(
            _VIEW.format("nodes"),
            pa.table(
                {"node_id": pa.array(ids, pa.int64()), "node_signature": pa.array(signatures, pa.int64())}
            ),
        )
        return affected_nodes(con)

    # 12 changed, 21 gone, 30 new: all of component 10 and 20, and 30
    changed = affected([10, 11, 12, 20, 30], [1, 1, 2, 1, 1])
    assert changed.nodes.tolist() == [10, 11, 12, 20, 30]
    assert changed.signatures.tolist() == [1, 1, 2, 1, 1]
    assert changed.vanished.tolist() == [21]
    assert (changed.touched, changed.total) == (3, 5)
    unchanged = affected([10, 11, 12, 20, 21], [1] * 5)
    assert (unchanged.nodes.tolist(), unchanged.vanished.tolist(), unchanged.touched) == ([], [], 0)


def test_the_stitch_of_warehouse_relations_equals_the_stitch_of_tables():
    """In the dbt model the inputs are relations of the warehouse's connection: the same rows."""
    before = Graph({"r:1": ["email:a", "first_name:x"], "r:2": ["cookie:c"], **BYSTANDER})
    after = before.copy()
    after.records["r:3"] = ["cookie:c", "email:a"]
    previous = restitch(**before.tables()).rows
    con = duckdb.connect()
    for name, table in {**after.tables(), "previous": previous}.items():
        con.from_arrow(table).create(name)
    relations = {name: con.table(name) for name in ("edges", "identifiers", "types", "nodes", "previous")}

    from_relations = restitch(**relations, max_share=1.0, con=con)
    from_tables = restitch(**after.tables(), previous=previous, max_share=1.0)

    assert from_relations.mode == from_tables.mode == "partial"
    assert rows_by_node(from_relations.rows) == rows_by_node(from_tables.rows)
    assert from_relations.vanished.tolist() == from_tables.vanished.tolist()
    # the run leaves nothing behind on the connection
    left = con.sql(
        "select table_name from duckdb_tables() where temporary "
        "union all select view_name from duckdb_views() where view_name like 'omni_restitch%'"
    ).fetchall()
    assert left == []


def test_a_collision_of_stable_ids_stops_the_stitch():
    tables = Graph({"r:1": ["email:a"]}).tables()
    identifiers = tables["identifiers"]
    with pytest.raises(NodeIdCollision, match="1 stable node id"):
        IdentityGraph.from_arrow(
            tables["edges"], identifiers, tables["types"], identifiers["node_id"].to_numpy()
        )
