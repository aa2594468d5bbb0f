"""The same world on two engines: a build on Spark beside DuckDB's, and a comparison of their marts.

    build_on_spark(data_dir)          the landing files of data_dir loaded to its lake (dlt, Parquet), then
                                      `dbt build` on Spark (omni-spark-dbt, in a process of its own): the
                                      two steps timed apart, for the benchmark
    omni_build(data_dir, engine)      `omni build --engine <engine>`: the whole asset graph through Dagster
                                      (loads, dbt, checks, publication), in a process of its own
    compare_marts(warehouse, lake)    every mart of a DuckDB warehouse against the same table built on
                                      Spark (its Parquet files, read with DuckDB): `TableComparison`s

What "equal" means (`compare_marts`): the same number of rows; the same content hash of the columns that
are neither money nor floating point (every key, name, date, instant, count, flag and list: the hash of
the multiset of rows, so row order does not matter); and, rows matched by those columns, money equal to
the cent and floats within 1e-9 (relative). Money is allowed one cent of difference where a half cent is
rounded: DuckDB divides decimals in binary floating point, Spark in decimal arithmetic, so 348.95 / 2 is
174.47 on one and 174.48 on the other. Columns that record the run itself are left out: the engine's and
the incremental runs' own (`_omni_*`), dlt's load columns, the time a model took to fit
(devtools.fingerprint.RUN_COLUMNS). A table of no row is a folder without files on Spark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from devtools.fingerprint import RUN_COLUMNS
from omni.config import load_config
from omni.settings import SOURCE_NAMES, Paths

FLOAT_TOLERANCE = 1e-9
MONEY_TOLERANCE_CENTS = 1


@dataclass
class SparkBuild:
    ingest_seconds: float
    dbt_seconds: float  # until dbt ended (and the work done `alongside` it, if that ended later)
    returncode: int
    output_tail: str = ""


def spark_environment(paths: Paths) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"OMNI_DATA_DIR": str(paths.data_dir), "OMNI_ENGINE": "spark"})
    # each build its own dbt target folder (a build beside another never reads its manifest)
    env["DBT_TARGET_PATH"] = str(paths.data_dir / "dbt-target-spark")
    return env


def ingest_to_lake(paths: Paths, sources=SOURCE_NAMES) -> float:
    """dlt loads of every source to the lake of `paths`; returns the seconds taken."""
    from ingestion.pipeline import run_source

    started = time.perf_counter()
    for name in sources:
        run_source(name, paths.landing, paths.warehouse, paths.dlt_pipelines, lake_raw=paths.lake_raw)
    return time.perf_counter() - started


def build_on_spark(
    data_dir: str | Path,
    extra_args: list[str] | None = None,
    alongside: Callable[[], object] | None = None,
) -> SparkBuild:
    """Load the landing files of `data_dir` to its lake and `dbt build` the warehouse on Spark, with the
    retailer's configuration (omni.toml) as the dbt vars, as `omni build` passes them on DuckDB.

    `alongside`: work of this process done while dbt runs (`run_command`)."""
    paths = Paths.from_env(data_dir)
    ingest_seconds = ingest_to_lake(paths)
    command = [*_dbt_build("omni-spark-dbt", paths), *(extra_args or [])]
    started = time.perf_counter()
    returncode, output = run_command(
        command,
        spark_environment(paths),
        cwd=Path(__file__).resolve().parent.parent / "dbt",
        alongside=alongside,
    )
    return SparkBuild(
        ingest_seconds=ingest_seconds,
        dbt_seconds=time.perf_counter() - started,
        returncode=returncode,
        output_tail="\n".join(output.splitlines()[-60:]),
    )


@dataclass
class OmniBuild:
    seconds: float
    returncode: int
    output: str = ""  # what the command printed (one line per step, then what broke or warned)

    @property
    def output_tail(self) -> str:
        return "\n".join(self.output.splitlines()[-80:])


def omni_build(data_dir: str | Path, engine: str, alongside: Callable[[], object] | None = None) -> OmniBuild:
    """`omni build --engine <engine>` of `data_dir`, in a process of its own (its own dbt target folder);
    `alongside`: work of this process done meanwhile (`run_command`)."""
    paths = Paths.from_env(data_dir, engine)
    # the engine and the data directory are options of the command; `omni build` exports them for dbt
    env = {**os.environ, "DBT_TARGET_PATH": str(paths.data_dir / f"dbt-target-{engine}")}
    command = [
        str(Path(sys.executable).parent / "omni"),
        "build",
        "--engine",
        engine,
        "--data-dir",
        str(data_dir),
    ]
    started = time.perf_counter()
    returncode, output = run_command(command, env, alongside=alongside)
    return OmniBuild(seconds=time.perf_counter() - started, returncode=returncode, output=output)


def run_command(
    command: list[str],
    env: dict[str, str],
    cwd: Path | None = None,
    alongside: Callable[[], object] | None = None,
) -> tuple[int, str]:
    """Run `command` in a process of its own; returns its exit code and what it printed (stdout and stderr,
    as they came). `alongside`: work of this process done while the command runs (the same world built on
    the other engine, say); the command is then waited for, or stopped if that work fails."""
    # the output goes to a file: a pipe nobody reads while `alongside` runs would fill and stop the command
    with tempfile.TemporaryFile(mode="w+") as output:
        running = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
        try:
            if alongside is not None:
                alongside()
            returncode = running.wait()
        finally:
            if running.poll() is None:
                running.kill()
                running.wait()
        output.seek(0)
        return returncode, output.read()


def _dbt_build(executable: str, paths: Paths) -> list[str]:
    """`dbt build` (this environment's `executable`: dbt, or omni-spark-dbt) with the retailer's
    configuration as the vars, as `omni build` passes them."""
    return [
        str(Path(sys.executable).parent / executable),
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps(load_config(paths.data_dir).dbt_vars(), sort_keys=True),
    ]


@dataclass
class TableComparison:
    table: str
    duckdb_rows: int
    spark_rows: int
    duckdb_hash: int | None = None
    spark_hash: int | None = None
    differences: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return (
            self.duckdb_rows == self.spark_rows
            and self.duckdb_hash == self.spark_hash
            and not self.differences
        )


def _kind(data_type: str) -> str:
    if data_type in ("DOUBLE", "FLOAT", "REAL"):
        return "float"
    if data_type.startswith("DECIMAL"):
        return "money"
    return "exact"


def _exact_expression(column: str, data_type: str) -> str:
    quoted = f'"{column}"'
    if data_type.startswith("TIMESTAMP"):
        # an instant as microseconds since the epoch, whichever way each engine typed it
        return f"epoch_us(cast({quoted} as timestamptz))"
    if data_type in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER"):
        return f"cast({quoted} as bigint)"
    return f"cast({quoted} as varchar)"


def compare_marts(
    warehouse: str | Path, lake_warehouse: str | Path, schema: str = "marts"
) -> list[TableComparison]:
    """Every table of `schema` in the DuckDB `warehouse` against the table of the same name in the Spark
    warehouse folder `lake_warehouse` (`<schema>.db/<table>/`), as the module docstring says."""
    lake_warehouse = Path(lake_warehouse)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{warehouse}' as duck (read_only)")
    tables = [
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'duck' and schema_name = ? "
            "order by table_name",
            [schema],
        ).fetchall()
    ]
    results = []
    for table in tables:
        folder = lake_warehouse / f"{schema}.db" / table
        spark_files = sorted(str(p) for p in folder.rglob("*.parquet")) if folder.is_dir() else []
        duck_relation = f"duck.{schema}.{table}"
        columns = [
            (name, data_type)
            for name, data_type in con.execute(
                "select column_name, data_type from duckdb_columns() where database_name = 'duck' "
                "and schema_name = ? and table_name = ? order by column_index",
                [schema, table],
            ).fetchall()
            if not name.startswith("_omni") and name not in RUN_COLUMNS
        ]
        ((duck_rows,),) = con.execute(f"select count(*) from {duck_relation}").fetchall()
        if not spark_files:
            # Spark writes no file for a table of no row
            missing = [] if folder.is_dir() else ["no table on Spark"]
            results.append(
                TableComparison(table, duck_rows, 0 if folder.is_dir() else -1, differences=missing)
            )
            continue
        spark_relation = f"read_parquet({spark_files!r}, union_by_name = true)"
        ((spark_rows,),) = con.execute(f"select count(*) from {spark_relation}").fetchall()
        result = TableComparison(table, duck_rows, spark_rows)
        spark_columns = {
            name
            for (name,) in con.execute(f"select name from parquet_schema({spark_files[:1]!r})").fetchall()
        }
        missing = [name for name, _ in columns if name not in spark_columns]
        if missing:
            result.differences.append(f"columns missing on Spark: {', '.join(missing)}")
            results.append(result)
            continue
        exact = [(n, t) for n, t in columns if _kind(t) == "exact"]
        exact_sql = ", ".join(_exact_expression(n, t) for n, t in exact) or "1"
        # the multiset of exact rows: the sum of the rows' hashes (order does not matter)
        hash_sql = "select coalesce(sum(hash({cols}) >> 8), 0) from {rel}"
        ((result.duckdb_hash,),) = con.execute(hash_sql.format(cols=exact_sql, rel=duck_relation)).fetchall()
        ((result.spark_hash,),) = con.execute(hash_sql.format(cols=exact_sql, rel=spark_relation)).fetchall()
        inexact = [(n, t) for n, t in columns if _kind(t) != "exact"]
        if inexact and duck_rows == spark_rows and result.duckdb_hash == result.spark_hash:
            result.differences += _compare_inexact(con, duck_relation, spark_relation, exact, inexact)
        results.append(result)
    con.close()
    return results


def _compare_inexact(con, duck_relation, spark_relation, exact, inexact) -> list[str]:
    """Money and floats of rows matched by their exact columns (both sides sorted the same way)."""
    keys = [_exact_expression(n, t) for n, t in exact]
    values = []
    for name, data_type in inexact:
        quoted = f'"{name}"'
        values.append(
            f"round(cast({quoted} as double) * 100)"
            if _kind(data_type) == "money"
            else f"cast({quoted} as double)"
        )
    select = ", ".join(values)
    order = ", ".join(
        [*[str(i + 1) for i in range(len(keys))], *[str(len(keys) + i + 1) for i in range(len(values))]]
    )
    query = "select {keys}{sep}{values} from {rel} order by {order}"
    sep = ", " if keys else ""
    duck = con.execute(
        query.format(keys=", ".join(keys), sep=sep, values=select, rel=duck_relation, order=order)
    ).fetchnumpy()
    spark = con.execute(
        query.format(keys=", ".join(keys), sep=sep, values=select, rel=spark_relation, order=order)
    ).fetchnumpy()
    names = list(duck)
    differences = []
    for position, (name, data_type) in enumerate(inexact):
        column = names[len(keys) + position]
        a = np.asarray(duck[column], dtype=float)
        b = np.asarray(spark[column], dtype=float)
        both_null = np.isnan(a) & np.isnan(b)
        if _kind(data_type) == "money":
            off = ~both_null & ~(np.abs(a - b) <= MONEY_TOLERANCE_CENTS)
        else:
            scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
            off = ~both_null & ~(np.abs(a - b) <= FLOAT_TOLERANCE * scale)
        if off.any():
            first = int(np.flatnonzero(off)[0])
            differences.append(
                f"{name}: {int(off.sum())} row(s) differ (first: {a[first]!r} on DuckDB, {b[first]!r} on Spark)"
            )
    return differences


def build_on_duckdb(data_dir: str | Path) -> dict:
    """The same two steps on DuckDB, for the benchmark beside `build_on_spark`: dlt to the warehouse, then
    `dbt build` (no Dagster, no checks or publication: the steps Spark runs)."""
    from ingestion.pipeline import run_source

    paths = Paths.from_env(data_dir)
    started = time.perf_counter()
    for name in SOURCE_NAMES:
        run_source(name, paths.landing, paths.warehouse, paths.dlt_pipelines)
    ingest_seconds = time.perf_counter() - started
    env = dict(os.environ)
    env.update(
        {
            "OMNI_DATA_DIR": str(paths.data_dir),
            "OMNI_WAREHOUSE_PATH": str(paths.warehouse),
            "OMNI_ENGINE": "duckdb",
            "DBT_TARGET_PATH": str(paths.data_dir / "dbt-target-duckdb"),
        }
    )
    command = _dbt_build("dbt", paths)
    started = time.perf_counter()
    returncode, output = run_command(command, env, cwd=Path(__file__).resolve().parent.parent / "dbt")
    if returncode != 0:
        raise RuntimeError("dbt build on DuckDB failed:\n" + "\n".join(output.splitlines()[-40:]))
    return {
        "ingest_seconds": round(ingest_seconds, 2),
        "dbt_seconds": round(time.perf_counter() - started, 2),
        "nodes": node_seconds(paths.data_dir / "dbt-target-duckdb"),
    }


def node_seconds(target: Path) -> dict[str, float]:
    """Seconds per dbt node of the last command whose artifacts are in `target` (run_results.json)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"]: round(float(r.get("execution_time") or 0), 3) for r in results}


STEP_GROUPS = (
    ("staging models", "model.omnichannel.stg_"),
    ("identity models", "model.omnichannel.int_identity__"),
    ("other intermediate models", "model.omnichannel.int_"),
    ("marts", "model.omnichannel."),
    ("seeds", "seed."),
    ("data tests", "test."),
)


def grouped_seconds(nodes: dict[str, float]) -> dict[str, float]:
    """dbt's node times summed by step (STEP_GROUPS, the first prefix that matches); with several dbt
    threads the sums exceed the wall clock."""
    groups = {name: 0.0 for name, _ in STEP_GROUPS}
    for unique_id, seconds in nodes.items():
        for name, prefix in STEP_GROUPS:
            if unique_id.startswith(prefix):
                groups[name] += seconds
                break
    return {name: round(seconds, 1) for name, seconds in groups.items()}
