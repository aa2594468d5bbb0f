"""Run a suite: read the columns it needs through a short-lived read-only DuckDB connection, validate the
DataFrame with an ephemeral GX context (pandas: GX's SQL path fails on DuckDB), and keep what a check
reports: the statistics and the failing expectations with what was observed."""

from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

# no usage statistics leave the machine (read when great_expectations is imported, which only this
# module does, when a suite is validated)
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

import great_expectations as gx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.common import TableSuite, is_finding
from omni.config import RetailerConfig, load_config

DATASOURCE = "warehouse_frames"
BATCH_DEFINITION = "whole_table"
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 5}

_lock = threading.Lock()  # the checks of a run share one GX context


@dataclass(frozen=True)
class FailedExpectation:
    expectation_type: str
    column: str | None
    arguments: dict[str, Any]
    observed: dict[str, Any]
    finding: bool = False  # a finding (warning) rather than a guard of the warehouse (expectations.common)

    def summary(self) -> str:
        """One line: `expect_column_values_to_be_in_set(channel): 2 unexpected (0.9%), e.g. ['fax']`."""
        o = self.observed
        if "exception" in o:
            found = f"error: {o['exception']}"
        elif "unexpected_count" in o:
            found = f"{o['unexpected_count']} unexpected ({o.get('unexpected_percent') or 0:.2g}%)"
            if o.get("unexpected_examples"):
                found += f", e.g. {o['unexpected_examples']}"
        else:
            found = f"observed {o.get('observed_value')!r}"
            if o.get("details"):
                found += f" {o['details']}"
        where = f" where {self.arguments['row_condition']}" if "row_condition" in self.arguments else ""
        return f"{self.expectation_type}({self.column or 'table'}){where}: {found}"


@dataclass(frozen=True)
class SuiteResult:
    suite_name: str
    success: bool
    evaluated: int
    successful: int
    unsuccessful: int
    success_percent: float
    failures: list[FailedExpectation] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0

    @property
    def statistics(self) -> dict[str, int | float]:
        return {
            "evaluated_expectations": self.evaluated,
            "successful_expectations": self.successful,
            "unsuccessful_expectations": self.unsuccessful,
            "success_percent": round(self.success_percent, 2),
        }

    def failed(self) -> set[tuple[str, str | None]]:
        """(expectation type, column) of every failing expectation: what a test asserts on."""
        return {(f.expectation_type, f.column) for f in self.failures}

    @property
    def guards_failed(self) -> list[FailedExpectation]:
        """Failing expectations that guard the warehouse (keys, columns, invariants)."""
        return [f for f in self.failures if not f.finding]

    @property
    def findings(self) -> list[FailedExpectation]:
        """Failing expectations that are findings (formats, plausibility, dates)."""
        return [f for f in self.failures if f.finding]


def read_table(
    warehouse_path: str | Path, relation: str, columns: list[str] | tuple[str, ...]
) -> pd.DataFrame:
    """The given columns of `schema.table` as a DataFrame. A column the table lacks is left out (the
    suite's column-set expectation reports it) rather than failing the read. Types are widened to what
    GX compares vectorised: integers to int64 (float64 when nullable), decimals to float64, dates and
    timestamps to naive nanosecond timestamps (UTC for `timestamp with time zone`)."""
    schema, table = relation.split(".", 1)
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
        )
        if not types:
            raise LookupError(f"{relation} does not exist in {warehouse_path}")
        present = [c for c in columns if c in types]
        if not present:
            (rows,) = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()
            return pd.DataFrame(index=range(rows))
        select = ", ".join(f"{_widened(f'{_quote(c)}', types[c])} as {_quote(c)}" for c in present)
        arrow = con.sql(f'select {select} from "{schema}"."{table}"').to_arrow_table()
    return _to_pandas(arrow)


def _to_pandas(arrow: pa.Table) -> pd.DataFrame:
    """A frame GX validates fast. GX filters the whole frame for every expectation and fingerprints it
    by hashing: a repetitive text column (a channel, a type, a store) becomes a categorical, taken and
    hashed as integer codes, and other text numpy objects, taken several times faster than pandas'
    default Arrow-backed strings."""
    text = [
        i for i, t in enumerate(arrow.schema.types) if pa.types.is_string(t) or pa.types.is_large_string(t)
    ]
    for i in text:
        column = arrow.column(i)
        if pc.count_distinct(column).as_py() <= len(column) // 2:
            arrow = arrow.set_column(i, arrow.field(i).name, column.dictionary_encode())
    frame = arrow.to_pandas()
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            # UTC instants as naive UTC: compared against the same naive bounds as dates and local times
            values = frame[column] = values.dt.tz_convert("UTC").dt.tz_localize(None)
        if pd.api.types.is_string_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
            frame[column] = values.astype(object)
        elif pd.api.types.is_datetime64_dtype(values):
            # GX compares datetimes vectorised only in nanoseconds; a value out of that range (year
            # 2262+) stays in microseconds and is compared value by value
            with contextlib.suppress(OverflowError, pd.errors.OutOfBoundsDatetime):
                frame[column] = values.astype("datetime64[ns]")
    return frame


