"""The Great Expectations suites of expectations/ as Dagster asset checks: one check per suite, on the
table it validates, blocking where a bad table must not flow downstream; the validation statistics and
the failing expectations are the check's metadata. (dagster-ge supports GX < 1.0 only: this is the
thin wrapper in its place.)"""

# no `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from expectations import all_suites
from expectations.common import TableSuite


def check_name(table_suite: TableSuite) -> str:
    return f"gx_{table_suite.name}"


def suite_check_result(table_suite: TableSuite, result) -> AssetCheckResult:
    """A runner SuiteResult as an AssetCheckResult: statistics, rows, time and the failing expectations.
    A non-blocking suite fails as a warning (a finding), a blocking one as an error."""
    failures = [
        {"expectation": f.expectation_type, "column": f.column, "arguments": f.arguments, "observed": f.observed}
        for f in result.failures
    ]
    return AssetCheckResult(
        passed=result.success,
        severity=AssetCheckSeverity.ERROR if table_suite.blocking else AssetCheckSeverity.WARN,
        metadata={
            **result.statistics,
            "rows_validated": result.rows,
            "seconds": round(result.seconds, 2),
            "relation": table_suite.relation,
            "failed_expectations": MetadataValue.md(
                "\n".join(f"- `{f.summary()}`" for f in result.failures) or "none"),
            "failures": MetadataValue.json(failures),
        },
    )


def _gx_check(table_suite: TableSuite) -> AssetChecksDefinition:
    blocking_note = ("Blocking: downstream assets wait for it to pass." if table_suite.blocking
                     else "Not blocking: a failure is a warning.")

    @asset_check(
        asset=AssetKey(list(table_suite.asset_key)),
        name=check_name(table_suite),
        description=f"Great Expectations suite `{table_suite.name}` on {table_suite.relation}: "
                    f"{table_suite.description} {blocking_note}",
        blocking=table_suite.blocking,
        pool=WAREHOUSE_POOL,  # reads the warehouse file: never while a step writes it
    )
    def gx_check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        from expectations.runner import validate_table  # imports GX (seconds): only when a check runs

        try:
            result = validate_table(table_suite, warehouse.paths.warehouse)
        except LookupError as missing:  # the table is not there: nothing downstream can trust it
            return AssetCheckResult(
                passed=False,
                severity=AssetCheckSeverity.ERROR if table_suite.blocking else AssetCheckSeverity.WARN,
                metadata={"relation": table_suite.relation, "error": str(missing)},
            )
        context.log.info(
            f"{table_suite.name}: {result.successful}/{result.evaluated} expectations met on {result.rows} rows "
            f"in {result.seconds:.1f}s")
        return suite_check_result(table_suite, result)

    return gx_check


def gx_checks() -> list[AssetChecksDefinition]:
    """One asset check per suite of expectations/."""
    return [_gx_check(table_suite) for table_suite in all_suites()]
