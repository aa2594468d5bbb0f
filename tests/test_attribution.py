"""Attribution, journeys and audiences end to end on built xs worlds: every order attributed with credits
summing to 1 in every model, the position-based and time-decay shapes on real paths, journeys that cover
every order, and an audience that only holds consented channels and respects the frequency cap."""

from __future__ import annotations

import csv
import itertools
import shutil
from pathlib import Path

import duckdb
import pytest

from omni.settings import Paths
from tests.support import dbt

pytestmark = pytest.mark.e2e

MODELS = ["first_touch", "last_touch", "linear", "time_decay", "position_based"]
HALF_LIFE_DAYS = 7  # var('attribution_half_life_days') default
PERSONAL_COLUMNS = {
    "email",
    "phone",
    "email_normalized",
    "phone_normalized",
    "first_name",
    "last_name",
    "name",
}


def rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("seed", [7, 8])
def test_every_order_is_attributed_and_credits_sum_to_one(xs_world, seed):
    warehouse = xs_world(seed).warehouse
    [(orders,)] = rows(warehouse, "select count(*) from marts.fct_orders")
    with (xs_world(seed).truth / "orders.csv").open(newline="") as fh:
        assert orders == sum(1 for _ in csv.DictReader(fh))  # the true orders, all of them
    for model in MODELS:
        [(attributed, bad_sums, revenue_gap)] = rows(
            warehouse,
            f"""
            with per_order as (
                select order_key, sum(credit) as total, sum(attributed_revenue_pln) as revenue
                from marts.attribution_credits where attribution_model = '{model}' group by order_key
            )
            select count(*),
                   count(*) filter (where abs(total - 1) > 1e-9),
                   max(abs(per_order.revenue - orders.order_total_pln))
            from marts.fct_orders as orders
            inner join per_order using (order_key)
        """,
        )
        assert attributed == orders, (model, attributed, orders)
        assert bad_sums == 0, model
        # each step's revenue is rounded to the grosz: a path of n steps may be off by n/2 grosze at most
        assert revenue_gap <= 0.05, (model, revenue_gap)
    # the summary adds up to the orders in every model
    summary = dict(
        rows(
            warehouse,
            """select attribution_model, sum(attributed_conversions)
                                      from marts.attribution_by_channel group by all""",
        )
    )
    assert set(summary) == set(MODELS)
    assert all(abs(total - orders) < 1e-6 for total in summary.values()), summary


def test_position_based_shape_on_real_paths(xs_world):
    warehouse = xs_world(7).warehouse
    credits = rows(
        warehouse,
        """
        select order_key, step_number, step_count, credit from marts.attribution_credits
        where attribution_model = 'position_based' order by order_key, step_number
    """,
    )
    counts = {step_count for _, _, step_count, _ in credits}
    assert {1, 2} <= counts and max(counts) >= 3, counts
    for order_key, step, n, credit in credits:
        if n == 1:
            expected = 1.0
        elif n == 2:
            expected = 0.5
        elif step in (1, n):
            expected = 0.4
        else:
            expected = 0.2 / (n - 2)
        assert credit == pytest.approx(expected, abs=1e-12), (order_key, step, n, credit)


def test_time_decay_shape_on_real_paths(xs_world):
    warehouse = xs_world(7).warehouse
    steps = rows(
        warehouse,
        """
        select order_key, step_number, days_before_order, credit from marts.attribution_credits
        where attribution_model = 'time_decay' and step_count >= 2 order by order_key, step_number
    """,
    )
    assert steps, "no path with two steps or more"
    previous = None
    for order_key, step, days, credit in steps:
        if previous and previous[0] == order_key:
            _, _, previous_days, previous_credit = previous
            # a later step never earns less, and the ratio is the half-life law
            assert credit >= previous_credit - 1e-12, (order_key, step)
            ratio = 2 ** ((previous_days - days) / HALF_LIFE_DAYS)
            assert credit == pytest.approx(previous_credit * ratio, rel=1e-9), (order_key, step)
        previous = (order_key, step, days, credit)


def test_offline_orders_are_credited_to_earlier_steps_of_other_channels(xs_world):
    warehouse = xs_world(7).warehouse
    # a till sale after a web or app visit, a message or an ad click credits them, not only the store
    credited = dict(
        rows(
            warehouse,
            """
        select channel, sum(credit) from marts.attribution_credits
        where attribution_model = 'linear' and ordering_channel = 'store' group by channel
    """,
        )
    )
    assert sum(v for k, v in credited.items() if k not in ("store", "direct")) > 0, credited
    # the steps of a path all come before the order and inside the 30-day lookback
    [(outside,)] = rows(
        warehouse,
        """
        select count(*) from marts.attribution_credits
        where channel <> 'direct' and (days_before_order <= 0 or days_before_order > 30)
    """,
    )
    assert outside == 0


