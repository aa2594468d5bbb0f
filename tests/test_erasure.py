"""`omni forget`: a person erased from every layer, the request logged without personal data, and
remembered so that a later arrival does not bring them back."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from omni.erasure import forget
from omni.publish import published_dir
from omni.settings import Paths
from tests.support import rows

pytestmark = pytest.mark.e2e


def text_tables(con, schemas: tuple[str, ...]) -> list[tuple[str, str, str]]:
    return con.execute(f"""select schema_name, table_name, column_name from duckdb_columns()
                           where schema_name in {schemas} and (data_type like 'VARCHAR%' or data_type like '%[]')
                           and table_name not like '\\_dlt%' escape '\\'""").fetchall()


def occurrences(paths: Paths, needle: str, schemas: tuple[str, ...]) -> list[str]:
    found = []
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for schema, table, column in text_tables(con, schemas):
            n = con.execute(
                f'select count(*) from {schema}."{table}" '
                f'where contains(lower(cast("{column}" as varchar)), ?)',
                [needle],
            ).fetchone()[0]
            if n:
                found.append(f"{schema}.{table}.{column}")
    return found


@pytest.fixture(scope="module")
def erased(xs_world, tmp_path_factory):
    source = xs_world(8)
    paths = Paths.from_env(tmp_path_factory.mktemp("erasure") / "data")
    shutil.copytree(source.data_dir, paths.data_dir, symlinks=True)
    ((email, customer_key),) = rows(
        paths,
        """
        select any_value(w.email_normalized), o.customer_key
        from marts.fct_orders as o
        inner join staging.stg_webshop__orders as w on cast(w.order_id as varchar) = o.order_id
        inner join marts.dim_customers as c on c.customer_key = o.customer_key
        where c.has_webshop_account and not w.is_placeholder_email
        group by o.customer_key order by count(*) desc, o.customer_key limit 1""",
    )
    entry = forget(paths, email=email.upper())
    return paths, email, customer_key, entry


def test_the_person_is_gone_from_every_layer(erased):
    paths, email, customer_key, entry = erased
    local = email.split("@")[0]
    assert entry["layers"]["rebuild"] == "ok"
    assert entry["records"].get("webshop_order", 0) > 0
    # landing copies
    for path in paths.landing.rglob("*"):
        if path.is_file():
            assert local not in path.read_text(errors="ignore").lower(), path
    # raw tables, their quarantine, staging, intermediate and marts
    assert (
        occurrences(
            paths,
            local,
            (
                "raw_webshop",
                "raw_helpdesk",
                "raw_loyalty",
                "raw_marketing",
                "raw_surveys",
                "raw_pos",
                "staging",
                "intermediate",
            ),
        )
        == []
    )
    for table, column in (
        ("fct_orders", "customer_key"),
        ("dim_customers", "customer_key"),
        ("customer_identity_map", "customer_key"),
        ("fct_touchpoints", "customer_key"),
    ):
        assert rows(paths, f"select count(*) from marts.{table} where {column} = '{customer_key}'") == [(0,)]
    # every published file and the report
    published = published_dir(paths)
    assert len(list((published / "versions").iterdir())) == 1
    for path in published.rglob("*"):
        if path.is_file() and path.suffix == ".parquet":
            with duckdb.connect() as con:
                columns = [
                    c
                    for c, t, *_ in con.execute(f"describe select * from '{path}'").fetchall()
                    if t == "VARCHAR"
                ]
                for column in columns:
                    assert (
                        con.execute(
                            f"select count(*) from '{path}' where \"{column}\" = ?", [customer_key]
                        ).fetchone()[0]
                        == 0
                    ), (path.name, column)
    assert customer_key not in (paths.outputs / "report" / "index.html").read_text()


def test_the_erasure_log_holds_no_personal_data(erased):
    paths, email, customer_key, entry = erased
    log = (paths.data_dir / "governance" / "erasure_log.jsonl").read_text()
    requests = (paths.data_dir / "governance" / "erasure_requests.json").read_text()
    for text in (log, requests):
        assert email.split("@")[0] not in text.lower() and customer_key not in text
    logged = json.loads(log.splitlines()[-1])
    assert logged["request_id"] == entry["request_id"] and logged["identified_by"] == "email"


def test_a_later_arrival_does_not_bring_the_person_back(erased):
    from omni.build import build

    paths, email, _customer_key, _ = erased
    ticket = {
        "id": 999555,
        "via_channel": "chat",
        "requester": {"email": email.title(), "phone": None, "name": "Ktoś Zapomniany"},
        "subject": "Pytanie",
        "order_id": None,
        "status": "open",
        "created_at": "2026-10-31T08:00:00Z",
        "first_response_at": "2026-10-31T08:05:00Z",
        "solved_at": None,
        "updated_at": "2026-10-31T08:05:00Z",
        "contacts": 1,
        "satisfaction": None,
        "tags": "chat",
    }
    drop = paths.landing / "helpdesk" / "tickets" / "tickets_2026-10-31-later.json"
    drop.write_text(json.dumps({"tickets": [ticket]}))
    result = build(paths, echo=lambda _m: None)
    assert result.success, result.failed_steps
    assert email.split("@")[0] not in drop.read_text().lower()
    assert rows(paths, "select count(*) from raw_helpdesk.tickets where id = 999555") == [(0,)]
    assert occurrences(paths, email.split("@")[0], ("raw_helpdesk", "staging")) == []
