"""Consent: the ledger and the state in force; no audience ever holds a channel without current consent,
also when consent is withdrawn in the middle of the period."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.late_arrivals import dbt_wide
from tests.support import rows

pytestmark = pytest.mark.e2e


VIOLATIONS = """
    select count(*) from marts.audience_abandoned_carts as a
    left join marts.consent_current as c
        on c.customer_key = a.customer_key and c.channel = a.next_best_channel and c.purpose = 'marketing'
    where a.next_best_channel is not null and not coalesce(c.is_granted, false)
"""


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


def test_a_withdrawal_in_the_middle_removes_the_channel_from_the_audience(late_world, tmp_path):
    # a member of the (wide) audience withdrew e-mail consent at the store desk two days before the
    # audience's as-of moment; the withdrawal arrived late (tests/late_arrivals.py)
    paths, customer_key = late_world.paths, late_world.withdrawal.customer_key
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
