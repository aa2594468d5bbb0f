"""Dagster entry point: the whole warehouse as one asset graph, landing files to marts.

Importing this module does nothing but define functions: no environment change, no dbt manifest read.
Dagster's loader (`dagster dev -m dagster_project.definitions`, `omni dev`) calls `load_definitions`;
`omni build` calls `make_definitions` with its data directory and retailer configuration.

Paths come from OMNI_DATA_DIR (default ./data); see omni/settings.py. What the retailer has (which
channel sources are on) comes from its omni.toml (omni/config.py): the graph shows only those sources.
The definitions are laid out by technology under defs/: dlt/ (loads and their ingestion checks), dbt/
(models, tests, source freshness), gx/ (Great Expectations suites), publication/ (published marts,
report), governance/ (erasure, consistency checks), plus automation.py (jobs, schedule, sensor) and
resources.py (the warehouse resource, the one owner of DuckDB connections).
"""

from dagster import Definitions, EnvVar, colored_console_logger, definitions
from dagster_dlt import DagsterDltResource

from dagster_project.defs.automation import (
    build_warehouse,
    daily_build,
    full_refresh_warehouse,
    landing_files_sensor,
)
from dagster_project.defs.dbt.assets import build_dbt_assets
from dagster_project.defs.dbt.freshness import source_freshness_checks
from dagster_project.defs.dbt.project import dbt_project, dbt_resource
from dagster_project.defs.dlt.assets import build_dlt_assets, landing_specs
from dagster_project.defs.dlt.checks import ingestion_checks
from dagster_project.defs.governance.assets import erasure_compaction, erasure_requests
from dagster_project.defs.governance.checks import consistency_checks
from dagster_project.defs.gx.checks import gx_checks
from dagster_project.defs.publication.assets import publication_assets
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.progress import step_progress_logger
from omni.config import RetailerConfig, load_config
from omni.settings import Paths


def make_definitions(paths: Paths, config: RetailerConfig) -> Definitions:
    """The asset graph of one data directory and its retailer's configuration (reads the dbt manifest)."""
    # Absolute OMNI_DATA_DIR / OMNI_WAREHOUSE_PATH in the environment: dbt's profile and the warehouse
    # resource below both read them when a run starts, so dlt and dbt always write the same file.
    paths.export_env()
    publication, publication_checks = publication_assets()
    return Definitions(
        assets=[
            *landing_specs(config.sources),
            *build_dlt_assets(paths, config.sources),
            build_dbt_assets(config),
            *publication,
            erasure_requests,
            erasure_compaction,
        ],
        asset_checks=[
            *ingestion_checks(config.sources),
            consistency_checks,
            source_freshness_checks(config.sources, config.dbt_vars()),
            *publication_checks,
            *gx_checks(config.sources),
        ],
        jobs=[build_warehouse, full_refresh_warehouse],
        schedules=[daily_build],
        sensors=[landing_files_sensor],
        loggers={"console": colored_console_logger, "step_progress": step_progress_logger},
        resources={
            "dlt": DagsterDltResource(),
            # the dbt of this environment, whether or not the virtualenv is activated
            "dbt": dbt_resource(paths.engine),
            "warehouse": WarehouseResource(data_dir=EnvVar("OMNI_DATA_DIR"), engine=paths.engine),
        },
    )


@definitions
def load_definitions() -> Definitions:
    """The graph of OMNI_DATA_DIR's retailer, for Dagster's loader. Under `dagster dev` the dbt manifest is
    parsed first when missing or stale (dagster-dbt's prepare_if_dev)."""
    dbt_project.prepare_if_dev()
    paths = Paths.from_env()
    return make_definitions(paths, load_config(paths.data_dir))


_loaded: dict[str, Definitions] = {}


def __getattr__(name: str) -> Definitions:
    """`from dagster_project.definitions import defs`: the graph of OMNI_DATA_DIR, built on first use."""
    if name != "defs":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if "defs" not in _loaded:
        _loaded["defs"] = load_definitions()
    return _loaded["defs"]
