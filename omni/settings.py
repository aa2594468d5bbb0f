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


def dbt_target_dir() -> Path:
    """dbt's target folder (manifest, partial-parse cache, one folder per dbt command of a run):
    DBT_TARGET_PATH, dbt's own variable (absolute, or relative to the dbt project), default dbt/target.
    Two processes that build at once (test workers, a second deployment of the same checkout) each set
    their own, so neither reads the manifest the other is writing."""
    return DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")


# the engines the warehouse runs on (docs/scale-out.md): DuckDB, embedded, the default; Spark, local or a
# cluster, for a retailer that outgrows one machine. `omni build --engine`, or OMNI_ENGINE.
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
ENGINE_ENV = "OMNI_ENGINE"


def engine_from_env() -> str:
    """The engine OMNI_ENGINE names (DuckDB when unset); an unknown name is an error that lists them."""
    name = (os.environ.get(ENGINE_ENV) or DEFAULT_ENGINE).strip().lower()
    if name not in ENGINES:
        raise ValueError(f"{ENGINE_ENV}={name!r}: the engine is one of {', '.join(ENGINES)}")
    return name


# the channel sources the warehouse knows, one dlt source package each under ingestion/
SOURCE_NAMES = ("reference", "webshop", "events", "pos", "loyalty", "marketing", "ads", "helpdesk", "surveys")


@dataclass(frozen=True)
class Paths:
    data_dir: Path

    @classmethod
    def from_env(cls, data_dir: str | os.PathLike | None = None) -> Paths:
        chosen = data_dir or os.environ.get("OMNI_DATA_DIR") or DEFAULT_DATA_DIR
        return cls(Path(chosen).expanduser().resolve())

    @property
    def landing(self) -> Path:
        return self.data_dir / "landing"

    @property
    def truth(self) -> Path:
        return self.data_dir / "truth"

    @property
    def warehouse(self) -> Path:
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
        # dlt reads .dlt/config.toml from the project, wherever the command was started
        os.environ.setdefault("DLT_PROJECT_DIR", str(REPO_ROOT))
        # tools of this environment (dbt, dagster) are found by the libraries that spawn them by name,
        # whether or not the virtualenv is activated
        bin_dir = str(Path(sys.executable).parent)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
