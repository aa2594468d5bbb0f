"""Fingerprints of a warehouse's tables, to compare two builds of the same data (an incremental run
against a full refresh, DuckDB against another engine): per table the row count and an order-free hash
of its content.

Columns that say how or when a row was built, not what it holds, are left out: the batch stamps of
incremental models (`_omni_batch`, `_omni_written`), the profile a record had before the incremental run
that last wrote it (`_omni_previous_profile_key`), dlt's load columns and the time a model took to fit.
Floating-point columns are compared to 1e-9 (`FLOAT_DIGITS`): a sum taken in another order differs in its
last bits.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

RUN_COLUMNS = frozenset(
    {"_omni_batch", "_omni_written", "_omni_previous_profile_key", "_dlt_load_id", "_dlt_id", "fit_seconds"}
)
FLOAT_DIGITS = 9
SCHEMAS = ("staging", "intermediate", "marts")


def fingerprints(warehouse: Path, schemas: tuple[str, ...] = SCHEMAS) -> dict[str, tuple[int, int]]:
    """{'schema.table': (rows, content hash)} of every table of `schemas`."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        listed = ", ".join(f"'{s}'" for s in schemas)
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            f"where schema_name in ({listed}) order by schema_name, table_name"
        ).fetchall()
        out = {}
        for schema, table in tables:
            relation = f'"{schema}"."{table}"'
            columns = [
                _compared(name, kind)
                for name, kind, *_ in con.execute(f"describe {relation}").fetchall()
                if name not in RUN_COLUMNS
            ]
            rows, digest = con.execute(
                f"select count(*), coalesce(sum(hash({', '.join(columns)}))::hugeint, 0) from {relation}"
            ).fetchone()
            out[f"{schema}.{table}"] = (int(rows), int(digest))
        return out
    finally:
        con.close()


def differences(a: dict[str, tuple[int, int]], b: dict[str, tuple[int, int]]) -> list[str]:
    """One line per table whose row count or content differs, or that only one side has."""
    lines = []
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            lines.append(f"{name}: only in the {'first' if name in a else 'second'}")
        elif a[name][0] != b[name][0]:
            lines.append(f"{name}: {a[name][0]:,} rows vs {b[name][0]:,}")
        elif a[name][1] != b[name][1]:
            lines.append(f"{name}: same {a[name][0]:,} rows, different content")
    return lines


def _compared(name: str, kind: str) -> str:
    quoted = f'"{name}"'
    if kind in ("DOUBLE", "FLOAT", "REAL"):
        return f"round({quoted}, {FLOAT_DIGITS})"
    return quoted
