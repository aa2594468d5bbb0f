"""Personal-data scan of everything published for BI: no e-mail address or phone number may appear in
any published table, Parquet file or the report. Used by a test and by the `no_personal_data` asset
check on `published/marts`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# a Polish number as people write it (+48 601 234 567, 0048601234567, 601-234-567, (+48) 601234567),
# not digits inside a hash or an id
PHONE = re.compile(r"(?<![0-9A-Za-z])(?:\(?(?:\+|00)?48\)?[ -]?)?\d{3}[ -]?\d{3}[ -]?\d{3}(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Finding:
    where: str
    kind: str
    example: str


@dataclass
class Coverage:
    """What a scan read, so that "no findings" can be told apart from "nothing scanned"."""

    tables: int = 0
    parquet_files: int = 0
    columns: int = 0
    distinct_values: int = 0


def scan_text(text: str, where: str) -> list[Finding]:
    found = []
    for kind, pattern in (("email", EMAIL), ("phone", PHONE)):
        match = pattern.search(text)
        if match:
            found.append(Finding(where, kind, match.group(0)))
    return found


def scan_table(con: duckdb.DuckDBPyConnection, relation: str, where: str,
               coverage: Coverage | None = None) -> list[Finding]:
    """Every text-like column of a relation (lists and structs as their text form)."""
    coverage = coverage if coverage is not None else Coverage()
    columns = con.execute(f"select * from {relation} limit 0").description
    found = []
    for name, type_code, *_ in columns:
        if str(type_code).upper() not in ("VARCHAR", "JSON") and "[]" not in str(type_code) \
                and "STRUCT" not in str(type_code).upper():
            continue
        values = con.execute(f'select distinct cast("{name}" as varchar) from {relation} '
                             f'where "{name}" is not null').fetchall()
        coverage.columns += 1
        coverage.distinct_values += len(values)
        for (value,) in values:
            hits = scan_text(value, f"{where}.{name}")
            if hits:
                found.extend(hits)
                break
    return found


def scan_published(published: Path, report: Path | None = None,
                   coverage: Coverage | None = None) -> list[Finding]:
    """Findings in the published DuckDB file, its Parquet files and (if given) the report; `coverage`,
    when given, is filled with what was read."""
    coverage = coverage if coverage is not None else Coverage()
    found: list[Finding] = []
    db = published / "marts.duckdb"
    con = duckdb.connect()
    try:
        if db.exists():
            con.execute(f"ATTACH '{db}' AS pub (READ_ONLY)")
            for (table,) in con.execute("select table_name from duckdb_tables() where database_name = 'pub'").fetchall():
                found += scan_table(con, f'pub.main."{table}"', f"marts.duckdb:{table}", coverage)
                coverage.tables += 1
        for parquet in sorted((published / "parquet").glob("*.parquet")) if (published / "parquet").exists() else []:
            found += scan_table(con, f"read_parquet('{parquet}')", f"parquet:{parquet.name}", coverage)
            coverage.parquet_files += 1
    finally:
        con.close()
    if report is not None and report.exists():
        # the report inlines plotly.js: scan the data only, the text outside <script> and the chart JSON
        text = report.read_text(encoding="utf-8")
        data = re.sub(r"<script[^>]*>(?:(?!</script>).)*?(?:!function|/\*\*)(?:(?!</script>).)*</script>", "",
                      text, flags=re.S)
        found += scan_text(data, f"report:{report.name}")
    return found
