"""Run a suite: read the columns it needs through a short-lived read-only DuckDB connection, validate the
DataFrames with an ephemeral GX context, and keep what a check reports: the statistics and the failing
expectations with what was observed.

GX validates pandas DataFrames here: its SQL path goes through SQLAlchemy, and DuckDB has no SQLAlchemy
dialect in this environment (duckdb-engine is not installed). A table of at most `chunk_rows` rows is
validated as one DataFrame. A larger table, or a run restricted by a `where` predicate, is validated in
bounded memory, each expectation by its kind (`kind`):

- `row`: row-wise expectations (a value, or a pair or list of values of one row, against a rule: not
  null, in a set, between, matching a pattern, A greater than B). Validated on batches of at most
  `chunk_rows` rows of the rows `where` selects, in table order; the counts are summed, the examples
  are the first of the batches in order, success is judged on the sums as GX judges it (`mostly`
  included). These may be restricted to the rows a run changed.
- `unique`: uniqueness of a column or of a compound key. DuckDB counts the rows whose key occurs more
  than once and the missing ones, and GX finds the first examples among a few rows of the first
  duplicated keys (`_Table.duplicates`). Without a `where`, over the whole table; with one (the rows new
  since the suite last passed), over every row of the keys the selected rows hold, old rows too: a new
  row may repeat an old key, and every row of that key is counted, while two old rows of one key were
  judged when they were new. The missing rows are counted over the whole table.
- `row_count`: the table's row count, of the whole table, on a DataFrame that holds no values.
- `schema`: the columns of the table (or an expectation naming a column the table lacks): the same on
  every batch, taken from the first.
- `other`: any other expectation (an aggregate such as a mean or a distinct count): validated on the
  whole table's columns it names, in one DataFrame (no suite uses one today).

Integer columns are read as floating point in every batch when the table has nulls in them (as one
DataFrame of the table would hold them), so examples read the same whichever way a table is validated.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
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
# rows of a DataFrame GX validates at once; a larger table is validated in batches of this many rows
CHUNK_ROWS = 1_000_000
# what the reading DuckDB connection may hold in memory before it spills to a temporary directory
READ_MEMORY_LIMIT = "1GB"

ROW, UNIQUE, ROW_COUNT, SCHEMA, OTHER = "row", "unique", "row_count", "schema", "other"
UNIQUENESS = ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique")
SCHEMA_EXPECTATIONS = (
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_table_column_count_to_equal",
    "expect_table_column_count_to_be_between",
    "expect_column_to_exist",
)

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
    with _reader(warehouse_path) as con:
        return _Table.open(con, relation, columns, warehouse_path).frame()


@contextlib.contextmanager
def _reader(warehouse_path: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse that spills to a temporary directory beyond
    READ_MEMORY_LIMIT."""
    with tempfile.TemporaryDirectory(prefix="omni-gx-") as spill:
        con = duckdb.connect(
            str(warehouse_path),
            read_only=True,
            config={"memory_limit": READ_MEMORY_LIMIT, "temp_directory": spill},
        )
        try:
            yield con
        finally:
            con.close()