def test_journeys_cover_every_order_and_summaries_agree(xs_world):
    warehouse = xs_world(7).warehouse
    [(orders, converted, unconverted)] = rows(
        warehouse,
        """
        select (select count(*) from marts.fct_orders),
               count(*) filter (where is_converted),
               count(*) filter (where journey_status = 'not_converted')
        from marts.journey_paths
    """,
    )
    assert converted == orders and unconverted > 0
    for (path,) in rows(warehouse, "select distinct channel_path from marts.journey_paths"):
        tokens = path.split(" > ")
        assert all(a != b for a, b in itertools.pairwise(tokens)), f"repeats not collapsed: {path}"
    # touchpoints per conversion agree with the attribution paths
    [(mismatched,)] = rows(
        warehouse,
        """
        select count(*) from marts.journey_paths as journeys
        inner join (select order_key, max(step_count) as steps, bool_or(channel = 'direct') as is_direct
                    from marts.attribution_credits group by order_key) as paths using (order_key)
        where journeys.touchpoint_count <> case when paths.is_direct then 0 else paths.steps end
    """,
    )
    assert mismatched == 0
    [(combination_total, closed_converted)] = rows(
        warehouse,
        """
        select (select sum(converted_journey_count) from marts.journey_channel_combinations),
               (select count(*) from marts.journey_paths where is_converted)
    """,
    )
    assert combination_total == closed_converted
    [(golden_share,)] = rows(
        warehouse,
        """select share_of_orders from marts.journey_golden_paths
                                           where golden_path_id = 'online_browse_pickup'""",
    )
    assert 0 <= golden_share <= 1


def test_marts_hold_no_personal_data(xs_world):
    warehouse = xs_world(7).warehouse
    columns = rows(
        warehouse,
        """
        select table_name, column_name from information_schema.columns
        where table_schema = 'marts' and (table_name like 'attribution_%' or table_name like 'journey_%'
                                          or table_name like 'audience_%')
    """,
    )
    tables = {table for table, _ in columns}
    assert {
        "attribution_credits",
        "attribution_by_channel",
        "journey_paths",
        "audience_abandoned_carts",
    } <= tables
    assert not [c for c in columns if c[1] in PERSONAL_COLUMNS]


