"""Ingestion accounting on every raw table as asset checks: every row that arrived is loaded, quarantined
or a counted duplicate, with its figures as metadata."""

# no `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time
from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    MetadataValue,
    multi_asset_check,
)

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from ingestion import SOURCE_NAMES


def _tables(source: str) -> list[str]:
    module = __import__(f"ingestion.{source}.settings", fromlist=["TABLES"])
    return [t.name for t in module.TABLES]


def _ingestion_checks(source: str):
    dataset = f"raw_{source}"
    specs = []
    for table in _tables(source):
        key = AssetKey([dataset, table])
        specs.append(
            AssetCheckSpec(
                "load_accounting",
                asset=key,
                blocking=True,
                description="Every row read from a landing file is loaded or quarantined: rows read = rows loaded "
                "+ rows quarantined, per file. Blocking: a table that loses rows does not flow on.",
            )
        )
        specs.append(
            AssetCheckSpec(
                "quarantine",
                asset=key,
                description="Rows and whole files set aside by the landing contract (with file and reason), and files "
                "of another shape or with no rows, by name; warns when there are any.",
            )
        )
        specs.append(
            AssetCheckSpec(
                "flagged_values",
                asset=key,
                description="Optional values that broke the contract: the row loaded with the value NULL, the value "
                "and reason kept in `_findings` (file, row key, column); warns when there are any.",
            )
        )

    @multi_asset_check(name=f"{dataset}_ingestion_checks", specs=specs, can_subset=True, pool=WAREHOUSE_POOL)
    def checks(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[AssetCheckResult]:
        selected = context.selected_asset_check_keys
        for result in evaluate(warehouse, {check.asset_key for check in selected}):
            if AssetCheckKey(result.asset_key, result.check_name) in selected:
                yield result

    def evaluate(warehouse: WarehouseResource, tables: set[AssetKey]) -> Iterator[AssetCheckResult]:
        with warehouse.connect() as con:
            present = {
                t
                for (t,) in con.execute(
                    # views too: on Spark the raw tables are views of the lake's catalog
                    "select table_name from information_schema.tables where table_schema = ?",
                    [dataset],
                ).fetchall()
            }
            for table in _tables(source):
                key = AssetKey([dataset, table])
                if key not in tables:
                    continue
                audit = (0, 0, 0, 0, 0, 0, 0)
                files_by_status: dict[str, list[str]] = {}
                if "_load_audit" in present:
                    # a raw layer loaded before values were flagged has no such column until its next load
                    flagged_sql = (
                        "coalesce(sum(values_flagged), 0)"
                        if con.execute(
                            "select count(*) from duckdb_columns() where schema_name = ? and table_name = '_load_audit' "
                            "and column_name = 'values_flagged'",
                            [dataset],
                        ).fetchone()[0]
                        else "0"
                    )
                    audit = con.execute(
                        f"""
                        select count(*) filter (where status <> 'duplicate'),
                               count(*) filter (where status = 'duplicate'),
                               coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                               coalesce(sum(rows_quarantined), 0),
                               count(*) filter (where rows_read <> rows_loaded + rows_quarantined),
                               {flagged_sql}
                        from {dataset}._load_audit where table_name = ?""",
                        [table],
                    ).fetchone()
                    files_by_status = dict(
                        con.execute(
                            f"""
                        select status, list(source_file order by source_file) from {dataset}._load_audit
                        where table_name = ? and status in ('corrupt', 'unrecognised', 'empty') group by status
                    """,
                            [table],
                        ).fetchall()
                    )
                files, duplicates, read, loaded, quarantined, unbalanced, flagged = audit
                yield AssetCheckResult(
                    asset_key=key,
                    check_name="load_accounting",
                    passed=unbalanced == 0,
                    metadata={
                        "files": files,
                        "duplicate_files": duplicates,
                        "rows_read": read,
                        "rows_loaded": loaded,
                        "rows_quarantined": quarantined,
                        "files_not_balanced": unbalanced,
                    },
                )
                reasons = []
                if "_quarantine" in present:
                    reasons = con.execute(
                        f"""
                        select reason, count(*) as n, any_value(source_file) as example_file
                        from {dataset}._quarantine where table_name = ? group by reason order by n desc limit 10
                    """,
                        [table],
                    ).fetchall()
                file_lines = [
                    f"- {status}: {len(names)} file(s): "
                    + ", ".join(f"`{n}`" for n in names[:5])
                    + (f" and {len(names) - 5} more" if len(names) > 5 else "")
                    for status, names in sorted(files_by_status.items())
                ]
                yield AssetCheckResult(
                    asset_key=key,
                    check_name="quarantine",
                    passed=quarantined == 0 and not files_by_status.get("empty"),
                    severity=AssetCheckSeverity.WARN,
                    metadata={
                        "rows_quarantined": quarantined,
                        **{f"files_{status}": len(names) for status, names in files_by_status.items()},
                        "reasons": MetadataValue.md(
                            "\n".join(
                                [f"- {n} x {reason} (e.g. `{example}`)" for reason, n, example in reasons]
                                + file_lines
                            )
                            or "none"
                        ),
                    },
                )
                by_column = []
                if flagged and "_findings" in present:
                    by_column = con.execute(
                        f"""
                        select column_name, reason, count(*) as n, any_value(source_file), any_value(row_key)
                        from {dataset}._findings where table_name = ? group by all order by n desc limit 10
                    """,
                        [table],
                    ).fetchall()
                yield AssetCheckResult(
                    asset_key=key,
                    check_name="flagged_values",
                    passed=flagged == 0,
                    severity=AssetCheckSeverity.WARN,
                    metadata={
                        "values_flagged": flagged,
                        "findings_table": f"{dataset}._findings",
                        "by_column": MetadataValue.md(
                            "\n".join(
                                f"- {column}: {n} x {reason} (e.g. `{file}`, row {row})"
                                for column, reason, n, file, row in by_column
                            )
                            or "none"
                        ),
                    },
                )

    return checks


def ingestion_checks(sources: tuple[str, ...] = SOURCE_NAMES) -> list[AssetsDefinition]:
    """The ingestion checks of the sources that are on."""
    return [_ingestion_checks(source) for source in sources]
