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

Only what changed is copied. The manifest keeps a fingerprint of every table (its columns, comments, row
count and an order-free hash of its rows, computed in DuckDB). A new version starts from the previous one:
its DuckDB file is copied as a file, the Parquet files of unchanged tables are hard links to the previous
version's (published files are never written again, so sharing them is safe), and only the tables whose
fingerprint differs are written again (dropped and created in the copied file, exported to Parquet). After
a daily incremental build most marts are unchanged; the full tables rebuilt with the same content are
unchanged too. A version without a previous one, or whose previous one has no fingerprints, is written
whole, and so is the version published while an erasure is pending (`fresh`): the copied file would keep
the replaced tables' bytes in its free blocks.

A changed incremental mart is patched rather than copied again (`keys`: its unique key, from the dbt
manifest): every row of an incremental mart carries the batch that wrote it (`_omni_batch`), and the
manifest keeps the newest batch each version published (`stamps`). In the copied file the rows of the keys
written since then are deleted and written again, and the rows whose key is no longer in the warehouse
deleted; the patched table must then have the warehouse table's row count and row hash, else it is
copied whole. The row hash is a sum over rows, so the patched table's is computed from the previous
version's and the rows the patch deleted and inserted, without reading the whole table again.
The rows a patch deletes stay in the file as dead rows; the manifest counts them (`dead_rows`), and a
table whose dead rows would pass MAX_DEAD_SHARE of its rows is written whole instead. Its
Parquet file is written again whole (a Parquet file cannot be changed in place). The patched table's rows
are no longer in the warehouse's order (no reader may rely on an order without `order by`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from omni.privacy import STAMP
from omni.settings import Paths

STORAGE_VERSION = "v1.0.0"  # readable by every DuckDB from 1.0 on
KEEP_VERSIONS = 3
# zstd at its fastest level: at size m the touchpoints' file (17M rows) is written in 9.5 s instead of
# 15.6 s at the default level, and is no larger (1.22 GB against 1.25 GB)
PARQUET_COMPRESSION = "COMPRESSION zstd, COMPRESSION_LEVEL 1"
# what the copying DuckDB connection may hold in memory before it spills to a temporary directory
MEMORY_LIMIT = "1GB"
# a patched table's deleted rows stay in the file (DuckDB marks them deleted in their row groups): once they
# would pass this share of the table's rows, the table is written whole again instead
MAX_DEAD_SHARE = 0.1


@dataclass(frozen=True)
class Publication:
    version: str
    directory: Path
    tables: dict[str, int]
    seconds: float
    # the tables written in this version; the others were taken unchanged from `previous`
    written: tuple[str, ...] = ()
    previous: str | None = None
    # of the tables written, those patched in the previous version's file (rows written since it)
    patched: tuple[str, ...] = ()


def published_dir(paths: Paths) -> Path:
    return paths.outputs / "published"


def current_version(paths: Paths) -> Path | None:
    link = published_dir(paths) / "current"
    return link.resolve() if link.exists() else None


