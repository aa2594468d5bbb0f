"""Profiles of identity stitching after both stages: the deterministic profiles
(int_identity__deterministic_components) merged along the probabilistic links that may merge them
(int_identity__match_links: `match` or `accepted_by_analyst`), by omni.identity.probabilistic.merge_profiles.
A link never puts two accounts, two memberships or two cards (seed identity_identifier_types,
`blocks_probabilistic_match`) in one profile, nor two profiles an analyst rejected.

One row per node, as the deterministic model: `component` is the final profile,
`deterministic_component` the profile of the first stage, `match_probability` the probability of the
link that joined the node's deterministic profile to another (1.0 for an analyst's acceptance; null:
joined by no probabilistic link)."""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from omni.identity.probabilistic import merge_profiles

    nodes = dbt.ref("int_identity__deterministic_components").order("node_id").fetch_arrow_table()
    links = dbt.ref("int_identity__match_links")
    accepted = links.filter("link_status in ('match', 'accepted_by_analyst')").project(
        "component_a, component_b, "
        "case when link_status = 'accepted_by_analyst' then null else match_probability end"
    )
    rejected = links.filter("link_status = 'rejected_by_analyst'").project("component_a, component_b")
    identifiers = dbt.ref("int_identity__identifiers")
    types = dbt.ref("identity_identifier_types").filter("blocks_probabilistic_match")
    det = dbt.ref("int_identity__deterministic_components")
    exclusive_rows = (
        identifiers.filter("link_rule = 'identifying'")
        .join(types.project("identifier_type"), "identifier_type")
        .join(det.filter("refused_reason is null").project("node_id, component"), "node_id")
        .project("component, identifier_type, identifier_value")
        .fetchall()
    )
    exclusive: dict[int, dict[str, set[str]]] = {}
    for component, kind, value in exclusive_rows:
        exclusive.setdefault(int(component), {}).setdefault(kind, set()).add(value)
    merged = merge_profiles(
        [(int(a), int(b), p) for a, b, p in accepted.fetchall()],
        exclusive,
        [(int(a), int(b)) for a, b in rejected.fetchall()],
    )
    deterministic = nodes["component"].to_numpy()
    final = _lookup(merged.component, deterministic, deterministic)
    probability = _lookup(merged.probability, deterministic, np.full(len(deterministic), np.nan))
    return pa.table(
        {
            "node_id": nodes["node_id"],
            "component": pa.array(final),
            "deterministic_component": nodes["component"],
            "original_component": nodes["original_component"],
            "refused_reason": nodes["refused_reason"],
            "match_probability": pa.array(probability, from_pandas=True),
        }
    )


def _lookup(mapping: dict, keys: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """mapping[k] for every k of `keys` that mapping holds, else the fallback at that position."""
    out = fallback.copy()
    if not mapping:
        return out
    known = np.fromiter(mapping, np.int64)
    values = np.fromiter(mapping.values(), dtype=out.dtype)
    order = np.argsort(known)
    known, values = known[order], values[order]
    pos = np.minimum(np.searchsorted(known, keys), len(known) - 1)
    hit = known[pos] == keys
    out[hit] = values[pos[hit]]
    return out
