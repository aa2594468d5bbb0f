"""Asset checks beside the dbt tests: ingestion accounting on every raw table, the consistency checks
the marketing team asked for and the consent violations of past sends, each with its figures as metadata."""

# no `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time
from collections.abc import Iterator

import duckdb
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
        with duckdb.connect(str(warehouse.paths.warehouse), read_only=True) as con:
            present = {
                t
                for (t,) in con.execute(
                    "select table_name from duckdb_tables() where schema_name = ?", [dataset]
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


CONSISTENCY = {
    "consistency_duplicate_coupons": (
        "The same coupon sent to one customer through two or more channels (newsletter code again by SMS).",
        "select campaign_id, duplicate_recipients from marts.consistency_duplicate_coupons_by_campaign "
        "order by duplicate_recipients desc limit 20",
    ),
    "consistency_duplicate_coupons_households": (
        "The same coupon sent to one household through two or more channels (a parent's e-mail and the "
        "family phone's SMS).",
        "select coupon_code, count(*) as households from marts.consistency_duplicate_coupons_households "
        "group by coupon_code order by households desc limit 20",
    ),
    "consistency_price_differences": (
        "The same product on the same day at a different price or promotion in different channels.",
        "select price_date::varchar, sku, difference_kind from marts.consistency_price_differences "
        "order by price_date limit 20",
    ),
    "consistency_stock_mismatches": (
        "Stock of the same product, location and day that the web shop and the ERP report differently.",
        "select snapshot_date::varchar, sku, location_id, difference from marts.consistency_stock_mismatches "
        "order by snapshot_date limit 20",
    ),
    "consent_violations": (
        "Marketing messages sent to a customer who had withdrawn consent for the channel before the send.",
        "select campaign_id, channel, count(*) as sends, max(hours_after_withdrawal) as max_hours_after "
        "from marts.consent_violations group by all order by sends desc limit 20",
    ),
}


@multi_asset_check(
    name="consistency_checks",
    specs=[
        AssetCheckSpec("cases_found", asset=AssetKey(["marts", name]), description=desc)
        for name, (desc, _) in CONSISTENCY.items()
    ],
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def consistency_checks(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[AssetCheckResult]:
    """Warn (not block) when inconsistencies or consent violations exist: they are findings about the
    channels' systems for the business to act on, not faults of the warehouse's data."""
    with duckdb.connect(str(warehouse.paths.warehouse), read_only=True) as con:
        selected = {key.asset_key for key in context.selected_asset_check_keys}
        for name, (_, sample_sql) in CONSISTENCY.items():
            if AssetKey(["marts", name]) not in selected:
                continue
            count = con.execute(f"select count(*) from marts.{name}").fetchone()[0]
            sample = con.execute(sample_sql).fetchall()
            yield AssetCheckResult(
                asset_key=AssetKey(["marts", name]),
                check_name="cases_found",
                passed=count == 0,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "cases": count,
                    "sample": MetadataValue.md(
                        "\n".join("- " + " | ".join(str(v) for v in row) for row in sample) or "none"
                    ),
                },
            )


def all_checks(sources: tuple[str, ...] = SOURCE_NAMES) -> list[AssetsDefinition]:
    """Ingestion checks of the sources that are on, and the consistency checks of the marts."""
    return [*(_ingestion_checks(source) for source in sources), consistency_checks]
