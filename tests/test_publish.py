"""Publication for BI: read-only files swapped in atomically after a successful build, readers never
blocked, a failed build leaves the last good publication in place."""

from __future__ import annotations

import json
import shutil
import struct

import duckdb
import pytest

from omni.publish import current_version, published_dir
from omni.settings import Paths
from tests.late_arrivals import NEW_REQUESTER_TICKET

pytestmark = pytest.mark.e2e

SEED = 8


def test_every_mart_is_published_as_duckdb_1x_and_parquet(xs_world):
    paths: Paths = xs_world(SEED)
    root = published_dir(paths)
    db = root / "marts.duckdb"
    assert db.is_symlink() and db.exists()
    # storage format number 64 in the header: the format DuckDB 1.0 to 1.x read (and write)
    with db.open("rb") as f:
        header = f.read(20)
    assert header[8:12] == b"DUCK" and struct.unpack("<Q", header[12:20])[0] == 64
    with duckdb.connect(str(paths.warehouse), read_only=True) as wh:
        marts = dict(
            wh.execute("""select table_name, estimated_size from duckdb_tables()
                                   where schema_name = 'marts'""").fetchall()
        )
        counts = {t: wh.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in marts}
    manifest = json.loads((root / "current" / "manifest.json").read_text())
    assert manifest["tables"] == counts
    with duckdb.connect(str(db), read_only=True) as pub:
        for table, rows in counts.items():
            assert pub.execute(f"select count(*) from {table}").fetchone()[0] == rows
            parquet = root / "parquet" / f"{table}.parquet"
            assert pub.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()[0] == rows
        # the marts' documentation travels with them
        assert pub.execute("select comment from duckdb_tables() where table_name = 'fct_orders'").fetchone()[
            0
        ]


def test_a_reader_holding_the_file_open_never_blocks_the_build_and_sees_the_swap(late_world):
    # a connection to the published file stayed open while late data was built (tests/late_arrivals.py)
    paths = late_world.paths
    # the open connection still read the version it opened
    assert late_world.records_seen_by_the_open_reader == late_world.published_records_before
    assert current_version(paths) != late_world.published_version_before
    with duckdb.connect(str(published_dir(paths) / "marts.duckdb"), read_only=True) as fresh:
        # the new ticket is there (its record and its values)
        assert (
            fresh.execute("select count(*) from customer_identity_map").fetchone()[0]
            > late_world.published_records_before
        )
        assert (
            fresh.execute(
                "select count(*) from customer_identity_map where entity_type = 'helpdesk_ticket' "
                "and entity_id = ?",
                [NEW_REQUESTER_TICKET],
            ).fetchone()[0]
            == 1
        )


def test_a_failed_build_leaves_the_last_publication_in_place(xs_world, tmp_path):
    from omni.build import build

    # a copy: the built worlds are shared read-only by the whole session
    paths = Paths.from_env(tmp_path / "data")
    shutil.copytree(xs_world(SEED).data_dir, paths.data_dir, symlinks=True)
    version = current_version(paths)
    # a survey export without its key column: that source fails, nothing downstream runs
    bad = paths.landing / "surveys" / "responses_2026-10-31-broken.csv"
    bad.write_text("survey_type,email,score\nNPS,a@b.pl,9\n")
    try:
        result = build(paths, echo=lambda _msg: None)
        assert not result.success
    finally:
        bad.unlink()
    assert current_version(paths) == version
    with duckdb.connect(str(published_dir(paths) / "marts.duckdb"), read_only=True) as pub:
        assert pub.execute("select count(*) from fct_orders").fetchone()[0] > 0


def _warehouse(paths: Paths, rows: dict[str, list[int]]) -> None:
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema if not exists marts")
        for table, values in rows.items():
            con.execute(f"create or replace table marts.{table} (id integer, label varchar)")
            con.executemany(f"insert into marts.{table} values (?, ?)", [(v, f"#{v}") for v in values])


