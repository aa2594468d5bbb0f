"""Publication for BI: read-only files swapped in atomically after a successful build, readers never
blocked, a failed build leaves the last good publication in place."""

from __future__ import annotations

import json
import struct

import duckdb
import pytest

from omni.publish import current_version, published_dir
from omni.settings import Paths

pytestmark = pytest.mark.e2e

SEED = 9


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
        marts = dict(wh.execute("""select table_name, estimated_size from duckdb_tables()
                                   where schema_name = 'marts'""").fetchall())
        counts = {t: wh.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in marts}
    manifest = json.loads((root / "current" / "manifest.json").read_text())
    assert manifest["tables"] == counts
    with duckdb.connect(str(db), read_only=True) as pub:
        for table, rows in counts.items():
            assert pub.execute(f"select count(*) from {table}").fetchone()[0] == rows
            parquet = root / "parquet" / f"{table}.parquet"
            assert pub.execute(f"select count(*) from read_parquet('{parquet}')").fetchone()[0] == rows
        # the marts' documentation travels with them
        assert pub.execute("select comment from duckdb_tables() where table_name = 'fct_orders'").fetchone()[0]


def test_a_reader_holding_the_file_open_never_blocks_the_build_and_sees_the_swap(xs_world):
    from omni.build import build

    paths: Paths = xs_world(SEED)
    db = published_dir(paths) / "marts.duckdb"
    reader = duckdb.connect(str(db), read_only=True)
    try:
        before = reader.execute("select count(*) from customer_identity_map").fetchone()[0]
        old_version = current_version(paths)
        # new data arrives: a ticket from a new requester
        ticket = {"id": 999777, "via_channel": "email",
                  "requester": {"email": "nowy.klient.999777@example.pl", "phone": None, "name": "Nowy Klient"},
                  "subject": "Pytanie", "order_id": None, "status": "open", "created_at": "2026-10-31T09:00:00Z",
                  "first_response_at": "2026-10-31T09:30:00Z", "solved_at": None,
                  "updated_at": "2026-10-31T09:30:00Z", "contacts": 1, "satisfaction": None, "tags": "email"}
        drop = paths.landing / "helpdesk" / "tickets" / "tickets_2026-10-31-publish.json"
        drop.write_text(json.dumps({"tickets": [ticket]}))
        result = build(paths, echo=lambda _msg: None)
        assert result.success, result.failed_steps
        # the open connection still reads the version it opened
        assert reader.execute("select count(*) from customer_identity_map").fetchone()[0] == before
    finally:
        reader.close()
    assert current_version(paths) != old_version
    with duckdb.connect(str(db), read_only=True) as fresh:
        # the new ticket is there (its record and its values)
        assert fresh.execute("select count(*) from customer_identity_map").fetchone()[0] > before
        assert fresh.execute("select count(*) from customer_identity_map where entity_type = 'helpdesk_ticket' "
                             "and entity_id = '999777'").fetchone()[0] == 1


def test_a_failed_build_leaves_the_last_publication_in_place(xs_world):
    from omni.build import build

    paths: Paths = xs_world(SEED)
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
