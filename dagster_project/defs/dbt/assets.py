"""dbt models, seeds and tests as Dagster assets and asset checks (dbt tests -> checks)."""

from dagster import AssetExecutionContext, AssetsDefinition
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.dbt.project import dbt_project, prune_invocation_targets, vars_args
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.translators import OmniDbtTranslator
from ingestion import SOURCE_NAMES
from ingestion.common.raw_tables import ensure_raw_tables
from omni.config import RetailerConfig


def build_dbt_assets(config: RetailerConfig) -> AssetsDefinition:
    """The dbt project as assets. The raw tables of sources that are off are not in the graph; the
    build creates them empty (and any table a source that is on has not fed yet), so every staging
    model and mart builds, empty where its channel is missing."""

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=OmniDbtTranslator(sources_off=config.sources_off),
        pool=WAREHOUSE_POOL,
    )
    def omnichannel_dbt(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        created = ensure_raw_tables(warehouse.paths.warehouse, SOURCE_NAMES)
        if created:
            context.log.info(
                f"created empty raw tables (no data yet, or the source is off): {', '.join(created)}"
            )
        # unit tests check the models' code, not the data: they run in CI (`make test`) and from the shell,
        # not in every build of the warehouse, as dbt advises for production runs
        yield from dbt.cli(
            ["build", "--exclude-resource-type", "unit_test", *vars_args(config.dbt_vars())], context=context
        ).stream()
        prune_invocation_targets()

    return omnichannel_dbt