def publish(
    paths: Paths, schema: str = "marts", fresh: bool = False, keys: dict[str, list[str]] | None = None
) -> Publication:
    """Publish a new version of the `schema` tables. `fresh`: write every table into a new file instead of
    starting from the previous version (after an erasure: a copied file keeps the bytes of the tables it
    replaced in its free blocks, and an erased person must leave none). `keys`: the unique key of each
    incremental table (`incremental_keys`), whose changes are patched into the copied file."""
    started = time.perf_counter()
    root = published_dir(paths)
    versions = root / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    version = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:8]
    work = versions / f".{version}.partial"
    (work / "parquet").mkdir(parents=True)
    previous = None if fresh else current_version(paths)
    try:
        tables, fingerprints, stamps, dead, written, patched, base = _export(
            paths.warehouse, schema, work, previous, keys or {}
        )
        (work / "manifest.json").write_text(
            json.dumps(
                {
                    "version": version,
                    "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "warehouse": str(paths.warehouse),
                    "schema": schema,
                    "storage_version": STORAGE_VERSION,
                    "tables": tables,
                    "fingerprints": fingerprints,
                    # the newest `_omni_batch` of each table that has the column
                    "stamps": stamps,
                    # the rows patched out of each table of the DuckDB file since the table was written
                    # whole: they stay in the file as dead rows until it is (MAX_DEAD_SHARE)
                    "dead_rows": dead,
                    # the tables written in this version; the others are the previous version's, unchanged
                    "written": written,
                    # of those, the tables patched in the previous version's file (the rows written since)
                    "patched": patched,
                    "previous_version": base,
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
    return Publication(
        version, final, tables, time.perf_counter() - started, tuple(written), base, tuple(patched)
    )


def _export(
    warehouse: Path, schema: str, target: Path, previous: Path | None, keys: dict[str, list[str]]
) -> tuple[dict[str, int], dict[str, str], dict[str, int], dict[str, int], list[str], list[str], str | None]:
    """Write the version's files into `target`, starting from the `previous` version where it has
    fingerprints: (rows per table, fingerprint per table, newest batch per stamped table, rows patched out
    of each patched table's copy since it was written whole, the tables written, those of them patched,
    the version started from)."""
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: build it first")
    spill = tempfile.TemporaryDirectory(prefix="omni-publish-")
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": spill.name})
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
        listed = con.execute(
            """
            select table_name, comment from duckdb_tables() where database_name = 'wh' and schema_name = ?
            union all  -- on Spark the marts are views of the lake's catalog (omni/lake_catalog.py)
            select view_name, comment from duckdb_views() where database_name = 'wh' and schema_name = ?
            order by table_name
        """,
            [schema, schema],
        ).fetchall()
        if not listed:
            raise RuntimeError(f"the warehouse has no tables in schema {schema!r}: nothing to publish")
        counted = {name: _fingerprint(con, schema, name, comment) for name, comment in listed}
        fingerprints = {name: fingerprint for name, (_rows, fingerprint, _stamp) in counted.items()}
        stamps = {name: stamp for name, (_rows, _fp, stamp) in counted.items() if stamp is not None}
        before = _previous_fingerprints(previous) if previous is not None else None
        before_stamps: dict[str, int] = {}
        before_dead: dict[str, int] = {}
        dead: dict[str, int] = {}
        if previous is not None and before is not None:
            # the previous version's file, copied whole (sequential I/O), then only the changed tables
            shutil.copyfile(previous / "marts.duckdb", target / "marts.duckdb")
            base = previous.name
            before_stamps = _previous_counts(previous, "stamps")
            before_dead = _previous_counts(previous, "dead_rows")
        else:
            before, base = {}, None
        con.execute(f"ATTACH '{target / 'marts.duckdb'}' AS pub (STORAGE_VERSION '{STORAGE_VERSION}')")
        kept = {name for name, fingerprint in fingerprints.items() if before.get(name) == fingerprint}
        # changed tables of the same columns whose rows say when they were written: patched in place
        patchable = {
            name
            for name in fingerprints
            if name not in kept
            and name in keys
            and name in before_stamps
            and name in stamps
            and _same_columns(before.get(name), fingerprints[name])
        }
        present = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'pub'"
            ).fetchall()
        ]
        for gone in sorted(set(present) - kept - patchable):  # changed, or no longer in the warehouse
            con.execute(f'DROP TABLE pub.main."{gone}"')
        tables: dict[str, int] = {}
        written: list[str] = []
        patched: list[str] = []
        for name, comment in listed:
            parquet = target / "parquet" / f"{name}.parquet"
            if previous is not None and name in kept:
                _share(previous / "parquet" / f"{name}.parquet", parquet)
                if name in before_dead:
                    dead[name] = before_dead[name]
            else:
                deleted = None
                if name in patchable and name in present:
                    deleted = _patch(
                        con,
                        schema,
                        name,
                        keys[name],
                        before_stamps[name],
                        _rows_and_digest(before[name]),
                        _rows_and_digest(fingerprints[name]),
                        before_dead.get(name, 0),
                    )
                if deleted is not None:
                    patched.append(name)
                    dead[name] = deleted
                else:
                    con.execute(f'DROP TABLE IF EXISTS pub.main."{name}"')
                    con.execute(f'CREATE TABLE pub.main."{name}" AS SELECT * FROM wh."{schema}"."{name}"')
                    if comment:
                        con.execute(f'COMMENT ON TABLE pub.main."{name}" IS {_literal(comment)}')
                    _copy_column_comments(con, schema, name)
                con.execute(
                    f"""COPY pub.main."{name}" TO '{parquet}' (FORMAT parquet, {PARQUET_COMPRESSION})"""
                )
                written.append(name)
            tables[name] = counted[name][0]
        con.execute("CHECKPOINT pub")
        con.execute("DETACH pub")
        return tables, fingerprints, stamps, dead, written, patched, base
    finally:
        con.close()
        spill.cleanup()


def _patch(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    key: list[str],
    since: int,
    published: tuple[int, int],
    expected: tuple[int, int],
    deleted_before: int,
) -> int | None:
    """Bring the copied file's `table` to the warehouse's: the rows of the keys the warehouse wrote after
    batch `since` replaced, the keys it no longer holds deleted. Returns the rows deleted from the file's
    copy of the table since it was last written whole (`deleted_before` and these), or None when the table
    is left for a whole copy: the result does not have the warehouse table's rows and hash (`expected`),
    or the deleted rows, which stay in the file as dead rows, would pass MAX_DEAD_SHARE of the table.

    The row hash of the fingerprint is a sum over rows, so the patched table's is the copied table's
    (`published`: rows and hash, as the previous version's manifest has them) less the rows deleted plus
    the rows inserted: only the rows the patch touches are hashed, not the whole table again."""
    source, copy = f'wh."{schema}"."{table}"', f'pub.main."{table}"'
    rows = expected[0]
    newer = f'from {source} where "{STAMP}" > {int(since)}'
    ((written,),) = con.execute(f"select count(*) {newer}").fetchall()
    if deleted_before + written > MAX_DEAD_SHARE * rows:
        return None
    names = [name for name, *_ in _columns(con, schema, table)]
    listed = ", ".join(f'"{c}"' for c in key)
    same_key = " and ".join(f'current_rows."{c}" = {copy}."{c}"' for c in key)
    # the rows written since, read once from the warehouse (at most MAX_DEAD_SHARE of the table)
    con.execute(f"create or replace temporary table written_rows as select * {newer}")
    try:
        rewritten = f"({listed}) in (select ({listed}) from written_rows)"
        removed_rows, removed_hash, _ = _content(con, f"(select * from {copy} where {rewritten})", names)
        con.execute(f"delete from {copy} where {rewritten}").fetchall()
        added_rows, added_hash, _ = _content(con, "written_rows", names)
        con.execute(f"insert into {copy} select * from written_rows").fetchall()
    finally:
        con.execute("drop table if exists written_rows")
    # keys the warehouse no longer holds. Every row of the warehouse table is in the copy now (written since,
    # or unchanged since the previous version; a row changed without a newer stamp fails the hash check
    # below), so the copy holds such keys only when it has more rows than the warehouse table
    if published[0] - removed_rows + added_rows > rows:
        gone = f"not exists (select 1 from {source} as current_rows where {same_key})"
        gone_rows, gone_hash, _ = _content(con, f"(select * from {copy} where {gone})", names)
        con.execute(f"delete from {copy} where {gone}").fetchall()
        removed_rows, removed_hash = removed_rows + gone_rows, int(removed_hash) + int(gone_hash)
    deleted = deleted_before + removed_rows
    if deleted > MAX_DEAD_SHARE * rows:
        return None
    patched = (
        published[0] - removed_rows + added_rows,
        published[1] - int(removed_hash) + int(added_hash),
    )
    return deleted if patched == expected else None


def _rows_and_digest(fingerprint: str) -> tuple[int, int]:
    """The row count and the row hash of a fingerprint (`_fingerprint`)."""
    rows, digest, _columns = fingerprint.split(":")
    return int(rows), int(digest)


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str, str | None]]:
    """The columns of a warehouse table, in order: (name, type, comment)."""
    return con.execute(
        """
        select column_name, data_type, comment from duckdb_columns()
        where database_name = 'wh' and schema_name = ? and table_name = ? order by column_index
    """,
        [schema, table],
    ).fetchall()


