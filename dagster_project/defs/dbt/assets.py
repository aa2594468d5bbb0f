"""dbt models, seeds and tests as Dagster assets and asset checks (dbt tests -> checks)."""

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.dbt.project import dbt_project, prune_invocation_targets
from dagster_project.defs.resources import WAREHOUSE_POOL
from dagster_project.lib.translators import OmniDbtTranslator


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=OmniDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def omnichannel_dbt(context: AssetExecutionContext, dbt: DbtCliResource):
    yield from dbt.cli(["build"], context=context).stream()
    prune_invocation_targets()
