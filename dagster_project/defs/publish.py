"""Publication for BI: the marts copied to read-only files after every successful build, and the KPI
report rendered from them (omni/publish.py, omni/report.py)."""

# no `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time
import json

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from omni.privacy import Coverage, scan_published
from omni.publish import publish, published_dir
from omni.report import render


def mart_asset_keys() -> list[AssetKey]:
    """Every dbt model of schema `marts`, as the dbt assets key them (`marts/<model>`)."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return sorted(
        (AssetKey(["marts", node["name"]]) for node in manifest["nodes"].values()
         if node["resource_type"] == "model" and node["schema"] == "marts"),
        key=lambda k: k.to_user_string(),
    )

@asset(
    key=["published", "marts"],
    deps=mart_asset_keys(),
    group_name="publication",
    pool=WAREHOUSE_POOL,  # reads the warehouse file: never while a step writes it
    description="The marts as a read-only DuckDB file (storage v1.0, DuckDB 1.x reads it) and Parquet files "
                "in outputs/published/, swapped in atomically after a successful build.",
)
def published_marts(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    publication = publish(warehouse.paths)
    context.log.info(f"published {len(publication.tables)} tables as version {publication.version}")
    return MaterializeResult(metadata={
        "version": publication.version,
        "path": MetadataValue.path(str(publication.directory)),
        "tables": MetadataValue.json(publication.tables),
        "rows": sum(publication.tables.values()),
        "seconds": round(publication.seconds, 2),
    })

@asset(
    key=["published", "kpi_report"],
    deps=[published_marts],
    group_name="publication",
    description="Static HTML KPI dashboard (outputs/report/index.html) rendered from the published marts.",
)
def kpi_report(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    path = render(warehouse.paths)
    return MaterializeResult(metadata={"path": MetadataValue.path(str(path)),
                                       "size_kb": round(path.stat().st_size / 1024)})


@asset_check(
    asset=published_marts,
    name="no_personal_data",
    blocking=True,
    description="No e-mail address or phone number in any published table or Parquet file (omni/privacy.py). "
                "Blocking: the report is not rendered from a publication that fails it.",
)
def no_personal_data(warehouse: WarehouseResource) -> AssetCheckResult:
    coverage = Coverage()
    findings = scan_published(published_dir(warehouse.paths), coverage=coverage)
    return AssetCheckResult(
        passed=not findings,
        metadata={"findings": len(findings), "tables_scanned": coverage.tables,
                  "parquet_files_scanned": coverage.parquet_files, "text_columns_scanned": coverage.columns,
                  "distinct_values_scanned": coverage.distinct_values,
                  "where": MetadataValue.md("\n".join(f"- {f.where}: {f.kind}" for f in findings[:20]) or "none")},
    )
