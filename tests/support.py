"""Small helpers the test modules share."""

from __future__ import annotations

import duckdb

from omni.settings import Paths


def rows(paths: Paths, sql: str) -> list[tuple]:
    """The rows of `sql` on the warehouse of `paths`, read-only."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()
