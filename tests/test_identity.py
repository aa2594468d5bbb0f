"""Identity stitching end to end: scored against the answer key on worlds of several seeds, stable keys,
late links that re-stitch history, and no personal data in the identity marts."""

from __future__ import annotations

import pytest

from omni.identity.evaluate import evaluate
from omni.privacy import scan_text
from tests.support import rows

pytestmark = pytest.mark.e2e

SEEDS = [7, 8]


@pytest.mark.parametrize("seed", SEEDS)
def test_stitching_meets_its_targets_against_the_truth(xs_world, seed):
    result = evaluate(xs_world(seed))
    for group in ("orders", "touchpoints"):
        score = result["pairwise"][group]
        assert score["predicted_pairs"] > 0, group
        assert score["recall_linkable"] >= 0.98, (group, score)
        # an xs world has a few hundred pairs: one till receipt of a household member seen only through
        # the family phone moves precision by a percent; leaving such records out, the target holds
        assert score["precision"] >= 0.98, (group, score)
        assert result["pairwise_separable"][group]["precision"] >= 0.995, (
            group,
            result["pairwise_separable"],
        )
    # no two people joined where the data could tell them apart (a placeholder or a family phone
    # seen with both of them); a household member seen only through the family phone cannot be
    over = result["over_merged"]
    assert over["separable_by_the_data"] == 0, over
    anonymous = result["anonymous"]
    assert anonymous["of_which_linkable"] <= 0.01 * anonymous["records"], anonymous


@pytest.mark.parametrize("seed", SEEDS)
def test_both_stages_meet_their_targets_and_fuzzy_people_are_found(xs_world, seed):
    """The answer key names till enrolments that only fuzzy evidence links to the person's web account,
    and accounts whose first name is a diminutive or a typo of the membership's, both carrying one
    e-mail or phone. The first are the probabilistic stage's, the second the name-aware checks'."""
    result = evaluate(xs_world(seed))
    stages, cases = result["stages"], result["cases"]
    # overall, as in the test above: on a world this small one household seen through its family phone
    # moves precision by a percent (the size s target of 0.995 is measured by `omni evaluate`)
    assert stages["overall"]["precision"] >= 0.98, stages
    assert stages["probabilistic"]["predicted_pairs"] > 0, stages
    assert stages["probabilistic"]["precision"] >= 0.995, stages
    fuzzy = cases["fuzzy_only"]
    assert fuzzy["pairs"] > 0 and fuzzy["linked_deterministically"] == 0, fuzzy  # really fuzzy only
    assert fuzzy["recall"] >= 0.85, fuzzy
    variants = cases["name_variant"]
    assert variants["pairs"] > 0 and variants["recall"] >= 0.98, variants


def test_a_rebuild_with_late_data_keeps_every_other_customers_key(late_world):
    guests = late_world.guests
    before, after = late_world.identity_before, late_world.identity_after
    assert set(before) <= set(after)
    moved = {record: (key, after[record]) for record, key in before.items() if after[record] != key}
    # only the records of the profile merged into the older one change key, and all of them do
    assert moved
    assert set(moved.values()) == {(guests.newer, guests.older)}
    assert {r for r, key in before.items() if key == guests.newer} == set(moved)
    # what is new: the two tickets and the consent event
    assert {t for t, _ in set(after) - set(before)} <= {"helpdesk_ticket", "consent_event"}


def test_a_login_restitches_the_cookies_earlier_anonymous_sessions(xs_world):
    paths = xs_world(7)
    # cookies whose first session was anonymous and a later one logged in
    cookies = rows(
        paths,
        """
        with sessions as (
            select cookie_id, session_id, min(event_at) as started_at, max(customer_id) as customer_id
            from staging.stg_events__events where cookie_id is not null group by all
        )
        select cookie_id from sessions group by cookie_id
        having arg_min_null(customer_id, started_at) is null and count(customer_id) > 0
    """,
    )
    assert cookies, "the world has no cookie that logs in after an anonymous visit"
    for (cookie,) in cookies:
        keys = rows(
            paths,
            f"""
            select distinct keys.customer_key
            from staging.stg_events__events as events
            inner join intermediate.int_identity__record_keys as keys
                on keys.record_type = 'web_session' and keys.record_id = events.session_id
            where events.cookie_id = '{cookie}'
        """,
        )
        shared = rows(
            paths,
            f"""select link_rule from intermediate.int_identity__identifiers
                                 where identifier_type = 'cookie_id' and identifier_value = '{cookie}'""",
        )
        if shared == [("identifying",)]:
            assert len(keys) == 1 and keys[0][0] is not None, (cookie, keys)


def test_a_late_link_merges_two_profiles_and_their_history_follows(late_world):
    # a chat from guest A's e-mail about guest B's order arrived late (tests/late_arrivals.py)
    paths, guests = late_world.paths, late_world.guests
    keys = rows(
        paths,
        "select distinct customer_key from marts.fct_orders where order_key in ("
        + ",".join(f"'{o}'" for o in guests.orders)
        + ")",
    )
    # every order of both follows one key, the older profile's
    assert keys == [(guests.older,)]
    assert rows(paths, f"select count(*) from marts.dim_customers where customer_key = '{guests.newer}'") == [
        (0,)
    ]


def test_identity_marts_carry_no_raw_emails_or_phones(xs_world):
    paths = xs_world(7)
    for table in ("customer_identity_map", "dim_customers", "identity_cluster_health", "fct_orders"):
        text_columns = [
            c
            for (c,) in rows(
                paths,
                f"""
            select column_name from information_schema.columns
            where table_schema = 'marts' and table_name = '{table}' and data_type like 'VARCHAR%'""",
            )
        ]
        for column in text_columns:
            values = [
                v
                for (v,) in rows(paths, f"select distinct cast({column} as varchar) from marts.{table}")
                if v
            ]
            leaks = [v for v in values if scan_text(v, f"{table}.{column}")]
            assert not leaks, (table, column, leaks[:3])


def test_every_record_has_exactly_one_profile(xs_world):
    paths = xs_world(7)
    assert rows(
        paths,
        """
        select count(*) from marts.customer_identity_map
        where entity_kind = 'record' and (customer_key is null) = (anonymous_id is null)
    """,
    ) == [(0,)]
    (records,) = rows(paths, "select count(*) from intermediate.int_identity__records")[0]
    (mapped,) = rows(paths, "select count(*) from marts.customer_identity_map where entity_kind = 'record'")[
        0
    ]
    assert records == mapped > 0
