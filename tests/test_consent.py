"""Consent: the ledger holds every act once, however many systems recorded it (an unsubscribe click is in
the marketing platform and, moments later, in the CRM ledger); the state in force; no audience ever holds a
channel without current consent, also when consent is withdrawn in the middle of the period; and the demo
world sends nothing after a withdrawal but the violations it plants."""

from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from devtools.generate import PERIOD_END, SIZES
from devtools.generate.activity import World
from devtools.generate.marketing import (
    ADS_CAMPAIGNS,
    CRM_SYNC_SECONDS,
    NEVER,
    build_campaigns,
    build_consents,
    build_messages,
)
from devtools.generate.people import add_identity_traits, build_people
from devtools.generate.reference import build_reference
from omni.settings import Paths
from tests.late_arrivals import dbt_wide
from tests.support import rows

VIOLATIONS = """
    select count(*) from marts.audience_abandoned_carts as a
    left join marts.consent_current as c
        on c.customer_key = a.customer_key and c.channel = a.next_best_channel and c.purpose = 'marketing'
    where a.next_best_channel is not null and not coalesce(c.is_granted, false)
"""


@pytest.mark.e2e
def test_newest_consent_event_wins_and_withdrawal_wins_a_tie(xs_world):
    paths = xs_world(7)
    assert rows(
        paths,
        """
        with newest as (
            select customer_key, channel, purpose,
                   arg_max(is_granted, event_at) as granted_at_newest,
                   max(event_at) as newest_at,
                   bool_or(not is_granted) filter (where true) as any_withdrawal
            from marts.consent_ledger where customer_key is not null group by all
        ),
        ties as (
            select l.customer_key, l.channel, l.purpose, bool_and(l.is_granted) as all_granted
            from marts.consent_ledger as l
            inner join newest as n using (customer_key, channel, purpose)
            where l.event_at = n.newest_at group by all
        )
        select count(*) from marts.consent_current as c
        inner join ties as t using (customer_key, channel, purpose)
        where c.is_granted <> t.all_granted
    """,
    ) == [(0,)]
    assert rows(paths, VIOLATIONS) == [(0,)]


@pytest.mark.e2e
def test_a_withdrawal_in_the_middle_removes_the_channel_from_the_audience(late_world, tmp_path):
    # a member of the (wide) audience withdrew e-mail consent at the store desk two days before the
    # audience's as-of moment; the withdrawal arrived late (tests/late_arrivals.py). The late world is shared
    # by the session (other tests compare it with a full refresh): the wide audience is built on a copy
    customer_key = late_world.withdrawal.customer_key
    paths = Paths.from_env(tmp_path / "data")
    paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(late_world.paths.warehouse, paths.warehouse)
    assert rows(
        paths,
        f"""select is_granted from marts.consent_current
                           where customer_key = '{customer_key}' and channel = 'email' and purpose = 'marketing'""",
    ) == [(False,)]
    run = dbt_wide(paths.warehouse, tmp_path, "build", "--select", "audience_abandoned_carts")
    assert run.returncode == 0, run.stdout[-2000:]  # includes the blocking consent test
    after = rows(
        paths,
        f"select next_best_channel, has_email_consent from marts.audience_abandoned_carts "
        f"where customer_key = '{customer_key}'",
    )
    assert after == [] or (after[0][0] != "email" and after[0][1] is False)
    assert rows(paths, VIOLATIONS) == [(0,)]


@pytest.mark.e2e
def test_the_consent_check_blocks_an_audience_that_breaks_consent(xs_world, tmp_path):
    """Tamper with a copy: withdraw the consent of a customer the audience would contact; the dbt test
    on the audience (an asset check that blocks publication) must fail."""
    source = xs_world(7)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(source.warehouse, warehouse)
    assert dbt_wide(warehouse, tmp_path, "build", "--select", "audience_abandoned_carts").returncode == 0
    with duckdb.connect(str(warehouse)) as con:
        target = con.execute("""select customer_key, next_best_channel from marts.audience_abandoned_carts
                                where next_best_channel is not null order by all limit 1""").fetchall()
        assert target, "the audience is empty"
        ((customer_key, channel),) = target
        con.execute(
            "update marts.consent_current set is_granted = false, status = 'withdrawn' "
            "where customer_key = ? and channel = ? and purpose = 'marketing'",
            [customer_key, channel],
        )
    run = dbt_wide(
        warehouse, tmp_path, "test", "--select", "audience_abandoned_carts,test_name:consented_contacts_only"
    )
    assert run.returncode != 0, run.stdout[-2000:]
    assert "FAIL 1" in run.stdout, run.stdout[-2000:]


