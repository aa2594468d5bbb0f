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
