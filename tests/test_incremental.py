"""Incremental runs (docs/incremental.md): a warehouse fed one export day at a time, each day built by the
incremental job, ends with exactly the tables of a full build of the same files.

The world: xs world 7, built, then continued by the generator one export day at a time (`omni generate
--append-days 1`: new orders and sessions, late clickstream events of earlier days, a login that ties a so
far anonymous browser to its account, a web order exported again with a corrected total), each day built
by the incremental job. A copy of the result is rebuilt by the full refresh job and every table of
staging, intermediate and marts is compared (row count and content hash). The same comparison runs on
the late world (a chat that merges two guests' profiles, built incrementally).
"""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest
from dagster import DagsterInstance

from devtools.fingerprint import differences, fingerprints
from devtools.generate import append_days
from omni.build import build
from omni.instance import ensure_dagster_home
from omni.settings import Paths
from tests.late_arrivals import fit_clv_on_every_build
from tests.support import dbt

SEED = 7
APPENDED_DAYS = 2


def _full_refresh_of(source: Paths, folder) -> tuple[Paths, object]:
    """A copy of the data directory of `source` rebuilt by the full refresh job."""
    paths = Paths.from_env(folder / "data")
    shutil.copytree(source.data_dir, paths.data_dir, symlinks=True)
    result = build(paths, echo=lambda _m: None, full_refresh=True)
    assert result.success, "the full refresh failed:\n" + "\n".join(result.report)
    return paths, result


def _keys(paths: Paths, sql: str) -> dict:
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return dict(con.execute(sql).fetchall())


@pytest.fixture(scope="module")
def day_by_day(xs_world, tmp_path_factory):
    """World 7 continued and built one day at a time; the account key of each planted login before it."""
    paths = Paths.from_env(tmp_path_factory.mktemp("incremental") / "data")
    shutil.copytree(xs_world(SEED).data_dir, paths.data_dir, symlinks=True)
    fit_clv_on_every_build(paths)
    runs, accounts_before = [], {}
    for _ in range(APPENDED_DAYS):
        append_days(paths.data_dir, 1)
        planted = json.loads((paths.truth / "planted.json").read_text())
        accounts_before.update(
            _keys(
                paths,
                "select record_id, customer_key from intermediate.int_identity__record_keys "
                "where record_type = 'webshop_customer'",
            )
        )
        result = build(paths, echo=lambda _m: None)
        assert result.success, "an appended day's build failed:\n" + "\n".join(result.report)
        runs.append(result)
    full, _result = _full_refresh_of(paths, tmp_path_factory.mktemp("incremental-full"))
    return paths, full, runs, planted, accounts_before


@pytest.mark.xdist_group("incremental-days")
def test_every_table_equals_a_full_refresh_of_the_same_files(day_by_day):
    paths, full, _runs, _planted, _accounts = day_by_day
    incremental = fingerprints(paths.warehouse)
    assert len(incremental) > 80
    assert differences(incremental, fingerprints(full.warehouse)) == []


@pytest.mark.xdist_group("incremental-days")
def test_rows_written_again_unchanged_keep_their_stamp(day_by_day):
    """int_attribution__steps recomputes every step of a profile with a new touchpoint; the steps that come out
    as they were keep the batch that last changed them (`_omni_batch`), only `_omni_written` says this run
    wrote them. So the paths downstream recompute only what a changed step reaches."""
    paths, *_ = day_by_day
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        rewritten, restamped = con.execute(
            """
            select count(*) filter (where _omni_batch < _omni_written), count(*) filter (where _omni_batch = _omni_written)
            from intermediate.int_attribution__steps
            where _omni_written = (select max(_omni_written) from intermediate.int_attribution__steps)
            """
        ).fetchone()
        stale = con.execute(
            "select count(*) from intermediate.int_attribution__steps where _omni_batch > _omni_written"
        ).fetchone()[0]
    assert rewritten > 0 and restamped > 0, (rewritten, restamped)
    assert stale == 0


@pytest.mark.xdist_group("incremental-days")
def test_phone_texts_are_parsed_once(day_by_day):
    """stg_identifiers__phone_numbers parses only the texts it does not hold: the first build's rows keep
    its batch, each appended day's new texts carry that day's, and every row is stamped."""
    paths, *_ = day_by_day
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        batches = con.execute(
            "select _omni_batch, count(*) from staging.stg_identifiers__phone_numbers group by 1 order by 1"
        ).fetchall()
        first = con.execute(
            "select min(batch) from meta.incremental_runs where model = 'stg_identifiers__phone_numbers'"
        ).fetchone()[0]
    assert None not in [batch for batch, _ in batches]
    assert len(batches) >= 2, batches  # the first build's texts, and new ones of an appended day
    # parsed again in every run, every row would carry the last run's batch
    assert batches[0][0] == first and batches[0][1] > batches[-1][1], batches


