"""dlt file-drop sources: contracts, quarantine, exactly-once file loading, Arrow/Parquet path."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from ingestion import SOURCE_NAMES
from ingestion.common.filedrop import ContractError
from ingestion.pipeline import make_source, run_source

REPO = Path(__file__).resolve().parent.parent
POS_HEADER = (
    "receipt_id;store_id;register_no;cashier_id;receipt_datetime;transaction_type;loyalty_card;"
    "customer_phone;line_no;sku;quantity;unit_price;discount;line_total;payment_method;coupon_code;"
    "original_order_id;original_receipt_id"
)
POS_DAY1 = (
    "\n".join(
        [
            POS_HEADER,
            "R1;S01;1;C1;2026-05-01 10:00:00;SALE;2990000000017;;1;SKU1;2;12,50;0;25,00;card;;;",
            "R1;S01;1;C1;2026-05-01 10:00:00;SALE;2990000000017;;2;SKU2;1;5,00;0;5,00;card;;;",
            "R2;S01;1;C1;31.02.2026 25:61;SALE;;601-234-567;1;SKU1;-1;12,50;0;12,50;cash;;;",
            ";S01;1;C1;2026-05-01 11:00:00;SALE;;;1;SKU1;1;12,50;0;12,50;cash;;;",
            "R3;S01;1;C1;2026-05-01 11:00:00;SALE;;;1;SKU1;1;12,50;0;12,50;cash;;;;extra",
            "R4;S01;1;C1;2026-05-01 12:00:00;RETURN;;;1;SKU1;-1;12,50;0;-12,50;card;;WS-1;",
        ]
    )
    + "\n"
)


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load(data: Path, source: str):
    return run_source(source, data / "landing", data / "warehouse.duckdb", data / "dlt")


def query(data: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_contract_is_documented():
    """docs/landing.md names every raw table and every column of the code's contracts."""
    doc = (REPO / "docs" / "landing.md").read_text()
    for name in SOURCE_NAMES:
        module = __import__(f"ingestion.{name}.settings", fromlist=["TABLES"])
        for table in module.TABLES:
            assert f"raw_{name}.{table.name}" in doc, f"raw_{name}.{table.name} missing from docs/landing.md"
            for col in table.columns:
                leaf = col.name.split("__")[-1]
                assert re.search(rf"\b{re.escape(leaf)}\b", doc), (
                    f"{name}.{table.name}.{col.name} undocumented"
                )


def test_every_source_builds_its_resources(tmp_path):
    for name in SOURCE_NAMES:
        source = make_source(name, tmp_path)
        assert source.name == name
        assert source.resources, name


def test_pos_rows_are_loaded_or_quarantined_with_reason(tmp_path):
    store = tmp_path / "landing" / "pos" / "S01"
    write(store / "pos_S01_2026-05-01.csv", POS_DAY1)
    write(store / "pos_S01_2026-05-01_resend.csv", POS_DAY1)  # re-delivered copy
    write(store / "pos_S01_2026-05-02.csv", "receipt_id,store_id\nx,y\n")  # wrong delimiter
    write(store / "pos_S01_2026-05-03.csv", b"\x89PNG\r\n\x1a\n\x00\x00garbage\xff\xfe")  # binary
    info = load(tmp_path, "pos")

    # the load went through Arrow -> Parquet, not insert_values
    jobs = [Path(j.file_path).name for p in info.load_packages for j in p.jobs["completed_jobs"]]
    data_jobs = [f for f in jobs if not f.startswith("_dlt")]  # dlt's own state row is not data
    assert {f.split(".")[0] for f in data_jobs} == {"receipt_lines", "_quarantine", "_load_audit"}
    # rows travel as Parquet; the .sql jobs are the merge (delete-insert per file) statements
    assert all(f.endswith((".parquet", ".sql")) for f in data_jobs), data_jobs
    assert sum(f.endswith(".parquet") for f in data_jobs) == 3

    rows = query(
        tmp_path, "select receipt_id, line_no, quantity, unit_price from raw_pos.receipt_lines order by 1, 2"
    )
    assert rows == [("R1", 1, 2, 12.5), ("R1", 2, 1, 5.0), ("R4", 1, -1, 12.5)]
    reasons = dict(
        query(
            tmp_path,
            "select coalesce(json_extract_string(record, '$.receipt_id'), '?'), reason "
            "from raw_pos._quarantine where record is not null and reason not like 'malformed%'",
        )
    )
    assert (
        reasons["R2"]
        == "unparseable receipt_datetime (local_timestamp); quantity sign does not match transaction_type"
    )
    assert reasons["?"] == "missing receipt_id"
    malformed = query(
        tmp_path, "select record from raw_pos._quarantine where reason like 'malformed CSV line%'"
    )
    assert malformed == [("R3;S01;1;C1;2026-05-01 11:00:00;SALE;;;1;SKU1;1;12,50;0;12,50;cash;;;;extra",)]

    audit = {
        r[0]: r[1:]
        for r in query(
            tmp_path,
            "select source_file, status, rows_read, rows_loaded, rows_quarantined from raw_pos._load_audit",
        )
    }
    assert audit["pos/S01/pos_S01_2026-05-01.csv"] == ("loaded", 6, 3, 3)
    assert audit["pos/S01/pos_S01_2026-05-01_resend.csv"] == ("duplicate", 0, 0, 0)
    assert audit["pos/S01/pos_S01_2026-05-02.csv"][0] == "corrupt"
    assert audit["pos/S01/pos_S01_2026-05-03.csv"][0] == "corrupt"
    # every row that arrived is accounted for: read = loaded + quarantined, per file
    for _status, read, loaded, quarantined in audit.values():
        assert read == loaded + quarantined
    corrupt = dict(
        query(tmp_path, "select source_file, reason from raw_pos._quarantine where record is null")
    )
    assert "delimiter" in corrupt["pos/S01/pos_S01_2026-05-02.csv"]
    assert corrupt["pos/S01/pos_S01_2026-05-03.csv"].startswith("unreadable file:")


