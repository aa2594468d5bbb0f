"""`omni bench`: figures for the demo world generator (and later stages), printed and saved as JSON.

Each measurement runs in a fresh subprocess so its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _child(argv: list[str]) -> dict:
    """Run `python -m devtools.bench <argv>` and return its JSON answer with two peaks of memory: the
    largest single process of the step (`peak_rss_mb`, max RSS from `wait4`: the step's own process and
    those it waited for, such as dbt's) and the largest sum over the step's process tree at one time
    (`peak_tree_rss_mb`, sampled from /proc every half second: what the machine must hold at once)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "devtools.bench", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    tree = _TreeSampler(proc.pid)
    tree.start()
    _, status, usage = os.wait4(proc.pid, 0)
    tree.stop()
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark step {argv[0]} failed: {_what_failed(err)}")
    answer = json.loads(out.strip().splitlines()[-1])
    answer["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux: kilobytes
    answer["peak_tree_rss_mb"] = round(tree.peak / 2**20, 1)
    return answer


def _peaks(r: dict) -> str:
    return f"peak {r['peak_rss_mb']:,.0f} MB in one process, {r['peak_tree_rss_mb']:,.0f} MB in all at once"


class _TreeSampler(threading.Thread):
    """The largest summed resident memory of a process and all its descendants, sampled from /proc
    (Linux) until stopped; 0 where /proc is not there."""

    INTERVAL = 0.5

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak = 0
        self._done = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while not self._done.wait(self.INTERVAL):
            self.peak = max(self.peak, self.sample())

    def sample(self) -> int:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                # the parent is the second field after the command in parentheses, which may hold spaces
                stat = (entry / "stat").read_text()
                children.setdefault(int(stat[stat.rindex(")") + 2 :].split()[1]), []).append(int(entry.name))
        total, todo = 0, [self.root]
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, ()))
            with contextlib.suppress(OSError, IndexError, ValueError):
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self._page
        return total


@contextlib.contextmanager
def _scratch(workdir: Path | None, echo):
    """A scratch directory for generated worlds: removed afterwards, unless a step failed in it (then its
    world, warehouse and logs stay for a look, and the path is printed)."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="omni-bench-", dir=workdir)
    try:
        yield tmp
    except BaseException:
        echo(f"  (kept for a look: {tmp})")
        raise
    shutil.rmtree(tmp, ignore_errors=True)


def _what_failed(stderr: str) -> str:
    """The exception of a failed step as it was raised, with its detail lines, or the last line."""
    lines = stderr.strip().splitlines()
    if not lines:
        return "?"
    start = len(lines) - 1
    for i, line in enumerate(lines):  # the traceback's last exception line and its continuation
        if re.match(r"^[A-Za-z_.]+(Error|Exception): ", line):
            start = i
    return "\n".join(lines[start:])


def bench_generation(size: str, seed: int, workdir: Path) -> dict:
    return _child(["generate", size, str(seed), str(workdir / f"gen-{size}")])


def bench_ingestion(data_dir: Path) -> dict:
    """Per source: our dlt load (DuckDB readers -> Arrow -> dlt, quarantine and audit included) and
    DuckDB's native reader loading the same files into a table, in the same run."""
    ours = _child(["ingest", str(data_dir)])
    native = _child(["native", str(data_dir)])
    return {"ours": ours, "native": native}


