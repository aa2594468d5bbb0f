"""The same world on Spark and on DuckDB: `omni build --engine spark` runs the whole asset graph through
Dagster on Spark, and every mart is equal to DuckDB's (docs/scale-out.md).

Needs the Spark extra and Java 17+ (`make spark`, which `make test` runs unless SPARK=0); without them the
tests are skipped and say so.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from dataclasses import dataclass

import pytest

from devtools.engines import OmniBuild, SparkBuild, build_on_spark, compare_marts, omni_build
from devtools.generate import append_days
from omni.pseudonymisation import key_file
from omni.settings import Paths
from omni.spark import PARTITION_COLUMN
from tests.late_arrivals import fit_clv_on_every_build

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


def _java_major() -> int | None:
    java = shutil.which("java")
    if java is None:
        return None
    shown = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    for word in shown.replace('"', " ").split():
        head = word.split(".")[0]
        if head.isdigit() and "." in word:
            return int(head) if head != "1" else int(word.split(".")[1])
    return None


def _spark_missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("dbt.adapters.spark") is None:
        return "the Spark extra is not installed: `make spark` (or `make test`, which runs it)"
    major = _java_major()
    if major is None or major < 17:
        return f"Spark needs Java 17 or newer (found: {major}): `make spark` installs Debian's JRE"
    return None


@dataclass
class SparkWorld:
    duck: Paths  # world 8 built on DuckDB (the session's, shared read-only)
    paths: Paths  # the same landing files, configuration and key built on Spark
    build: OmniBuild
    continued: bool = False  # `spark_next_days` continued it: the first build's tests then fail


@pytest.fixture(scope="module")
def spark_world(xs_world, generated, tmp_path_factory) -> SparkWorld:
    """World 8, built by the Dagster job on DuckDB (shared), and the same generated world (landing files,
    configuration, pseudonymisation key, the generator's state) built by the same job on Spark (`omni build
    --engine spark`), meanwhile."""
    missing = _spark_missing()
    if missing:
        pytest.skip(missing)
    paths = Paths.from_env(tmp_path_factory.mktemp("spark") / "data", "spark")
    shutil.copytree(generated(8), paths.data_dir)
    worlds = []
    build = omni_build(paths.data_dir, "spark", alongside=lambda: worlds.append(xs_world(8)))
    assert build.returncode == 0, f"omni build --engine spark failed:\n{build.output_tail}"
    (duck,) = worlds
    # the same key: pseudonyms are keyed hashes, equal only under one key
    assert key_file(duck.data_dir).read_bytes() == key_file(paths.data_dir).read_bytes()
    return SparkWorld(duck, paths, build)


def _first_build(world: SparkWorld) -> tuple[Paths, Paths, OmniBuild]:
    # the tests of the first build run before spark_next_days continues the world (the order of this file)
    assert not world.continued, "the Spark world was continued before the first build's tests ran"
    return world.duck, world.paths, world.build


def test_every_mart_of_a_world_is_the_same_on_spark_and_on_duckdb(spark_world):
    duck, paths, _build = _first_build(spark_world)
    comparisons = compare_marts(duck.warehouse, paths.spark_warehouse)
    assert len(comparisons) >= 50, [c.table for c in comparisons]
    unequal = [c for c in comparisons if not c.equal]
    assert not unequal, "\n".join(
        f"{c.table}: {c.duckdb_rows} rows on DuckDB, {c.spark_rows} on Spark; hash {c.duckdb_hash} / "
        f"{c.spark_hash}; {'; '.join(c.differences)}"
        for c in unequal
    )
    by_table = {c.table: c for c in comparisons}
    # the customer keys themselves: the same people, the same keys
    assert by_table["dim_customers"].duckdb_rows > 0
    assert by_table["customer_identity_map"].duckdb_rows > 0


def test_the_graph_on_spark_checks_and_publishes_what_duckdb_does(spark_world):
    """The readers outside dbt ran on the lake's catalog: the same tables published for BI, with the same
    rows and the models' descriptions, and the lake's raw tables hold what DuckDB's raw tables hold."""
    import duckdb

    from omni.publish import current_version

    duck, paths, build = _first_build(spark_world)
    assert "ok   omnichannel_dbt" in build.output and "ok   gx_marts_dim_customers" in build.output

    def published(data_paths: Paths) -> dict[str, tuple[int, str | None]]:
        version = current_version(data_paths)
        assert version is not None, f"nothing published in {data_paths.outputs}"
        with duckdb.connect(str(version / "marts.duckdb"), read_only=True) as con:
            names = [
                n for (n,) in con.execute("select table_name from duckdb_tables() order by 1").fetchall()
            ]
            return {
                name: (
                    con.execute(f'select count(*) from "{name}"').fetchall()[0][0],
                    con.execute(
                        "select comment from duckdb_tables() where table_name = ?", [name]
                    ).fetchall()[0][0],
                )
                for name in names
            }

    on_duckdb, on_spark = published(duck), published(paths)
    assert len(on_spark) >= 40 and on_spark == on_duckdb
    raw = "select count(*) from raw_webshop.orders"
    with (
        duckdb.connect(str(duck.warehouse), read_only=True) as d,
        duckdb.connect(str(paths.warehouse), read_only=True) as s,
    ):
        assert s.execute(raw).fetchall() == d.execute(raw).fetchall() != [(0,)]


def test_the_comparison_finds_a_changed_value_a_missing_row_and_a_cent(spark_world, tmp_path):
    """compare_marts is a check that can fail: a world whose Spark marts were changed is told apart."""
    import duckdb

    duck, paths, _build = _first_build(spark_world)
    changed = tmp_path / "warehouse"
    shutil.copytree(paths.spark_warehouse / "marts.db", changed / "marts.db")
    con = duckdb.connect()
    for table, edit in {
        "dim_stores": "select * replace (upper(store_id) || 'X' as store_id) from t",
        "dim_channels": "select * from t limit (select count(*) - 1 from t)",
        "fct_orders": "select * replace (order_total_pln + 0.02 as order_total_pln) from t",
    }.items():
        folder = changed / "marts.db" / table
        con.execute(f"create or replace table t as select * from read_parquet('{folder}/**/*.parquet')")
        shutil.rmtree(folder)
        folder.mkdir()
        con.execute(f"copy ({edit}) to '{folder}/part-0.parquet' (format parquet)")
    results = {c.table: c for c in compare_marts(duck.warehouse, changed)}
    assert (
        not results["dim_stores"].equal
        and results["dim_stores"].duckdb_hash != results["dim_stores"].spark_hash
    )
    assert results["dim_channels"].spark_rows == results["dim_channels"].duckdb_rows - 1
    assert any("order_total_pln" in d for d in results["fct_orders"].differences)
    assert results["dim_customers"].equal


def test_dagster_loads_the_graph_for_spark_from_the_environment(tmp_path):
    """`OMNI_ENGINE=spark dagster dev`: the definitions parse the project for Spark (its own manifest) and
    configure the resources for it: the warehouse resource's engine, dbt's executable and target, dlt's
    pipelines to the lake."""
    import os
    import sys

    missing = _spark_missing()
    if missing:
        pytest.skip(missing)
    env = {
        **os.environ,
        "OMNI_ENGINE": "spark",
        "OMNI_DATA_DIR": str(tmp_path / "data"),
        "DBT_TARGET_PATH": str(tmp_path / "dbt-target"),
        # as `dagster dev` runs the loader: the manifest is parsed first (dagster-dbt's prepare_if_dev)
        "DAGSTER_IS_DEV_CLI": "1",
    }
    code = (
        "from dagster_project.definitions import load_definitions\n"
        "from dagster_project.defs.dlt.assets import pipeline\n"
        "from omni.settings import Paths\n"
        "r = load_definitions().resources\n"
        "p = pipeline('pos', Paths.from_env())\n"
        "print(r['warehouse'].engine, r['dbt'].dbt_executable.rsplit('/', 1)[-1], r['dbt'].target, "
        "p.destination.destination_type)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["spark", "omni-spark-dbt", "spark", "dlt.destinations.filesystem"]
    assert (tmp_path / "dbt-target" / "manifest.json").exists()


# what an incremental build on Spark is compared in: every table the DuckDB warehouse holds there
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")
# the days the world is continued by before the incremental build (new orders, events, consents, logins)
DAYS = 3


@dataclass
class NextDays:
    duck: Paths  # world 8 continued by DAYS days on DuckDB, rebuilt by the full refresh job
    paths: Paths  # the Spark world continued by the same days, built incrementally
    build: SparkBuild
    files_before: dict[str, dict[str, str]]  # table folder -> {partition folder: its files} before the build


def _partition_files(paths: Paths) -> dict[str, dict[str, str]]:
    """The Parquet files of each partition (a month or a bucket) of each partitioned table of the Spark
    warehouse."""
    found: dict[str, dict[str, str]] = {}
    for database in paths.spark_warehouse.glob("*.db"):
        for table in database.iterdir():
            parts = sorted(table.glob(f"{PARTITION_COLUMN}=*"))
            if parts:
                found[f"{database.stem}.{table.name}"] = {
                    p.name: " ".join(sorted(f.name for f in p.glob("*.parquet"))) for p in parts
                }
    return found


@pytest.fixture(scope="module")
def spark_next_days(spark_world, tmp_path_factory) -> NextDays:
    """The Spark world continued by DAYS days (`omni generate --append-days`), loaded to the lake and its
    models built incrementally on Spark (the dbt step of `omni build --engine spark`, whose whole graph,
    data tests included, the first build ran); meanwhile DuckDB's world 8 continued by the same days and
    rebuilt from all its files by the full refresh job. The Spark world is continued in place (its
    metastore holds the tables' paths): the first build's tests come before in this file."""
    from omni import lake_catalog
    from omni.build import build

    # both fit the CLV models on every build, as a full refresh does (tests/late_arrivals.py)
    duck = Paths.from_env(tmp_path_factory.mktemp("next-days-duckdb") / "data")
    shutil.copytree(spark_world.duck.data_dir, duck.data_dir, symlinks=True)
    paths = spark_world.paths
    spark_world.continued = True
    for data in (duck, paths):
        fit_clv_on_every_build(data)
        append_days(data.data_dir, DAYS)
    new_files = sorted(p.relative_to(paths.landing) for p in paths.landing.rglob("*") if p.is_file())
    assert new_files == sorted(p.relative_to(duck.landing) for p in duck.landing.rglob("*") if p.is_file())
    assert all((paths.landing / f).read_bytes() == (duck.landing / f).read_bytes() for f in new_files)
    before = _partition_files(paths)
    full_refresh = []
    next_build = build_on_spark(
        paths.data_dir,
        # the models alone: the data tests ran on Spark in the first build (and are the same SQL whatever
        # the materialization); a build's tests take about as long as its models here
        ["--exclude-resource-type", "test"],
        # the reference is built meanwhile: Spark on one machine waits on its driver more than on the CPUs
        alongside=lambda: full_refresh.append(build(duck, echo=lambda _m: None, full_refresh=True)),
    )
    assert full_refresh and full_refresh[0].success, "the DuckDB full refresh failed:\n" + "\n".join(
        full_refresh[0].report if full_refresh else []
    )
    assert next_build.returncode == 0, f"the incremental build on Spark failed:\n{next_build.output_tail}"
    lake_catalog.refresh(paths)
    return NextDays(duck, paths, next_build, before)


def test_new_days_built_incrementally_on_spark_equal_a_full_refresh(spark_next_days):
    """Every table of staging, intermediate and marts that DuckDB holds, built incrementally on Spark after
    new days, equals the full refresh of the same files (on DuckDB, whose full build the first build's
    tests found equal to Spark's): rows, keys and values, the customer keys among them."""
    day = spark_next_days
    compared = {
        schema: compare_marts(day.duck.warehouse, day.paths.spark_warehouse, schema=schema)
        for schema in COMPARED_SCHEMAS
    }
    assert len(compared["marts"]) >= 50 and len(compared["intermediate"]) >= 30, {
        schema: len(c) for schema, c in compared.items()
    }
    assert all(c.duckdb_rows > 0 for c in compared["marts"] if c.table in ("fct_orders", "dim_customers"))
    unequal = [(schema, c) for schema, results in compared.items() for c in results if not c.equal]
    assert not unequal, "\n".join(
        f"{schema}.{c.table}: {c.duckdb_rows} rows on DuckDB, {c.spark_rows} on Spark; "
        f"{'; '.join(c.differences) or 'different content'}"
        for schema, c in unequal
    )


def test_the_build_on_spark_was_incremental_and_rewrote_only_what_it_touched(spark_next_days):
    """The second build ran every incremental model incrementally (none was rebuilt whole), the identity
    stitching wrote only the nodes whose row changed, and tables kept buckets the new days did not touch."""
    import duckdb

    day = spark_next_days
    with duckdb.connect(str(day.paths.warehouse), read_only=True) as con:
        modes = con.execute(
            "select mode, count(*) from (select model, arg_max(mode, batch) as mode from meta.incremental_runs "
            "group by model) group by mode"
        ).fetchall()
        ((stitch_mode, written, reason),) = con.execute(
            "select mode, nodes_restitched, reason from meta.identity_stitch_runs order by batch desc limit 1"
        ).fetchall()
        (nodes,) = con.execute(
            "select count(*) from intermediate.int_identity__deterministic_components"
        ).fetchone()
    assert dict(modes).keys() == {"incremental"} and dict(modes)["incremental"] >= 25, modes
    assert stitch_mode == "incremental" and 0 < written < nodes, (stitch_mode, written, nodes, reason)
    after = _partition_files(day.paths)
    assert set(after) == set(day.files_before) and len(after) >= 25, sorted(after)
    kept = {
        table: sum(files == day.files_before[table].get(bucket) for bucket, files in buckets.items())
        for table, buckets in after.items()
    }
    # a table the new days did not change keeps every bucket; one they changed, the buckets not touched
    assert sum(kept.values()) > 0 and any(0 < n < len(after[t]) for t, n in kept.items()), kept
    # by month (config spark_partition_month_of): every row in the partition of its month, and the days
    # rewrote the months they fall in, not the history before them
    events = day.paths.spark_warehouse / "staging.db" / "stg_events__events"
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        ((misplaced, months, newest),) = con.execute(
            f"""select count(*) filter (where {PARTITION_COLUMN}
                       is distinct from coalesce(year(event_at) * 100 + month(event_at), 0)),
                       count(distinct {PARTITION_COLUMN}), max({PARTITION_COLUMN})
                from read_parquet('{events}/*/*.parquet', hive_partitioning = true)"""
        ).fetchall()
    touched = {
        int(partition.split("=")[1])
        for partition, files in after["staging.stg_events__events"].items()
        if files != day.files_before["staging.stg_events__events"].get(partition)
    }
    assert misplaced == 0 and months == len(after["staging.stg_events__events"]), (misplaced, months)
    assert newest in touched and len(touched) < months, (sorted(touched), months)
    # the bucket is the engine's: the catalog that checks, publication and BI read has DuckDB's columns
    with (
        duckdb.connect(str(day.paths.warehouse), read_only=True) as lake,
        duckdb.connect(str(day.duck.warehouse), read_only=True) as duck,
    ):
        columns = "select column_name from (describe marts.fct_orders)"
        assert lake.execute(columns).fetchall() == duck.execute(columns).fetchall()


def test_a_changed_number_of_buckets_stops_an_incremental_run_on_spark(spark_next_days):
    """A key's bucket depends on the number of buckets: after a change of the var, an incremental run would
    leave the old versions of keys in their old buckets. It stops before writing and asks for a full
    refresh; the table is untouched."""
    import sys
    from pathlib import Path

    from devtools.engines import spark_environment

    paths = spark_next_days.paths
    # a table partitioned by buckets of its key (no time of its own)
    table = paths.spark_warehouse / "staging.db" / "stg_webshop__order_lines"
    files = sorted(str(p.relative_to(table)) for p in table.rglob("*.parquet"))
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "omni-spark-dbt"),
            "run",
            "--select",
            "stg_webshop__order_lines",
            "--vars",
            "{spark_incremental_buckets: 7}",
        ],
        cwd=Path(__file__).resolve().parent.parent / "dbt",
        env=spark_environment(paths),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    shown = done.stdout + done.stderr
    assert done.returncode != 0, shown[-3000:]
    assert (
        "was built partitioned with 16 bucket(s) of its unique key (var spark_incremental_buckets), and is now "
        "partitioned with 7 bucket(s)" in shown
    ), shown[-3000:]
    assert "omni build --full-refresh" in shown
    assert sorted(str(p.relative_to(table)) for p in table.rglob("*.parquet")) == files
