"""Benchmark of the connected-components step (omni.identity.stitch) against its floor, scipy's
`connected_components` on the same edge list, in the same process and run.

- `bench_warehouse(data_dir)`: builds the identity models of an ingested world with dbt (staging, the
  `int_identity__*` models, `customer_identity_map`), times both on its edge list, and scores the
  stitching against the world's truth (omni.identity.evaluate).
- `bench_synthetic(n_edges)`: an identity-shaped graph of people, their records and identifiers, at the
  size of the published anchor (16.1M edges).

Each timing is the best of three. The floor is what using scipy on an edge list costs: building the
sparse matrix and finding components. Ours adds what stitching needs on top: per-profile limit counts
and the rebuild of profiles that break a limit.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from omni.identity.graph import EDGE_COLUMNS, IDENTIFIER_COLUMNS, TYPE_COLUMNS, IdentityGraph
from omni.identity.stitch import STRONG, WEAK
from omni.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, Paths

REPEATS = 3


def _best(fn, repeats: int = REPEATS) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def scipy_floor(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> int:
    graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n_nodes, n_nodes)).tocsr()
    n, _ = connected_components(graph, directed=False)
    return n


def compare(graph: IdentityGraph) -> dict:
    scipy_s, n_scipy = _best(lambda: scipy_floor(graph.n_nodes, graph.src, graph.dst))
    ours_s, result = _best(graph.stitch)
    return {
        "nodes": int(graph.n_nodes),
        "edges": len(graph.src),
        "scipy_seconds": round(scipy_s, 3),
        "ours_seconds": round(ours_s, 3),
        "ratio": round(ours_s / scipy_s, 2),
        "components_scipy": int(n_scipy),
        "profiles_ours": len(np.unique(result.component)),
        "refused": len(result.refused),
    }


def bench_warehouse(data_dir: Path) -> dict:
    import duckdb

    paths = Paths.from_env(data_dir)
    paths.export_env()
    with tempfile.TemporaryDirectory(prefix="omni-dbt-") as target:
        for args in (["seed"], ["run", "--select", "+customer_identity_map"]):
            subprocess.run(
                [
                    DBT_EXECUTABLE,
                    *args,
                    "--profiles-dir",
                    str(DBT_PROJECT_DIR),
                    "--target-path",
                    target,
                    "--quiet",
                ],
                cwd=DBT_PROJECT_DIR,
                check=True,
                env=os.environ.copy(),
            )
        timings = json.loads((Path(target) / "run_results.json").read_text())["results"]
    dbt_models = {
        r["unique_id"].split(".")[-1]: round(r["execution_time"], 2)
        for r in timings
        if ".int_identity__" in r["unique_id"]
    }
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        graph = IdentityGraph.from_arrow(
            edges=con.sql(f"select {EDGE_COLUMNS} from intermediate.int_identity__edges").to_arrow_table(),
            identifiers=con.sql(
                f"select {IDENTIFIER_COLUMNS} from intermediate.int_identity__identifiers"
            ).to_arrow_table(),
            types=con.sql(
                f"select {TYPE_COLUMNS} from staging.identity_identifier_types order by identifier_type"
            ).to_arrow_table(),
            record_nodes=con.execute(
                "select record_node from intermediate.int_identity__record_nodes"
            ).fetchnumpy()["record_node"],
        )
    result = compare(graph)
    result["dbt_models"] = dbt_models
    from omni.identity.evaluate import evaluate

    scores = evaluate(paths)
    result["scores"] = {
        "orders": scores["pairwise"]["orders"],
        "touchpoints": scores["pairwise"]["touchpoints"],
        "over_merged": scores["over_merged"],
        "stages": scores["stages"],
        "cases": scores["cases"],
    }
    return result


def bench_synthetic(n_edges: int, seed: int = 0) -> dict:
    """People with a few identifiers each (an e-mail, a phone, cookies) and records carrying one or two
    of them, plus family phones shared by two people (which the limits then split)."""
    rng = np.random.default_rng(seed)
    type_names = ["email", "phone", "cookie_id"]
    n_people = n_edges // 9
    per_person = 3  # email, phone, cookie
    n_ident = n_people * per_person
    records_per_person = rng.poisson(5, n_people) + 1
    n_records = int(records_per_person.sum())
    owner = np.repeat(np.arange(n_people), records_per_person)
    # each record carries one identifier of its person, and a second one for most records
    first = owner * per_person + rng.integers(0, per_person, n_records)
    second = owner * per_person + rng.integers(0, per_person, n_records)
    two = rng.random(n_records) < 0.75
    rec = np.arange(n_records) + n_ident
    src = np.r_[rec, rec[two]]
    dst = np.r_[first, second[two]]
    # a few records also carry a family member's phone (the limits then refuse that merge)
    family = rng.random(n_records) < 0.004
    keep = n_edges - int(family.sum())
    src = np.r_[src[:keep], rec[family]]
    dst = np.r_[dst[:keep], ((owner[family] + 1) % n_people) * per_person + 1]
    node_type = np.r_[np.tile(np.arange(per_person), n_people), np.full(n_records, -1)].astype(np.int64)
    rank = np.r_[np.arange(n_ident), np.full(n_records, n_ident)].astype(np.int64)
    return compare(
        IdentityGraph(
            n_nodes=n_ident + n_records,
            src=src.astype(np.int64),
            dst=dst.astype(np.int64),
            node_type=node_type,
            type_names=type_names,
            max_per_profile=np.array([2, 2, -1]),
            merge_order=rank,
            strength=np.array([STRONG, WEAK, WEAK]),
            conflict_check=np.array([True, False, False]),
        )
    )


def bench_matching(data_dir: Path) -> dict:
    """The probabilistic stage on a world whose identity models are built (`bench_warehouse` first):
    training and prediction on its match records, timed once each, in this process (the caller runs it
    in a child of its own, so the peak memory is the stage's)."""
    import duckdb

    from omni.identity.probabilistic import RECORD_COLUMNS, MatchSettings, predict, train

    paths = Paths.from_env(data_dir)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        records = con.sql(
            f"select {', '.join(RECORD_COLUMNS)} from intermediate.int_identity__match_records order by unique_id"
        ).to_arrow_table()
    settings = MatchSettings()
    started = time.perf_counter()
    model = train(records, settings)
    trained = time.perf_counter()
    pairs = predict(records, model, settings)
    done = time.perf_counter()
    probabilities = pairs["match_probability"].to_numpy()
    return {
        "records": records.num_rows,
        "train_seconds": round(trained - started, 2),
        "predict_seconds": round(done - trained, 2),
        "seconds": round(done - started, 2),
        "pairs_scored": pairs.num_rows,
        "pairs_matched": int((probabilities >= settings.match_probability).sum()),
        "trained": bool(model["trained"][0].as_py()),
    }
