"""dlt assets: one multi-asset per channel source, one asset per raw table.

Each run builds fresh dlt source and pipeline objects (dagster-dlt mutates a source's schema, so a
source object cannot be materialised twice in one process).
"""


from dagster import AssetExecutionContext, AssetsDefinition, AssetSpec
from dagster_dlt import DagsterDltResource, dlt_assets

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.translators import OmniDltTranslator, landing_asset_key
from ingestion import SOURCE_NAMES
from ingestion.pipeline import LOADER_FILE_FORMAT, make_pipeline, make_source
from omni.settings import Paths


def source_assets(source_name: str, paths: Paths) -> AssetsDefinition:
    @dlt_assets(
        dlt_source=make_source(source_name, paths.landing),
        dlt_pipeline=make_pipeline(source_name, paths.warehouse, paths.dlt_pipelines),
        name=f"load_{source_name}",
        dagster_dlt_translator=OmniDltTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def _load(context: AssetExecutionContext, dlt: DagsterDltResource, warehouse: WarehouseResource):
        run_paths = warehouse.paths
        yield from dlt.run(
            context=context,
            dlt_source=make_source(source_name, run_paths.landing),
            dlt_pipeline=make_pipeline(source_name, run_paths.warehouse, run_paths.dlt_pipelines),
            loader_file_format=LOADER_FILE_FORMAT,
        )

    return _load


def landing_specs() -> list[AssetSpec]:
    """The landing folders, external assets upstream of the raw tables (files dropped by channels)."""
    return [
        AssetSpec(
            key=landing_asset_key(name),
            group_name="landing",
            kinds={"file"},
            description=f"Files dropped by the {name} channel under landing/{name}/ (docs/landing.md).",
        )
        for name in SOURCE_NAMES
    ]


def build_dlt_assets(paths: Paths) -> list[AssetsDefinition]:
    return [source_assets(name, paths) for name in SOURCE_NAMES]