def validate(suite: gx.ExpectationSuite, frame: pd.DataFrame) -> SuiteResult:
    """Validate a DataFrame against a suite. The suite is registered under a name unique to this run
    and removed afterwards, so the same suite can be validated again in the same process."""
    started = time.perf_counter()
    run_name = f"{suite.name}.{uuid.uuid4().hex[:12]}"
    with _lock:
        context = _gx_context()
        batch_definition = _batch_definition(suite.name)
        registered = context.suites.add(
            gx.ExpectationSuite(
                name=run_name, expectations=[e.copy(update={"id": None}) for e in suite.expectations]
            )
        )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=run_name, data=batch_definition, suite=registered)
        )
        try:
            outcome = definition.run(batch_parameters={"dataframe": frame}, result_format=RESULT_FORMAT)
        finally:
            context.validation_definitions.delete(run_name)
            context.suites.delete(run_name)
    stats = outcome.statistics
    failures = [_failure(r) for r in outcome.results if not r.success]
    failures.sort(key=lambda f: (f.expectation_type, f.column or ""))
    return SuiteResult(
        suite_name=suite.name,
        success=bool(outcome.success),
        evaluated=int(stats["evaluated_expectations"]),
        successful=int(stats["successful_expectations"]),
        unsuccessful=int(stats["unsuccessful_expectations"]),
        success_percent=float(stats["success_percent"] or 0.0),
        failures=failures,
        rows=len(frame),
        seconds=time.perf_counter() - started,
    )


def validate_table(
    table_suite: TableSuite, warehouse_path: str | Path, config: RetailerConfig | None = None
) -> SuiteResult:
    """Read the suite's columns of its relation and validate them against the suite built for the
    retailer's configuration (default: the configuration of the warehouse's data directory); seconds
    include the read."""
    started = time.perf_counter()
    config = config or load_config(Path(warehouse_path).parent)
    frame = read_table(warehouse_path, table_suite.relation, table_suite.columns)
    result = validate(table_suite.build(config), frame)
    return replace(result, seconds=time.perf_counter() - started)


@functools.cache
def _gx_context():
    """One ephemeral (in-memory) GX context per process, without progress bars."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _batch_definition(asset_name: str):
    """Get-or-add the pandas datasource, one DataFrame asset per suite and its whole-frame batch:
    GX's `.add()` raises on a name that exists."""
    context = _gx_context()
    try:
        source = context.data_sources.get(DATASOURCE)
    except KeyError:
        source = context.data_sources.add_pandas(DATASOURCE)
    try:
        asset = source.get_asset(asset_name)
    except LookupError:
        asset = source.add_dataframe_asset(asset_name)
    try:
        return asset.get_batch_definition(BATCH_DEFINITION)
    except LookupError:
        return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)


def _failure(result) -> FailedExpectation:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "condition_parser")}
    if kwargs.get("row_condition") is not None:
        kwargs["row_condition"] = _condition_text(kwargs["row_condition"])
    else:
        kwargs.pop("row_condition", None)
    column = kwargs.get("column")
    if column is None and "column_list" in kwargs:
        column = ",".join(kwargs["column_list"])
    elif column is None and "column_A" in kwargs:
        column = f"{kwargs['column_A']},{kwargs['column_B']}"
    details = dict(result.result or {})
    observed: dict[str, Any] = {}
    for name in (
        "observed_value",
        "element_count",
        "unexpected_count",
        "unexpected_percent",
        "missing_count",
    ):
        if name in details:
            observed[name] = details[name]
    if details.get("partial_unexpected_list"):
        observed["unexpected_examples"] = details["partial_unexpected_list"][:5]
    if isinstance(details.get("details"), dict) and "mismatched" in details["details"]:
        observed["details"] = details["details"]["mismatched"]
    message = _exception_message(result.exception_info)
    if message:
        observed["exception"] = message
    return FailedExpectation(
        expectation_type=config.type,
        column=column,
        arguments={k: _plain(v) for k, v in kwargs.items() if k not in ("column",)},
        observed={k: _plain(v) for k, v in observed.items()},
        finding=is_finding(config.meta),
    )


def _condition_text(condition: Any) -> str:
    """A row condition as GX stores it (a Condition, or its dict) as text: `transaction_type == 'RETURN'`."""
    if hasattr(condition, "dict"):
        condition = condition.dict()
    if not isinstance(condition, dict):
        return str(condition)
    kind = condition.get("type")
    if kind == "comparison":
        return f"{condition['column']['name']} {condition['operator']} {condition['parameter']!r}"
    if kind == "nullity":
        return f"{condition['column']['name']} is {'null' if condition['is_null'] else 'not null'}"
    if kind in ("and", "or"):
        return "(" + f" {kind} ".join(_condition_text(c) for c in condition["conditions"]) + ")"
    return str(condition.get("pass_through_filter", condition))


def _exception_message(info) -> str | None:
    """GX reports an error either directly or per metric that failed to compute."""
    if not info:
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        if isinstance(value, dict) and value.get("exception_message"):
            return str(value["exception_message"])
    return None


def _plain(value: Any) -> Any:
    """JSON-safe values for Dagster metadata (numpy scalars, timestamps, NaN)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, np.datetime64):
        return str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if value is pd.NaT:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _widened(expression: str, data_type: str) -> str:
    data_type = data_type.upper()
    if data_type.startswith("DECIMAL") or data_type in ("HUGEINT", "UBIGINT"):
        return f"{expression}::DOUBLE"
    if data_type in ("TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"):
        return f"{expression}::BIGINT"
    if data_type == "DATE":
        return f"{expression}::TIMESTAMP"
    return expression