def run(
    sizes: list[str],
    seed: int,
    workdir: Path | None,
    out: Path | None,
    echo=print,
    ingest_sizes: list[str] | None = None,
    stitch_sizes: list[str] | None = None,
    build_sizes: list[str] | None = None,
    incremental_sizes: list[str] | None = None,
    spark_sizes: list[str] | None = None,
) -> dict:
    results: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "generation": [],
    }
    with _scratch(workdir, echo) as tmp:
        for size in sizes:
            echo(f"generating size {size} ...")
            r = bench_generation(size, seed, Path(tmp))
            results["generation"].append(r)
            echo(
                f"  {size}: {r['persons']:>9,} people {r['rows']:>12,} rows {r['files']:>7,} files "
                f"{r['seconds']:8.1f} s {r['rows'] / r['seconds']:>12,.0f} rows/s  {_peaks(r)}"
            )
    if ingest_sizes:
        results["ingestion"] = []
        with _scratch(workdir, echo) as tmp:
            for size in ingest_sizes:
                echo(f"ingesting size {size} (generating it first) ...")
                _child(["generate", size, str(seed), str(Path(tmp) / size)])
                r = bench_ingestion(Path(tmp) / size)
                r["size"] = size
                results["ingestion"].append(r)
                echo(
                    f"  {'source':<10} {'rows':>11} {'dlt s':>7} {'rows/s':>10} {'native s':>9} {'rows/s':>10} {'ratio':>6}"
                )
                for name in r["ours"]["sources"]:
                    o, n = r["ours"]["sources"][name], r["native"]["sources"][name]
                    echo(
                        f"  {name:<10} {o['rows']:>11,} {o['seconds']:>7.1f} {o['rows'] / o['seconds']:>10,.0f} "
                        f"{n['seconds']:>9.2f} {n['rows'] / n['seconds']:>10,.0f} {(o['rows'] / o['seconds']) / (n['rows'] / n['seconds']):>6.2f}"
                    )
                ot, nt = r["ours"]["total"], r["native"]["total"]
                echo(
                    f"  {'all':<10} {ot['rows']:>11,} {ot['seconds']:>7.1f} {ot['rows'] / ot['seconds']:>10,.0f} "
                    f"{nt['seconds']:>9.2f} {nt['rows'] / nt['seconds']:>10,.0f} "
                    f"{(ot['rows'] / ot['seconds']) / (nt['rows'] / nt['seconds']):>6.2f}  (peak {r['ours']['peak_rss_mb']:,.0f} MB)"
                )
    if stitch_sizes:
        results["stitching"] = []
        echo(
            "identity stitching: our connected-components step vs scipy.sparse.csgraph.connected_components "
            "on the same edge list"
        )
        echo(
            f"  {'graph':<24} {'nodes':>11} {'edges':>11} {'scipy s':>8} {'ours s':>8} {'ratio':>6} {'refused':>8}"
        )
        with _scratch(workdir, echo) as tmp:
            runs = []
            for size in stitch_sizes:
                echo(f"  (size {size}: generating, ingesting and building the identity graph ...)")
                _child(["generate", size, str(seed), str(Path(tmp) / size)])
                _child(["ingest", str(Path(tmp) / size)])
                runs.append((f"world {size}", ["stitch", str(Path(tmp) / size)]))
                runs.append((f"world {size}", ["match", str(Path(tmp) / size)]))
                shutil.rmtree(Path(tmp) / size / "landing", ignore_errors=True)
            runs.append(("synthetic 16.1M edges", ["stitch-synthetic", "16100000"]))
            for label, argv in runs:
                r = _child(argv)
                r["graph"] = label
                if argv[0] == "match":
                    # the probabilistic stage on the world just stitched: its time next to the
                    # deterministic step's (the row above), in a process of its own (peak memory)
                    deterministic = results["stitching"][-1]["ours_seconds"]
                    r["ratio_to_deterministic"] = round(r["seconds"] / deterministic, 1)
                    results.setdefault("matching", []).append(r)
                    echo(
                        f"    probabilistic matching: {r['records']:,} records, train {r['train_seconds']:.1f}s + "
                        f"predict {r['predict_seconds']:.1f}s = {r['seconds']:.1f}s "
                        f"({r['ratio_to_deterministic']:.0f}x the deterministic step), "
                        f"{r['pairs_scored']:,} pairs scored, {r['pairs_matched']:,} matched, "
                        f"peak {r['peak_rss_mb']:,.0f} MB"
                    )
                    continue
                results["stitching"].append(r)
                echo(
                    f"  {label:<24} {r['nodes']:>11,} {r['edges']:>11,} {r['scipy_seconds']:>8.2f} "
                    f"{r['ours_seconds']:>8.2f} {r['ours_seconds'] / r['scipy_seconds']:>6.2f} {r['refused']:>8,}"
                )
                if r.get("dbt_models"):
                    echo(
                        "    dbt identity models: "
                        + ", ".join(
                            f"{k.removeprefix('int_identity__')} {v:.1f}s" for k, v in r["dbt_models"].items()
                        )
                    )
                if r.get("scores"):
                    sc = r["scores"]
                    echo(
                        "    against truth: "
                        + "; ".join(
                            f"{g} precision {sc[g]['precision']:.4f} recall (linkable) {sc[g]['recall_linkable']:.4f}"
                            for g in ("orders", "touchpoints")
                        )
                        + f"; over-merged clusters {sc['over_merged']['clusters']} "
                        f"(separable by the data: {sc['over_merged']['separable_by_the_data']})"
                    )
                    echo(
                        "    stages: "
                        + "; ".join(
                            f"{k} precision {sc['stages'][k]['precision']:.4f} recall {sc['stages'][k]['recall']:.4f}"
                            for k in ("deterministic", "probabilistic", "overall")
                        )
                        + "".join(f"; {k} recall {c['recall']:.4f}" for k, c in sc["cases"].items())
                    )
        echo("  (published anchor: a SQL label-propagation stitcher on DuckDB, 16.1M edges in about 143 s)")
    if build_sizes:
        results["build"] = []
        with _scratch(workdir, echo) as tmp:
            for size in build_sizes:
                echo(f"building size {size} through the Dagster job (generating it first) ...")
                generated = _child(["generate", size, str(seed), str(Path(tmp) / size)])
                echo(
                    f"  {size}: generated {generated['rows']:,} rows ({generated['landing_mb']:,.0f} MB of "
                    f"landing files) in {generated['seconds']:.1f} s, {_peaks(generated)}"
                )
                r = _child(["build", str(Path(tmp) / size)])
                r["size"] = size
                r["generation"] = generated
                r["warehouse_mb"] = round((Path(tmp) / size / "warehouse.duckdb").stat().st_size / 2**20, 1)
                r["duckdb_memory_limit"] = os.environ.get("OMNI_DUCKDB_MEMORY_LIMIT", "the profile's default")
                results["build"].append(r)
                echo(
                    f"  {size}: {r['seconds']:.1f} s in all: preparing {r['prepare_seconds']:.1f} s (dbt parse), "
                    f"run {r['run_seconds']:.1f} s, {r['materialized']} assets, {_peaks(r)} "
                    f"(dbt threads {r['dbt_threads']}, DuckDB memory limit {r['duckdb_memory_limit']}); "
                    f"warehouse {r['warehouse_mb']:,.0f} MB"
                )
                echo("    slowest steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in r["steps"].items()))
    if spark_sizes:
        results["engines"] = []
        with _scratch(workdir, echo) as tmp:
            for size in spark_sizes:
                results["engines"].append(bench_engines(size, seed, Path(tmp) / size, echo))
    if incremental_sizes:
        results["incremental"] = []
        with _scratch(workdir, echo) as tmp:
            for size in incremental_sizes:
                results["incremental"].append(bench_incremental(size, seed, Path(tmp) / size, echo))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2))
        echo(f"figures written to {out}")
    return results


