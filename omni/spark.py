"""The Spark engine: the session dbt builds the warehouse in, and dbt run in that session.

`omni-spark-dbt <dbt arguments>` is dbt (the same command line) run in-process in a Spark session set
up for the warehouse, which dbt-spark's `session` method then uses (dbt/profiles.yml, target `spark`):

- the session (`spark_conf`): `local[*]` unless OMNI_SPARK_MASTER names a cluster's master; the tables
  dbt builds in `<data-dir>/lake/warehouse` and their catalog in `<data-dir>/lake/metastore` (Derby,
  one process at a time), or the cluster's Hive metastore (OMNI_SPARK_METASTORE_URI) and warehouse
  (OMNI_SPARK_WAREHOUSE); the session's clock in UTC, as DuckDB's profile sets; Parquet timestamps as
  microseconds, which any Parquet reader (DuckDB among them) reads as instants. OMNI_SPARK_CONF (a JSON
  object) adds or overrides any Spark setting.
- the lake's raw tables (ingestion/lake.py): each table's Parquet files are an external table of the
  schema `lake_raw_<source>`, and `raw_<source>.<table>`, what dbt's sources name, is a view of the rows
  of completed loads, the newest load of each file.
- the SQL functions of the warehouse: `omni_pseudonym` and `omni_pseudonym_key_id` (the keyed hash of
  dbt macro `pseudonymize`), as the dbt-duckdb plugin registers them on DuckDB (omni/dbt_plugin.py); the
  key is read here, in Python, and never passes through dbt. And `omni_damerau_levenshtein`, which
  DuckDB has built in (omni/text.py).
- dbt's Python models: dbt-spark submits them to Databricks only; here they run in the session
  (`SessionPythonJob`), with the same code as on DuckDB: `dbt.ref()`, `dbt.source()` and the session
  a model receives answer the part of DuckDB's relation API the models use (`omni.spark_relations`),
  and what a model returns (an Arrow table or a pandas frame) becomes a Spark DataFrame.

Running dbt in this process, not one process per command, starts the JVM once for a whole `dbt build`.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from omni.settings import SOURCE_NAMES, Paths

MASTER_ENV = "OMNI_SPARK_MASTER"
WAREHOUSE_ENV = "OMNI_SPARK_WAREHOUSE"
METASTORE_URI_ENV = "OMNI_SPARK_METASTORE_URI"
DRIVER_MEMORY_ENV = "OMNI_SPARK_DRIVER_MEMORY"
CONF_ENV = "OMNI_SPARK_CONF"
LOCAL_MASTER = "local[*]"
# the partition column of the incremental models' tables (dbt macro spark_partition_column): the month of
# a model's time or a bucket of its unique key, which the lake's catalog leaves out
PARTITION_COLUMN = "_omni_partition"
# dbt commands that run SQL: the others (parse, ls, clean, deps, docs serve) need no session
SQL_COMMANDS = frozenset(
    {
        "build",
        "run",
        "test",
        "seed",
        "snapshot",
        "source",
        "show",
        "compile",
        "run-operation",
        "retry",
        "debug",
    }
)


def spark_warehouse_dir(paths: Paths) -> str:
    """Where Spark keeps the tables dbt builds: OMNI_SPARK_WAREHOUSE, else the lake's warehouse folder."""
    return os.environ.get(WAREHOUSE_ENV) or str(paths.spark_warehouse)


def spark_conf(paths: Paths) -> dict[str, str]:
    """The settings of the warehouse's Spark session (see the module docstring)."""
    master = os.environ.get(MASTER_ENV) or LOCAL_MASTER
    conf = {
        "spark.master": master,
        "spark.app.name": "omnichannel-warehouse",
        "spark.sql.warehouse.dir": spark_warehouse_dir(paths),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        # the incremental models' tables are partitioned by integers, months or buckets
        # (dbt/macros/spark_incremental.sql): the embedded metastore filters them itself (Hive's default filters string partitions only); a
        # metastore that cannot makes Spark list them all
        "spark.hadoop.hive.metastore.integral.jdo.pushdown": "true",
        "spark.sql.hive.metastorePartitionPruningFallbackOnException": "true",
        # a backslash in a string literal is itself, as in DuckDB (regular expressions: dbt/macros/portable.sql)
        "spark.sql.parser.escapedStringLiterals": "true",
        "spark.driver.memory": os.environ.get(DRIVER_MEMORY_ENV) or "4g",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        # Derby writes its log and lock files under its home: beside the catalog, not the working folder
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={paths.lake}",
    }
    uri = os.environ.get(METASTORE_URI_ENV)
    if uri:
        conf["spark.hadoop.hive.metastore.uris"] = uri
    else:
        conf["spark.hadoop.javax.jdo.option.ConnectionURL"] = (
            f"jdbc:derby:;databaseName={paths.spark_metastore};create=true"
        )
        # the embedded metastore's handler retries a failed write 10 times, 2 s apart (made for a shared
        # metastore database that may be briefly away; Derby in this process is not). A failure here is
        # not transient: Derby keeps 256 characters of a column comment, so a table or view with a longer
        # one is refused in Hive's format and Spark keeps it in its own. The retries cost 20 s per such
        # relation, and they held the metastore meanwhile: one immediate retry
        conf["spark.hadoop.hive.hmshandler.retry.attempts"] = "1"
        conf["spark.hadoop.hive.hmshandler.retry.interval"] = "0ms"
    if master.startswith("local"):
        # one machine: a few shuffle partitions (adaptive execution merges small ones further); a
        # cluster keeps Spark's default, sized for many executors
        conf["spark.sql.shuffle.partitions"] = str(max(4, 2 * (os.cpu_count() or 2)))
    extra = os.environ.get(CONF_ENV)
    if extra:
        try:
            conf.update({str(k): str(v) for k, v in json.loads(extra).items()})
        except (ValueError, AttributeError) as err:
            raise ValueError(f"{CONF_ENV} must be a JSON object of Spark settings: {err}") from err
    return conf


