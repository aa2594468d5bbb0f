"""What a check has already judged: the rows written since it last passed.

Every table the incremental build writes stamps its rows: the marts of incremental models with the dbt
batch that wrote them (`_omni_batch`), dlt's raw tables with the load that brought them (`_dlt_load_id`).
Both only grow, and a row's stamp changes whenever its content does (a full refresh restamps every row).
So a check that passed on a table up to a stamp need not read the rows at or below it again: a row-wise
check (formats, bounds, personal data in a value) reads the rows stamped after the last stamp it passed
on; a check of the whole table (uniqueness, row counts) still reads the whole table.

The stamps a check passed on are kept in the warehouse, in `meta.checked_rows` (check, relation, stamp
column, stamp, rows, when). A check that fails records nothing: the next run judges the same rows again,
with the new ones, until they pass or a full refresh replaces them. A table without a stamp column is
judged whole, every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

# the stamp columns, in order of preference
STAMP_COLUMNS = ("_omni_batch", "_dlt_load_id")
TABLE = "meta.checked_rows"


@dataclass(frozen=True)
class NewRows:
    """The rows of a relation a check has not passed on yet. `where` is None when every row is new (no
    stamp column, or nothing passed before); `stamp` is the newest stamp in the relation now, recorded
    when the check passes."""

    relation: str
    column: str | None
    since: str | None
    stamp: str | None

    @property
    def where(self) -> str | None:
        if self.column is None or self.since is None:
            return None
        return f'"{self.column}" > {_literal(self.since)}'

    def describe(self) -> str:
        if self.where is None:
            return "every row"
        return f"rows with {self.column} > {self.since} (the rows before were judged by an earlier run)"


def stamp_column(con: duckdb.DuckDBPyConnection, relation: str) -> str | None:
    """The stamp column of a relation (any name DuckDB reads: `schema.table`, `read_parquet('...')`), or
    None."""
    columns = {name for (name,) in con.execute(f"select column_name from (describe {relation})").fetchall()}
    return next((c for c in STAMP_COLUMNS if c in columns), None)


def new_rows(
    con: duckdb.DuckDBPyConnection, check: str, relation: str, record: duckdb.DuckDBPyConnection | None = None
) -> NewRows:
    """The rows of `relation` (read through `con`) that `check` has not passed on yet. `record`: the
    connection to the warehouse that keeps the stamps (default `con`)."""
    column = stamp_column(con, relation)
    if column is None:
        return NewRows(relation, None, None, None)
    (stamp,) = con.execute(f'select max("{column}")::varchar from {relation}').fetchone()
    return NewRows(relation, column, passed_stamp(record or con, check, relation, column), stamp)


def passed_stamp(con: duckdb.DuckDBPyConnection, check: str, relation: str, column: str) -> str | None:
    """The newest stamp of `relation` on which `check` passed, or None."""
    return passed_stamps(con, check, column).get(relation)


def passed_stamps(con: duckdb.DuckDBPyConnection, check: str, column: str) -> dict[str, str]:
    """{relation: the newest stamp on which `check` passed} over every relation the check judged."""
    found = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'meta' and table_name = 'checked_rows'"
    ).fetchone()[0]
    if not found:
        return {}
    return dict(
        con.execute(
            f"select relation, arg_max(stamp, recorded_at) from {TABLE} "
            "where check_name = ? and stamp_column = ? group by relation",
            [check, column],
        ).fetchall()
    )


def record_passed(warehouse: Path | str, check: str, rows: NewRows, judged: int) -> None:
    """Keep the stamp a check passed on (nothing for a table without stamps)."""
    if rows.column is not None and rows.stamp is not None:
        record_stamps(warehouse, check, [(rows.relation, rows.column, rows.stamp, judged)])


def record_stamps(warehouse: Path | str, check: str, stamps: list[tuple[str, str, str, int]]) -> None:
    """Keep the stamps a check passed on: (relation, stamp column, stamp, rows judged) each."""
    if not stamps:
        return
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists meta")
        con.execute(
            f"""create table if not exists {TABLE} (
                check_name varchar not null, relation varchar not null, stamp_column varchar not null,
                stamp varchar not null, rows_judged bigint not null, recorded_at timestamp not null)"""
        )
        con.executemany(
            f"insert into {TABLE} values (?, ?, ?, ?, ?, current_timestamp::timestamp)",
            [[check, relation, column, stamp, judged] for relation, column, stamp, judged in stamps],
        )


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
