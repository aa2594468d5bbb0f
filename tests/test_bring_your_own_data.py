"""A retailer's own exports, shaped unlike the demo world, build: whatever channels it has, however its ids,
postal codes, phones, dates and amounts look. The example retailer of docs/bring-your-own-data.md
(docs/examples/small-retailer: a web shop, two tills and reference data, nothing else) is built end to end."""

from __future__ import annotations

import datetime as dt
import shutil
import tomllib
from pathlib import Path

import duckdb
import pytest

from ingestion import SOURCE_NAMES
from ingestion.pipeline import run_source
from omni.config import ConfigError, RetailerConfig, load_config, parse_config
from omni.settings import REPO_ROOT, Paths
from tests.support import dbt, rows

EXAMPLE = REPO_ROOT / "docs" / "examples" / "small-retailer"
ON = ("reference", "webshop", "pos")


# --- configuration ---------------------------------------------------------------------------------------


def test_without_a_config_every_source_is_on_and_no_format_is_imposed(tmp_path):
    config = load_config(tmp_path)
    assert config.sources == SOURCE_NAMES and config.sources_off == ()
    assert config.formats == {} and config.country == "PL"
    assert config.plausibility.max_order_amount is None and config.plausibility.earliest() is None


def test_the_example_config_declares_three_sources():
    config = load_config(EXAMPLE)
    assert config.sources == ON
    assert set(config.sources_off) == set(SOURCE_NAMES) - set(ON)
    assert config.dbt_vars() == {
        "default_phone_region": "GB",
        "local_timezone": "Europe/London",
        "enabled_sources": list(ON),
        "identity_match_probability": 0.99,
        "identity_review_probability": 0.8,
        "identity_min_records_to_train": 1000,
        "clv_refit_days": 7,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[sources]\nenabled = ["webshop", "crm"]', "unknown source(s) crm"),
        ('[formats]\nstore = "S\\\\d+"', "unknown id format(s) store"),
        ('[formats]\nsku = "("', "sku: not a regular expression"),
        ('[locale]\ncountry = "Poland"', "two-letter ISO 3166 code"),
        ('[plausibility]\nearliest_date = "2015"', "earliest_date must be a date"),
        ("[plausibility]\nmax_order = 5", "unknown key(s) max_order"),
        ("[channels]\nenabled = []", "unknown section(s) channels"),
        (
            "[identity]\nmatch_probability = 0.8\nreview_probability = 0.9",
            "review_probability <= match_probability",
        ),
        ('[identity]\nmatch_probability = "high"', "match_probability must be a number"),
        ("[identity]\nthreshold = 0.9", "unknown key(s) threshold"),
        ("[clv]\nrefit_days = -1", "refit_days must be a whole number of days, 0 or more"),
        ('[clv]\nrefit_days = "weekly"', "refit_days must be a whole number of days"),
        ("[clv]\nrefit_every = 7", "unknown key(s) refit_every"),
    ],
)
def test_a_config_mistake_says_what_is_wrong(text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_config(tomllib.loads(text))


def test_identity_thresholds_reach_dbt():
    config = parse_config(tomllib.loads("[identity]\nmatch_probability = 0.97\nreview_probability = 0.5"))
    assert config.dbt_vars()["identity_match_probability"] == 0.97
    assert config.dbt_vars()["identity_review_probability"] == 0.5


def test_the_clv_refit_policy_reaches_dbt():
    assert RetailerConfig().dbt_vars()["clv_refit_days"] == 7
    assert parse_config(tomllib.loads("[clv]\nrefit_days = 0")).dbt_vars()["clv_refit_days"] == 0


def test_the_demo_world_declares_its_formats(tmp_path):
    from devtools.generate import DEMO_CONFIG

    config = parse_config(tomllib.loads(DEMO_CONFIG))
    assert config.sources == SOURCE_NAMES
    assert config.format("store_id") == r"^S\d{3}$"


# --- the Dagster graph -------------------------------------------------------------------------------------


def test_the_graph_shows_only_the_sources_that_are_on(dbt_manifest, tmp_path):
    from dagster import Definitions

    from dagster_project.definitions import make_definitions

    defs = make_definitions(Paths.from_env(tmp_path), RetailerConfig(sources=ON))
    Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    landing = {k for k in keys if k.startswith("landing/")}
    assert landing == {f"landing/{s}" for s in ON}
    raw_schemas = {k.split("/")[0] for k in keys if k.startswith("raw_")}
    assert raw_schemas == {f"raw_{s}" for s in ON}
    # staging of a source that is off still builds (from the empty raw tables), with no dependency shown
    assert "staging/stg_ads__ad_spend" in keys
    check_assets = {k.asset_key.path[0] for k in graph.asset_check_keys}
    assert not {f"raw_{s}" for s in SOURCE_NAMES if s not in ON} & check_assets
    # and the full graph is still the default
    full = make_definitions(Paths.from_env(tmp_path), RetailerConfig()).resolve_asset_graph()
    assert {k.path[0] for k in full.get_all_asset_keys() if k.path[0].startswith("raw_")} == {
        f"raw_{s}" for s in SOURCE_NAMES
    }


# --- the loader: nothing refused that the contract allows, nothing lost -----------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_bad_optional_value_keeps_its_row(tmp_path):
    write(
        tmp_path / "landing" / "loyalty" / "members" / "members_2026-05-01.csv",
        "member_id,card_number,birth_date,enrolled_at,updated_at,status\n"
        "M-1,5901234123457,1985-16-18,2026-05-01T10:00:00Z,2026-05-01T10:00:00Z,suspended\n"
        "M-2,5901234123464,1985-06-18,2026-05-01T10:00:00Z,2026-05-01T10:00:00Z,active\n"
        "M-3,,1990-01-01,2026-05-01T10:00:00Z,2026-05-01T10:00:00Z,active\n",
    )
    warehouse = tmp_path / "w.duckdb"
    run_source("loyalty", tmp_path / "landing", warehouse, tmp_path / "dlt")
    # the row with a typo in its optional birth date and an unknown status loads, both values NULL
    assert query(
        warehouse, "select member_id, card_number, birth_date, status from raw_loyalty.members order by 1"
    ) == [("M-1", "5901234123457", None, None), ("M-2", "5901234123464", dt.date(1985, 6, 18), "active")]
    assert query(
        warehouse,
        "select source_file, row_key, column_name, value, reason from raw_loyalty._findings "
        "order by column_name",
    ) == [
        (
            "loyalty/members/members_2026-05-01.csv",
            "member_id=M-1",
            "birth_date",
            "1985-16-18",
            "unparseable birth_date (date)",
        ),
        (
            "loyalty/members/members_2026-05-01.csv",
            "member_id=M-1",
            "status",
            "suspended",
            "unknown status (expected one of active, closed)",
        ),
    ]
    # a missing required value still quarantines its row; every row is accounted for
    assert query(warehouse, "select reason from raw_loyalty._quarantine") == [("missing card_number",)]
    assert query(
        warehouse,
        "select rows_read, rows_loaded, rows_quarantined, values_flagged "
        "from raw_loyalty._load_audit where table_name = 'members'",
    ) == [(3, 2, 1, 2)]


def test_a_json_export_of_another_shape_is_reported_not_loaded_as_nothing(tmp_path):
    checkouts = tmp_path / "landing" / "webshop" / "checkouts"
    write(
        checkouts / "abandoned_checkouts_2026-05-01.json",
        '{"abandoned_checkouts": [{"id": 1, "created_at": "2026-05-01T10:00:00Z", '
        '"updated_at": "2026-05-01T10:00:00Z"}]}',
    )
    write(checkouts / "abandoned_checkouts_2026-05-02.json", '{"checkouts": []}')
    write(checkouts / "abandoned_checkouts_2026-05-03.json", "")
    warehouse = tmp_path / "w.duckdb"
    run_source("webshop", tmp_path / "landing", warehouse, tmp_path / "dlt")
    audit = {
        (t, f.rsplit("_", 1)[-1]): (status, read, loaded, quarantined)
        for t, f, status, read, loaded, quarantined in query(
            warehouse,
            "select table_name, source_file, status, rows_read, rows_loaded, rows_quarantined "
            "from raw_webshop._load_audit",
        )
    }
    assert audit[("abandoned_checkouts", "2026-05-01.json")] == ("unrecognised", 1, 0, 1)
    assert audit[("abandoned_checkouts", "2026-05-02.json")] == ("empty", 0, 0, 0)
    assert audit[("abandoned_checkouts", "2026-05-03.json")] == ("empty", 0, 0, 0)
    (reason,) = query(
        warehouse, "select reason from raw_webshop._quarantine where table_name = 'abandoned_checkouts'"
    )
    assert reason[0].startswith(
        "unrecognised file: no `checkouts` key at the top of the document (found `abandoned_checkouts`)"
    )
    # every contract table of the source exists, empty where no file fed it
    assert query(warehouse, "select count(*) from raw_webshop.orders") == [(0,)]


def test_foreign_formats_load_and_only_rules_of_the_contract_quarantine(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(EXAMPLE / "landing", landing)
    warehouse = tmp_path / "w.duckdb"
    for source in ON:
        run_source(source, landing, warehouse, tmp_path / "dlt")
    assert query(warehouse, "select count(*) from raw_pos.receipt_lines") == [(6,)]
    assert query(warehouse, "select count(*) from raw_webshop.orders") == [(3,)]
    assert query(warehouse, "select max(total_price) from raw_webshop.orders") == [(250000.0,)]
    assert query(warehouse, "select min(created_at)::date::varchar from raw_webshop.customers") == [
        ("1998-05-01",)
    ]
    assert query(warehouse, "select store_id from raw_reference.stores order by 1") == [("47",), ("52",)]
    # nothing of it breaks the contract: no row quarantined, no value flagged
    for source in ON:
        assert query(
            warehouse,
            f"select coalesce(sum(rows_quarantined), 0), coalesce(sum(values_flagged), 0) "
            f"from raw_{source}._load_audit",
        ) == [(0, 0)]


# --- end to end --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_retailer(tmp_path_factory, dbt_manifest):
    """The example retailer of docs/bring-your-own-data.md, built through the Dagster job."""
    from omni.build import build

    paths = Paths.from_env(tmp_path_factory.mktemp("small-retailer") / "data")
    shutil.copytree(EXAMPLE, paths.data_dir)
    result = build(paths, echo=lambda _msg: None)
    assert result.success, result.failed_steps
    return paths, result


@pytest.mark.xdist_group("small-retailer")
def test_the_small_retailer_builds_with_findings_not_failures(small_retailer):
    _paths, result = small_retailer
    assert not result.checks_failed, result.checks_failed
    warned = set(result.checks_warned)
    # the 250,000 PLN order is above the declared plausibility bound: reported, loaded all the same
    assert "raw_webshop/orders:gx_raw_webshop_orders_findings" in warned
    assert "marts/fct_orders:gx_marts_fct_orders_findings" in warned
    # tables of a source that is on but sent nothing warn that no rows were loaded
    assert "raw_webshop/returns:dbt_source_freshness" in warned


@pytest.mark.xdist_group("small-retailer")
def test_the_small_retailers_marts_hold_its_orders_and_customers(small_retailer):
    paths, _ = small_retailer
    assert rows(
        paths,
        "select order_id, source_system, ordering_channel, store_id, order_total_pln::double, "
        "item_count from marts.fct_orders order by order_id",
    ) == [
        ("47-2002-000123", "pos", "store", "47", 1898.0, 3),
        ("47-2002-000124", "pos", "store", "47", 49.0, 1),
        ("52-2002-000002", "pos", "store", "52", 1899.0, 1),
        ("900001", "webshop", "web", None, 1973.0, 2),
        ("900002", "webshop", "web", "52", 250000.0, 2),
        ("900003", "webshop", "app", None, 49.0, 1),
    ]
    # web order lines numbered per order (ids repeat across orders) are all there, each once
    assert rows(
        paths,
        "select order_id, count(*) from marts.fct_order_lines where source_system = 'webshop' "
        "group by 1 order by 1",
    ) == [("900001", 2), ("900002", 1), ("900003", 1)]
    assert rows(paths, "select count(*), count(distinct order_line_key) from marts.fct_order_lines") == [
        (8, 8)
    ]
    # three accounts and one guest who ordered: four customers
    assert rows(paths, "select count(*) from marts.dim_customers") == [(4,)]
    # the till phone typed as +61 400 045 594 is Chloe's web shop account phone: one customer (the store
    # without a phone of its own does not stop till phones from linking)
    assert rows(
        paths,
        """
        select count(distinct customer_key) from marts.fct_orders
        where order_id = '47-2002-000123'
           or customer_key = (select customer_key from marts.customer_identity_map
                              where entity_type = 'webshop_customer' and entity_id = '9')""",
    ) == [(1,)]
    # the return at the till of the web order 900001 is Alice's, as her order is
    assert rows(
        paths,
        """
        select r.customer_key = o.customer_key from marts.fct_returns r
        join marts.fct_orders o on o.order_id = '900001'""",
    ) == [(True,)]
    assert rows(paths, "select returned_date::varchar from marts.fct_returns") == [("2026-03-05",)]
    assert rows(
        paths, "select min(date_day)::varchar, max(date_day)::varchar, count(*) from marts.dim_date"
    ) == [("2026-03-02", "2026-03-05", 4)]


@pytest.mark.xdist_group("small-retailer")
def test_kpis_that_need_a_missing_channel_are_null_not_zero(small_retailer):
    paths, _ = small_retailer
    assert rows(
        paths, "select count(*), count(session_count), sum(order_count) from marts.kpi_daily_channel"
    ) == [(12, 0, 6)]
    stages = dict(
        rows(paths, "select metric, metric_value from marts.kpi_journey_stages where dimension_name = 'all'")
    )
    assert stages["message_reach"] is None and stages["sessions"] is None and stages["ad_impressions"] is None
    assert stages["orders"] == 6.0
    overview = dict(rows(paths, "select kpi, kpi_value from marts.kpi_overview"))
    assert overview["session_conversion_rate"] is None and overview["orders"] == 6.0
    # the sources that are off have empty, typed raw tables and staging models
    assert rows(paths, "select count(*) from raw_ads.ad_spend") == [(0,)]
    assert rows(paths, "select count(*) from staging.stg_events__events") == [(0,)]


# --- each source may be missing --------------------------------------------------------------------------


@pytest.mark.parametrize("removed", [s for s in SOURCE_NAMES if s not in ON])
def test_the_warehouse_builds_without_any_one_source(xs_world, removed, tmp_path):
    """A copy of a built demo warehouse loses one source (its raw tables emptied, the source off); every model
    downstream of it builds again and its staging is empty."""
    world = xs_world(7)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(world.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for (table,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = ? "
            "and not starts_with(table_name, '_')",
            [f"raw_{removed}"],
        ).fetchall():
            con.execute(f'delete from "raw_{removed}"."{table}"')
    config = RetailerConfig(sources=tuple(s for s in SOURCE_NAMES if s != removed))
    # the unit tests run once, in tests/test_dbt_unit_tests.py; a source turned off changes the settings, for
    # which the build rebuilds every model (the settings test of tests/test_definitions.py)
    out = dbt(
        warehouse,
        "build",
        "--select",
        f"source:{removed}+",
        "--exclude-resource-type",
        "unit_test",
        "--full-refresh",
        dbt_vars=config.dbt_vars(),
    )
    assert out.returncode == 0, out.stdout[-4000:]
    # staging models are views, or incremental tables
    staging = [
        v
        for (v,) in query(
            warehouse,
            "select view_name from duckdb_views() where schema_name = "
            f"'staging' and starts_with(view_name, 'stg_{removed}__') union all "
            "select table_name from duckdb_tables() where schema_name = "
            f"'staging' and starts_with(table_name, 'stg_{removed}__')",
        )
    ]
    assert staging
    for view in staging:
        assert query(warehouse, f"select count(*) from staging.{view}") == [(0,)]
    assert query(warehouse, "select count(*) > 0 from marts.fct_orders") == [(True,)]


# --- omni validate -----------------------------------------------------------------------------------------


def test_validate_reads_the_example_without_building(tmp_path):
    from click.testing import CliRunner

    from omni.cli import cli

    result = CliRunner().invoke(cli, ["validate", "--data-dir", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "pos.receipt_lines: 2 file(s), 6 rows would load, 0 quarantined, 0 values flagged" in result.output
    assert "nothing would stop the build" in result.output
    assert not (EXAMPLE / "warehouse.duckdb").exists()


def test_validate_says_what_would_be_quarantined_flagged_or_stop_the_build(tmp_path):
    from click.testing import CliRunner

    from omni.cli import cli

    shutil.copytree(EXAMPLE, tmp_path, dirs_exist_ok=True)
    till = tmp_path / "landing" / "pos" / "47" / "pos_47_2026-03-05.csv"
    lines = till.read_text().splitlines()
    # a line whose quantity does not parse, and a line delivered again in another file
    lines.append(lines[1].replace(";2;49,00;", ";two;49,00;").replace("47-2002-000123;", "47-2002-000199;"))
    write(
        tmp_path / "landing" / "pos" / "47" / "pos_47_2026-03-06.csv", "\n".join([lines[0], lines[1]]) + "\n"
    )
    till.write_text("\n".join(lines) + "\n")
    write(
        tmp_path / "landing" / "reference" / "stores_2.csv", "store_id,name,opened_at\n53,Leeds,2026-02-30\n"
    )
    result = CliRunner().invoke(cli, ["validate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "quarantined  1 x unparseable quantity (integer)" in result.output
    assert "flagged      1 x opened_at: unparseable opened_at (date)" in result.output
    assert (
        "STOPS BUILD  1 key(s) loaded more than once, e.g. receipt_id=47-2002-000123, line_no=1"
        in result.output
    )

    write(tmp_path / "landing" / "pos" / "47" / "pos_47_2026-03-07.csv", "receipt_id;store_id\nx;47\n")
    result = CliRunner().invoke(cli, ["validate", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert (
        "required column(s) receipt_datetime, transaction_type, line_no, sku, quantity missing"
        in result.output
    )