def test_store_times_stay_local_and_naive(tmp_path):
    write(tmp_path / "landing" / "pos" / "S01" / "pos_S01_2026-05-01.csv", POS_DAY1)
    load(tmp_path, "pos")
    types = dict(
        query(
            tmp_path,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_pos' and table_name = 'receipt_lines'",
        )
    )
    assert types["receipt_datetime"] == "TIMESTAMP"
    assert "receipt_datetime" not in {
        r[0]
        for r in query(
            tmp_path, "select column_name from information_schema.columns where table_name = '_quarantine'"
        )
    }


def test_rerun_is_idempotent_and_new_files_are_picked_up(tmp_path):
    store = tmp_path / "landing" / "pos" / "S01"
    write(store / "pos_S01_2026-05-01.csv", POS_DAY1)
    load(tmp_path, "pos")
    snapshot = "select count(*), sum(hash(receipt_id, line_no, quantity)) from raw_pos.receipt_lines"
    first = query(tmp_path, snapshot)
    load(tmp_path, "pos")
    assert query(tmp_path, snapshot) == first
    assert query(tmp_path, "select count(*) from raw_pos._quarantine") == [(3,)]

    write(
        store / "pos_S01_2026-05-04.csv",
        POS_HEADER + "\nR9;S01;1;C1;2026-05-04 09:00:00;SALE;;;1;SKU3;1;3,00;0;3,00;card;;;\n",
    )
    load(tmp_path, "pos")
    assert query(tmp_path, "select count(*) from raw_pos.receipt_lines") == [(first[0][0] + 1,)]
    assert query(tmp_path, "select _source_file from raw_pos.receipt_lines where receipt_id = 'R9'") == [
        ("pos/S01/pos_S01_2026-05-04.csv",)
    ]


def test_the_merge_staging_dataset_is_emptied_after_each_load(tmp_path):
    """dlt merges through raw_<source>_staging; once a load is done its tables are empty (.dlt/config.toml),
    not a second copy of the last load's rows."""
    write(tmp_path / "landing" / "pos" / "S01" / "pos_S01_2026-05-01.csv", POS_DAY1)
    load(tmp_path, "pos")
    staged = query(
        tmp_path,
        "select table_name from duckdb_tables() where schema_name = 'raw_pos_staging' and table_name = 'receipt_lines'",
    )
    assert staged == [("receipt_lines",)]  # the merge went through it
    assert query(tmp_path, "select count(*) from raw_pos.receipt_lines")[0][0] > 0
    assert query(tmp_path, "select count(*) from raw_pos_staging.receipt_lines") == [(0,)]


