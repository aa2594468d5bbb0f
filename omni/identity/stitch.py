"""Connected components with household checks and per-profile limits: the step that turns the identity
graph into profiles.

The graph is bipartite: identifier nodes (an e-mail, a phone, a cookie...) and record nodes (an order, a
session, a ticket...), an edge wherever a record carries an identifier. Nodes are integers 0..n-1.

1. Strong values (accounts, cards, e-mails, references to orders, receipts, tickets, ad clicks) link
   outright: connected components of their edges (scipy's C implementation).
2. Weak values (phones, cookies, devices: what a household or a shared computer shares) then join those
   components, except a weak value that would join components holding different values of a
   conflict-check type (two e-mails, two first names, two accounts): that value is shared, and refused.
3. A profile holding more distinct values of a type than the type allows (`max_per_profile`, say
   4 e-mails where 3 is the limit) is rebuilt: its identifiers are merged one by one, strongest type
   first (then the most used value), and an identifier whose merge would break a limit is refused.
   Only the offending profiles are rebuilt, so the cost stays that of the components plus a small loop.

Refused values link nothing, and each comes back with the reason. Everything is deterministic: the same
graph gives the same profiles and the same refusals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class Stitched:
    component: np.ndarray  # int64 per node: the profile it belongs to
    original_component: np.ndarray  # int64 per node: its component before limits were applied
    refused: dict[int, str]  # identifier node -> why its merge was refused


def components(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Plain connected components (undirected) of an edge list over nodes 0..n_nodes-1."""
    index = np.int32 if n_nodes < 2**31 else np.int64  # scipy's own index type: no conversion inside
    # COO -> CSR without sorting column indices (connected components need no order)
    graph = coo_matrix(
        (
            np.ones(len(src), dtype=np.int8),
            (np.asarray(src).astype(index, copy=False), np.asarray(dst).astype(index, copy=False)),
        ),
        shape=(n_nodes, n_nodes),
    ).tocsr()
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


STRONG, WEAK, ATTRIBUTE = 0, 1, 2


def stitch(
    n_nodes: int,
    src: np.ndarray,
    dst: np.ndarray,
    node_type: np.ndarray,
    type_names: list[str],
    max_per_profile: np.ndarray,
    merge_order: np.ndarray,
    strength: np.ndarray | None = None,
    conflict_check: np.ndarray | None = None,
) -> Stitched:
    """Profiles of the graph: weak values never join conflicting profiles, and no profile holds more than
    `max_per_profile[t]` identifiers of type t.

    src, dst: edge endpoints, (record node, identifier node). node_type: per node, the index of its
    identifier type in `type_names`, or -1 for a record node. max_per_profile: per type, the limit
    (a negative value: no limit). merge_order: per node, a rank; identifiers of an oversized profile
    are merged by ascending rank (strongest first). strength: per type, STRONG, WEAK or ATTRIBUTE
    (default: all strong). conflict_check: per type, whether two different values of it in the profiles
    a weak value would join make that value shared (default: none).
    """
    index = np.int32 if n_nodes < 2**31 else np.int64  # half the memory traffic of int64 ids
    src = np.asarray(src).astype(index, copy=False)
    dst = np.asarray(dst).astype(index, copy=False)
    node_type = np.asarray(node_type).astype(np.int8 if len(type_names) < 127 else np.int64, copy=False)
    n_types = len(type_names)
    strength = np.zeros(n_types, np.int64) if strength is None else np.asarray(strength, np.int64)
    conflict_check = np.zeros(n_types, bool) if conflict_check is None else np.asarray(conflict_check, bool)
    refused: dict[int, str] = {}
    edge_type = node_type[dst]
    kind = strength[edge_type] if len(dst) else np.zeros(0, np.int64)
    if (kind == WEAK).any() or (kind == ATTRIBUTE).any():
        strong = kind == STRONG
        base = components(n_nodes, src[strong], dst[strong])
        refused = _shared_weak_values(
            base, src, dst, kind, edge_type, node_type, strength, type_names, conflict_check
        )
        is_refused = np.zeros(n_nodes, bool)
        is_refused[np.fromiter(refused, np.int64, len(refused))] = True
        accepted = (kind == WEAK) & ~is_refused[dst]
        # the weak edges join whole strong components: components of the (much smaller) contracted graph
        n_base = int(base.max()) + 1
        labels = components(n_base, base[src[accepted]], base[dst[accepted]])[base]
        link = strong | accepted
        src, dst = src[link], dst[link]
    else:
        labels = components(n_nodes, src, dst)
    original = labels.copy()
    limits = np.where(
        np.asarray(max_per_profile) < 0, np.iinfo(np.int64).max, np.asarray(max_per_profile, np.int64)
    )
    limits = np.where(strength == ATTRIBUTE, np.iinfo(np.int64).max, limits)
    linked = np.zeros(n_nodes, bool)
    linked[dst] = True  # identifiers that link something (refused and attribute values don't)
    ident = np.flatnonzero((node_type >= 0) & linked)
    if not len(ident):
        return Stitched(labels, original, refused)
    n_comp = int(labels.max()) + 1
    counts = np.bincount(labels[ident] * n_types + node_type[ident], minlength=n_comp * n_types).reshape(
        n_comp, n_types
    )
    oversized = np.flatnonzero((counts > limits).any(axis=1))
    if len(oversized):
        labels, limited = _rebuild(
            labels, oversized, src, dst, node_type, type_names, limits, merge_order, n_comp
        )
        refused.update(limited)
    return Stitched(labels, original, refused)


