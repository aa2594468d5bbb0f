"""The same world on Spark and on DuckDB: `omni build --engine spark` runs the whole asset graph through
Dagster on Spark, and every mart is equal to DuckDB's (docs/scale-out.md).

Needs the Spark extra and Java 17+ (`make spark`, which `make test` runs unless SPARK=0); without them the
tests are skipped and say so.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess

import pytest

from devtools.engines import compare_marts, omni_build
from omni.settings import Paths

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


@pytest.fixture(scope="module")
def spark_world(xs_world, tmp_path_factory):
    """World 8, built by the Dagster job on DuckDB (shared), and the same landing files, configuration and
    pseudonymisation key built by the same job on Spark (`omni build --engine spark`)."""
    missing = _spark_missing()
    if missing:
        pytest.skip(missing)
    duck = xs_world(8)
    paths = Paths.from_env(tmp_path_factory.mktemp("spark") / "data", "spark")
    paths.data_dir.mkdir(parents=True)
    shutil.copytree(duck.landing, paths.landing)
    shutil.copy2(duck.data_dir / "omni.toml", paths.data_dir / "omni.toml")
    # the same key: pseudonyms are keyed hashes, equal only under one key
    shutil.copytree(duck.data_dir / "secrets", paths.data_dir / "secrets")
    build = omni_build(paths.data_dir, "spark")
    assert build.returncode == 0, f"omni build --engine spark failed:\n{build.output_tail}"
    return duck, paths, build


def test_every_mart_of_a_world_is_the_same_on_spark_and_on_duckdb(spark_world):
    duck, paths, _build = spark_world
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

    duck, paths, build = spark_world
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

    duck, paths, _build = spark_world
    changed = tmp_path / "warehouse"
    shutil.copytree(paths.spark_warehouse / "marts.db", changed / "marts.db")
    con = duckdb.connect()
    for table, edit in {
        "dim_stores": "select * replace (upper(store_id) || 'X' as store_id) from t",
        "dim_channels": "select * from t limit (select count(*) - 1 from t)",
        "fct_orders": "select * replace (order_total_pln + 0.02 as order_total_pln) from t",
    }.items():
        folder = changed / "marts.db" / table
        con.execute(f"create or replace table t as select * from read_parquet('{folder}/*.parquet')")
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
