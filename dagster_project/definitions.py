"""Dagster entry point: the whole warehouse as one asset graph, landing files to marts.

Paths come from OMNI_DATA_DIR (default ./data); see omni/settings.py. What the retailer has (which
channel sources are on) comes from its omni.toml (omni/config.py): the graph shows only those sources.
"""

from dagster import Definitions, EnvVar, colored_console_logger
from dagster_dlt import DagsterDltResource

from dagster_project.defs.automation import build_warehouse, daily_build, landing_files_sensor
from dagster_project.defs.checks import all_checks
from dagster_project.defs.dbt.assets import build_dbt_assets
from dagster_project.defs.dbt.project import dbt_resource
from dagster_project.defs.dlt.assets import build_dlt_assets, landing_specs
from dagster_project.defs.freshness import source_freshness_checks
from dagster_project.defs.governance import erasure_compaction, erasure_requests
from dagster_project.defs.gx import gx_checks
from dagster_project.defs.publish import kpi_report, no_personal_data, published_marts
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.progress import step_progress_logger
from omni.config import RetailerConfig, load_config
from omni.settings import Paths


def make_definitions(paths: Paths, config: RetailerConfig) -> Definitions:
    """The asset graph of one data directory and its retailer's configuration."""
    # Absolute OMNI_DATA_DIR / OMNI_WAREHOUSE_PATH in the environment: dbt's profile and the warehouse
    # resource below both read them when a run starts, so dlt and dbt always write the same file.
    paths.export_env()
    return Definitions(
        assets=[
            *landing_specs(config.sources),
            *build_dlt_assets(paths, config.sources),
            build_dbt_assets(config),
            published_marts,
            kpi_report,
            erasure_requests,
            erasure_compaction,
        ],
        asset_checks=[
            *all_checks(config.sources),
            source_freshness_checks(config.sources),
            no_personal_data,
            *gx_checks(config.sources),
        ],
        jobs=[build_warehouse],
        schedules=[daily_build],
        sensors=[landing_files_sensor],
        loggers={"console": colored_console_logger, "step_progress": step_progress_logger},
        resources={
            "dlt": DagsterDltResource(),
            # the dbt of this environment, whether or not the virtualenv is activated
            "dbt": dbt_resource(),
            "warehouse": WarehouseResource(data_dir=EnvVar("OMNI_DATA_DIR")),
        },
    )


paths = Paths.from_env()
defs = make_definitions(paths, load_config(paths.data_dir))