def start_session(paths: Paths):
    """The warehouse's Spark session (the active one if this process has it already), with the lake's
    folders made and the warehouse's SQL functions registered."""
    from pyspark.sql import SparkSession

    paths.lake.mkdir(parents=True, exist_ok=True)
    # Python functions and models run in this environment's interpreter, which has the project (a
    # cluster's executors need the same environment: docs/scale-out.md)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_conf(paths).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(os.environ.get("OMNI_SPARK_LOG_LEVEL", "WARN"))
    register_functions(spark, paths)
    return spark


def register_functions(spark, paths: Paths) -> None:
    """`omni_pseudonym(text)` and `omni_pseudonym_key_id()` in the session (omni/dbt_plugin.py), and the
    text functions Spark lacks (omni/text.py: `omni_damerau_levenshtein`)."""
    from pyspark.sql.functions import udf
    from pyspark.sql.types import StringType

    from omni.dbt_plugin import FUNCTION, KEY_ID_FUNCTION
    from omni.pseudonymisation import key_id, load_key, pseudonym

    key = load_key(paths.data_dir)
    named = key_id(key)

    @udf(returnType=StringType(), useArrow=True)
    def keyed(value: str | None) -> str | None:
        return None if value is None else pseudonym(key, value)

    spark.udf.register(FUNCTION, keyed)
    spark.udf.register(KEY_ID_FUNCTION, udf(lambda: named, StringType()).asNondeterministic())
    register_text_functions(spark)


def register_text_functions(spark) -> None:
    """The text functions Spark lacks (omni/text.py), which the portable macros call."""
    from pyspark.sql.functions import udf
    from pyspark.sql.types import IntegerType

    from omni.text import damerau_levenshtein

    spark.udf.register("omni_damerau_levenshtein", udf(damerau_levenshtein, IntegerType()))


def register_lake(spark, paths: Paths, source_names: Iterable[str] = SOURCE_NAMES) -> list[str]:
    """The raw tables of the lake in the session's catalog (see the module docstring); returns their
    names. Run before every dbt command: a load may have added columns or tables since the last."""
    from ingestion.lake import (
        LOADS_COLUMNS,
        dataset,
        files_dataset,
        lake_tables,
        loads_location,
        raw_table_sql,
    )

    sources = list(source_names)
    registered = []
    for source in sources:
        files_schema = files_dataset(source)
        spark.sql(f"create database if not exists `{files_schema}`")
        spark.sql(f"create database if not exists `{dataset(source)}`")
        loads = loads_location(paths.lake_raw, source)
        loads.mkdir(parents=True, exist_ok=True)
        columns = ", ".join(f"`{name}` {kind}" for name, kind in LOADS_COLUMNS)
        spark.sql(f"drop table if exists `{files_schema}`.`_dlt_loads`")
        spark.sql(f"create table `{files_schema}`.`_dlt_loads` ({columns}) using json location '{loads}'")
        spark.sql(
            f"create or replace view `{dataset(source)}`.`_dlt_loads` as "
            f"select * from `{files_schema}`.`_dlt_loads`"
        )
    for table in lake_tables(paths.lake_raw, sources):
        files = f"`{files_dataset(table.source)}`.`{table.name}`"
        table.location.mkdir(parents=True, exist_ok=True)
        columns = ", ".join(f"`{name}` {kind}" for name, kind in table.columns)
        spark.sql(f"drop table if exists {files}")
        spark.sql(f"create table {files} ({columns}) using parquet location '{table.location}'")
        select = raw_table_sql(table, files, f"`{files_dataset(table.source)}`.`_dlt_loads`")
        spark.sql(f"create or replace view `{table.schema}`.`{table.name}` as {select}")
        registered.append(f"{table.schema}.{table.name}")
    return registered


