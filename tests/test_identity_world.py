"""The people identity matching finds hard are in the demo world, with the truth saying who is who
(`truth/identity_cases.csv`, docs/truth.md), and the landing contract carries what matching them needs
(names, birth dates, street addresses), all of it optional: files without it load as before.

The world checks generate xs worlds and read their landing files directly (no build)."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from devtools.generate.people import (
    FAMILY_CARD_SHARE,
    FUZZY_ONLY_SHARE,
    NAME_VARIANT_SHARE,
    TWO_ADDRESSES_SHARE,
)
from devtools.generate.reference import DIMINUTIVES, ascii_fold
from ingestion.common.raw_tables import ensure_raw_tables
from ingestion.loyalty.settings import MEMBERS
from ingestion.pipeline import run_source
from ingestion.validate import validate_landing
from tests.test_bring_your_own_data import query, write

SEEDS = (7, 8)


@pytest.fixture(scope="module")
def worlds(generated) -> dict[int, Path]:
    return generated.many(SEEDS)


# --- reading a world --------------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def landing_csv(data: Path, pattern: str, delim: str = ",") -> list[dict]:
    """Every row of the CSV files matching `pattern` (below landing/), as text; empty values are None."""
    with duckdb.connect() as con:
        frame = con.execute(
            f"select * from read_csv('{data / 'landing' / pattern}', delim = '{delim}', all_varchar = true, "
            "union_by_name = true, header = true)"
        ).df()
    return [
        {k: (v if isinstance(v, str) and v.strip() else None) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]


def landing_docs(data: Path, pattern: str, root: str) -> list[dict]:
    return [r for f in sorted((data / "landing").glob(pattern)) for r in json.loads(f.read_text())[root]]


def cases(data: Path) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for row in read_csv(data / "truth" / "identity_cases.csv"):
        out[row["case"]].append(row)
    return out


def persons(data: Path) -> dict[str, dict]:
    return {p["person_id"]: p for p in read_csv(data / "truth" / "persons.csv")}


def records_of(rows: list[dict], record_type: str) -> dict[str, str]:
    """record_id -> person_id of the case rows of one record type."""
    return {r["record_id"]: r["person_id"] for r in rows if r["record_type"] == record_type}


def email_key(value: str | None) -> str | None:
    """An e-mail as the warehouse compares it (macro normalize_email)."""
    if not value or "@" not in value:
        return None
    local, domain = value.strip().lower().split("@", 1)
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.split("+", 1)[0].replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def street_key(value: str | None) -> str | None:
    """An address line without its messiness: lower case, no street prefix, `m. 3` as `/3`."""
    if not value:
        return None
    text = value.strip().lower()
    text = re.sub(r"^(ul\.|ulica|al\.|aleja|pl\.|plac|os\.|osiedle) ", "", text)
    return re.sub(r" m\. (\d+)$", r"/\1", text)


def one_edit_apart(a: str, b: str) -> bool:
    """a and b differ by one letter dropped, added, replaced, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def assert_share(count: int, eligible: int, share: float, what: str) -> None:
    assert count > 0, f"no {what}"
    assert share * eligible / 2 <= count <= max(1, round(share * eligible)) + 1, (what, count, eligible)