def bench_engines(size: str, seed: int, data_dir: Path, echo=print) -> dict:
    """One world built on DuckDB and on Spark (local, every core): dlt's load (to the warehouse, to the
    lake) and `dbt build`, each in a process of its own (time, peak memory), dbt's node times summed by
    step, and whether every mart came out the same (devtools/engines.py). Then the same day appended to
    both and built incrementally on each: the same figures for the day, and the marts compared again."""
    echo(f"building size {size} on DuckDB and on Spark (docs/scale-out.md) ...")
    duck_dir, spark_dir = data_dir / "duckdb", data_dir / "spark"
    _child(["generate", size, str(seed), str(duck_dir)])
    shutil.copytree(duck_dir, spark_dir)
    duck = _child(["engine-duckdb", str(duck_dir)])
    # the same pseudonymisation key (made by the DuckDB build): the same pseudonyms on both engines
    shutil.copytree(duck_dir / "secrets", spark_dir / "secrets", dirs_exist_ok=True)
    result = {
        "size": size,
        **_engines_round(duck, _child(["engine-spark", str(spark_dir)]), duck_dir, spark_dir),
    }
    # a day later: the same day appended to both worlds (the generator continues each from its state),
    # built incrementally on each engine, and the marts compared again
    for world in (duck_dir, spark_dir):
        _child(["append", str(world)])
    result["next_day"] = _engines_round(
        _child(["engine-duckdb", str(duck_dir)]),
        _child(["engine-spark", str(spark_dir)]),
        duck_dir,
        spark_dir,
    )
    d, s = result["duckdb"], result["spark"]
    result["spark_over_duckdb"] = round(
        (s["ingest_seconds"] + s["dbt_seconds"]) / (d["ingest_seconds"] + d["dbt_seconds"]), 2
    )
    echo(f"  {'step':<28} {'DuckDB s':>9} {'Spark s':>9} {'ratio':>6}")
    _echo_engine_steps(d, s, echo)
    _echo_marts(
        f"  in all: Spark {result['spark_over_duckdb']:.2f}x DuckDB; peaks: DuckDB {_peaks(d)}; Spark {_peaks(s)}; ",
        result,
        echo,
    )
    nd, ns = result["next_day"]["duckdb"], result["next_day"]["spark"]
    echo("  a day later, built incrementally (the same day appended to both worlds):")
    _echo_engine_steps(nd, ns, echo)
    _echo_marts(
        f"  dbt build of the day over the full build: DuckDB {nd['dbt_seconds'] / d['dbt_seconds']:.2f}, "
        f"Spark {ns['dbt_seconds'] / s['dbt_seconds']:.2f}; ",
        result["next_day"],
        echo,
    )
    return result


