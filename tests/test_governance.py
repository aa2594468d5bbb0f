"""Consistency checks find what the generator planted; ingestion accounting, findings and dbt source
freshness are asset checks."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.support import rows

pytestmark = pytest.mark.e2e


def planted(paths) -> dict:
    return json.loads((paths.truth / "planted.json").read_text())


@pytest.mark.parametrize("seed", [7, 8])
def test_price_and_stock_checks_find_exactly_the_planted_cases(xs_world, seed):
    paths = xs_world(seed)
    truth = planted(paths)
    prices = {
        (str(d), s) for d, s in rows(paths, "select price_date, sku from marts.consistency_price_differences")
    }
    assert prices == {(p["price_date"], p["sku"]) for p in truth["price_inconsistencies"]}
    stock = {
        (str(d), s, loc)
        for d, s, loc in rows(
            paths, "select snapshot_date, sku, location_id from marts.consistency_stock_mismatches"
        )
    }
    assert stock == {(m["snapshot_date"], m["sku"], m["location_id"]) for m in truth["stock_mismatches"]}


@pytest.mark.parametrize("seed", [7, 8])
def test_duplicate_coupon_check_finds_the_planted_recipients(xs_world, seed):
    paths = xs_world(seed)
    planted_pairs = planted(paths)["duplicate_coupon_recipients"]
    found = rows(paths, "select count(*), count(customer_key) from marts.consistency_duplicate_coupons")[0]
    # recipients are stitched profiles: an SMS to a household phone the stitching sets aside as shared
    # cannot be tied to one person, so a few planted pairs are out of reach; nothing is invented
    assert 0.7 * planted_pairs <= found[0] <= planted_pairs, (found, planted_pairs)
    assert found[1] == found[0]  # every finding is a known customer
    by_campaign = rows(
        paths, "select sum(duplicate_recipients) from marts.consistency_duplicate_coupons_by_campaign"
    )
    assert by_campaign[0][0] >= found[0]


@pytest.mark.parametrize("seed", [7, 8])
def test_duplicate_coupons_at_household_level_match_the_truth(xs_world, seed):
    """At household level the e-mail to one parent and the SMS to the family phone are one household's
    duplicate: the answer key counts (household, coupon) pairs sent through two or more channels, and
    the mart finds exactly as many."""
    paths = xs_world(seed)
    truth = planted(paths)["duplicate_coupon_households"]
    assert truth > 0
    found = rows(paths, "select count(*) from marts.consistency_duplicate_coupons_households")[0][0]
    assert found == truth
    # every household of the check is a household of dim_households or a customer's own
    orphans = rows(
        paths,
        """select count(*) from marts.consistency_duplicate_coupons_households as d
           where household_key not in (select household_key from marts.dim_households)
             and household_key not in (select household_key from marts.dim_customers)""",
    )[0][0]
    assert orphans == 0


@pytest.mark.parametrize("seed", [7, 8])
def test_consent_violation_check_finds_the_planted_sends(xs_world, seed):
    """The generator sends a few newsletters to people after they withdrew e-mail consent; the check
    finds exactly those sends (matched to the people through the answer key's message list)."""
    paths = xs_world(seed)
    truth = planted(paths)["consent_violations"]
    assert truth, "the world planted no consent violation"
    found = rows(
        paths,
        f"""
        select truth.person_id, violations.campaign_id, violations.channel
        from marts.consent_violations as violations
        inner join intermediate.int_consent__marketing_sends as sends
            on sends.message_event_id = violations.consent_violation_key
        inner join read_csv('{paths.truth / "marketing_messages.csv"}') as truth
            on truth.message_id = sends.message_id""",
    )
    assert sorted(found) == sorted((v["person_id"], v["campaign_id"], v["channel"]) for v in truth)
    audit = rows(paths, "select sum(sends_after_withdrawal), sum(sends) from marts.consent_send_audit")[0]
    sends = rows(
        paths, "select count(*) from staging.stg_marketing__message_events where event_type = 'send'"
    )
    assert audit == (len(truth), sends[0][0])


def test_ingestion_accounting_and_findings_are_asset_checks(xs_world):
    from dagster import DagsterEventType, DagsterInstance

    from omni.instance import ensure_dagster_home

    paths = xs_world(7)
    ensure_dagster_home(paths)
    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        records = instance.get_records_for_run(
            run_id=run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
    evaluations = {
        (
            r.event_log_entry.dagster_event.event_specific_data.asset_key.to_user_string(),
            r.event_log_entry.dagster_event.event_specific_data.check_name,
        ): r.event_log_entry.dagster_event.event_specific_data
        for r in records
    }
    accounting = [e for (k, name), e in evaluations.items() if name == "load_accounting"]
    assert accounting and all(e.passed for e in accounting)
    quarantine = evaluations[("raw_pos/receipt_lines", "quarantine")]
    assert not quarantine.passed and quarantine.metadata["rows_quarantined"].value == 3
    stock = evaluations[("marts/consistency_stock_mismatches", "cases_found")]
    assert stock.metadata["cases"].value == len(planted(paths)["stock_mismatches"])
    violations = evaluations[("marts/consent_violations", "cases_found")]
    assert violations.metadata["cases"].value == len(planted(paths)["consent_violations"])
    # dbt source freshness: one check per dbt source table, all fresh right after the load
    freshness = {k: e for (k, name), e in evaluations.items() if name == "dbt_source_freshness"}
    assert "raw_webshop/orders" in freshness and "raw_loyalty/consent_events" in freshness
    assert all(e.passed and e.metadata["status"].value == "pass" for e in freshness.values())


def test_source_freshness_checks_report_dbts_verdict_on_stale_tables(xs_world, tmp_path, monkeypatch):
    """Age the dlt load ids of two tables on a copy of the warehouse: dbt's thresholds (warn after 36 hours,
    error after 7 days) decide, and the checks carry dbt's verdict."""
    import shutil

    from dagster import AssetCheckSeverity

    from dagster_project.defs.dbt.project import dbt_project, dbt_resource
    from dagster_project.defs.freshness import freshness_results, sources_with_freshness

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(xs_world(7).warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for table, age in [("raw_loyalty.members", "3 day"), ("raw_webshop.customers", "10 day")]:
            con.execute(f"update {table} set _dlt_load_id = cast(epoch(now() - interval {age}) as varchar)")
    monkeypatch.setenv("OMNI_WAREHOUSE_PATH", str(warehouse))
    sources = sources_with_freshness(json.loads(dbt_project.manifest_path.read_text()))
    assert len(sources) >= 20
    results = {r.asset_key.to_user_string(): r for r in freshness_results(dbt_resource(), sources)}
    assert len(results) == len(sources)
    members, customers = results.pop("raw_loyalty/members"), results.pop("raw_webshop/customers")
    assert not members.passed and members.severity == AssetCheckSeverity.WARN
    assert members.metadata["status"].value == "warn" and 71 < members.metadata["hours_since_load"].value < 73
    assert not customers.passed and customers.severity == AssetCheckSeverity.ERROR
    assert customers.metadata["status"].value == "error"
    assert all(r.passed for r in results.values())


def test_omni_checks_sums_up_the_runs_checks(xs_world):
    from click.testing import CliRunner

    from omni.cli import cli

    paths = xs_world(7)
    result = CliRunner().invoke(cli, ["checks", "--data-dir", str(paths.data_dir)])
    assert result.exit_code == 0, result.output
    table = {
        line.split()[0]: line.split()[1:]
        for line in result.output.splitlines()
        if line.split() and line.split()[0] in {"ingestion", "freshness", "findings", "privacy"}
    }
    assert table["freshness"][0] == table["freshness"][1] and int(table["freshness"][0]) >= 20
    assert table["privacy"] == ["1", "1", "0", "0"]
    from dagster_project.defs.checks import CONSISTENCY

    assert table["findings"][0] == str(len(CONSISTENCY)) and table["ingestion"][3] == "0"
    assert "[ingestion] raw_pos/receipt_lines : quarantine  rows_quarantined=3" in result.output
    # what dbt printed during the build is in the data directory's build log, not on the terminal
    logs = list(paths.logs.glob("build-*.log"))
    assert logs and any("freshness of webshop.orders" in log.read_text() for log in logs)