# --- the cases and their shares -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_every_case_is_there_in_its_share(worlds, seed):
    data = worlds[seed]
    people = persons(data)
    found = {case: {r["person_id"] for r in rows} for case, rows in cases(data).items()}
    assert set(found) == {"fuzzy_only", "name_variant", "two_addresses", "family_card"}
    family = found["family_card"]
    both = {p for p, r in people.items() if r["has_account"] == "true" and r["is_member"] == "true"}
    assert found["fuzzy_only"] <= both and found["name_variant"] <= both
    assert not found["fuzzy_only"] & found["name_variant"]
    assert not family & (found["fuzzy_only"] | found["name_variant"])
    assert_share(len(found["fuzzy_only"]), len(both - family), FUZZY_ONLY_SHARE, "fuzzy_only")
    assert_share(
        len(found["name_variant"]),
        len(both - family - found["fuzzy_only"]),
        NAME_VARIANT_SHARE,
        "name_variant",
    )
    members_by_household = defaultdict(int)
    for r in people.values():
        members_by_household[r["household_id"]] += r["is_member"] == "true"
    households = sum(1 for k in members_by_household.values() if k >= 2)
    assert len(family) % 2 == 0
    assert_share(len(family) // 2, households, FAMILY_CARD_SHARE, "family_card")
    orders = read_csv(data / "truth" / "orders.csv")
    shoppers = {
        o["person_id"]
        for o in orders
        if o["fulfilment_type"] == "home_delivery" and people[o["person_id"]]["has_account"] == "true"
    }
    assert found["two_addresses"] <= shoppers
    assert_share(len(found["two_addresses"]), len(shoppers), TWO_ADDRESSES_SHARE, "two_addresses")


@pytest.mark.parametrize("seed", SEEDS)
def test_case_records_are_the_persons_own(worlds, seed):
    data = worlds[seed]
    owner = {}
    for name, key in (("loyalty_members.csv", "member_id"), ("webshop_customers.csv", "customer_id")):
        for r in read_csv(data / "truth" / name):
            owner[("loyalty_member" if key == "member_id" else "webshop_customer", r[key])] = r["person_id"]
    for r in read_csv(data / "truth" / "orders.csv"):
        if r["source_system"] == "webshop":
            owner[("webshop_order", r["order_id"])] = r["person_id"]
    for rows in cases(data).values():
        for r in rows:
            assert owner[(r["record_type"], r["record_id"])] == r["person_id"], r
    for case in ("fuzzy_only", "name_variant"):
        per_person = defaultdict(set)
        for r in cases(data)[case]:
            per_person[r["person_id"]].add(r["record_type"])
        assert all(v == {"loyalty_member", "webshop_customer"} for v in per_person.values()), case


# --- fuzzy_only: nothing but names, birth date and address ties the membership to the account --------------


@pytest.mark.parametrize("seed", SEEDS)
def test_fuzzy_only_members_carry_no_contact(worlds, seed):
    data = worlds[seed]
    rows = cases(data)["fuzzy_only"]
    members = records_of(rows, "loyalty_member")
    people = persons(data)
    versions = [m for m in landing_csv(data, "loyalty/members/*.csv") if m["member_id"] in members]
    assert {m["member_id"] for m in versions} == set(members)
    typos = 0
    for m in versions:
        person = people[members[m["member_id"]]]
        assert m["email"] is None and m["phone"] is None, m
        assert m["birth_date"] and m["postal_code"] and m["city"], m
        assert m["birth_date"] == person["birth_date"] and m["postal_code"] == person["postal_code"]
        typos += (ascii_fold(m["first_name"]), ascii_fold(m["last_name"])) != (
            ascii_fold(person["first_name"]),
            ascii_fold(person["last_name"]),
        )
    assert typos, "no fuzzy_only member has a mistyped name"
    # their web accounts: the e-mail, the name spelled right, the address
    holder = records_of(rows, "webshop_customer")
    seen = set()
    for c in landing_docs(data, "webshop/customers/*.json", "customers"):
        if str(c["id"]) in holder:
            person = people[holder[str(c["id"])]]
            assert c["email"] and c["first_name"] == person["first_name"], c
            assert street_key(c["default_address"]["address1"]) == street_key(person["street_address"]), c
            seen.add(str(c["id"]))
    assert seen == set(holder)


@pytest.mark.parametrize("seed", SEEDS)
def test_nothing_ties_a_fuzzy_only_membership_to_a_contact_or_an_account(worlds, seed):
    data = worlds[seed]
    members = set(records_of(cases(data)["fuzzy_only"], "loyalty_member"))
    people = persons(data)
    cards = {r["card_number"] for r in people.values() if r["member_id"] in members}
    assert members and len(cards) == len(members)
    # the ids appear in the loyalty register, the consent ledger and at the tills, nowhere else
    tokens = re.compile("|".join(re.escape(t) for t in members | cards))
    carriers = set()
    for f in (data / "landing").rglob("*"):
        if f.is_file() and tokens.search(f.read_text(encoding="utf-8")):
            parts = f.relative_to(data / "landing").parts
            carriers.add("/".join(parts[:2]) if parts[0] == "loyalty" else parts[0])
    assert carriers <= {"loyalty/members", "loyalty/consents", "pos"}, carriers
    # consents: a member id never with an e-mail or a phone
    for e in landing_csv(data, "loyalty/consents/*.csv"):
        if e["member_id"] in members:
            assert e["email"] is None and e["phone"] is None, e
    # tills: the card and nothing else, and no card on a receipt that a web order, ticket or survey names
    tills = landing_csv(data, "pos/*/pos_*.csv", ";")
    carded = [t for t in tills if t["loyalty_card"] in cards]
    assert carded, "no fuzzy_only member used the card"
    for t in carded:
        assert t["customer_phone"] is None and t.get("customer_email") is None, t
        assert t["original_order_id"] is None, t
    purchases = {t["original_receipt_id"] or t["receipt_id"] for t in carded}
    for t in tills:
        if (t["original_receipt_id"] or t["receipt_id"]) in purchases:
            assert t["customer_phone"] is None and t.get("customer_email") is None, t
    named = {t["order_id"] for t in landing_docs(data, "helpdesk/tickets/*.json", "tickets")}
    named |= {s["order_id"] for s in landing_csv(data, "surveys/*.csv")}
    assert not purchases & named


# --- name_variant, two_addresses, family_card -------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_name_variants_share_the_e_mail_under_another_first_name(worlds, seed):
    data = worlds[seed]
    rows = cases(data)["name_variant"]
    member_of = {p: m for m, p in records_of(rows, "loyalty_member").items()}
    account_of = {p: c for c, p in records_of(rows, "webshop_customer").items()}
    members = {m["member_id"]: m for m in landing_csv(data, "loyalty/members/*.csv")}
    accounts = {str(c["id"]): c for c in landing_docs(data, "webshop/customers/*.json", "customers")}
    for person, member_id in member_of.items():
        m, c = members[member_id], accounts[account_of[person]]
        assert email_key(m["email"]) == email_key(c["email"]) is not None, (m, c)
        formal, given = m["first_name"], c["first_name"]
        assert given in DIMINUTIVES[formal] or one_edit_apart(formal, given), (formal, given)
        assert m["last_name"] == c["last_name"]


@pytest.mark.parametrize("seed", SEEDS)
def test_some_parcels_go_to_a_second_address_under_the_buyers_name(worlds, seed):
    data = worlds[seed]
    rows = cases(data)["two_addresses"]
    people = persons(data)
    second = records_of(rows, "webshop_order")
    assert second and set(second.values()) == set(records_of(rows, "webshop_customer").values())
    orders = {str(o["id"]): o for o in landing_docs(data, "webshop/orders/*.json", "orders")}
    for order_id, person in second.items():
        ship = orders[order_id]["shipping_address"]
        home = people[person]
        assert street_key(ship["address1"]) != street_key(home["street_address"]), ship
        assert ship["last_name"] == home["last_name"] and ship["country_code"] == "PL"
        assert orders[order_id]["fulfilment_type"] == "home_delivery"
    # every other order goes home
    buyer = {o["order_id"]: o["person_id"] for o in read_csv(data / "truth" / "orders.csv")}
    for order_id, o in orders.items():
        if order_id not in second:
            home = people[buyer[order_id]]
            assert (o["shipping_address"]["zip"], street_key(o["shipping_address"]["address1"])) == (
                home["postal_code"],
                street_key(home["street_address"]),
            )


@pytest.mark.parametrize("seed", SEEDS)
def test_a_family_card_is_registered_to_two_members_and_shown_at_the_till(worlds, seed):
    data = worlds[seed]
    rows = cases(data)["family_card"]
    people = persons(data)
    members = defaultdict(set)
    for m in landing_csv(data, "loyalty/members/*.csv"):
        members[m["card_number"]].add(m["member_id"])
    family = records_of(rows, "loyalty_member")
    shared = {c for c, ids in members.items() if len(ids) > 1}
    assert shared and {m for c in shared for m in members[c]} == set(family)
    for card in shared:
        owners = {family[m] for m in members[card]}
        assert len(owners) == 2 and len({people[p]["household_id"] for p in owners}) == 1
    identifiers = read_csv(data / "truth" / "identifiers.csv")
    assert {
        i["value"] for i in identifiers if i["identifier_type"] == "loyalty_card" and i["is_shared"] == "true"
    } == shared
    # receipts showing a family card belong to one of its two holders
    buyer = {o["order_id"]: o["person_id"] for o in read_csv(data / "truth" / "orders.csv")}
    shown = [t for t in landing_csv(data, "pos/*/pos_*.csv", ";") if t["loyalty_card"] in shared]
    assert shown
    for t in shown:
        if t["receipt_id"] in buyer:
            assert people[buyer[t["receipt_id"]]]["card_number"] == t["loyalty_card"]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_person_has_an_address_and_households_share_it(worlds, seed):
    data = worlds[seed]
    people = persons(data)
    by_household = defaultdict(set)
    for p in people.values():
        assert re.fullmatch(r"(ul|al|pl|os)\. .+ \d+(/\d+)?", p["street_address"]), p["street_address"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", p["birth_date"])
        by_household[p["household_id"]].add((p["street_address"], p["postal_code"], p["city"]))
    assert all(len(v) == 1 for v in by_household.values())
    members = landing_csv(data, "loyalty/members/*.csv")
    assert all(m["country"] == "PL" for m in members)
    streets = [m["street"] for m in members if m["street"]]
    assert len(streets) > 0.8 * len(members)
    assert any(s == s.upper() or " m. " in s or s.startswith("ulica ") for s in streets), "no messy street"
    accounts = landing_docs(data, "webshop/customers/*.json", "customers")
    with_birthday = sum(1 for c in accounts if c["birth_date"])
    assert 0.3 * len(accounts) <= with_birthday <= 0.7 * len(accounts)
    assert all(c["default_address"]["address1"] for c in accounts)


# --- the contract: optional columns load when present, and files without them load as before ----------------

MEMBERS_NEW = (
    "member_id,card_number,first_name,last_name,birth_date,street,postal_code,city,country,"
    "enrolled_at,updated_at,status\n"
    "M-1,5901234123457,Katarzyna, Nowak ,1985-06-18, ul. Kwiatowa 12/3 ,00-120,Warszawa,PL,"
    "2026-05-01T10:00:00Z,2026-05-01T10:00:00Z,active\n"
    "M-3,5901234123471,Jan,Kowalski,1990-01-01,,30-001,Kraków,,"
    "2026-05-01T10:00:00Z,2026-05-01T10:00:00Z,active\n"
)
MEMBERS_OLD = (
    "member_id,card_number,first_name,last_name,birth_date,postal_code,city,enrolled_at,updated_at,status\n"
    "M-2,5901234123464,Anna,Zielińska,1979-02-03,50-001,Wrocław,2026-05-02T10:00:00Z,2026-05-02T10:00:00Z,active\n"
)
STAMPS = '"created_at": "2026-05-01T10:00:00Z", "updated_at": "2026-05-01T10:00:00Z"'
CUSTOMERS_NEW = (
    '{"customers": [{"id": 1, "email": "kasia@example.pl", "first_name": "Kasia", "last_name": "Nowak", '
    f'"birth_date": "1985-06-18", {STAMPS}, "default_address": {{"address1": "KWIATOWA 12 m. 3", '
    '"city": "Warszawa", "zip": "00-120", "country_code": "PL"}}]}'
)
CUSTOMERS_OLD = (
    '{"customers": [{"id": 2, "email": "anna@example.pl", "first_name": "Anna", '
    f'{STAMPS}, "default_address": {{"city": "Wrocław", "zip": "50-001", "country_code": "PL"}}}}]}}'
)
ORDER = (
    '"source_name": "web", {stamps}, "total_price": 10.0, "fulfilment_type": "home_delivery", '
    '"line_items": [{{"id": {line}, "sku": "SKU1", "quantity": 1, "price": 10.0}}]'
)
ORDERS_NEW = (
    '{"orders": [{"id": 11, ' + ORDER.format(stamps=STAMPS, line=111) + ', "shipping_address": '
    '{"first_name": "Kasia", "last_name": "Nowak", "address1": "ul. Biurowa 1", "city": "Warszawa", '
    '"zip": "00-950", "country_code": "PL"}}]}'
)
ORDERS_OLD = (
    '{"orders": [{"id": 12, ' + ORDER.format(stamps=STAMPS, line=121) + ', "shipping_address": '
    '{"city": "Wrocław", "zip": "50-001"}}]}'
)


def landing_with_and_without(root: Path) -> Path:
    """A landing folder with one file of each entity carrying the new optional fields, one without."""
    landing = root / "landing"
    write(landing / "loyalty" / "members" / "members_2026-05-01.csv", MEMBERS_NEW)
    write(landing / "loyalty" / "members" / "members_2026-05-02.csv", MEMBERS_OLD)
    write(landing / "webshop" / "customers" / "customers_2026-05-01.json", CUSTOMERS_NEW)
    write(landing / "webshop" / "customers" / "customers_2026-05-02.json", CUSTOMERS_OLD)
    write(landing / "webshop" / "orders" / "orders_2026-05-01.json", ORDERS_NEW)
    write(landing / "webshop" / "orders" / "orders_2026-05-02.json", ORDERS_OLD)
    return landing


def test_the_new_optional_fields_load_and_files_without_them_too(tmp_path):
    landing = landing_with_and_without(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    for source in ("loyalty", "webshop"):
        run_source(source, landing, warehouse, tmp_path / "dlt")
        assert query(
            warehouse,
            f"select coalesce(sum(rows_quarantined), 0), coalesce(sum(values_flagged), 0) "
            f"from raw_{source}._load_audit",
        ) == [(0, 0)]
    assert query(
        warehouse,
        "select member_id, street, country, birth_date::varchar from raw_loyalty.members order by 1",
    ) == [
        ("M-1", " ul. Kwiatowa 12/3 ", "PL", "1985-06-18"),
        ("M-2", None, None, "1979-02-03"),
        ("M-3", None, None, "1990-01-01"),
    ]
    assert query(
        warehouse,
        "select id, birth_date::varchar, default_address__address1, default_address__zip "
        "from raw_webshop.customers order by 1",
    ) == [(1, "1985-06-18", "KWIATOWA 12 m. 3", "00-120"), (2, None, None, "50-001")]
    assert query(
        warehouse,
        "select id, shipping_address__first_name, shipping_address__last_name, shipping_address__address1, "
        "shipping_address__city, shipping_address__country_code from raw_webshop.orders order by 1",
    ) == [
        (11, "Kasia", "Nowak", "ul. Biurowa 1", "Warszawa", "PL"),
        (12, None, None, None, "Wrocław", None),
    ]
    # the raw checks of those tables: no guard fails with or without the fields
    from expectations.raw_loyalty_members import SUITE as MEMBERS_SUITE
    from expectations.raw_webshop_orders import SUITE as ORDERS_SUITE
    from expectations.runner import validate_table
    from omni.config import RetailerConfig

    for suite in (MEMBERS_SUITE, ORDERS_SUITE):
        result = validate_table(suite, warehouse, RetailerConfig())
        assert not result.guards_failed, (suite.name, result.guards_failed)


def test_only_files_without_the_new_fields_still_give_the_columns(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "loyalty" / "members" / "members_2026-05-02.csv", MEMBERS_OLD)
    write(landing / "webshop" / "customers" / "customers_2026-05-02.json", CUSTOMERS_OLD)
    write(landing / "webshop" / "orders" / "orders_2026-05-02.json", ORDERS_OLD)
    warehouse = tmp_path / "w.duckdb"
    for source in ("loyalty", "webshop"):
        run_source(source, landing, warehouse, tmp_path / "dlt")
    assert query(warehouse, "select street, country from raw_loyalty.members") == [(None, None)]
    assert query(warehouse, "select birth_date, default_address__address1 from raw_webshop.customers") == [
        (None, None)
    ]
    assert query(
        warehouse,
        "select shipping_address__first_name, shipping_address__address1, shipping_address__country_code "
        "from raw_webshop.orders",
    ) == [(None, None, None)]


def test_omni_validate_accepts_files_with_and_without_the_new_fields(tmp_path):
    report = validate_landing(landing_with_and_without(tmp_path), ("loyalty", "webshop"))
    assert not report.stops
    loaded = {
        (t.source, t.table): (t.rows_loaded, t.rows_quarantined, t.values_flagged) for t in report.tables
    }
    assert loaded[("loyalty", "members")] == (3, 0, 0)
    assert loaded[("webshop", "customers")] == (2, 0, 0)
    assert loaded[("webshop", "orders")] == (2, 0, 0)


def columns(warehouse: Path, schema: str, table: str) -> set[str]:
    return {
        c
        for (c,) in query(
            warehouse,
            f"select column_name from duckdb_columns() where schema_name = '{schema}' and table_name = '{table}'",
        )
    }


def test_empty_raw_tables_have_the_new_columns_and_old_tables_get_them(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    ensure_raw_tables(warehouse, ["loyalty", "webshop"])
    assert {"street", "country", "birth_date"} <= columns(warehouse, "raw_loyalty", "members")
    assert {"birth_date", "default_address__address1"} <= columns(warehouse, "raw_webshop", "customers")
    assert {
        "shipping_address__first_name",
        "shipping_address__last_name",
        "shipping_address__address1",
        "shipping_address__country_code",
    } <= columns(warehouse, "raw_webshop", "orders")
    # a members table loaded before the contract had street and country gets them, empty, rows kept
    old = tmp_path / "old.duckdb"
    kept = [c for c in MEMBERS.columns if c.name not in ("street", "country")]
    with duckdb.connect(str(old)) as con:
        con.execute("create schema raw_loyalty")
        con.execute(
            "create table raw_loyalty.members ("
            + ", ".join(f'"{c.name}" VARCHAR' for c in kept)
            + ", _source_file VARCHAR, _dlt_load_id VARCHAR)"
        )
        con.execute(
            "insert into raw_loyalty.members (member_id, card_number) values ('M-1', '5901234123457')"
        )
    assert "raw_loyalty.members" not in ensure_raw_tables(old, ["loyalty"])
    assert {"street", "country"} <= columns(old, "raw_loyalty", "members")
    assert query(old, "select member_id, street, country from raw_loyalty.members") == [("M-1", None, None)]