def _engines_round(duck: dict, spark: dict, duck_dir: Path, spark_dir: Path) -> dict:
    """The figures of one build on each engine (`engine-duckdb`, `engine-spark`) and their marts compared."""
    from devtools.engines import compare_marts, grouped_seconds
    from omni.settings import Paths

    marts = compare_marts(Paths.from_env(duck_dir).warehouse, Paths.from_env(spark_dir).spark_warehouse)
    return {
        "duckdb": {**duck, "steps": grouped_seconds(duck.pop("nodes"))},
        "spark": {**spark, "steps": grouped_seconds(spark.pop("nodes"))},
        "marts": len(marts),
        "marts_equal": sum(c.equal for c in marts),
        "marts_unequal": [c.table for c in marts if not c.equal],
        # what differs, for whoever looks into it (the worlds are gone with the scratch folder)
        "marts_differences": {
            c.table: [
                f"rows {c.duckdb_rows} / {c.spark_rows}, content hash {c.duckdb_hash} / {c.spark_hash}",
                *c.differences,
            ]
            for c in marts
            if not c.equal
        },
    }


def _echo_marts(line: str, round_: dict, echo) -> None:
    """`line`, then "marts equal: n of m" of a round (`_engines_round`), then what differs in each table."""
    unequal = round_["marts_unequal"]
    echo(
        f"{line}marts equal: {round_['marts_equal']} of {round_['marts']}"
        + (f" (not: {', '.join(unequal)})" if unequal else "")
    )
    for table, differences in round_["marts_differences"].items():
        echo(f"    {table}: {'; '.join(differences)[:300]}")


def _echo_engine_steps(duck: dict, spark: dict, echo) -> None:
    """One line per step of a build on both engines: seconds on each and Spark's over DuckDB's."""
    rows = [
        ("load (dlt)", duck["ingest_seconds"], spark["ingest_seconds"]),
        ("dbt build (wall)", duck["dbt_seconds"], spark["dbt_seconds"]),
    ]
    rows += [(f"  {name} (node sum)", duck["steps"][name], spark["steps"][name]) for name in duck["steps"]]
    for name, a, b in rows:
        echo(f"  {name:<28} {a:>9.1f} {b:>9.1f} {b / a if a else float('nan'):>6.2f}")