def test_a_publication_writes_only_the_tables_that_changed(tmp_path):
    from omni.publish import publish

    paths = Paths.from_env(tmp_path / "data")
    paths.data_dir.mkdir(parents=True)
    _warehouse(paths, {"a": [1, 2, 3], "b": [4], "c": [5, 6]})
    first = publish(paths)
    assert first.previous is None and sorted(first.written) == ["a", "b", "c"]

    # b rebuilt with the same rows, in another order: unchanged; c loses a row; d is new
    _warehouse(paths, {"a": [1, 2, 3], "b": [4]})
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("delete from marts.c where id = 6")
        con.execute("create table marts.d as select 7 as id")
    second = publish(paths)
    assert second.previous == first.version
    assert sorted(second.written) == ["c", "d"]
    assert second.tables == {"a": 3, "b": 1, "c": 1, "d": 1}
    # the unchanged tables' Parquet files are the previous version's files, shared
    for table in ("a", "b"):
        assert (second.directory / "parquet" / f"{table}.parquet").samefile(
            first.directory / "parquet" / f"{table}.parquet"
        )
    assert not (second.directory / "parquet" / "c.parquet").samefile(
        first.directory / "parquet" / "c.parquet"
    )

    # a table dropped from the warehouse is gone from the next version; the previous one is untouched
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("drop table marts.a")
        con.execute("comment on table marts.b is 'now documented'")
    third = publish(paths)
    assert third.written == ("b",)
    with duckdb.connect(str(third.directory / "marts.duckdb"), read_only=True) as pub:
        assert [
            r[0] for r in pub.execute("select table_name from duckdb_tables() order by 1").fetchall()
        ] == [
            "b",
            "c",
            "d",
        ]
        assert pub.execute("select comment from duckdb_tables() where table_name = 'b'").fetchone()[0] == (
            "now documented"
        )
        assert pub.execute("select * from c").fetchall() == [(5, "#5")]
    with duckdb.connect(str(first.directory / "marts.duckdb"), read_only=True) as old:
        assert old.execute("select count(*) from c").fetchone()[0] == 2
        assert old.execute("select count(*) from a").fetchone()[0] == 3
    manifest = json.loads((third.directory / "manifest.json").read_text())
    assert manifest["previous_version"] == second.version and manifest["written"] == ["b"]


def test_a_publication_after_one_without_fingerprints_writes_everything(tmp_path):
    from omni.publish import publish

    paths = Paths.from_env(tmp_path / "data")
    paths.data_dir.mkdir(parents=True)
    _warehouse(paths, {"a": [1], "b": [2]})
    first = publish(paths)
    manifest = json.loads((first.directory / "manifest.json").read_text())
    del manifest["fingerprints"]
    (first.directory / "manifest.json").write_text(json.dumps(manifest))
    second = publish(paths)
    assert second.previous is None and sorted(second.written) == ["a", "b"]


def test_a_fresh_publication_writes_every_table_into_a_new_file(tmp_path):
    """After an erasure: no table comes from the previous version's file (its free blocks would keep the
    bytes of the tables it replaced)."""
    from omni.publish import publish

    paths = Paths.from_env(tmp_path / "data")
    paths.data_dir.mkdir(parents=True)
    _warehouse(paths, {"a": [1], "b": [2]})
    first = publish(paths)
    second = publish(paths, fresh=True)
    assert second.previous is None and sorted(second.written) == ["a", "b"]
    assert not (second.directory / "parquet" / "a.parquet").samefile(
        first.directory / "parquet" / "a.parquet"
    )


def _stamped(paths: Paths, sql: list[str]) -> None:
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema if not exists marts")
        for statement in sql:
            con.execute(statement)


def _warehouse_rows(paths: Paths, table: str) -> list:
    with duckdb.connect(str(paths.warehouse), read_only=True) as wh:
        return sorted(wh.execute(f"select * from marts.{table}").fetchall())