@dataclass(frozen=True)
class _Table:
    """The relation a suite reads: its column types, the suite's columns it has, its row count."""

    con: duckdb.DuckDBPyConnection
    relation: str  # quoted: "schema"."table"
    types: dict[str, str]
    present: tuple[str, ...]
    rows: int
    is_table: bool  # a base table (it has a rowid, the order it is read in); False for a view

    @classmethod
    def open(cls, con: duckdb.DuckDBPyConnection, relation: str, columns, source: object = "") -> _Table:
        schema, table = relation.split(".", 1)
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
        )
        if not types:
            raise LookupError(f"{relation} does not exist in {source}")
        quoted = f"{_quote(schema)}.{_quote(table)}"
        (rows,) = con.execute(f"select count(*) from {quoted}").fetchall()[0]
        (is_table,) = con.execute(
            "select count(*) > 0 from duckdb_tables() where database_name = current_database() "
            "and schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0]
        return cls(con, quoted, types, tuple(c for c in columns if c in types), rows, bool(is_table))

    def select(self, columns, as_double: frozenset[str] = frozenset(), alias: str = "") -> str:
        """The select list of `columns`, widened (`_widened`); those of `as_double` as DOUBLE."""
        prefix = f"{alias}." if alias else ""
        return ", ".join(
            f"{prefix}{_quote(c)}::DOUBLE as {_quote(c)}"
            if c in as_double
            else f"{_widened(prefix + _quote(c), self.types[c])} as {_quote(c)}"
            for c in columns
        )

    def frame(self) -> pd.DataFrame:
        """The suite's columns of the whole table, as one DataFrame."""
        if not self.present:
            return pd.DataFrame(index=range(self.rows))
        return _to_pandas(
            self.con.sql(f"select {self.select(self.present)} from {self.relation}").to_arrow_table()
        )

    def nullable_integers(self) -> frozenset[str]:
        """The integer columns holding a null anywhere in the table: float64 in every DataFrame."""
        integers = [c for c in self.present if self.types[c].upper() in INTEGER_TYPES]
        if not integers:
            return frozenset()
        counts = self.con.execute(
            "select " + ", ".join(f"count({_quote(c)})" for c in integers) + f" from {self.relation}"
        ).fetchall()[0]
        return frozenset(c for c, n in zip(integers, counts, strict=True) if n < self.rows)

    def batches(
        self, where: str | None, chunk_rows: int, as_double: frozenset[str]
    ) -> Iterator[pd.DataFrame]:
        """The suite's columns of the rows `where` selects, in table order, at most `chunk_rows` rows a
        DataFrame; one empty DataFrame when no row is selected."""
        query = f"select {self.select(self.present, as_double)} from {self.relation}"
        if where:
            query += f" where ({where})"
        # no order by: DuckDB keeps a table's order (preserve_insertion_order), as in one DataFrame
        reader = self.con.sql(query).to_arrow_reader(min(chunk_rows, 100_000))
        held: list[pa.RecordBatch] = []  # DuckDB's batches, gathered into DataFrames of chunk_rows rows
        count, seen = 0, False
        for batch in reader:
            rest = batch
            while rest.num_rows:
                taken = rest.slice(0, chunk_rows - count)
                held.append(taken)
                count += taken.num_rows
                rest = rest.slice(taken.num_rows)
                if count == chunk_rows:
                    seen = True
                    yield _to_pandas(pa.Table.from_batches(held, reader.schema))
                    held, count = [], 0
        if held or not seen:
            yield _to_pandas(pa.Table.from_batches(held, reader.schema))

    def duplicates(
        self, columns: list[str], ignore_row_if: str, as_double: frozenset[str], where: str | None = None
    ) -> tuple[int, int, pd.DataFrame]:
        """What a uniqueness expectation on `columns` needs of a base table, in bounded memory: the rows
        GX leaves out as missing (`ignore_row_if`), the rows whose value occurs more than once among the
        others (nulls equal, as pandas compares them), and a DataFrame in table order, with those columns
        only, in which GX finds the first examples: up to 5 rows of each of the groups of the first 5
        duplicated rows of the table (each of those is among the first 5 rows of its group, and has a
        twin in the DataFrame). `where`: only the keys some row it selects holds (all of their rows)."""
        keys = ", ".join(f"t.{_quote(c)}" for c in columns)
        join = " or " if ignore_row_if == "any_value_is_missing" else " and "
        is_missing = (
            "false" if ignore_row_if == "never" else join.join(f"{_quote(c)} is null" for c in columns)
        )
        ((missing,),) = self.con.execute(
            f"select count(*) from {self.relation} where {is_missing}"
        ).fetchall()
        # the selected rows' keys; `where` names the table's columns unqualified (the innermost table)
        scope = (
            f" and exists (select 1 from {self.relation} n where ({where}) and {self._same(columns, 'n')})"
            if where
            else ""
        )
        groups = (
            f"select {keys} from {self.relation} t where not ({is_missing}){scope} "
            "group by all having count(*) > 1"
        )
        ((unexpected,),) = self.con.execute(
            f"select count(*) from {self.relation} t semi join ({groups}) d on {self._same(columns)}"
        ).fetchall()
        first = (
            f"select {keys} from {self.relation} t semi join ({groups}) d on {self._same(columns)} "
            "order by t.rowid limit 5"
        )
        partition = ", ".join(f"t.{_quote(c)}" for c in columns)
        query = (
            f"select {self.select(columns, as_double, alias='t')} from {self.relation} t "
            f"semi join ({first}) d on {self._same(columns)} "
            f"qualify row_number() over (partition by {partition} order by t.rowid) <= 5 order by t.rowid"
        )
        return missing, unexpected, _to_pandas(self.con.sql(query).to_arrow_table())

    @staticmethod
    def _same(columns: list[str], other: str = "d") -> str:
        """The rows `t` and `other` hold the same key (nulls equal)."""
        return " and ".join(f"t.{_quote(c)} is not distinct from {other}.{_quote(c)}" for c in columns)


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
    results = [result for _, result in _run(suite.name, list(suite.expectations), frame)]
    return _suite_result(suite.name, results, len(frame), started)


def validate_table(
    table_suite: TableSuite,
    warehouse_path: str | Path,
    config: RetailerConfig | None = None,
    *,
    where: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> SuiteResult:
    """Read the suite's columns of its relation and validate them against the suite built for the
    retailer's configuration (default: the configuration of the warehouse's data directory); seconds
    include the read. A table of more than `chunk_rows` rows is validated in batches (module doc).

    `where`: a SQL predicate on the table's columns (unqualified), e.g. the rows a run loaded. The
    row-wise expectations judge only the rows it selects; uniqueness every row of the keys they hold (a
    new row repeating an old key is found, with the old rows of that key); the row count, the columns and
    other aggregates judge the whole table. `rows` of the result: the rows the row-wise expectations
    read."""
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, not {chunk_rows}")
    started = time.perf_counter()
    config = config or load_config(Path(warehouse_path).parent)
    suite = table_suite.build(config)
    with _reader(warehouse_path) as con:
        table = _Table.open(con, table_suite.relation, table_suite.columns, warehouse_path)
        if where is None and table.rows <= chunk_rows:
            result = validate(suite, table.frame())
        else:
            result = _validate_in_batches(suite, table, where, chunk_rows)
    return replace(result, seconds=time.perf_counter() - started)


def kind(expectation, present: tuple[str, ...] | list[str]) -> str:
    """How an expectation is validated on a table in batches (module doc): row, unique, row_count,
    schema or other. `present`: the columns the table has."""
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    name = expectation.expectation_type
    if name in SCHEMA_EXPECTATIONS or any(c not in present for c in _columns_named(expectation)):
        return SCHEMA  # a column it names is missing: GX fails it alike on every batch
    if name in ("expect_table_row_count_to_be_between", "expect_table_row_count_to_equal"):
        return ROW_COUNT
    if name in UNIQUENESS:
        return UNIQUE if expectation.row_condition is None else OTHER
    if isinstance(expectation, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)):
        return ROW
    return OTHER


def _columns_named(expectation) -> list[str]:
    named = [getattr(expectation, a, None) for a in ("column", "column_A", "column_B")]
    return [c for c in named if isinstance(c, str)] + list(getattr(expectation, "column_list", None) or [])


@dataclass(frozen=True)
class _Outcome:
    """One expectation's result combined from several DataFrames (what _failure reads of a GX result)."""

    success: bool
    expectation_config: Any
    result: dict[str, Any]
    exception_info: Any = None


def _validate_in_batches(
    suite: gx.ExpectationSuite, table: _Table, where: str | None, chunk_rows: int
) -> SuiteResult:
    started = time.perf_counter()
    expectations = list(suite.expectations)
    # a view has no rowid to find the first duplicates by: its uniqueness is judged on the whole table
    kinds = [
        k if k != UNIQUE or table.is_table else OTHER for k in (kind(e, table.present) for e in expectations)
    ]
    as_double = table.nullable_integers()
    runs: list[dict[int, Any]] = []
    order: list[int] = []  # GX's order of the results, as it validates one DataFrame
    rows = 0
    for frame in table.batches(where, chunk_rows, as_double):
        results = _run(suite.name, expectations, frame)
        order = order or [i for i, _ in results]
        runs.append(dict(results))
        rows += len(frame)
        del frame
    combined: dict[int, Any] = {}
    for i, expectation in enumerate(expectations):
        if kinds[i] == ROW:
            combined[i] = _combine(expectation, [run[i] for run in runs])
        elif kinds[i] == SCHEMA:
            combined[i] = runs[0][i]
    counted = [i for i in range(len(expectations)) if kinds[i] == ROW_COUNT]
    if counted:  # a frame of the table's length that holds no values
        frame = pd.DataFrame(index=pd.RangeIndex(table.rows))
        combined.update(_run(suite.name, [expectations[i] for i in counted], frame, positions=counted))
    for i in (i for i in range(len(expectations)) if kinds[i] == UNIQUE):
        columns = _columns_named(expectations[i])
        ignore = getattr(expectations[i], "ignore_row_if", None) or "all_values_are_missing"
        missing, unexpected, examples = table.duplicates(
            columns, "any_value_is_missing" if len(columns) == 1 else ignore, as_double, where
        )
        ((_, result),) = _run(suite.name, [expectations[i]], examples)
        combined[i] = _map_outcome(
            expectations[i],
            result,
            elements=table.rows,
            nonnull=table.rows - missing,
            unexpected=unexpected,
            examples=result.result.get("partial_unexpected_list") or [],
        )
    others = [i for i in range(len(expectations)) if kinds[i] == OTHER]
    if others:  # no bound on memory: the whole table's columns
        frame = _to_pandas(
            table.con.sql(
                f"select {table.select(table.present, as_double)} from {table.relation}"
            ).to_arrow_table()
        )
        combined.update(_run(suite.name, [expectations[i] for i in others], frame, positions=others))
    return _suite_result(suite.name, [combined[i] for i in order], rows, started)


def _combine(expectation, results: list) -> Any:
    """A row-wise expectation's results on consecutive batches as one: counts summed, the first examples
    in order, success judged on the sums; the first batch's error, if any batch raised one."""
    for result in results:
        if _exception_message(result.exception_info):
            return result
    details = [r.result or {} for r in results]
    elements = sum(d.get("element_count") or 0 for d in details)
    tracked = all("missing_count" in d for d in details)
    nonnull = elements - sum(d["missing_count"] or 0 for d in details) if tracked else None
    unexpected = None
    if all(d.get("unexpected_count") is not None for d in details):
        unexpected = sum(d["unexpected_count"] for d in details)
    examples = [v for d in details for v in d.get("partial_unexpected_list") or []]
    return _map_outcome(expectation, results[0], elements, nonnull, unexpected, examples)


def _map_outcome(
    expectation, template, elements: int, nonnull: int | None, unexpected: int | None, examples: list
) -> _Outcome:
    """What GX's map expectations report (expectation._format_map_output), from counts: success with
    `mostly` over the non-missing rows (all rows where missing values are not counted apart), the
    unexpected percentage of those, the first examples."""
    considered = elements if nonnull is None else nonnull
    mostly = getattr(expectation, "mostly", None)
    mostly = 1.0 if mostly is None else mostly
    if unexpected is None or elements == 0 or considered == 0:
        success = True
    else:
        success = (float(considered) - float(unexpected)) / float(considered) >= mostly
    percent = None
    if unexpected is not None and elements > 0:
        if nonnull is None:
            percent = unexpected / elements * 100
        elif nonnull > 0:
            percent = unexpected / nonnull * 100
    result: dict[str, Any] = {
        "element_count": elements,
        "unexpected_count": unexpected,
        "unexpected_percent": percent,
        "partial_unexpected_list": examples[: RESULT_FORMAT["partial_unexpected_count"]],
    }
    if nonnull is not None:
        result["missing_count"] = elements - nonnull
    return _Outcome(success, template.expectation_config, result)


def _run(name: str, expectations: list, frame: pd.DataFrame, positions: list[int] | None = None) -> list:
    """GX's results of `expectations` on a DataFrame, in GX's order, each with its expectation's position
    (in `positions`, default: in `expectations`). The suite is registered under a name unique to this
    run and removed afterwards."""
    run_name = f"{name}.{uuid.uuid4().hex[:12]}"
    positions = positions if positions is not None else list(range(len(expectations)))
    with _lock:
        context = _gx_context()
        batch_definition = _batch_definition(name)
        registered = context.suites.add(
            gx.ExpectationSuite(
                name=run_name, expectations=[e.copy(update={"id": None}) for e in expectations]
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
    where = {e.id: position for e, position in zip(registered.expectations, positions, strict=True)}
    return [(where[r.expectation_config.id], r) for r in outcome.results]


def _suite_result(name: str, results: list, rows: int, started: float) -> SuiteResult:
    """A SuiteResult from expectation results in GX's order, with GX's statistics
    (validator.validation_statistics)."""
    evaluated = len(results)
    successful = sum(1 for r in results if r.success)
    failures = [_failure(r) for r in results if not r.success]
    failures.sort(key=lambda f: (f.expectation_type, f.column or ""))
    return SuiteResult(
        suite_name=name,
        success=successful == evaluated,
        evaluated=evaluated,
        successful=successful,
        unsuccessful=evaluated - successful,
        success_percent=float(successful / evaluated * 100 if evaluated else 0.0),
        failures=failures,
        rows=rows,
        seconds=time.perf_counter() - started,
    )


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


INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")


def _widened(expression: str, data_type: str) -> str:
    data_type = data_type.upper()
    if data_type.startswith("DECIMAL") or data_type in ("HUGEINT", "UBIGINT"):
        return f"{expression}::DOUBLE"
    if data_type in ("TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT", "UINTEGER"):
        return f"{expression}::BIGINT"
    if data_type == "DATE":
        return f"{expression}::TIMESTAMP"
    return expression