@pytest.mark.e2e
@pytest.mark.parametrize("seed", [7, 8])
def test_each_withdrawal_is_in_the_ledger_once_with_every_source(xs_world, seed):
    """The answer key counts consents withdrawn and given, one per person, channel and purpose; the
    ledger holds exactly as many, although every unsubscribe click is recorded twice (by the marketing
    platform, and by the CRM ledger up to CRM_SYNC_SECONDS later), and keeps every source record."""
    paths = xs_world(seed)
    kpis = json.loads((paths.truth / "kpis.json").read_text())
    ((withdrawn, granted),) = rows(
        paths,
        "select count(*) filter (where status = 'withdrawn'), count(*) filter (where status = 'granted') "
        "from marts.consent_ledger",
    )
    assert (withdrawn, granted) == (kpis["consent_withdrawals"]["value"], kpis["consent_grants"]["value"])
    ((crm_records, crm_withdrawals, crm_link_withdrawals),) = rows(
        paths,
        """select count(*), count(*) filter (where consent_status = 'withdrawn'),
                  count(*) filter (where consent_status = 'withdrawn' and consent_source = 'unsubscribe_link')
           from staging.stg_loyalty__consent_events""",
    )
    ((unsubscribes,),) = rows(
        paths, "select count(*) from staging.stg_marketing__message_events where event_type = 'unsubscribe'"
    )
    # the world has unsubscribes, each recorded by both systems: counting records would count them twice
    assert unsubscribes > 0 and crm_link_withdrawals == unsubscribes
    assert crm_withdrawals + unsubscribes > withdrawn == crm_withdrawals
    # every unsubscribe is one event with its CRM record, from the click on, the CRM's record moments later
    assert rows(
        paths,
        """select count(*),
                  count(*) filter (where sources = ['loyalty', 'marketing'] and source_event_count = 2
                                   and source_system = 'marketing' and status = 'withdrawn')
           from marts.consent_ledger where list_contains(sources, 'marketing')""",
    ) == [(unsubscribes, unsubscribes)]
    ((shortest, longest),) = rows(
        paths,
        """select min(date_diff('second', event_at, last_recorded_at)),
                  max(date_diff('second', event_at, last_recorded_at))
           from marts.consent_ledger where source_event_count > 1""",
    )
    assert 0 < shortest <= longest <= CRM_SYNC_SECONDS
    # no source record is lost or counted twice: the lineage holds each exactly once
    assert rows(
        paths,
        """select count(*), count(distinct source_event)
           from (select unnest(source_event_ids) as source_event from marts.consent_ledger)""",
    ) == [(crm_records + unsubscribes, crm_records + unsubscribes)]
    assert rows(paths, "select sum(source_event_count) from marts.consent_ledger") == [
        (crm_records + unsubscribes,)
    ]
    # the consent in force is decided by ledger events: one per customer, channel and purpose
    assert rows(
        paths,
        """select count(*) from marts.consent_current as c
           anti join marts.consent_ledger as l
               on l.customer_key = c.customer_key and l.channel = c.channel and l.purpose = c.purpose
               and l.event_at = c.status_since and l.status = c.status""",
    ) == [(0,)]


def world_messages(size: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The demo world's consents and marketing messages as `devtools.generate.generate` makes them (the same
    random streams, in the same order), without writing a file: a second or two at size s."""
    n_people, days, n_stores, n_products = SIZES[size]
    period_start = (PERIOD_END - np.timedelta64(days - 1, "D")).astype("datetime64[s]")
    streams = ["reference", "people", "activity", "consent", "marketing", "render", "identity"]
    rng = {k: np.random.default_rng([seed, i]) for i, k in enumerate(streams)}
    ref = build_reference(rng["reference"], n_stores, n_products)
    people = add_identity_traits(rng["identity"], build_people(rng["people"], n_people, ref))
    world = World(rng["activity"], people, ref, days, period_start)
    world.id_rng = rng["identity"]
    world.run(ADS_CAMPAIGNS)
    world.rng = rng["consent"]
    consents = build_consents(world)
    world.rng = rng["marketing"]
    messages, planted = build_messages(world, consents, build_campaigns(world))
    return consents, messages, planted


# Size s, in memory (no file written, no build): a campaign goes out over 40 minutes, and at this size a
# withdrawal falls in those minutes on about half of the seeds (1, 2 and 3 here), which made a violation
# nobody planted while audiences were checked at the campaign's start only; xs worlds are too small to
# meet one. The warehouse's check finding exactly the planted sends is test_governance's.
@pytest.mark.parametrize("seed", [1, 2, 3, 5])
def test_the_demo_world_sends_nothing_after_a_withdrawal_but_the_planted_violations(seed):
    consents, messages, planted = world_messages("s", seed)
    sends = messages[messages["event_type"] == "send"][["person", "campaign", "channel", "t"]]
    marketing = consents[consents["purpose"] == "marketing"][["person", "channel", "granted", "withdrawn"]]
    # consent ends at the CRM ledger's withdrawal, or at the unsubscribe click the ledger records later
    clicks = (
        messages[messages["event_type"] == "unsubscribe"]
        .groupby(["person", "channel"])["t"]
        .min()
        .rename("click")
    )
    frame = sends.merge(marketing, on=["person", "channel"], how="left").merge(
        clicks, left_on=["person", "channel"], right_index=True, how="left"
    )
    ended = np.minimum(frame["withdrawn"].fillna(NEVER), frame["click"].fillna(NEVER))
    without_consent = frame[frame["granted"].isna() | (frame["granted"] > frame["t"])]
    assert without_consent.empty, without_consent.head()
    after_withdrawal = frame[ended <= frame["t"]]
    found = sorted(
        zip(
            after_withdrawal["person"], after_withdrawal["campaign"], after_withdrawal["channel"], strict=True
        )
    )
    assert found == sorted(
        (v["person"], v["campaign_id"], v["channel"]) for v in planted["consent_violations"]
    )
    assert len(found) == 3
