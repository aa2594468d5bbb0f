"""Resources shared by the asset definitions, and the concurrency pool of the warehouse file."""

from __future__ import annotations

from dagster import ConfigurableResource

from omni.settings import Paths

# DuckDB admits one writer per file: every step that writes (dlt loads, dbt builds) or reads while
# others write takes a slot of this pool, whose limit is 1 (dagster.yaml of the instance).
WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(ConfigurableResource):
    """Where the warehouse lives: every path derives from the data directory."""

    data_dir: str

    @property
    def paths(self) -> Paths:
        return Paths.from_env(self.data_dir)
