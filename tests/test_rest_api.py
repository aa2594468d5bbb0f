"""The REST path: dlt's rest_api source against the local demo API (pagination, incremental cursor)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

import ingestion.helpdesk.api as helpdesk_api
import ingestion.webshop.api as webshop_api
from devtools.demo_api import DemoApiServer
from ingestion.pipeline import run_source


def order(i: int, updated_at: str, channel: str = "web") -> dict:
    return {
        "id": i,
        "name": f"WS-{i}",
        "source_name": channel,
        "created_at": "2026-05-01T10:00:00Z",
        "updated_at": updated_at,
        "total_price": 10.0 + i,
        "fulfilment_type": "home_delivery",
        "line_items": [{"id": i * 10, "sku": "A", "quantity": 1, "price": 10.0}],
    }


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(webshop_api, "PAGE_SIZE", 3)
    monkeypatch.setattr(helpdesk_api, "PAGE_SIZE", 2)


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_webshop_api_paginates_and_loads_only_changes(tmp_path, small_pages):
    orders = tmp_path / "landing" / "webshop" / "orders"
    orders.mkdir(parents=True)
    day1 = [order(i, "2026-05-01T10:00:00Z") for i in range(1, 8)] + [order(99, "2026-05-01T10:00:00Z", "tv")]
    (orders / "orders_2026-05-01.json").write_text(json.dumps({"orders": day1}))
    db = tmp_path / "w.duckdb"

    def load(url):
        run_source("webshop", tmp_path / "landing", db, tmp_path / "dlt", api_base_url=url)

    with DemoApiServer(tmp_path / "landing") as url:
        load(url)
        pages = rows(
            db, "select distinct source_file from raw_webshop._load_audit where table_name = 'orders'"
        )
        assert len(pages) == 3  # 8 orders, 3 per page
        assert rows(db, "select count(*) from raw_webshop.orders") == [(7,)]
        assert rows(db, "select reason from raw_webshop._quarantine") == [
            ("unknown source_name (expected one of web, app)",)
        ]

        load(url)  # nothing changed upstream: nothing is loaded again
        assert rows(db, "select count(*) from raw_webshop.orders") == [(7,)]

        (orders / "orders_2026-05-02.json").write_text(
            json.dumps({"orders": [order(3, "2026-05-02T09:00:00Z"), order(8, "2026-05-02T09:00:00Z")]})
        )
        load(url)
    newest = rows(db, "select id from raw_webshop.orders where updated_at >= '2026-05-02' order by id")
    assert newest == [(3,), (8,)]
    # 8 lines on day 1 (the quarantined order's line is valid on its own) + 2 re-exported
    assert rows(db, "select count(*) from raw_webshop.order_lines") == [(10,)]
    # read = loaded + quarantined for every page
    assert rows(
        db, "select count(*) from raw_webshop._load_audit where rows_read <> rows_loaded + rows_quarantined"
    ) == [(0,)]


def test_helpdesk_api_follows_the_cursor(tmp_path, small_pages):
    tickets = tmp_path / "landing" / "helpdesk" / "tickets"
    tickets.mkdir(parents=True)
    records = [
        {
            "id": i,
            "via_channel": "chat",
            "created_at": "2026-05-01T10:00:00Z",
            "updated_at": f"2026-05-01T1{i}:00:00Z",
            "requester": {"email": f"p{i}@x.pl"},
            "satisfaction": {"score": 5},
        }
        for i in range(5)
    ]
    (tickets / "tickets_2026-05-01.json").write_text(json.dumps({"tickets": records}))
    db = tmp_path / "w.duckdb"
    with DemoApiServer(tmp_path / "landing") as url:
        run_source("helpdesk", tmp_path / "landing", db, tmp_path / "dlt", api_base_url=url)
    assert rows(
        db, "select id, requester__email, satisfaction__score from raw_helpdesk.tickets order by id"
    ) == [(i, f"p{i}@x.pl", 5) for i in range(5)]
    assert (
        len(rows(db, "select distinct source_file from raw_helpdesk._load_audit")) == 3
    )  # 5 tickets, 2 a page
