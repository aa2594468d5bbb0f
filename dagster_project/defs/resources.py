"""The warehouse resource, the one owner of DuckDB connections in the Dagster code, and the concurrency
pool of the warehouse file."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb
from dagster import ConfigurableResource

from omni.settings import Paths

# DuckDB admits one writer per file: every step that writes (dlt loads, dbt builds) or reads while
# others write takes a slot of this pool, whose limit is 1 (dagster.yaml of the instance).
WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse of a data directory: where it lives (every path derives from the data
    directory) and the connections to it. Assets and checks read the warehouse through `connect`, never
    by opening the file themselves; dlt and dbt write it through their own destinations."""

    data_dir: str

    @property
    def paths(self) -> Paths:
        return Paths.from_env(self.data_dir)

    @contextlib.contextmanager
    def connect(self, read_only: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the warehouse file, closed on leaving the block (read-only unless asked)."""
        with duckdb.connect(str(self.paths.warehouse), read_only=read_only) as con:
            yield con
