"""The warehouse resource, the one owner of DuckDB connections in the Dagster code, and the concurrency
pool of the warehouse (the DuckDB file; on Spark its one-process catalog)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb
from dagster import ConfigurableResource

from omni.settings import DEFAULT_ENGINE, Paths

# DuckDB admits one writer per file: every step that writes (dlt loads, dbt builds) or reads while
# others write takes a slot of this pool, whose limit is 1 (dagster.yaml of the instance). On Spark the
# same holds of the lake's catalog file, and the local Derby metastore admits one process.
WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(ConfigurableResource):
    """The warehouse of a data directory: where it lives (every path derives from the data directory),
    the engine that builds it, and the connections to it. Assets and checks read the warehouse through
    `connect`, never by opening the file themselves; dlt and dbt write it through their own destinations.

    `engine`: `duckdb` (the default: one DuckDB file) or `spark` (docs/scale-out.md: dlt loads Parquet to
    the lake, dbt builds on Spark, and `connect` opens the lake's catalog, DuckDB views over its files).
    """

    data_dir: str
    engine: str = DEFAULT_ENGINE

    @property
    def paths(self) -> Paths:
        return Paths.from_env(self.data_dir, self.engine)

    @property
    def on_spark(self) -> bool:
        return self.paths.engine == "spark"

    @contextlib.contextmanager
    def connect(self, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the warehouse file, closed on leaving the block (read-only unless asked)."""
        with duckdb.connect(str(self.paths.warehouse), read_only=read_only) as con:
            yield con
