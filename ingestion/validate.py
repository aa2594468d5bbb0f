"""Read a landing folder against the contract without loading anything: what would load, what would be
quarantined or flagged, and why, per source, table and file (`omni validate`).

The files are read by the same code the loader runs (filedrop._read_with_fallback), so what this says
is what a build would do. What would stop a build: a required column missing from a CSV header (the
source is not loaded), or a key that repeats within a table whose rows have one version each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.common.contract import Table
from ingestion.common.filedrop import ContractError, _read_with_fallback, _relative, file_sha256
from ingestion.common.raw_tables import contract_tables

# Keys the blocking raw checks guard (expectations/raw_*.py): a till line must arrive once, an order once
# per version. Other tables may repeat a key on purpose (re-exported versions, whole re-exported lists).
GUARDED_KEYS = {
    ("pos", "receipt_lines"): ("receipt_id", "line_no"),
    ("webshop", "orders"): ("id", "updated_at"),
}


@dataclass
class FileReport:
    file: str
    status: str  # loaded, duplicate, corrupt, unrecognised, empty, stopped
    detail: str | None = None
    rows_loaded: int = 0
    rows_quarantined: int = 0
    values_flagged: int = 0


@dataclass
class TableReport:
    source: str
    table: str
    files: list[FileReport] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)  # quarantine reasons
    flags: Counter = field(default_factory=Counter)  # (column, reason) of flagged values
    stops: list[str] = field(default_factory=list)  # what would stop the build

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def values_flagged(self) -> int:
        return sum(f.values_flagged for f in self.files)


@dataclass
class ValidationReport:
    tables: list[TableReport]
    sources_without_files: list[str]

    @property
    def stops(self) -> list[str]:
        return [f"{t.source}.{t.table}: {s}" for t in self.tables for s in t.stops]


def validate_table(source: str, table: Table, landing: Path) -> TableReport:
    report = TableReport(source, table.name)
    root = landing / source
    seen: dict[str, str] = {}
    files = []
    for path in sorted(p for p in root.glob(table.glob) if p.is_file()):
        rel = _relative(path, landing)
        sha = file_sha256(path)
        if sha in seen:
            report.files.append(FileReport(rel, "duplicate", f"same content as {seen[sha]}"))
            continue
        seen[sha] = rel
        files.append(path)
    keys: list[pa.Table] = []
    for path in files:
        rel = _relative(path, landing)
        try:
            for good, bad, findings, statuses in _read_with_fallback(table, [path], landing):
                status, detail = statuses[rel]
                report.files.append(
                    FileReport(rel, status, detail, good.num_rows, bad.num_rows, findings.num_rows)
                )
                report.reasons.update(bad["_reason"].to_pylist())
                report.flags.update(
                    zip(findings["column_name"].to_pylist(), findings["reason"].to_pylist(), strict=True)
                )
                guarded = GUARDED_KEYS.get((source, table.name))
                if good.num_rows and guarded:
                    keys.append(good.select(list(guarded)))
        except ContractError as exc:
            report.files.append(FileReport(rel, "stopped", str(exc)))
            report.stops.append(str(exc))
    if keys:
        repeated = _repeated_keys(pa.concat_tables(keys, promote_options="permissive"))
        if repeated:
            report.stops.append(f"{repeated[0]} key(s) loaded more than once, e.g. {repeated[1]}")
    return report


def _repeated_keys(keys: pa.Table) -> tuple[int, str] | None:
    counts = keys.group_by(keys.column_names).aggregate([([], "count_all")])
    twice = counts.filter(pc.greater(counts["count_all"], 1))
    if twice.num_rows == 0:
        return None
    example = ", ".join(f"{c}={twice[c][0].as_py()}" for c in keys.column_names)
    return twice.num_rows, example


def validate_landing(landing: Path, sources: tuple[str, ...]) -> ValidationReport:
    tables = []
    without = []
    for source in sources:
        if not (landing / source).is_dir() or not any(p.is_file() for p in (landing / source).rglob("*")):
            without.append(source)
        for table in contract_tables(source):
            tables.append(validate_table(source, table, landing))
    return ValidationReport(tables, without)


def format_report(report: ValidationReport, examples: int = 3) -> str:
    lines = []
    for t in report.tables:
        if not t.files:
            continue
        lines.append(
            f"{t.source}.{t.table}: {len(t.files)} file(s), {t.rows_loaded:,} rows would load, "
            f"{t.rows_quarantined:,} quarantined, {t.values_flagged:,} values flagged (loaded as NULL)"
        )
        odd = [f for f in t.files if f.status != "loaded"]
        for f in odd[:examples]:
            lines.append(f"    {f.status:<12} {f.file}: {f.detail}")
        if len(odd) > examples:
            lines.append(f"    ... and {len(odd) - examples} more file(s) not loaded as they are")
        for reason, n in t.reasons.most_common(examples):
            lines.append(f"    quarantined  {n:,} x {reason}")
        for (column, reason), n in t.flags.most_common(examples):
            lines.append(f"    flagged      {n:,} x {column}: {reason}")
        for stop in t.stops:
            lines.append(f"    STOPS BUILD  {stop}")
    for source in report.sources_without_files:
        lines.append(f"{source}: no files in landing/{source}/ (its tables will be empty)")
    verdict = (
        f"{len(report.stops)} problem(s) would stop the build"
        if report.stops
        else "nothing would stop the build"
    )
    lines.append(verdict)
    return "\n".join(lines)
