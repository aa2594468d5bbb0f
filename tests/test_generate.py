"""The demo world generator: deterministic, every source in its contract's shape, truth consistent."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from devtools.generate import generate
from ingestion import SOURCE_NAMES


def tree_hash(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def world(generated) -> Path:
    return generated(11)


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_same_seed_gives_identical_files(world, tmp_path):
    again = tmp_path / "again"
    stats = generate(again, size="xs", seed=11)
    assert stats.persons == 300
    assert tree_hash(world / "landing") == tree_hash(again / "landing")
    assert tree_hash(world / "truth") == tree_hash(again / "truth")


def test_another_seed_gives_another_world(world, generated):
    other = generated(12)
    assert tree_hash(world / "landing") != tree_hash(other / "landing")


def test_every_contract_table_gets_files_with_its_fields(world):
    con = duckdb.connect()
    for name in SOURCE_NAMES:
        module = __import__(f"ingestion.{name}.settings", fromlist=["TABLES"])
        for table in module.TABLES:
            files = sorted((world / "landing" / name).glob(table.glob))
            assert files, f"no files for {name}.{table.name} ({table.glob})"
            if table.format == "csv":
                line = files[-1].read_text(encoding="utf-8").splitlines()[0]
                header = [h.strip('"') for h in line.split(table.delimiter)]
                assert set(table.required) <= set(header), (name, table.name, header)
            elif table.format == "jsonl":
                record = json.loads(files[-1].read_text(encoding="utf-8").splitlines()[0])
                assert set(table.required) <= set(record), (name, table.name)
            else:
                doc = json.loads(files[-1].read_text(encoding="utf-8"))
                records = doc[table.root]
                if table.child_list:
                    records = [item for r in records for item in r.get(table.child_list, [])]
                    required = set(table.required) - {table.parent_key[0]}
                else:
                    required = set(table.required)
                if records:
                    assert required <= set(records[0]), (name, table.name)
    con.close()


def test_truth_files_have_their_columns(world):
    truth = world / "truth"
    assert read_csv(truth / "orders.csv")[0].keys() >= {"source_system", "order_id", "person_id"}
    assert read_csv(truth / "persons.csv")[0].keys() >= {"street_address", "postal_code", "birth_date"}
    for name, cols in {
        "persons.csv": {"person_id", "household_id", "is_multichannel"},
        "events.csv": {"event_id", "person_id"},
        "tickets.csv": {"ticket_id", "person_id"},
        "returns.csv": {"source_system", "return_id", "person_id"},
        "marketing_messages.csv": {"message_id", "person_id"},
        "survey_responses.csv": {"response_id", "person_id"},
        "identifiers.csv": {"person_id", "identifier_type", "value", "is_shared"},
        "identity_cases.csv": {"case", "person_id", "record_type", "record_id"},
    }.items():
        assert read_csv(truth / name)[0].keys() >= cols, name
    kpis = json.loads((truth / "kpis.json").read_text())
    assert 0 < kpis["click_and_collect_share"]["value"] < 1
    assert kpis["aov_pln"]["value"] > 0
    assert all("definition" in v for v in kpis.values() if isinstance(v, dict) and "value" in v)


def test_every_landing_order_is_in_the_truth_and_back(world):
    truth = {(r["source_system"], r["order_id"]) for r in read_csv(world / "truth" / "orders.csv")}
    web = set()
    for f in (world / "landing" / "webshop" / "orders").glob("*.json"):
        web |= {("webshop", str(o["id"])) for o in json.loads(f.read_text())["orders"]}
    con = duckdb.connect()
    pos = {
        ("pos", r[0])
        for r in con.execute(
            f"select distinct receipt_id from read_csv('{world}/landing/pos/*/pos_*.csv', delim=';', all_varchar=true, "
            "union_by_name=true) where transaction_type = 'SALE' and receipt_id is not null and receipt_id not like '%-X%'"
        ).fetchall()
    }
    assert web | pos == truth


def test_the_mess_is_there(world):
    landing = world / "landing"
    planted = json.loads((world / "truth" / "planted.json").read_text())
    assert len(planted["corrupt_rows"]) >= 5
    assert any(Path(d["copy"]).name.endswith("_resend.csv") for d in planted["duplicate_files"])
    assert any(d["copy"].endswith("_resend.jsonl") for d in planted["duplicate_files"])
    assert planted["price_inconsistencies"] and planted["stock_mismatches"]
    persons = read_csv(world / "truth" / "persons.csv")
    assert any(p["is_shared_phone"] == "true" for p in persons), "family phones shared in households"
    con = duckdb.connect()
    tills = con.execute(
        f"select * from read_csv('{landing}/pos/*/pos_*.csv', delim=';', all_varchar=true, "
        "union_by_name=true)"
    ).df()
    phones = set(tills["customer_phone"].dropna())
    assert phones & {"000000000", "123456789", "111111111", "999999999"}, (
        "placeholder phones typed at the till"
    )
    assert tills["customer_email"].notna().any(), "schema v2 (e-receipt e-mail) appears"
    first_pos = sorted((landing / "pos").glob("*/pos_*.csv"))[0].read_text().splitlines()[0]
    assert "customer_email" not in first_pos, "schema v1 files have no e-mail column"
    events = con.execute(
        f"select event_at::varchar as event_at, received_at::varchar as received_at, app_version "
        f"from read_json('{landing}/events/events_*.jsonl', format='newline_delimited', "
        "union_by_name=true, ignore_errors=true)"
    ).df()
    late = (events["received_at"].str[:10] > events["event_at"].str[:10]).sum()
    assert late > 0, "late-arriving events"
    assert events["app_version"].notna().any()
    emails = set(tills["customer_email"].dropna())
    for f in (landing / "webshop" / "orders").glob("*.json"):
        emails |= {o["email"] for o in json.loads(f.read_text())["orders"] if o["email"]}
    assert any(e != e.strip() or e != e.lower() for e in emails), "e-mails typed with capitals or spaces"


def test_the_world_fills_the_optional_fields_matching_reads(world):
    """Street addresses, countries, birth dates and addressees: optional in the contract, there in the demo."""
    landing = world / "landing"
    members = read_csv(sorted((landing / "loyalty" / "members").glob("*.csv"))[-1])
    assert members[0].keys() >= {"street", "country", "birth_date", "first_name", "last_name"}
    customers = [
        c
        for f in (landing / "webshop" / "customers").glob("*.json")
        for c in json.loads(f.read_text())["customers"]
    ]
    assert all(c["default_address"]["address1"] for c in customers)
    assert any(c["birth_date"] for c in customers) and not all(c["birth_date"] for c in customers)
    orders = [
        o
        for f in (landing / "webshop" / "orders").glob("*.json")
        for o in json.loads(f.read_text())["orders"]
    ]
    assert all(
        o["shipping_address"].keys() >= {"first_name", "last_name", "address1", "city", "zip", "country_code"}
        and o["shipping_address"]["address1"]
        for o in orders
    )
    cases = {r["case"] for r in read_csv(world / "truth" / "identity_cases.csv")}
    assert cases == {"fuzzy_only", "name_variant", "two_addresses", "family_card"}


@pytest.fixture(scope="module", params=[11, 12], ids=lambda seed: f"seed{seed}")
def seeded_world(request, generated) -> Path:
    """The module's world (seed 11) and one more."""
    return generated(request.param)