def bench_incremental(size: str, seed: int, data_dir: Path, echo=print) -> dict:
    """A world of `size` built in full, then continued by one export day built by the incremental job, then
    built once more with nothing new (the fixed cost of a run: every step, check and model visited, no
    row to process): the three builds timed per step with their peak memory, in the same run, and the
    ratios of the day and of the run with nothing new to the full build."""
    echo(
        f"incremental run at size {size}: generating, building in full, appending a day, building it, "
        "building again with nothing new ..."
    )
    generated = _child(["generate", size, str(seed), str(data_dir)])
    full = _child(["build", str(data_dir)])
    appended = _child(["append", str(data_dir)])
    day = _child(["build", str(data_dir)])
    unchanged = _child(["build", str(data_dir)])
    ratio = day["seconds"] / full["seconds"]
    floor = unchanged["seconds"] / full["seconds"]
    echo(
        f"  {size}: full build {full['seconds']:.1f} s ({_peaks(full)}) of "
        f"{generated['rows']:,} landing rows; one appended day ({appended['rows']:,} rows) built "
        f"incrementally {day['seconds']:.1f} s ({_peaks(day)}): "
        f"{100 * ratio:.1f}% of the full build; nothing new {unchanged['seconds']:.1f} s "
        f"({_peaks(unchanged)}): {100 * floor:.1f}%"
    )
    for name, r in (("full", full), ("day", day), ("nothing new", unchanged)):
        echo(f"    {name}, slowest steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in r["steps"].items()))
    return {
        "size": size,
        "landing_rows": generated["rows"],
        "appended_rows": appended["rows"],
        "full": full,
        "day": day,
        "nothing_new": unchanged,
        "day_over_full": round(ratio, 4),
        "nothing_new_over_full": round(floor, 4),
    }


def _main(argv: list[str]) -> None:
    step = argv[0]
    if step == "generate":
        from devtools.generate import generate

        size, seed, target = argv[1], int(argv[2]), Path(argv[3])
        started = time.perf_counter()
        stats = generate(target, size=size, seed=seed)
        seconds = time.perf_counter() - started
        print(
            json.dumps(
                {
                    "size": size,
                    "seed": seed,
                    "persons": stats.persons,
                    "rows": sum(stats.rows_by_source.values()),
                    "rows_by_source": stats.rows_by_source,
                    "files": stats.files,
                    "seconds": round(seconds, 2),
                    "landing_mb": round(
                        sum(p.stat().st_size for p in (target / "landing").rglob("*") if p.is_file()) / 2**20,
                        1,
                    ),
                }
            )
        )
    elif step == "ingest":
        import duckdb

        from ingestion import SOURCE_NAMES
        from ingestion.pipeline import run_source
        from omni.settings import Paths

        paths = Paths.from_env(argv[1])
        paths.export_env()
        sources, total_rows, total_s = {}, 0, 0.0
        for name in SOURCE_NAMES:
            started = time.perf_counter()
            run_source(name, paths.landing, paths.warehouse, paths.dlt_pipelines)
            seconds = time.perf_counter() - started
            with duckdb.connect(str(paths.warehouse), read_only=True) as con:
                rows = con.execute(
                    f"SELECT coalesce(sum(rows_read), 0) FROM raw_{name}._load_audit"
                ).fetchone()[0]
            sources[name] = {"rows": int(rows), "seconds": round(seconds, 3)}
            total_rows += int(rows)
            total_s += seconds
        print(json.dumps({"sources": sources, "total": {"rows": total_rows, "seconds": round(total_s, 3)}}))
    elif step == "native":
        print(json.dumps(native_load(Path(argv[1]))))
    elif step == "append":
        from devtools.generate import append_days

        started = time.perf_counter()
        stats = append_days(Path(argv[1]), 1)
        print(
            json.dumps(
                {
                    "rows": sum(stats.rows_by_source.values()),
                    "seconds": round(time.perf_counter() - started, 2),
                }
            )
        )
    elif step == "build":
        print(json.dumps(bench_build(Path(argv[1]))))
    elif step == "engine-duckdb":
        from devtools.engines import build_on_duckdb

        print(json.dumps(build_on_duckdb(Path(argv[1]))))
    elif step == "engine-spark":
        from devtools.engines import build_on_spark, node_seconds, spark_environment
        from omni.settings import Paths

        built = build_on_spark(Path(argv[1]))
        if built.returncode != 0:
            raise SystemExit(f"dbt build on Spark failed:\n{built.output_tail}")
        target = Path(spark_environment(Paths.from_env(argv[1]))["DBT_TARGET_PATH"])
        print(
            json.dumps(
                {
                    "ingest_seconds": round(built.ingest_seconds, 2),
                    "dbt_seconds": round(built.dbt_seconds, 2),
                    "nodes": node_seconds(target),
                }
            )
        )
    elif step == "stitch":
        from devtools.identity_bench import bench_warehouse

        print(json.dumps(bench_warehouse(Path(argv[1]))))
    elif step == "match":
        from devtools.identity_bench import bench_matching

        print(json.dumps(bench_matching(Path(argv[1]))))
    elif step == "stitch-synthetic":
        from devtools.identity_bench import bench_synthetic

        print(json.dumps(bench_synthetic(int(argv[1]))))
    else:
        raise SystemExit(f"unknown benchmark step {step!r}")


def bench_build(data_dir: Path) -> dict:
    """`omni build` of a data directory, timed: in all, the preparation before the run (the dbt parse for
    a new warehouse), the run, and the slowest steps from the run's event log."""
    from dagster import DagsterEventType, DagsterInstance

    from omni.build import build
    from omni.settings import Paths

    paths = Paths.from_env(data_dir)
    started = time.perf_counter()
    result = build(paths, echo=lambda _msg: None)
    seconds = time.perf_counter() - started
    if not result.success:
        # what broke, as `omni build` prints it: the step, the check or model, counts and examples
        raise RuntimeError(
            f"the build of {data_dir} failed: {result.failed_steps}"
            + "".join(f"\n  {line}" for line in result.report[:40])
        )
    steps: dict[str, float] = {}
    with DagsterInstance.get() as instance:
        began: dict[str, float] = {}
        for record in instance.all_logs(result.run_id):
            event = record.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                began[event.step_key] = record.timestamp
            elif event.event_type == DagsterEventType.STEP_SUCCESS and event.step_key in began:
                steps[event.step_key] = record.timestamp - began[event.step_key]
    slowest = dict(sorted(steps.items(), key=lambda kv: -kv[1])[:8])
    return {
        "seconds": round(seconds, 1),
        "run_seconds": round(result.seconds, 1),
        "prepare_seconds": round(seconds - result.seconds, 1),
        "materialized": result.materialized,
        "steps": {k: round(v, 1) for k, v in slowest.items()},
        # as dbt reported it (the profile's default, or OMNI_DBT_THREADS)
        "dbt_threads": int(re.findall(r"Concurrency: (\d+) threads", Path(result.log).read_text())[-1]),
    }


def native_load(data_dir: Path) -> dict:
    """DuckDB's own readers loading every landing table into a fresh database (the speed floor)."""
    import duckdb

    from ingestion import SOURCE_NAMES

    con = duckdb.connect(str(data_dir / "native.duckdb"))
    sources, total_rows, total_s = {}, 0, 0.0
    for name in SOURCE_NAMES:
        module = __import__(f"ingestion.{name}.settings", fromlist=["TABLES"])
        rows, seconds = 0, 0.0
        for i, table in enumerate(module.TABLES):
            files = sorted(
                str(p) for p in (data_dir / "landing" / name).glob(table.glob) if "_resend" not in p.name
            )
            if not files:
                continue
            if table.format == "csv":
                reader = (
                    f"read_csv({files!r}, delim='{table.delimiter}', header=true, union_by_name=true, "
                    f"ignore_errors=true{', decimal_separator=' + repr(',') if table.decimal_comma else ''})"
                )
            elif table.format == "jsonl":
                reader = f"read_json({files!r}, format='newline_delimited', union_by_name=true, ignore_errors=true)"
            else:
                docs = f"(SELECT unnest({table.root}) AS r FROM read_json({files!r}, ignore_errors=true))"
                if table.child_list is None:
                    reader = f"(SELECT unnest(r) FROM {docs})"
                else:
                    reader = f"(SELECT unnest(x) FROM (SELECT unnest(r.{table.child_list}) AS x FROM {docs}))"
            started = time.perf_counter()
            con.execute(f"CREATE OR REPLACE TABLE {name}_{i} AS SELECT * FROM {reader}")
            seconds += time.perf_counter() - started
            rows += con.execute(f"SELECT count(*) FROM {name}_{i}").fetchone()[0]
        sources[name] = {"rows": rows, "seconds": round(seconds, 3)}
        total_rows += rows
        total_s += seconds
    con.close()
    return {"sources": sources, "total": {"rows": total_rows, "seconds": round(total_s, 3)}}


if __name__ == "__main__":
    _main(sys.argv[1:])
