"""Small helpers the test modules share."""

from __future__ import annotations

from pathlib import Path

import duckdb

from omni.settings import Paths


def rows(paths: Paths, sql: str) -> list[tuple]:
    """The rows of `sql` on the warehouse of `paths`, read-only."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def generate_xs(folder: Path, seed: int) -> Path:
    """An xs world of `seed` generated into `folder` (a module function: worker processes run it)."""
    from devtools.generate import generate

    generate(folder, size="xs", seed=seed)
    return folder
