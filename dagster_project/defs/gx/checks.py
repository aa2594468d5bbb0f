"""The Great Expectations suites of expectations/ as Dagster asset checks: one check per suite, on the
table it validates, two checks each: what guards the warehouse (blocking where a bad table must not flow
downstream) and the findings (formats, plausibility, dates: warnings). The validation statistics and
the failing expectations are the checks' metadata. (dagster-ge supports GX < 1.0 only: this is the
thin wrapper in its place.)"""

# no `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time
from collections.abc import Iterator

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from expectations import all_suites
from expectations.common import TableSuite
from omni.config import load_config
from omni.watermarks import NewRows, new_rows, record_passed


def check_name(table_suite: TableSuite) -> str:
    return f"gx_{table_suite.name}"


def findings_check_name(table_suite: TableSuite) -> str:
    return f"gx_{table_suite.name}_findings"


def _failures_metadata(failures) -> dict:
    return {
        "failed_expectations": MetadataValue.md("\n".join(f"- `{f.summary()}`" for f in failures) or "none"),
        "failures": MetadataValue.json(
            [
                {
                    "expectation": f.expectation_type,
                    "column": f.column,
                    "arguments": f.arguments,
                    "observed": f.observed,
                }
                for f in failures
            ]
        ),
    }


def suite_check_results(table_suite: TableSuite, result, extra: dict | None = None) -> list[AssetCheckResult]:
    """A runner SuiteResult as two check results: the guards (keys, columns, the warehouse's invariants:
    an error where the suite is blocking) and the findings (formats, plausibility, dates: a warning)."""
    key = AssetKey(list(table_suite.asset_key))
    common = {
        **result.statistics,
        "rows_validated": result.rows,
        "seconds": round(result.seconds, 2),
        "relation": table_suite.relation,
        **(extra or {}),
    }
    return [
        AssetCheckResult(
            asset_key=key,
            check_name=check_name(table_suite),
            passed=not result.guards_failed,
            severity=AssetCheckSeverity.ERROR if table_suite.blocking else AssetCheckSeverity.WARN,
            metadata={**common, **_failures_metadata(result.guards_failed)},
        ),
        AssetCheckResult(
            asset_key=key,
            check_name=findings_check_name(table_suite),
            passed=not result.findings,
            severity=AssetCheckSeverity.WARN,
            metadata={**common, "findings": len(result.findings), **_failures_metadata(result.findings)},
        ),
    ]


def evaluate_suite(table_suite: TableSuite, paths, since_last_pass: bool = False) -> list[AssetCheckResult]:
    """Validate a suite on the warehouse of `paths` (with its retailer's configuration): the guards' and the
    findings' check results. A missing table fails both (nothing downstream can trust it).

    `since_last_pass` (the checks of a run): the row-wise expectations judge only the rows stamped after the
    last run whose guards passed (omni.watermarks; the whole table when there was none, or when a full
    refresh restamped every row), and the stamp is kept when the guards pass. Uniqueness judges every row
    of the keys the new rows hold (old rows of those keys too), the table's shape the whole table every
    time. The findings then are those of the new rows."""
    from expectations.runner import validate_table  # imports GX (seconds): only when a check runs

    key = AssetKey(list(table_suite.asset_key))
    rows = None
    try:
        if since_last_pass:
            rows = _new_rows(table_suite, paths.warehouse)
        result = validate_table(
            table_suite, paths.warehouse, load_config(paths.data_dir), where=rows.where if rows else None
        )
    except LookupError as missing:
        return [
            AssetCheckResult(
                asset_key=key,
                check_name=name,
                passed=False,
                severity=AssetCheckSeverity.ERROR
                if name == check_name(table_suite) and table_suite.blocking
                else AssetCheckSeverity.WARN,
                metadata={"relation": table_suite.relation, "error": str(missing)},
            )
            for name in (check_name(table_suite), findings_check_name(table_suite))
        ]
    if rows is None:
        return suite_check_results(table_suite, result)
    if not result.guards_failed:
        record_passed(paths.warehouse, check_name(table_suite), rows, result.rows)
    return suite_check_results(table_suite, result, {"rows_judged_row_by_row": rows.describe()})


def _new_rows(table_suite: TableSuite, warehouse) -> NewRows:
    """The rows of the suite's relation its guards have not passed on yet; LookupError when the relation
    is missing (as the runner reports it)."""
    schema, _, table = table_suite.relation.partition(".")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        exists = con.execute(
            # views too: on Spark the warehouse's tables are views of the lake's catalog
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        if not exists:
            raise LookupError(f"{table_suite.relation} does not exist in {warehouse}")
        return new_rows(con, check_name(table_suite), table_suite.relation)


def _gx_check(table_suite: TableSuite) -> AssetChecksDefinition:
    blocking_note = (
        "Blocking: downstream assets wait for it to pass."
        if table_suite.blocking
        else "Not blocking: a failure is a warning."
    )
    key = AssetKey(list(table_suite.asset_key))
    specs = [
        AssetCheckSpec(
            check_name(table_suite),
            asset=key,
            blocking=table_suite.blocking,
            description=f"Great Expectations suite `{table_suite.name}` on {table_suite.relation}: "
            f"{table_suite.description} What guards the warehouse (keys, columns). {blocking_note}",
        ),
        AssetCheckSpec(
            findings_check_name(table_suite),
            asset=key,
            description=f"Findings of the Great Expectations suite `{table_suite.name}` on {table_suite.relation}: "
            "id formats, plausibility bounds and date windows of the retailer's omni.toml, with counts "
            "and examples. Never blocking.",
        ),
    ]

    @multi_asset_check(
        name=check_name(table_suite), specs=specs, can_subset=True, pool=WAREHOUSE_POOL
    )  # reads the warehouse file: never while a step writes it
    def gx_check(
        context: AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[AssetCheckResult]:
        selected = context.selected_asset_check_keys
        results = evaluate_suite(table_suite, warehouse.paths, since_last_pass=True)
        for result in results:
            context.log.info(f"{result.check_name}: {'passed' if result.passed else 'failed'}")
        for check in results:
            if AssetCheckKey(key, check.check_name) in selected:
                yield check

    return gx_check


def gx_checks(sources: tuple[str, ...] | None = None) -> list[AssetChecksDefinition]:
    """Checks of every suite of expectations/: the marts', and the raw tables' of the sources that are on
    (default: all)."""
    return [
        _gx_check(table_suite)
        for table_suite in all_suites()
        if sources is None or table_suite.source is None or table_suite.source in sources
    ]