def _content(con: duckdb.DuckDBPyConnection, relation: str, names: list[str]) -> tuple[int, str, int | None]:
    """The row count of a relation, an order-free hash of its rows (as text) and its newest batch stamp
    (None without the column)."""
    listed = ", ".join(f'"{name}"' for name in names)
    newest = f'max("{STAMP}")' if STAMP in names else "null"
    rows, digest, stamp = con.execute(
        f"select count(*), coalesce(sum(hash({listed}))::hugeint, 0), {newest} from {relation}"
    ).fetchone()
    return int(rows), str(digest), (int(stamp) if stamp is not None else None)


def _same_columns(before: str | None, now: str) -> bool:
    """Whether two fingerprints describe the same columns and comments (their third part)."""
    return before is not None and before.rsplit(":", 1)[-1] == now.rsplit(":", 1)[-1]


def _fingerprint(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, comment: str | None
) -> tuple[int, str, int | None]:
    """The table's row count, what a reader of it sees as one string (its comment, its columns: name,
    type, comment, its row count and an order-free hash of its rows), and its newest batch stamp when it
    has the column."""
    columns = _columns(con, schema, table)
    rows, digest, stamp = _content(con, f'wh."{schema}"."{table}"', [name for name, *_ in columns])
    described = json.dumps([comment, columns], sort_keys=True)
    return rows, f"{rows}:{digest}:{hashlib.sha256(described.encode()).hexdigest()[:16]}", stamp


