"""Publish the marts for BI readers that must never block, or be blocked by, the pipeline.

After a successful build every table of the `marts` schema is copied out of the warehouse into a new
version directory:

    outputs/published/
      versions/<id>/marts.duckdb       read-only copy, DuckDB storage format v1.0 (DuckDB 1.x reads it)
      versions/<id>/parquet/<t>.parquet
      versions/<id>/manifest.json      tables, row counts, when, from which warehouse
      current -> versions/<id>         swapped atomically (rename of a symlink)
      marts.duckdb -> current/marts.duckdb
      parquet -> current/parquet

A reader that opened the previous files keeps reading them (they are never written again, only
unlinked when old enough); a new reader gets the new version. A build that fails never reaches this
step, so the last good publication stays in place.

The copy runs inside DuckDB (`CREATE TABLE ... AS` into the attached file, `COPY ... TO` Parquet), no
row passes through Python, under a memory limit beyond which DuckDB spills to a temporary directory.
Rows keep the warehouse's order.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from omni.settings import Paths

STORAGE_VERSION = "v1.0.0"  # readable by every DuckDB from 1.0 on
KEEP_VERSIONS = 3
# what the copying DuckDB connection may hold in memory before it spills to a temporary directory
MEMORY_LIMIT = "1GB"


@dataclass(frozen=True)
class Publication:
    version: str
    directory: Path
    tables: dict[str, int]
    seconds: float


def published_dir(paths: Paths) -> Path:
    return paths.outputs / "published"


def current_version(paths: Paths) -> Path | None:
    link = published_dir(paths) / "current"
    return link.resolve() if link.exists() else None


def publish(paths: Paths, schema: str = "marts") -> Publication:
    started = time.perf_counter()
    root = published_dir(paths)
    versions = root / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    version = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    work = versions / f".{version}.partial"
    (work / "parquet").mkdir(parents=True)
    try:
        tables = _export(paths.warehouse, schema, work)
        (work / "manifest.json").write_text(
            json.dumps(
                {
                    "version": version,
                    "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "warehouse": str(paths.warehouse),
                    "schema": schema,
                    "storage_version": STORAGE_VERSION,
                    "tables": tables,
                },
                indent=2,
            )
            + "\n"
        )
        final = versions / version
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    _swap_link(root / "current", Path("versions") / version)
    for name, target in (("marts.duckdb", "current/marts.duckdb"), ("parquet", "current/parquet")):
        if not (root / name).is_symlink():
            _swap_link(root / name, Path(target))
    _prune(versions, keep=final)
    return Publication(version, final, tables, time.perf_counter() - started)


def _export(warehouse: Path, schema: str, target: Path) -> dict[str, int]:
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: build it first")
    spill = tempfile.TemporaryDirectory(prefix="omni-publish-")
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill.name})
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
        con.execute(f"ATTACH '{target / 'marts.duckdb'}' AS pub (STORAGE_VERSION '{STORAGE_VERSION}')")
        listed = con.execute(
            """
            select table_name, comment from duckdb_tables()
            where database_name = 'wh' and schema_name = ? order by table_name
        """,
            [schema],
        ).fetchall()
        if not listed:
            raise RuntimeError(f"the warehouse has no tables in schema {schema!r}: nothing to publish")
        tables: dict[str, int] = {}
        for name, comment in listed:
            con.execute(f'CREATE TABLE pub.main."{name}" AS SELECT * FROM wh."{schema}"."{name}"')
            if comment:
                con.execute(f'COMMENT ON TABLE pub.main."{name}" IS {_literal(comment)}')
            con.execute(f"""COPY pub.main."{name}" TO '{target / "parquet" / f"{name}.parquet"}'
                            (FORMAT parquet, COMPRESSION zstd)""")
            tables[name] = con.execute(f'SELECT count(*) FROM pub.main."{name}"').fetchall()[0][0]
        _copy_column_comments(con, schema)
        con.execute("DETACH pub")
        return tables
    finally:
        con.close()
        spill.cleanup()


def _copy_column_comments(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    for table, column, comment in con.execute(
        """
        select table_name, column_name, comment from duckdb_columns()
        where database_name = 'wh' and schema_name = ? and comment is not null
    """,
        [schema],
    ).fetchall():
        con.execute(f'COMMENT ON COLUMN pub.main."{table}"."{column}" IS {_literal(comment)}')


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _swap_link(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically: a new symlink renamed over the old one."""
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}")
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _prune(versions: Path, keep: Path) -> None:
    """Remove all but the newest versions. On POSIX a reader that still holds a removed file open
    keeps reading it until it closes it."""
    for partial in versions.glob(".*.partial"):  # left by a publication that was killed
        shutil.rmtree(partial, ignore_errors=True)
    done = sorted(
        (p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name
    )
    for old in done[:-KEEP_VERSIONS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