def test_schema_v2_column_and_unknown_columns_are_loaded(tmp_path):
    store = tmp_path / "landing" / "pos" / "S01"
    write(store / "pos_S01_2026-05-01.csv", POS_DAY1)
    write(
        store / "pos_S01_2026-05-02.csv",
        POS_HEADER
        + ";customer_email;till_version\nR7;S01;1;C1;2026-05-02 09:00:00;SALE;;;1;SKU3;1;3,00;0;3,00;card;;;;"
        "Jan@x.pl;2.1\n",
    )
    load(tmp_path, "pos")
    rows = query(
        tmp_path,
        "select receipt_id, customer_email, till_version from raw_pos.receipt_lines "
        "where receipt_id in ('R1', 'R7') and line_no = 1 order by 1",
    )
    assert rows == [("R1", None, None), ("R7", "Jan@x.pl", "2.1")]


def test_missing_required_column_fails_the_source_and_keeps_old_data(tmp_path):
    store = tmp_path / "landing" / "pos" / "S01"
    write(store / "pos_S01_2026-05-01.csv", POS_DAY1)
    load(tmp_path, "pos")
    before = query(tmp_path, "select count(*) from raw_pos.receipt_lines")
    write(store / "pos_S01_2026-05-02.csv", POS_HEADER.replace(";sku;", ";") + "\n")
    with pytest.raises(Exception) as excinfo:
        load(tmp_path, "pos")
    assert isinstance(excinfo.value.__context__, ContractError) or "required column(s) sku" in str(
        excinfo.value
    )
    assert query(tmp_path, "select count(*) from raw_pos.receipt_lines") == before


def test_json_documents_flatten_nested_objects_and_child_lists(tmp_path):
    write(
        tmp_path / "landing" / "webshop" / "orders" / "orders_2026-05-01.json",
        '{"orders": [{"id": 1, "name": "WS-1", "source_name": "web", "created_at": "2026-05-01T10:00:00Z",'
        ' "updated_at": "2026-05-01T10:00:00Z", "total_price": 25.5, "fulfilment_type": "click_and_collect",'
        ' "shipping_address": {"city": "Kraków", "zip": "30-001"},'
        ' "line_items": [{"id": 11, "sku": "SKU1", "quantity": 1, "price": 25.5}, {"id": 12, "sku": "SKU2", "quantity": 0}]},'
        ' {"id": 2, "source_name": "tv", "created_at": "2026-05-01T10:00:00Z", "updated_at": "2026-05-01T10:00:00Z",'
        ' "total_price": 1, "fulfilment_type": "home_delivery", "line_items": []}]}',
    )
    write(tmp_path / "landing" / "webshop" / "orders" / "orders_2026-05-02.json", '{"orders": [{"id": 3,')
    load(tmp_path, "webshop")
    assert query(tmp_path, "select id, shipping_address__city, total_price from raw_webshop.orders") == [
        (1, "Kraków", 25.5)
    ]
    assert query(tmp_path, "select order_id, id, sku from raw_webshop.order_lines") == [(1, 11, "SKU1")]
    reasons = sorted(
        r[0] for r in query(tmp_path, "select table_name || ': ' || reason from raw_webshop._quarantine")
    )
    assert reasons[0] == "order_lines: quantity must be positive"
    assert reasons[1].startswith("order_lines: unreadable file:")
    assert reasons[2] == "orders: unknown source_name (expected one of web, app)"
    assert reasons[3].startswith("orders: unreadable file:")


def test_malformed_json_lines_are_quarantined_one_by_one(tmp_path):
    write(
        tmp_path / "landing" / "events" / "events_2026-05-01.jsonl",
        '{"event_id": "e1", "event_name": "page_view", "event_at": "2026-05-01T10:00:00Z", "platform": "web"}\n'
        '{"event_id": "e2", "event_na\n'
        '{"event_id": "e3", "event_name": "page_view", "event_at": "2026-05-01T10:00:01Z", "platform": "web",'
        ' "app_version": "5.1", "consent_flags": {"ads": true}}\n',
    )
    load(tmp_path, "events")
    assert query(tmp_path, "select event_id, app_version from raw_events.events order by 1") == [
        ("e1", None),
        ("e3", "5.1"),
    ]
    # a field the contract does not know yet arrives as a new text column, nothing is dropped
    assert query(tmp_path, "select event_id, consent_flags from raw_events.events order by 1") == [
        ("e1", None),
        ("e3", '{"ads":true}'),
    ]
    assert query(tmp_path, "select reason, record from raw_events._quarantine") == [
        ("malformed JSON line", '{"event_id": "e2", "event_na')
    ]
    assert query(tmp_path, "select rows_read, rows_loaded, rows_quarantined from raw_events._load_audit") == [
        (3, 2, 1)
    ]