def _share(published: Path, target: Path) -> None:
    """`target` as the same file as `published` (a hard link; a copy where links are not possible)."""
    try:
        os.link(published, target)
    except OSError:
        shutil.copyfile(published, target)


def _previous_fingerprints(previous: Path) -> dict[str, str] | None:
    """The fingerprints of the previous version, when it has them and its DuckDB file is there (tables
    whose Parquet file is missing count as changed)."""
    if not (previous / "marts.duckdb").exists():
        return None
    try:
        manifest = json.loads((previous / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    fingerprints = manifest.get("fingerprints")
    if not isinstance(fingerprints, dict) or manifest.get("storage_version") != STORAGE_VERSION:
        return None
    return {
        name: value
        for name, value in fingerprints.items()
        if (previous / "parquet" / f"{name}.parquet").exists()
    }


def _previous_counts(previous: Path, entry: str) -> dict[str, int]:
    """A per-table number the previous version's manifest keeps (`stamps`: the newest batch stamp of each
    table; `dead_rows`: the rows patched out of each table of its file); empty for older versions."""
    try:
        counts = json.loads((previous / "manifest.json").read_text()).get(entry)
    except (OSError, ValueError):
        return {}
    return {name: int(value) for name, value in counts.items()} if isinstance(counts, dict) else {}


def incremental_keys(manifest_path: Path, schema: str = "marts") -> dict[str, list[str]]:
    """The unique key of every incremental model of `schema` in a dbt manifest: {table: key columns}."""
    manifest = json.loads(Path(manifest_path).read_text())
    keys: dict[str, list[str]] = {}
    for node in manifest["nodes"].values():
        config = node.get("config") or {}
        key = config.get("unique_key")
        if (
            node.get("resource_type") == "model"
            and node.get("schema") == schema
            and config.get("materialized") == "incremental"
            and key
        ):
            keys[node.get("alias") or node["name"]] = [key] if isinstance(key, str) else list(key)
    return keys


def _copy_column_comments(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    for column, _type, comment in _columns(con, schema, table):
        if comment is not None:
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