def _published_rows(publication, table: str) -> tuple[list, list]:
    with duckdb.connect(str(publication.directory / "marts.duckdb"), read_only=True) as pub:
        rows = sorted(pub.execute(f"select * from {table}").fetchall())
        parquet = publication.directory / "parquet" / f"{table}.parquet"
        return rows, sorted(pub.execute(f"select * from read_parquet('{parquet}')").fetchall())


def test_a_changed_incremental_mart_is_patched_with_the_rows_written_since_the_last_version(tmp_path):
    """An incremental mart (unique key, `_omni_batch` on every row) is patched in the copied file: the rows
    of its keys stamped after the previous version's newest batch replaced, its vanished keys deleted. The
    result equals the warehouse table; a table whose stamps do not tell every change is copied whole."""
    from omni.publish import publish

    paths = Paths.from_env(tmp_path / "data")
    paths.data_dir.mkdir(parents=True)
    _stamped(
        paths,
        [
            "create table marts.facts (k integer, part integer, label varchar, _omni_batch bigint)",
            "insert into marts.facts select i // 2, i % 2, 'v' || i, 100 from range(400) t(i)",
            "comment on table marts.facts is 'facts, two parts per key'",
            "comment on column marts.facts.label is 'a label'",
        ],
    )
    keys = {"facts": ["k"]}
    first = publish(paths, keys=keys)
    assert first.written == ("facts",) and first.patched == ()
    assert json.loads((first.directory / "manifest.json").read_text())["stamps"] == {"facts": 100}

    # batch 200: key 3 rewritten (one row fewer), key 250 new, key 7 gone
    _stamped(
        paths,
        [
            "delete from marts.facts where k in (3, 7)",
            "insert into marts.facts values (3, 0, 'changed', 200), (250, 0, 'new', 200), (250, 1, 'new', 200)",
        ],
    )
    second = publish(paths, keys=keys)
    assert second.written == ("facts",) and second.patched == ("facts",)
    expected = _warehouse_rows(paths, "facts")
    published, parquet = _published_rows(second, "facts")
    assert published == parquet == expected and len(expected) == 400 - 4 + 3
    # the four rows deleted stay in the file as dead rows: counted
    assert json.loads((second.directory / "manifest.json").read_text())["dead_rows"] == {"facts": 4}
    with duckdb.connect(str(second.directory / "marts.duckdb"), read_only=True) as pub:
        assert pub.execute("select comment from duckdb_tables() where table_name = 'facts'").fetchone() == (
            "facts, two parts per key",
        )
    # the previous version is untouched
    assert len(_published_rows(first, "facts")[0]) == 400

    # a row changed without a newer stamp: the patch would miss it, so the table is copied whole
    _stamped(paths, ["update marts.facts set label = 'silent' where k = 10 and part = 0"])
    third = publish(paths, keys=keys)
    assert third.written == ("facts",) and third.patched == ()
    expected = _warehouse_rows(paths, "facts")
    assert _published_rows(third, "facts") == (expected, expected)

    assert json.loads((third.directory / "manifest.json").read_text())["dead_rows"] == {}

    # without the key (a full table), the same change is copied whole too
    _stamped(paths, ["update marts.facts set label = 'again', _omni_batch = 300 where k = 11"])
    fourth = publish(paths)
    assert fourth.written == ("facts",) and fourth.patched == ()

    # patches add up their dead rows; past a tenth of the table it is written whole again
    _stamped(paths, ["update marts.facts set label = 'x', _omni_batch = 400 where k < 15"])
    fifth = publish(paths, keys=keys)
    assert fifth.patched == ("facts",)
    assert json.loads((fifth.directory / "manifest.json").read_text())["dead_rows"] == {"facts": 27}
    _stamped(paths, ["update marts.facts set label = 'y', _omni_batch = 500 where k between 15 and 22"])
    sixth = publish(paths, keys=keys)
    assert sixth.written == ("facts",) and sixth.patched == ()
    expected = _warehouse_rows(paths, "facts")
    assert _published_rows(sixth, "facts") == (expected, expected)