def _shared_weak_values(
    base, src, dst, kind, edge_type, node_type, strength, type_names, conflict_check
) -> dict[int, str]:
    """Weak values that touch two or more strong components holding different values of a
    conflict-check type: shared (a family phone, a shared computer), with the reason."""
    import pandas as pd

    weak = np.flatnonzero(kind == WEAK)
    if not len(weak):
        return {}
    # values of conflict-check types each component holds: identifiers sit in their own component,
    # attributes (first names) in the component of the record that carries them
    is_check = np.r_[conflict_check & (strength == STRONG), False]  # index -1 (records): False
    check_ident = np.flatnonzero(is_check[node_type])
    attr = np.flatnonzero((kind == ATTRIBUTE) & conflict_check[edge_type])
    held_component = np.r_[base[check_ident], base[src[attr]]]
    holds = np.zeros(len(base), bool)
    holds[held_component] = True
    # only components holding such values can conflict: keep the weak edges into them, then the weak
    # values that reach two or more of them (sorted once, no hashing of the millions of other edges)
    values, comps = dst[weak], base[src[weak]]
    keep = holds[comps]
    values, comps = values[keep], comps[keep]
    if not len(values):
        return {}
    order = np.lexsort((comps, values))
    values, comps = values[order], comps[order]
    starts = np.r_[0, np.flatnonzero(np.diff(values)) + 1]
    spread = np.minimum.reduceat(comps, starts) != np.maximum.reduceat(comps, starts)
    if not spread.any():
        return {}
    in_bridge = np.repeat(spread, np.diff(np.r_[starts, len(values)]))
    bridges = pd.DataFrame({"value": values[in_bridge], "component": comps[in_bridge]}).drop_duplicates()
    held = pd.DataFrame(
        {
            "component": held_component,
            "check": np.r_[node_type[check_ident], edge_type[attr]],
            "held": np.r_[check_ident, dst[attr]],
        }
    )
    held = held[held["component"].isin(bridges["component"].unique())].drop_duplicates()
    joined = bridges.merge(held, on="component")
    overall = joined.groupby(["value", "check"])["held"].nunique()
    per_component = (
        joined.groupby(["value", "check", "component"])["held"].nunique().groupby(["value", "check"]).max()
    )
    clash = overall > per_component
    clash = clash[clash].reset_index()
    refused: dict[int, str] = {}
    for value, check in sorted(zip(clash["value"].tolist(), clash["check"].tolist(), strict=True)):
        if value not in refused:
            refused[int(value)] = f"shared: would join profiles holding different {type_names[check]} values"
    return refused


def _rebuild(labels, oversized, src, dst, node_type, type_names, limits, merge_order, n_comp):
    """Greedy union-find inside the oversized components, refusing merges that break a limit."""
    labels = labels.copy()
    in_bad = np.zeros(int(labels.max()) + 1, dtype=bool)
    in_bad[oversized] = True
    keep = in_bad[labels[src]]
    e_rec, e_id = src[keep], dst[keep]
    # orient edges as (record, identifier)
    swap = node_type[e_rec] >= 0
    e_rec, e_id = np.where(swap, e_id, e_rec), np.where(swap, e_rec, e_id)
    order = np.lexsort((e_rec, merge_order[e_id], e_id))  # group by identifier
    e_rec, e_id = e_rec[order], e_id[order]
    idents, starts = np.unique(e_id, return_index=True)
    ends = np.r_[starts[1:], len(e_id)]
    parent: dict[int, int] = {}
    tally: dict[int, np.ndarray] = {}
    n_types = len(type_names)

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    refused: dict[int, str] = {}
    for i in np.lexsort((idents, merge_order[idents])):
        x = int(idents[i])
        roots = {find(x)} | {find(int(r)) for r in e_rec[starts[i] : ends[i]]}
        total = np.zeros(n_types, dtype=np.int64)
        for r in roots:
            total += tally.get(r, _unit(node_type, r, n_types))
        over = np.flatnonzero(total > limits)
        if len(over):
            t = int(over[0])
            refused[x] = (
                f"merge refused: the profile would hold {int(total[t])} {type_names[t]} values "
                f"(max {int(limits[t])})"
            )
            continue
        root = min(roots)
        for r in roots:
            parent[r] = root
        tally[root] = total
    # new labels for the rebuilt components: fresh numbers after the existing ones, by root
    nodes = np.flatnonzero(in_bad[labels])
    roots = np.fromiter((find(int(v)) for v in nodes), dtype=np.int64, count=len(nodes))
    _, new = np.unique(roots, return_inverse=True)
    labels[nodes] = n_comp + new
    return labels, refused


def _unit(node_type: np.ndarray, node: int, n_types: int) -> np.ndarray:
    out = np.zeros(n_types, dtype=np.int64)
    if node_type[node] >= 0:
        out[node_type[node]] = 1
    return out
