"""Every raw table of the contract exists, typed, even when its source is off or sent nothing.

dlt creates a table when the first rows arrive. A retailer without, say, an ad platform (or whose
export of a day was empty) must still get a warehouse whose staging models and marts build: so the
tables a source has not created yet are created empty, with the contract's columns and types and the
columns dlt adds (`_source_file`, `_dlt_load_id`). When the source sends rows later, dlt finds the
table there and loads into it (it adds columns it lacks, it never re-creates a table).

A table that exists but lacks a column the contract has since gained (an optional column added to the
contract after the table was loaded) gets it, empty, so that staging can read it before any file
carrying it arrives; dlt reads the table's columns from the warehouse and does not add it again.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path

import duckdb

from ingestion.common.contract import DUCKDB_TYPES, Table, quote

LINEAGE_COLUMNS = (("_source_file", "VARCHAR"), ("_dlt_load_id", "VARCHAR"))


def contract_tables(source_name: str) -> tuple[Table, ...]:
    return importlib.import_module(f"ingestion.{source_name}.settings").TABLES


def create_table_sql(schema: str, table: Table) -> str:
    columns = [f"{quote(c.name)} {DUCKDB_TYPES[c.type]}" for c in table.columns]
    columns += [f"{quote(name)} {kind}" for name, kind in LINEAGE_COLUMNS]
    return f"CREATE TABLE IF NOT EXISTS {quote(schema)}.{quote(table.name)} ({', '.join(columns)})"


def ensure_raw_tables(warehouse: str | Path, source_names: Iterable[str]) -> list[str]:
    """Create, empty, every contract table of `source_names` that the warehouse lacks.

    Returns the tables created (`raw_<source>.<table>`)."""
    created = []
    with duckdb.connect(str(warehouse)) as con:
        present = {
            (s, t)
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
            ).fetchall()
        }
        for source in source_names:
            schema = f"raw_{source}"
            for table in contract_tables(source):
                if (schema, table.name) in present:
                    _add_missing_columns(con, schema, table)
                    continue
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
                con.execute(create_table_sql(schema, table))
                created.append(f"{schema}.{table.name}")
    return created


def _add_missing_columns(con: duckdb.DuckDBPyConnection, schema: str, table: Table) -> list[str]:
    """Add, empty, the contract columns an existing raw table lacks; returns their names."""
    have = {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ?",
            [schema, table.name],
        ).fetchall()
    }
    missing = [c for c in table.columns if c.name not in have]
    for c in missing:
        con.execute(
            f"ALTER TABLE {quote(schema)}.{quote(table.name)} ADD COLUMN {quote(c.name)} {DUCKDB_TYPES[c.type]}"
        )
    return [c.name for c in missing]
