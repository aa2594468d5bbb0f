"""Where things live: every path derives from one data directory (`--data-dir` / OMNI_DATA_DIR)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = "data"
REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
# dbt's command line on Spark, in one process with its Spark session (omni/spark.py)
SPARK_DBT_EXECUTABLE = str(Path(sys.executable).parent / "omni-spark-dbt")


def dbt_target_dir() -> Path:
    """dbt's target folder (manifest, partial-parse cache, one folder per dbt command of a run):
    DBT_TARGET_PATH, dbt's own variable (absolute, or relative to the dbt project), default dbt/target, and
    dbt/target/spark on Spark (the manifest differs between engines: contracts' types, dispatched macros).
    Two processes that build at once (test workers, a second deployment of the same checkout) each set
    their own, so neither reads the manifest the other is writing."""
    engine = engine_from_env()
    default = "target" if engine == DEFAULT_ENGINE else f"target/{engine}"
    return DBT_PROJECT_DIR / (os.environ.get("DBT_TARGET_PATH") or default)


# the engines the warehouse runs on (docs/scale-out.md): DuckDB, embedded, the default; Spark, local or a
# cluster, for a retailer that outgrows one machine. `omni build --engine`, or OMNI_ENGINE.
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
ENGINE_ENV = "OMNI_ENGINE"


def check_engine(name: str, setting: str = "engine") -> str:
    """`name` as an engine's name; an unknown name is an error that lists them."""
    engine = name.strip().lower()
    if engine not in ENGINES:
        raise ValueError(f"{setting}={name!r}: the engine is one of {', '.join(ENGINES)}")
    return engine


def engine_from_env() -> str:
    """The engine OMNI_ENGINE names (DuckDB when unset)."""
    return check_engine(os.environ.get(ENGINE_ENV) or DEFAULT_ENGINE, ENGINE_ENV)


# the channel sources the warehouse knows, one dlt source package each under ingestion/
SOURCE_NAMES = ("reference", "webshop", "events", "pos", "loyalty", "marketing", "ads", "helpdesk", "surveys")


@dataclass(frozen=True)
class Paths:
    """Where a data directory keeps everything, for the engine that builds it (`duckdb`, `spark`)."""

    data_dir: Path
    engine: str = DEFAULT_ENGINE

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike | None = None, engine: str | None = None) -> Paths:
        """The paths of `data_dir` (else OMNI_DATA_DIR, else ./data) for `engine` (else OMNI_ENGINE)."""
        chosen = data_dir or os.environ.get("OMNI_DATA_DIR") or DEFAULT_DATA_DIR
        return cls(Path(chosen).expanduser().resolve(), check_engine(engine) if engine else engine_from_env())

    @property
    def landing(self) -> Path:
        return self.data_dir / "landing"

    @property
    def truth(self) -> Path:
        return self.data_dir / "truth"

    @property
    def warehouse(self) -> Path:
        """The DuckDB file the warehouse is read through: the warehouse itself on DuckDB; on Spark the
        lake's catalog, views over its Parquet files (omni/lake_catalog.py)."""
        if self.engine == "spark":
            return self.lake / "catalog.duckdb"
        return self.data_dir / "warehouse.duckdb"

    @property
    def lake(self) -> Path:
        """The Spark engine's files: raw tables as dlt loads them (`raw/`), the tables dbt builds
        (`warehouse/`) and Spark's catalog of them (`metastore/`)."""
        return self.data_dir / "lake"

    @property
    def lake_raw(self) -> Path:
        return self.lake / "raw"

    @property
    def lake_destination(self) -> Path | None:
        """Where dlt loads the raw tables as files: the lake's raw folder on Spark; None on DuckDB, where dlt
        loads them into the warehouse file."""
        return self.lake_raw if self.engine == "spark" else None

    @property
    def spark_warehouse(self) -> Path:
        return self.lake / "warehouse"

    @property
    def spark_metastore(self) -> Path:
        return self.lake / "metastore"

    @property
    def dlt_pipelines(self) -> Path:
        return self.data_dir / "dlt"

    @property
    def outputs(self) -> Path:
        return self.data_dir / "outputs"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    def export_env(self) -> None:
        """Make the paths visible to tools that read the environment (dbt's profile, Dagster)."""
        os.environ["OMNI_DATA_DIR"] = str(self.data_dir)
        os.environ["OMNI_WAREHOUSE_PATH"] = str(self.warehouse)
        os.environ[ENGINE_ENV] = self.engine
        # dlt reads .dlt/config.toml from the project, wherever the command was started
        os.environ.setdefault("DLT_PROJECT_DIR", str(REPO_ROOT))
        # tools of this environment (dbt, dagster) are found by the libraries that spawn them by name,
        # whether or not the virtualenv is activated
        bin_dir = str(Path(sys.executable).parent)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
