"""The identity graph as arrays, read from the warehouse's `int_identity__*` models and seeds: what the
dbt Python model int_identity__deterministic_components and the benchmark both hand to `stitch`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omni.identity.stitch import Stitched, stitch

# the columns read from each relation (the same in dbt and in the benchmark)
EDGE_COLUMNS = "record_node, identifier_node"
IDENTIFIER_COLUMNS = "node_id, identifier_type, coalesce(priority, 999) as priority, record_count"
TYPE_COLUMNS = (
    "identifier_type, coalesce(max_per_profile, -1) as max_per_profile, "
    "case link_strength when 'weak' then 1 when 'attribute' then 2 else 0 end as strength, "
    "coalesce(is_conflict_check, false) as conflict_check"
)


@dataclass(frozen=True)
class IdentityGraph:
    n_nodes: int
    src: np.ndarray  # record node of each edge
    dst: np.ndarray  # identifier node of each edge
    node_type: np.ndarray
    type_names: list[str]
    max_per_profile: np.ndarray
    merge_order: np.ndarray
    strength: np.ndarray
    conflict_check: np.ndarray

    @classmethod
    def from_arrow(
        cls, edges: pa.Table, identifiers: pa.Table, types: pa.Table, n_records: int
    ) -> IdentityGraph:
        """edges, identifiers (ordered by node_id, numbered 0..n-1) and types as selected by the
        *_COLUMNS above; record nodes follow the identifiers."""
        type_names = types["identifier_type"].to_pylist()
        n_ident = identifiers.num_rows
        n_nodes = n_ident + n_records
        codes = pc.fill_null(pc.index_in(identifiers["identifier_type"], value_set=pa.array(type_names)), -1)
        node_type = np.full(n_nodes, -1, dtype=np.int64)
        node_type[:n_ident] = codes.to_numpy().astype(np.int64)
        # merge order inside an oversized profile: strongest type first, then the most used value
        priority = identifiers["priority"].to_numpy().astype(np.int64)
        used = identifiers["record_count"].to_numpy().astype(np.int64)
        rank = np.zeros(n_nodes, dtype=np.int64)
        rank[:n_ident] = np.argsort(np.lexsort((np.arange(n_ident), -used, priority)), kind="stable")
        return cls(
            n_nodes=n_nodes,
            src=edges["record_node"].to_numpy().astype(np.int64),
            dst=edges["identifier_node"].to_numpy().astype(np.int64),
            node_type=node_type,
            type_names=type_names,
            max_per_profile=types["max_per_profile"].to_numpy().astype(np.int64),
            merge_order=rank,
            strength=types["strength"].to_numpy().astype(np.int64),
            conflict_check=types["conflict_check"].to_numpy(zero_copy_only=False).astype(bool),
        )

    def stitch(self) -> Stitched:
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
