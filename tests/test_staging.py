"""Raw keeps every delivered version of a record; staging serves the newest, whatever the arrival order."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from ingestion.pipeline import run_source
from tests.support import dbt


def order(total: float, updated_at: str, status: str) -> dict:
    return {
        "id": 1,
        "name": "WS-1",
        "source_name": "web",
        "created_at": "2026-05-01T10:00:00Z",
        "updated_at": updated_at,
        "total_price": total,
        "fulfilment_type": "home_delivery",
        "financial_status": status,
        "email": " Jan.Kowalski@Gmail.com",
        "phone": "601-234-567",
        "line_items": [{"id": 11, "sku": "SKU1", "quantity": 1, "price": total}],
    }


def run_dbt(warehouse: Path, *args: str) -> None:
    out = dbt(warehouse, *args)
    assert out.returncode == 0, out.stdout[-3000:]


def test_a_corrected_re_export_replaces_the_record(tmp_path):
    orders = tmp_path / "landing" / "webshop" / "orders"
    orders.mkdir(parents=True)
    first = json.dumps({"orders": [order(100.0, "2026-05-01T10:00:00Z", "paid")]})
    (orders / "orders_2026-05-01.json").write_text(first)
    (orders / "orders_2026-05-01_resend.json").write_text(first)  # delivered twice
    (orders / "orders_2026-05-03.json").write_text(
        json.dumps({"orders": [order(90.0, "2026-05-03T09:00:00Z", "partially_refunded")]})
    )
    warehouse = tmp_path / "warehouse.duckdb"
    run_source("webshop", tmp_path / "landing", warehouse, tmp_path / "dlt")
    # an old version arriving late must not win over the correction
    (orders / "orders_2026-05-04.json").write_text(first.replace("WS-1", "WS-1 "))
    run_source("webshop", tmp_path / "landing", warehouse, tmp_path / "dlt")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw_webshop.orders").fetchone() == (3,)  # every version kept

    run_dbt(warehouse, "seed", "--select", "placeholder_identifiers")
    # staging reads phones through the phone numbers model (libphonenumber): built first
    run_dbt(
        warehouse,
        "run",
        "--select",
        "stg_identifiers__phone_numbers",
        "stg_webshop__orders",
        "stg_webshop__order_lines",
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "SELECT order_id, total_pln, financial_status, email_normalized, phone_normalized "
            "FROM staging.stg_webshop__orders"
        ).fetchall()
        lines = con.execute(
            "SELECT order_id, line_total_pln FROM staging.stg_webshop__order_lines"
        ).fetchall()
    assert [(r[0], float(r[1]), r[2], r[3], r[4]) for r in rows] == [
        (1, 90.0, "partially_refunded", "jankowalski@gmail.com", "+48601234567")
    ]
    assert [(o, float(t)) for o, t in lines] == [(1, 90.0)]