@pytest.mark.xdist_group("incremental-days")
def test_incremental_runs_leave_no_temporary_tables_behind(day_by_day):
    paths, *_ = day_by_day
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        left = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where table_name like '%dbt_tmp%'"
        ).fetchall()
    assert left == []


@pytest.mark.xdist_group("incremental-days")
def test_each_appended_day_ran_the_incremental_path(day_by_day):
    paths, _full, runs, planted, _accounts = day_by_day
    ensure_dagster_home(paths)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        modes = con.execute(
            "select model, list(mode order by batch) from meta.incremental_runs group by model"
        ).fetchall()
        late = {
            event_id
            for (event_id,) in con.execute(
                "select event_id from staging.stg_events__events "
                "where _omni_batch >= (select min(batch) from meta.incremental_runs where mode = 'incremental')"
            ).fetchall()
        }
        corrected = dict(con.execute("select order_id, order_total_pln from marts.fct_orders").fetchall())
        stitched = con.execute(
            "select mode, nodes_restitched, (select count(*) from intermediate.int_identity__nodes) "
            "from meta.identity_stitch_runs order by batch"
        ).fetchall()
    # the world's own build was the full one, then one incremental run per appended day
    assert len(modes) >= 10 and all(m == ["full", *["incremental"] * APPENDED_DAYS] for _model, m in modes)
    # identity stitching stitched the whole graph once, then each day only the part a day's records touch
    assert [mode for mode, _n, _total in stitched] == ["full", *["partial"] * APPENDED_DAYS], stitched
    assert all(0 < n < total for _mode, n, total in stitched[1:]), stitched
    with DagsterInstance.get() as instance:
        tags = [instance.get_run_by_id(r.run_id).tags["omni/refresh"] for r in runs]
    assert tags == ["incremental"] * APPENDED_DAYS
    # the late events of earlier days came in the appended days' runs; the corrected orders have their new total
    assert planted["late_events"] and {e["event_id"] for e in planted["late_events"]} <= late
    assert planted["corrected_records"]
    for record in planted["corrected_records"]:
        assert float(corrected[str(record["id"])]) == pytest.approx(float(record["new_value"]))


@pytest.mark.xdist_group("incremental-days")
def test_a_login_on_an_anonymous_browser_merges_its_profile_into_the_account(day_by_day):
    paths, _full, _runs, planted, accounts_before = day_by_day
    links = planted["profile_links"]
    assert len(links) >= APPENDED_DAYS
    sessions = _keys(paths, "select session_id, customer_key from marts.fct_sessions")
    for link in links:
        records = {r["record_type"]: r["record_id"] for r in link["records"]}
        account_key = accounts_before[str(records["webshop_customer"])]
        with duckdb.connect(str(paths.warehouse), read_only=True) as con:
            cookie_sessions = [
                s
                for (s,) in con.execute(
                    "select distinct session_id from staging.stg_events__events where cookie_id = lower(trim(?))",
                    [records["cookie"]],
                ).fetchall()
            ]
        # every visit of the browser, the earlier anonymous ones too, now carries the account's (older) key
        assert len(cookie_sessions) >= 2
        assert {sessions[s] for s in cookie_sessions} == {account_key}


@pytest.mark.xdist_group("incremental-days")
def test_an_incremental_build_keeps_the_clv_fit_until_refit_days_passed(day_by_day, tmp_path):
    """With the default policy (7 days) an incremental run of the CLV model keeps the parameters of the last
    fit, to the fit's own duration: it was not fitted again."""
    paths, _full, _runs, _planted, _accounts = day_by_day
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(paths.warehouse, warehouse)
    shutil.copytree(paths.data_dir / "secrets", tmp_path / "secrets")
    read = "select model, parameter, value, is_fitted, as_of_date, fit_seconds from intermediate.int_analytics__clv_model"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = sorted(con.execute(read).fetchall())
    assert len(before) == 7 and all(row[3] for row in before)  # world 7 has enough buyers to fit both

    out = dbt(warehouse, "run", "--select", "int_analytics__clv_model", dbt_vars={"clv_refit_days": 7})

    assert out.returncode == 0, out.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert sorted(con.execute(read).fetchall()) == before
        modes = con.execute(
            "select mode from meta.incremental_runs where model = 'int_analytics__clv_model' order by batch"
        ).fetchall()
    assert modes[-1] == ("incremental",)