def _rebuild_audience(warehouse: Path, tmp_path: Path, variables: str) -> Path:
    """The audience rebuilt on a copy of the warehouse with other vars (a wider window and a lower cap, so
    an xs world has customers on both sides of the cap)."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    result = dbt(
        copy,
        "build",
        "--select",
        "int_audiences__contactability audience_abandoned_carts",
        dbt_vars=variables,
        target=tmp_path / "target",
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return copy


@pytest.mark.parametrize(
    "variables",
    [
        None,
        "{audience_abandoned_cart_days: 90, audience_frequency_cap_messages: 1, audience_frequency_cap_days: 90}",
    ],
)
def test_audience_holds_only_consented_channels_and_respects_the_cap(xs_world, tmp_path, variables):
    paths: Paths = xs_world(8)
    warehouse = (
        paths.warehouse if variables is None else _rebuild_audience(paths.warehouse, tmp_path, variables)
    )
    cap = 3 if variables is None else 1
    cap_days = 7 if variables is None else 90
    audience = rows(
        warehouse,
        f"""
        with as_of as (select max(touchpoint_at) as as_of_at from marts.fct_touchpoints),
        consent as (
            select keys.customer_key, events.consent_channel as channel, events.is_granted, events.event_at
            from staging.stg_loyalty__consent_events as events
            inner join intermediate.int_identity__record_keys as keys
                on keys.record_type = 'consent_event' and keys.record_id = events.consent_event_id
            where events.consent_purpose = 'marketing'
            union all
            -- every consent event counts, also after the as-of moment: the audience is sent now
            select customer_key, channel, false, touchpoint_at from marts.fct_touchpoints
            where touchpoint_type = 'message_unsubscribe'
        ),
        current_consent as (
            select customer_key, channel,
                   first(is_granted order by event_at desc, is_granted) as is_granted
            from consent group by all
        ),
        sends as (
            select customer_key, count(*) as sent from marts.fct_touchpoints
            where touchpoint_type = 'message_send'
                and touchpoint_at > (select as_of_at from as_of) - to_days({cap_days})
                and touchpoint_at <= (select as_of_at from as_of)
            group by customer_key
        )
        select audience.customer_key, audience.next_best_channel, audience.consented_channels,
               audience.is_frequency_capped, coalesce(sends.sent, 0),
               list(current_consent.channel order by current_consent.channel)
                   filter (where current_consent.is_granted) as granted
        from marts.audience_abandoned_carts as audience
        left join sends using (customer_key)
        left join current_consent using (customer_key)
        group by all
    """,
    )
    if variables is not None:
        assert audience, "the widened audience is empty"
        assert any(capped for _, _, _, capped, _, _ in audience), "nobody reaches a cap of 1"
    for customer, channel, consented, capped, sent, granted_or_none in audience:
        granted = granted_or_none or []
        assert consented and sorted(consented) == granted, (customer, consented, granted)
        assert capped == (sent >= cap), (customer, sent)
        if capped:
            assert channel is None, customer
        else:
            assert channel in granted, (customer, channel, granted)
            assert channel == consented[0], (customer, channel, consented)


EXPOSURES = "('message_send', 'message_open', 'message_click', 'ad_click')"


@pytest.mark.parametrize("seed", [7, 8])
def test_campaigns_are_credited_only_where_they_reached_the_buyer(xs_world, seed):
    warehouse = xs_world(seed).warehouse
    # every credited campaign conversion follows a send, open or click of the campaign (or a click on its
    # ad) to the buyer
    [(credited, unexposed)] = rows(
        warehouse,
        f"""
        select count(*), count(*) filter (where not exists (
            select 1 from marts.fct_touchpoints as t
            where t.campaign_id = c.campaign_id and t.customer_key = c.customer_key
                and t.touchpoint_type in {EXPOSURES} and t.touchpoint_at <= c.placed_at))
        from intermediate.int_attribution__campaign_conversions as c
        where c.is_credited
    """,
    )
    assert credited > 0
    assert unexposed == 0
    # a campaign converts no more orders than its reached customers placed after it reached them
    over = rows(
        warehouse,
        f"""
        with reached as (
            select campaign_id, customer_key, min(touchpoint_at) as reached_at
            from marts.fct_touchpoints
            where campaign_id is not null and customer_key is not null and touchpoint_type in {EXPOSURES}
            group by all
        ),
        reached_orders as (
            select reached.campaign_id, count(distinct orders.order_key) as orders
            from reached
            inner join marts.fct_orders as orders
                on orders.customer_key = reached.customer_key and orders.placed_at >= reached.reached_at
            group by all
        )
        select campaigns.campaign_id, campaigns.conversion_count, coalesce(reached_orders.orders, 0)
        from marts.kpi_campaigns as campaigns
        left join reached_orders using (campaign_id)
        where campaigns.conversion_count > coalesce(reached_orders.orders, 0)
    """,
    )
    assert over == []
    # the attribution models credit a visit's utm campaign only after the campaign reached the visitor
    [(campaign_sessions, unexposed_sessions)] = rows(
        warehouse,
        f"""
        select count(*), count(*) filter (where not exists (
            select 1 from marts.fct_touchpoints as t
            where t.campaign_id = s.campaign_id and coalesce(t.customer_key, t.anonymous_id) = s.profile_key
                and t.touchpoint_type in {EXPOSURES} and t.touchpoint_at <= s.step_at
                and t.touchpoint_at >= s.step_at - interval 30 day))
        from intermediate.int_attribution__steps as s
        where s.step_type = 'session' and s.campaign_id is not null
    """,
    )
    assert campaign_sessions > 0
    assert unexposed_sessions == 0


@pytest.mark.parametrize("seed", [7, 8])
def test_campaign_figures_are_plausible(xs_world, seed):
    warehouse = xs_world(seed).warehouse
    campaigns = rows(
        warehouse,
        """
        select campaign_id, channel, open_rate, click_through_rate, roi, conversion_count, reached_customer_count,
               cost_pln, send_cost_pln + media_cost_pln + coupon_discount_pln + fixed_cost_pln
        from marts.kpi_campaigns
    """,
    )
    assert campaigns
    for campaign, channel, open_rate, ctr, roi, conversions, reached, cost, parts in campaigns:
        # SMS opens are not tracked: no rate, rather than a rate of 0; ads have no opens either
        if channel in ("sms", "ads"):
            assert open_rate is None, campaign
        elif reached:
            assert open_rate is not None and 0 <= open_rate <= 1, campaign
        if ctr is not None:
            assert 0 <= ctr <= 1, campaign
        assert float(cost) == pytest.approx(float(parts), abs=0.02), campaign
        # every campaign costs something and returns less than 100 times its cost
        assert cost > 0, campaign
        assert roi is not None and -1 <= roi < 100, (campaign, roi)
        assert conversions >= 0 and reached >= 0
