"""Publication for BI: the marts copied to read-only files after every successful build, and the KPI
report rendered from them (omni/publish.py, omni/report.py)."""

# no `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time
import json

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from dagster_project.defs.dbt.project import dbt_project
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from omni.erasure import pending_erasures
from omni.privacy import STAMP, Coverage, load_classification, scan_published
from omni.publish import incremental_keys, publish, published_dir
from omni.report import render
from omni.watermarks import passed_stamps, record_stamps

PRIVACY_CHECK = "no_personal_data"


def mart_asset_keys() -> list[AssetKey]:
    """Every dbt model of schema `marts`, as the dbt assets key them (`marts/<model>`)."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return sorted(
        (
            AssetKey(["marts", node["name"]])
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["schema"] == "marts"
        ),
        key=lambda k: k.to_user_string(),
    )


def publication_assets() -> tuple[list[AssetsDefinition], list[AssetChecksDefinition]]:
    """The publication's assets and its check. Built when the definitions are (the marts it waits for are
    read from the dbt manifest then, never at import)."""

    @asset(
        key=["published", "marts"],
        deps=mart_asset_keys(),
        group_name="publication",
        pool=WAREHOUSE_POOL,  # reads the warehouse file: never while a step writes it
        description="The marts as a read-only DuckDB file (storage v1.0, DuckDB 1.x reads it) and Parquet files "
        "in outputs/published/, swapped in atomically after a successful build.",
    )
    def published_marts(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        # while an erasure is pending, every table is written into a new file (no bytes of the old ones)
        # a changed incremental mart is patched (its rows written since the last version) by its unique key
        publication = publish(
            warehouse.paths,
            fresh=bool(pending_erasures(warehouse.paths)),
            keys=incremental_keys(dbt_project.manifest_path),
        )
        context.log.info(
            f"published {len(publication.tables)} tables as version {publication.version}: "
            f"{len(publication.written)} written ({len(publication.patched)} of them patched), "
            f"the others unchanged since {publication.previous}"
        )
        return MaterializeResult(
            metadata={
                "version": publication.version,
                "path": MetadataValue.path(str(publication.directory)),
                "tables": MetadataValue.json(publication.tables),
                "rows": sum(publication.tables.values()),
                "tables_written": MetadataValue.json(list(publication.written)),
                "tables_patched": MetadataValue.json(list(publication.patched)),
                "tables_unchanged": len(publication.tables) - len(publication.written),
                "seconds": round(publication.seconds, 2),
            }
        )

    @asset(
        key=["published", "kpi_report"],
        deps=[published_marts],
        group_name="publication",
        description="Static HTML KPI dashboard (outputs/report/index.html) rendered from the published marts.",
    )
    def kpi_report(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        path = render(warehouse.paths)
        return MaterializeResult(
            metadata={"path": MetadataValue.path(str(path)), "size_kb": round(path.stat().st_size / 1024)}
        )

    @asset_check(
        asset=published_marts,
        name=PRIVACY_CHECK,
        blocking=True,
        description="No personal data in any published table or Parquet file (omni/privacy.py): a column the dbt "
        "YAML classifies `pii: direct`, or that carries the name of a direct column upstream without being "
        "declared `pseudonymised`, fails it whatever its values; every other text column that is not a declared "
        "id is scanned for e-mail addresses and phone numbers of any country (in an incremental mart, the rows "
        "written since the last scan that passed). "
        "Blocking: the report is not rendered from a publication that fails it.",
    )
    def no_personal_data(warehouse: WarehouseResource) -> AssetCheckResult:
        # the values of an incremental mart are scanned in the rows written since the last scan that passed
        with warehouse.connect() as con:
            scanned = passed_stamps(con, PRIVACY_CHECK, STAMP)
        coverage = Coverage()
        findings = scan_published(
            published_dir(warehouse.paths),
            coverage=coverage,
            classification=load_classification(dbt_project.manifest_path),
            scanned=scanned,
        )
        if not findings:
            record_stamps(
                warehouse.paths.warehouse,
                PRIVACY_CHECK,
                [
                    (table, STAMP, stamp, coverage.distinct_by_table.get(table, 0))
                    for table, stamp in sorted(coverage.newest.items())
                ],
            )
        judged: dict[str, list[str]] = {}
        for column, verdict in sorted(coverage.by_classification.items()):
            judged.setdefault(verdict, []).append(column)
        personal = {c: level for c, level in sorted(coverage.personal.items()) if level != "pseudonymised"}
        listed = [
            f"- `{f.where}`: {f.kind} ({f.basis}{f', {f.values} values' if f.values > 1 else ''}) {f.example}"
            f" [{', '.join(f.files)}]"
            for f in findings[:50]
        ]
        metadata = {
            "findings": len(findings),
            "where": MetadataValue.md("\n".join(listed) or "none"),
            "columns_judged_by_classification": len(coverage.by_classification),
            "judged_by_classification": MetadataValue.json({k: judged[k] for k in sorted(judged)}),
            "columns_judged_by_value_scan": len(coverage.by_value),
            "tables_scanned": coverage.tables,
            "parquet_files_scanned": coverage.parquet_files,
            "text_columns_scanned": coverage.columns,
            "distinct_values_scanned": coverage.distinct_values,
            "tables_scanned_in_new_rows_only": MetadataValue.json(
                dict(sorted(coverage.scanned_since.items()))
            ),
            # not blocking
            "unclassified_columns": len(coverage.unclassified),
            "unclassified_named_like_personal_upstream": MetadataValue.json(
                dict(sorted(coverage.unclassified_upstream.items()))
            ),
            "personal_columns_published": MetadataValue.json(personal),
            "pseudonymised_columns": sum(
                1 for level in coverage.personal.values() if level == "pseudonymised"
            ),
        }
        if coverage.invalid:
            metadata["unknown_pii_levels"] = MetadataValue.json(dict(sorted(coverage.invalid.items())))
        return AssetCheckResult(passed=not findings, metadata=metadata)

    return [published_marts, kpi_report], [no_personal_data]