def test_journeys_run_from_messages_only_where_they_went_out(seeded_world):
    """A visit that lands with a message campaign's utm follows a send of that campaign to that person and
    a click on it; an order carrying a coupon follows a message that carried the coupon to the buyer; an app
    visit opened from a push notification happens only with push consent. A message consent stopped starts
    nothing."""
    landing, truth = seeded_world / "landing", seeded_world / "truth"
    con = duckdb.connect()
    con.execute(f"""
        create view events as select * from read_json('{landing}/events/events_*.jsonl',
            format = 'newline_delimited', ignore_errors = true,
            columns = {{event_id: 'varchar', event_name: 'varchar', event_at: 'timestamptz', session_id: 'varchar',
                       platform: 'varchar', utm_source: 'varchar', utm_campaign: 'varchar'}});
        create view event_people as select * from read_csv('{truth}/events.csv');
        create view message_events as select * from read_json('{landing}/marketing/events/*.jsonl',
            format = 'newline_delimited',
            columns = {{event_type: 'varchar', event_at: 'timestamptz', message_id: 'varchar'}});
        create view messages as select * from read_csv('{truth}/marketing_messages.csv');
        create view campaigns as
            select unnest(campaigns, recursive := true) from read_json('{landing}/marketing/campaigns.json');
        create view sessions as
            select events.session_id, any_value(event_people.person_id) as person_id,
                   any_value(events.platform) as platform, min(events.event_at) as started_at,
                   arg_min(events.utm_campaign, events.event_at) filter (where events.utm_campaign is not null)
                       as utm_campaign,
                   arg_min(events.utm_source, events.event_at) filter (where events.utm_source is not null)
                       as utm_source
            from events inner join event_people using (event_id)
            group by events.session_id;
    """)
    tagged = con.execute("""
        select sessions.session_id, campaigns.campaign_id,
            exists (select 1 from messages where messages.person_id = sessions.person_id
                    and messages.campaign_id = campaigns.campaign_id and messages.sent_at <= sessions.started_at)
                as was_sent,
            exists (select 1 from messages inner join message_events using (message_id)
                    where messages.person_id = sessions.person_id and messages.campaign_id = campaigns.campaign_id
                    and message_events.event_type = 'click' and message_events.event_at <= sessions.started_at)
                as was_clicked
        from sessions inner join campaigns on campaigns.utm_campaign = sessions.utm_campaign
        where campaigns.channel in ('email', 'sms', 'push')
    """).fetchall()
    assert tagged, "no visit came from a message: nothing to check"
    assert [row for row in tagged if not (row[2] and row[3])] == []
    unsent_coupons = con.execute(f"""
        select orders.order_id, orders.coupon_code from read_csv('{truth}/orders.csv') as orders
        where orders.coupon_code is not null
            and not exists (select 1 from messages where messages.person_id = orders.person_id
                            and messages.coupon_code = orders.coupon_code and messages.sent_at <= orders.placed_at)
    """).fetchall()
    assert unsent_coupons == []
    assert con.execute(
        f"select count(*) from read_csv('{truth}/orders.csv') where coupon_code is not null"
    ).fetchone()[0]
    without_consent = con.execute(f"""
        with consent as (
            select person_id, event_at, status from read_csv('{truth}/consent_events.csv')
            where channel = 'push' and purpose = 'marketing'
        )
        select sessions.session_id from sessions
        where sessions.platform = 'app' and sessions.utm_source = 'app_push'
            and coalesce((select arg_max(consent.status, consent.event_at) from consent
                          where consent.person_id = sessions.person_id and consent.event_at <= sessions.started_at),
                         'none') <> 'granted'
    """).fetchall()
    assert without_consent == []


def test_receipts_named_by_a_ticket_or_survey_are_identifiable(world):
    """A till receipt with no identifier of its own is tied to its buyer by the ticket or survey naming it."""
    landing = world / "landing"
    con = duckdb.connect()
    named = {
        r[0]
        for r in con.execute(f"""
            select order_id from (
                select unnest(tickets, recursive := true)
                from read_json('{landing}/helpdesk/tickets/*.json', union_by_name = true)
            )
            union
            select order_id from read_csv('{landing}/surveys/*.csv', all_varchar = true)
        """).fetchall()
        if r[0]
    }
    receipts = [r for r in read_csv(world / "truth" / "orders.csv") if r["source_system"] == "pos"]
    tied = [r for r in receipts if r["order_id"] in named]
    assert tied, "no till receipt is named by a ticket or a survey"
    assert all(r["is_identifiable"] == "true" for r in tied)
    assert any(r["is_identifiable"] == "false" for r in receipts), "some till receipts stay anonymous"