class SessionPythonJob:
    """dbt-spark's submission of a Python model, run in this process's session (dbt-spark itself only
    submits to Databricks). The compiled code is dbt's: the model's source, dbt's `dbtObj`, then the
    adapter's lines that write the model's result as a table. The model receives the session and
    relations wrapped as DuckDB's relation API (omni.spark_relations); its result is made a Spark
    DataFrame before the adapter's lines write it."""

    # the adapter's lines that call the model (at the start of a line: the same text also appears in a
    # comment of the compiled code)
    CALL = re.compile(r"^df = model\(dbt, spark\)$", re.M)
    LOADER = re.compile(r"^dbt = dbtObj\(spark\.table\)$", re.M)

    def __init__(self, parsed_model: dict, credentials: Any) -> None:
        self.parsed_model = parsed_model

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        from dbt import tracking
        from omni.spark_relations import SessionRelations, to_spark

        if len(self.CALL.findall(compiled_code)) != 1 or len(self.LOADER.findall(compiled_code)) != 1:
            raise RuntimeError(
                f"Python model {self.parsed_model.get('name')}: dbt-spark's compiled code does not call "
                "`df = model(dbt, spark)` once after `dbt = dbtObj(spark.table)` (a dbt-spark version this "
                "runner does not know)"
            )
        # dbt runs models in threads of its own, and a session is only "active" in the thread that made it
        spark = SparkSession.builder.getOrCreate()
        # the run's batch (dbt macro omni_batch: the start of the invocation in microseconds), which the
        # project's post-hook `stamp_new_rows` writes on DuckDB, where a Python model's rows carry null
        started = tracking.active_user.run_started_at if tracking.active_user is not None else None
        batch = int(started.timestamp() * 1_000_000) if started is not None else None
        relations = SessionRelations(spark, batch)
        code = self.CALL.sub(
            "df = _omni_to_spark(model(dbt, _omni_relations), spark, _omni_batch)", compiled_code
        )
        code = self.LOADER.sub("dbt = dbtObj(_omni_relations.table)", code)
        scope: dict[str, Any] = {
            "__name__": f"dbt_python_model_{self.parsed_model.get('name')}",
            "spark": spark,
            "_omni_relations": relations,
            "_omni_to_spark": to_spark,
            "_omni_batch": batch,
        }
        exec(compile(code, f"<dbt model {self.parsed_model.get('name')}>", "exec"), scope)


def install_python_submission() -> None:
    """Make `SessionPythonJob` dbt-spark's submission method for Python models (the default)."""
    from dbt.adapters.spark.impl import SparkAdapter

    helpers = {"session": SessionPythonJob}
    SparkAdapter.python_submission_helpers = property(lambda self: helpers)
    SparkAdapter.default_python_submission_method = property(lambda self: "session")


def _command(args: Sequence[str]) -> str | None:
    """dbt's command among `args`: the first word that names one, after dbt's global options and the values
    of those that take one (`--log-path run build`: the command is build)."""
    from dbt.cli.main import cli

    valued = {
        name
        for param in cli.params
        if param.param_type_name == "option" and not param.is_flag and not param.count
        for name in param.opts
    }
    after_option = False
    for arg in args:
        if after_option:
            after_option = False
        elif arg in cli.commands:
            return arg
        else:
            after_option = arg in valued
    return None


def run_dbt(args: Sequence[str], paths: Paths | None = None) -> int:
    """dbt with `args` in this process, on the Spark target: the session is started first (and the
    lake registered) for a command that runs SQL. Returns dbt's exit code (0 ok, 1 failures, 2 error)."""
    from dbt.cli.main import dbtRunner

    os.environ["OMNI_ENGINE"] = "spark"
    paths = paths or Paths.from_env()
    args = list(args)
    if _command(args) in SQL_COMMANDS:
        spark = start_session(paths)
        register_lake(spark, paths)
        install_python_submission()
    result = dbtRunner().invoke(list(args))
    if result.success:
        return 0
    if result.exception is not None:
        # what dbt's own command line prints for an error it did not log
        print(f"omni-spark-dbt: dbt {' '.join(args)}: {result.exception}", file=sys.stderr)
        return 2
    return 1


def main(argv: Sequence[str] | None = None) -> None:
    """`omni-spark-dbt`: dbt's command line, on Spark."""
    sys.exit(run_dbt(list(sys.argv[1:] if argv is None else argv)))
