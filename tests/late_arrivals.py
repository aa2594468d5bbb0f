"""One rebuild of a built world with data that arrives late, shared by the tests that need one.

A rebuild takes most of a minute, so the late arrivals of several tests land together in one copy of
a world and one `omni build`; each test asserts on its own part (tests/test_identity.py,
tests/test_consent.py, tests/test_publish.py). What they compare against is captured before the build:
 - a chat from guest customer A's e-mail about guest customer B's order: the two profiles merge;
 - a ticket from a requester never seen before: a new record (and a new version of the publication);
 - an e-mail consent withdrawal at the store desk by a loyalty member the audience would e-mail;
 - the identity map, the published marts' row count and a reader holding the published file open.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from omni.build import build
from omni.publish import current_version, published_dir
from omni.settings import Paths
from tests.support import DbtOutcome, dbt, rows

# the audience over a window wide enough to hold people in an xs world
WIDE = "{audience_abandoned_cart_days: 120, audience_frequency_cap_messages: 1000}"
NEW_REQUESTER_TICKET = "999777"


def dbt_wide(warehouse: Path, target_dir: Path, *args: str) -> DbtOutcome:
    """dbt against `warehouse` with the wide audience window, its artifacts under `target_dir`."""
    return dbt(warehouse, *args, dbt_vars=WIDE, target=target_dir / "target")


@dataclass(frozen=True)
class Guests:
    """Two guest customers (no account, no loyalty card), each with one e-mail; `older` keeps its key."""

    older: str
    newer: str
    orders: tuple[str, ...]  # order keys of both before the merge


@dataclass(frozen=True)
class Withdrawal:
    customer_key: str
    member_id: str


@dataclass(frozen=True)
class LateArrivals:
    paths: Paths
    guests: Guests
    withdrawal: Withdrawal
    identity_before: dict[tuple[str, str], str]  # (entity_type, entity_id) of each record -> customer_key
    identity_after: dict[tuple[str, str], str]
    published_version_before: str
    published_records_before: int
    records_seen_by_the_open_reader: int  # after the build, through a connection opened before it


IDENTITY = "select entity_type, entity_id, customer_key from marts.customer_identity_map where entity_kind = 'record'"


def _identity(paths: Paths) -> dict[tuple[str, str], str]:
    return {(t, i): k for t, i, k in rows(paths, IDENTITY)}


def _guests(paths: Paths) -> tuple[Guests, str, str]:
    pair = rows(
        paths,
        """
        with customers as (
            select o.customer_key, any_value(o.order_id) as order_id, any_value(w.email_normalized) as email
            from marts.fct_orders as o
            inner join staging.stg_webshop__orders as w on cast(w.order_id as varchar) = o.order_id
            inner join marts.dim_customers as c on c.customer_key = o.customer_key
            where o.source_system = 'webshop' and not c.has_webshop_account and not c.is_loyalty_member
              and c.email_count = 1 and not w.is_placeholder_email
            group by o.customer_key
        )
        select customers.customer_key, order_id, email, c.first_seen_at
        from customers inner join marts.dim_customers as c using (customer_key)
        order by customers.customer_key limit 2
    """,
    )
    assert len(pair) == 2, "the world has no two guest customers"
    (key_a, _order_a, email_a, seen_a), (key_b, order_b, _email_b, seen_b) = pair
    older, newer = (key_a, key_b) if seen_a <= seen_b else (key_b, key_a)
    orders = tuple(
        o
        for (o,) in rows(
            paths,
            f"select order_key from marts.fct_orders where customer_key in ('{key_a}', '{key_b}') order by 1",
        )
    )
    return Guests(older, newer, orders), email_a, order_b


def _audience_member(paths: Paths, scratch: Path) -> tuple[Withdrawal, str, str]:
    """A loyalty member with e-mail consent in the (wide) abandoned-cart audience: customer, e-mail, as-of."""
    run = dbt_wide(paths.warehouse, scratch, "build", "--select", "audience_abandoned_carts")
    assert run.returncode == 0, run.stdout[-2000:]
    audience = rows(
        paths,
        """
        select a.customer_key, any_value(m.email_normalized), any_value(m.member_id), max(cast(a.as_of_at as varchar))
        from marts.audience_abandoned_carts as a
        inner join intermediate.int_identity__record_keys as k
            on k.customer_key = a.customer_key and k.record_type = 'loyalty_member'
        inner join staging.stg_loyalty__members as m on m.member_id = k.record_id
        where a.has_email_consent and m.email_normalized is not null
        group by all order by all limit 1""",
    )
    assert audience, "the world's audience has no loyalty member with e-mail consent"
    ((customer_key, email, member_id, as_of),) = audience
    return Withdrawal(customer_key, member_id), email, as_of


def _ticket(ticket_id: int, email: str, name: str, order_id: str | None, via: str) -> dict:
    return {
        "id": ticket_id,
        "via_channel": via,
        "requester": {"email": email, "phone": None, "name": name},
        "subject": "Pytanie o zamówienie",
        "order_id": order_id,
        "status": "open",
        "created_at": "2026-10-31T10:00:00Z",
        "first_response_at": "2026-10-31T10:05:00Z",
        "solved_at": None,
        "updated_at": "2026-10-31T10:05:00Z",
        "contacts": 1,
        "satisfaction": None,
        "tags": via,
    }


def fit_clv_on_every_build(paths: Paths) -> None:
    """`[clv] refit_days = 0`: an incremental build fits the CLV models as a full build does (by default it
    keeps the last fit for a week), so the two can be compared table by table. Not a setting of the
    results: the next build stays incremental."""
    config = paths.data_dir / "omni.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[clv]\nrefit_days = 0\n", encoding="utf-8")


def arrive_late(source: Paths, data_dir: Path) -> LateArrivals:
    """Copy the world built in `source` to `data_dir`, drop the late arrivals and build once (the build
    must succeed with no failed check)."""
    paths = Paths.from_env(data_dir)
    shutil.copytree(source.data_dir, paths.data_dir, symlinks=True)
    # the CLV models are fitted again as in a full build (tests/test_incremental.py compares the two)
    fit_clv_on_every_build(paths)
    identity_before = _identity(paths)
    guests, email_a, order_b = _guests(paths)
    withdrawal, member_email, as_of = _audience_member(paths, data_dir.parent)

    tickets = paths.landing / "helpdesk" / "tickets" / "tickets_2026-10-31-late.json"
    tickets.write_text(
        json.dumps(
            {
                "tickets": [
                    # customer A writes from their e-mail about B's order (the same person ordering as a guest under
                    # a second address, say)
                    _ticket(999001, email_a, "Test Klient", order_b, "chat"),
                    _ticket(
                        int(NEW_REQUESTER_TICKET),
                        "nowy.klient.999777@example.pl",
                        "Nowy Klient",
                        None,
                        "email",
                    ),
                ]
            }
        )
    )
    # the member withdraws e-mail consent at the store desk two days before the audience's as-of moment
    withdrawn_at = rows(
        paths, f"select strftime(cast('{as_of}' as timestamptz) - interval 2 day, '%Y-%m-%dT%H:%M:%SZ')"
    )[0][0]
    consents = paths.landing / "loyalty" / "consents" / "consent_events_2026-10-31-withdrawal.csv"
    consents.write_text(
        '"consent_event_id","member_id","email","phone","channel","purpose","status","source","event_at"\n'
        f'"CE-TEST-1","{withdrawal.member_id}","{member_email}",,"email","marketing","withdrawn","store",'
        f'"{withdrawn_at}"\n'
    )

    published = published_dir(paths) / "marts.duckdb"
    version_before = current_version(paths)
    reader = duckdb.connect(str(published), read_only=True)
    try:
        records_before = reader.execute("select count(*) from customer_identity_map").fetchall()[0][0]
        result = build(paths, echo=lambda _msg: None)
        seen_by_reader = reader.execute("select count(*) from customer_identity_map").fetchall()[0][0]
    finally:
        reader.close()
    assert result.success, result.failed_steps
    assert not result.checks_failed, result.checks_failed
    return LateArrivals(
        paths=paths,
        guests=guests,
        withdrawal=withdrawal,
        identity_before=identity_before,
        identity_after=_identity(paths),
        published_version_before=version_before,
        published_records_before=records_before,
        records_seen_by_the_open_reader=seen_by_reader,
    )
