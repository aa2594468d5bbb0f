"""dlt assets: one multi-asset per channel source, one asset per raw table.

Each run builds fresh dlt source and pipeline objects (dagster-dlt mutates a source's schema, so a
source object cannot be materialised twice in one process).
"""

import dlt
import duckdb
from dagster import AssetExecutionContext, AssetsDefinition, AssetSpec, MaterializeResult, MetadataValue
from dagster_dlt import DagsterDltResource, dlt_assets

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.translators import OmniDltTranslator, landing_asset_key
from ingestion.common.raw_tables import ensure_raw_tables
from ingestion.pipeline import LOADER_FILE_FORMAT, make_pipeline, make_source
from omni import lake_catalog
from omni.settings import Paths


def pipeline(source_name: str, paths: Paths) -> dlt.Pipeline:
    """The source's pipeline for the engine: to the DuckDB warehouse, or on Spark to the lake's Parquet."""
    return make_pipeline(source_name, paths.warehouse, paths.dlt_pipelines, lake_raw=paths.lake_destination)


def source_assets(source_name: str, paths: Paths) -> AssetsDefinition:
    @dlt_assets(
        dlt_source=make_source(source_name, paths.landing),
        dlt_pipeline=pipeline(source_name, paths),
        name=f"load_{source_name}",
        dagster_dlt_translator=OmniDltTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def _load(context: AssetExecutionContext, dlt: DagsterDltResource, warehouse: WarehouseResource):
        run_paths = warehouse.paths
        results = list(
            dlt.run(
                context=context,
                dlt_source=make_source(source_name, run_paths.landing),
                dlt_pipeline=pipeline(source_name, run_paths),
                loader_file_format=LOADER_FILE_FORMAT,
            )
        )
        # a table of the contract that no file has fed yet exists all the same, empty and typed (in the
        # lake, its readers take the contract's columns: ingestion/lake.py)
        if warehouse.on_spark:
            lake_catalog.refresh_raw(run_paths, [source_name])
        else:
            ensure_raw_tables(run_paths.warehouse, [source_name])
        audit = load_audit(warehouse, source_name)
        for result in results:
            table = result.asset_key.path[-1]
            yield MaterializeResult(
                asset_key=result.asset_key, metadata={**result.metadata, **audit.get(table, {})}
            )

    return _load


def load_audit(warehouse: WarehouseResource, source_name: str) -> dict[str, dict]:
    """Per raw table, what the newest load read, loaded and quarantined (from `_load_audit`), and
    what the table holds in quarantine overall: every row that arrived is accounted for."""
    sql = f"""
        WITH latest AS (SELECT table_name, max(audited_at) AS at FROM raw_{source_name}._load_audit GROUP BY 1)
        SELECT a.table_name, sum(rows_read), sum(rows_loaded), sum(rows_quarantined),
               count(*) FILTER (WHERE status = 'duplicate'), count(*) FILTER (WHERE status = 'corrupt'),
               count(*)
        FROM raw_{source_name}._load_audit a JOIN latest l ON a.table_name = l.table_name AND a.audited_at = l.at
        GROUP BY 1
    """
    try:
        with warehouse.connect() as con:
            rows = con.execute(sql).fetchall()
            totals = (
                dict(
                    con.execute(
                        f"SELECT table_name, count(*) FROM raw_{source_name}._quarantine GROUP BY 1"
                    ).fetchall()
                )
                if con.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
                    "AND table_name = '_quarantine'",
                    [f"raw_{source_name}"],
                ).fetchone()[0]
                else {}
            )
    except duckdb.CatalogException:
        return {}  # nothing loaded yet (no new files)
    return {
        table: {
            "rows_read": MetadataValue.int(int(read)),
            "rows_loaded": MetadataValue.int(int(loaded)),
            "rows_quarantined": MetadataValue.int(int(quarantined)),
            "files_loaded": MetadataValue.int(int(files)),
            "files_duplicate": MetadataValue.int(int(dupes)),
            "files_corrupt": MetadataValue.int(int(corrupt)),
            "quarantine_total": MetadataValue.int(int(totals.get(table, 0))),
            "quarantine_table": MetadataValue.text(f"raw_{source_name}._quarantine"),
        }
        for table, read, loaded, quarantined, dupes, corrupt, files in rows
    }


def landing_specs(sources: tuple[str, ...]) -> list[AssetSpec]:
    """The landing folders of the sources that are on, external assets upstream of the raw tables."""
    return [
        AssetSpec(
            key=landing_asset_key(name),
            group_name="landing",
            kinds={"file"},
            description=f"Files dropped by the {name} channel under landing/{name}/ (docs/landing.md).",
        )
        for name in sources
    ]


def build_dlt_assets(paths: Paths, sources: tuple[str, ...]) -> list[AssetsDefinition]:
    return [source_assets(name, paths) for name in sources]
