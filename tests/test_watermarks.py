"""omni/watermarks.py: which rows a check has judged, by the stamps of the batches and loads that wrote them."""

from __future__ import annotations

import duckdb

from omni.watermarks import TABLE, new_rows, passed_stamps, record_passed


def test_rows_of_newer_loads_are_new_and_a_table_without_stamps_is_always_whole(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw_pos")
        con.execute(
            "create table raw_pos.receipts as select * from (values ('r1', '1764750000.101'), "
            "('r2', '1764750000.101'), ('r3', '1764836400.5')) as t(receipt_id, _dlt_load_id)"
        )
        con.execute("create table raw_pos.stores as select 'S01' as store_id")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        first = new_rows(con, "gx_raw_pos_receipts", "raw_pos.receipts")
        assert (first.column, first.since, first.stamp, first.where) == (
            "_dlt_load_id",
            None,
            "1764836400.5",
            None,
        )
        assert first.describe() == "every row"
        unstamped = new_rows(con, "gx_raw_pos_stores", "raw_pos.stores")
        assert unstamped.column is None and unstamped.where is None
    record_passed(warehouse, "gx_raw_pos_receipts", first, 3)
    record_passed(warehouse, "gx_raw_pos_stores", unstamped, 1)  # nothing to keep

    with duckdb.connect(str(warehouse)) as con:
        assert con.execute(f"select check_name, relation, stamp, rows_judged from {TABLE}").fetchall() == [
            ("gx_raw_pos_receipts", "raw_pos.receipts", "1764836400.5", 3)
        ]
        con.execute("insert into raw_pos.receipts values ('r4', '1764922800.25'), ('r5', '1764922800.25')")
        later = new_rows(con, "gx_raw_pos_receipts", "raw_pos.receipts")
        assert later.since == "1764836400.5" and later.stamp == "1764922800.25"
        assert con.execute(
            f"select receipt_id from raw_pos.receipts where {later.where} order by 1"
        ).fetchall() == [
            ("r4",),
            ("r5",),
        ]
        # another check of the same table keeps its own stamps
        assert new_rows(con, "other_check", "raw_pos.receipts").where is None
        assert passed_stamps(con, "gx_raw_pos_receipts", "_dlt_load_id") == {
            "raw_pos.receipts": "1764836400.5"
        }