@pytest.mark.xdist_group("incremental-days")
def test_a_new_pseudonymisation_key_rekeys_every_pseudonym_of_the_identity_map(
    day_by_day, tmp_path, monkeypatch
):
    """Pseudonyms are kept from one run to the next (int_identity__pseudonyms) with the name of the key that
    made them: an incremental run under another key computes every one again, and the map then holds the
    new pseudonyms only, none made with the old key."""
    from omni.pseudonymisation import key_id, load_key, pseudonym

    paths, _full, _runs, _planted, _accounts = day_by_day
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(paths.warehouse, warehouse)
    shutil.copytree(paths.data_dir / "secrets", tmp_path / "secrets")
    old_key = load_key(paths.data_dir)
    map_ids = (
        "select entity_id from marts.customer_identity_map "
        "where entity_type in ('email', 'phone', 'loyalty_card')"
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = {row[0] for row in con.execute(map_ids).fetchall()}
    assert len(before) > 100
    new_key = "rotated-" + "n" * 40
    monkeypatch.setenv("OMNI_PSEUDONYMISATION_KEY", new_key)

    out = dbt(warehouse, "run", "--select", "int_identity__pseudonyms+")

    assert out.returncode == 0, out.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        held = con.execute(
            "select identifier_value, pseudonym, key_id from intermediate.int_identity__pseudonyms "
            "where pseudonym is not null"
        ).fetchall()
        tokens = con.execute(
            "select identifier_type || ':' || identifier_value, erasure_token, key_id "
            "from intermediate.int_identity__pseudonyms"
        ).fetchall()
        looked_up = {
            row[0] for row in con.execute("select erasure_token from marts.erasure_lookup").fetchall()
        }
        after = {row[0] for row in con.execute(map_ids).fetchall()}
        modes = con.execute(
            "select mode from meta.incremental_runs where model = 'customer_identity_map' order by batch"
        ).fetchall()
    assert modes[-1] == ("incremental",)
    assert {row[2] for row in held} == {key_id(new_key.encode())} != {key_id(old_key)}
    assert all(row[1] == pseudonym(new_key.encode(), row[0]) for row in held)
    assert after == {row[1] for row in held}
    # the erasure look-up's tokens are the new key's too
    assert {row[2] for row in tokens} == {key_id(new_key.encode())}
    assert all(row[1] == pseudonym(new_key.encode(), row[0]) for row in tokens)
    assert looked_up and looked_up <= {row[1] for row in tokens}
    assert len(after) == len(before) and not after & before


@pytest.mark.xdist_group("incremental-days")
def test_data_tests_judge_what_the_rows_written_since_they_last_passed_can_break(day_by_day, tmp_path):
    """not_null and accepted_values on an incremental model read the rows stamped after their last pass: a
    bad value in a new row fails them (and keeps no record, so the next run judges it again); a row they
    passed before is not read again. unique reads every row of the keys written since: a new row that
    repeats an old key fails it, two old rows of one key (judged before) are not read again. Tests over
    the whole table judge it all."""
    paths, _full, _runs, _planted, _accounts = day_by_day
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(paths.warehouse, warehouse)
    shutil.copytree(paths.data_dir / "secrets", tmp_path / "secrets")
    with duckdb.connect(str(warehouse)) as con:
        passed = dict(con.execute("select test, batch from meta.passed_tests").fetchall())
        last = con.execute("select max(batch) from meta.incremental_runs").fetchone()[0]
        # every row-wise and key test of fct_touchpoints passed in the last build, at its batch
        tested = [t for t in passed if "_fct_touchpoints_" in t]
        assert tested and {passed[t] for t in tested} == {last}
        assert [t for t in passed if ".unique_stg_events__events_event_id" in t]
        assert not [t for t in passed if ".relationships_" in t]
        old, new = con.execute(
            "select min(touchpoint_key), max(touchpoint_key) from marts.fct_touchpoints"
        ).fetchone()
        # an old row with a bad value (judged before: not read again), a new row with another one
        con.execute("update marts.fct_touchpoints set source_system = 'fax' where touchpoint_key = ?", [old])
        con.execute(
            "update marts.fct_touchpoints set channel = 'pigeon', _omni_batch = ? where touchpoint_key = ?",
            [last + 1, new],
        )
        # a new event repeating an old event's id; an old order written twice before the last pass
        con.execute(
            "insert into staging.stg_events__events select * replace (cast(? as bigint) as _omni_batch) "
            "from staging.stg_events__events where event_id = (select min(event_id) from staging.stg_events__events)",
            [last + 1],
        )
        con.execute(
            "insert into staging.stg_webshop__orders select * from staging.stg_webshop__orders "
            "where order_id = (select min(order_id) from staging.stg_webshop__orders)"
        )

    out = dbt(warehouse, "test", "--select", "fct_touchpoints", "stg_events__events", "stg_webshop__orders")

    failed = {name for name, status in out.results.items() if status == "fail"}
    # the new row's channel: not an accepted value, and no channel of dim_channels; the repeated key; the
    # old row's source system and the old repeated order are not judged again
    assert failed == {
        t
        for t in out.results
        if t.startswith(
            (
                "accepted_values_fct_touchpoints_channel",
                "relationships_fct_touchpoints_channel",
                "unique_stg_events__events_event_id",
            )
        )
    }, out.stdout[-3000:]
    assert len(failed) == 3
    assert out.results["unique_stg_webshop__orders_order_id"] == "pass"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = dict(con.execute("select test, batch from meta.passed_tests").fetchall())
    failed_tests = [t for t in after if t.split(".")[2] in failed]
    assert len(failed_tests) == 2  # the relationships test is never recorded
    assert all(after[t] == passed[t] for t in failed_tests)  # failed: no new record
    passing = [t for t in tested if t not in failed_tests] + [
        t for t in after if ".unique_stg_webshop__orders_order_id" in t
    ]
    assert all(after[t] > last for t in passing)  # passed: recorded at this run


@pytest.fixture(scope="module")
def late_refreshed(late_world, tmp_path_factory):
    """A copy of the late world (world 8 built, then late arrivals built incrementally: a chat that merges
    two guests' profiles, a new requester, a consent withdrawal) rebuilt by the full refresh job."""
    return _full_refresh_of(late_world.paths, tmp_path_factory.mktemp("late-full"))


@pytest.mark.xdist_group("late-full-refresh")
def test_a_late_link_that_merges_two_profiles_built_incrementally_equals_a_full_refresh(
    late_world, late_refreshed
):
    paths, _result = late_refreshed
    guests = late_world.guests
    # the incremental build merged the younger guest's records into the older guest's key
    moved = [r for r, key in late_world.identity_before.items() if key == guests.newer]
    assert moved and all(late_world.identity_after[r] == guests.older for r in moved)
    # the attribution models recomputed both profiles: no step is left under the younger key, and every
    # credit of the two guests' orders names the older one
    with duckdb.connect(str(late_world.paths.warehouse), read_only=True) as con:
        (left,) = con.execute(
            "select count(*) from intermediate.int_attribution__steps where profile_key = ?", [guests.newer]
        ).fetchone()
        credited = con.execute(
            "select distinct customer_key from marts.attribution_credits where list_contains(?, order_key)",
            [list(guests.orders)],
        ).fetchall()
        # the merge's moves are logged for the models that recompute the profile a record left
        logged = con.execute(
            "select to_profile_key, count(*) from meta.identity_profile_moves where from_profile_key = ? "
            "group by all",
            [guests.newer],
        ).fetchall()
    assert left == 0 and credited == [(guests.older,)], (left, credited)
    assert logged == [(guests.older, len(moved))], (logged, len(moved))
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        # a full build of the record keys starts the log afresh
        assert con.execute("select count(*) from meta.identity_profile_moves").fetchall() == [(0,)]
    assert differences(fingerprints(late_world.paths.warehouse), fingerprints(paths.warehouse)) == []


@pytest.mark.xdist_group("late-full-refresh")
def test_the_full_refresh_job_rebuilt_every_incremental_model(late_refreshed):
    paths, result = late_refreshed
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        last = con.execute(
            "select model, arg_max(mode, batch) from meta.incremental_runs group by model order by model"
        ).fetchall()
    assert len(last) >= 10 and {mode for _model, mode in last} == {"full"}, last
    ensure_dagster_home(paths)
    with DagsterInstance.get() as instance:
        run = instance.get_run_by_id(result.run_id)
    assert run.job_name == "full_refresh_warehouse" and run.tags["omni/refresh"] == "full"
