"""Great Expectations suites (expectations/): each passes on its table of a built xs world and fails, naming
the expectation, on a deliberately broken copy of it; the Dagster checks sit on the right assets."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from expectations import all_suites

SEED = 7
SUITES = {s.name: s for s in all_suites()}

NOT_NULL = "expect_column_values_to_not_be_null"
UNIQUE = "expect_column_values_to_be_unique"
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
REGEX = "expect_column_values_to_match_regex"
NOT_REGEX = "expect_column_values_to_not_match_regex"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"
COLUMN_SET = "expect_table_columns_to_match_set"
ROW_COUNT = "expect_table_row_count_to_be_between"


def update(assignment: str, where: str = "true", n: int = 1) -> str:
    """Set `assignment` on the first `n` rows (by rowid) of the broken table `t` that match `where`."""
    return f"update t set {assignment} where rowid in (select rowid from t where {where} order by rowid limit {n})"


DUPLICATE_A_ROW = "insert into t select * from t where rowid = (select max(rowid) from t)"


@dataclass(frozen=True)
class Break:
    suite: str
    statements: tuple[str, ...]  # run on the copy, known as `t`
    fails: set[tuple[str, str | None]]  # (expectation type, column) that must fail

    def __str__(self) -> str:
        return self.suite


BREAKS = [
    Break(
        "raw_pos_receipt_lines",
        (
            update("receipt_id = null", n=2),
            update(
                "quantity = -quantity", "transaction_type = 'RETURN'", n=1000
            ),  # a return taking goods out
            update("line_total = 9.99", "transaction_type = 'PICKUP'"),  # a pick-up charged again at the till
            update("payment_method = 'bitcoin'", "transaction_type = 'SALE'"),
            update("receipt_datetime = timestamp '2099-01-01 10:00'"),
        ),
        {
            (NOT_NULL, "receipt_id"),
            (BETWEEN, "quantity"),
            (BETWEEN, "line_total"),
            (IN_SET, "payment_method"),
            (BETWEEN, "receipt_datetime"),
        },
    ),
    Break(
        "raw_webshop_orders",
        (
            DUPLICATE_A_ROW,  # the same order version loaded twice
            update("source_name = 'fax'"),
            update("total_price = -10"),
            update("pickup_store_id = null", "fulfilment_type = 'click_and_collect'"),
            update("updated_at = created_at - interval 1 day"),
        ),
        {
            (COMPOUND_UNIQUE, "id,updated_at"),
            (IN_SET, "source_name"),
            (BETWEEN, "total_price"),
            (NOT_NULL, "pickup_store_id"),
            (PAIR, "updated_at,created_at"),
        },
    ),
    Break(
        "raw_loyalty_members",
        (
            update("member_id = null"),
            update("card_number = '123'"),
            update("status = null"),
            update("birth_date = date '1850-01-01'"),
        ),
        {(NOT_NULL, "member_id"), (REGEX, "card_number"), (NOT_NULL, "status"), (BETWEEN, "birth_date")},
    ),
    Break("raw_loyalty_members", ("delete from t",), {(ROW_COUNT, None)}),
    Break(
        "raw_helpdesk_tickets",
        (
            update("via_channel = 'fax'"),
            update("satisfaction__score = 9"),
            update("first_response_at = created_at - interval 1 hour"),
            update("solved_at = null", "status = 'solved'"),
            "alter table t drop column contacts",  # a column the export stopped sending
        ),
        {
            (IN_SET, "via_channel"),
            (BETWEEN, "satisfaction__score"),
            (PAIR, "first_response_at,created_at"),
            (NOT_NULL, "solved_at"),
            (COLUMN_SET, None),
        },
    ),
    Break(
        "raw_marketing_message_events",
        (
            DUPLICATE_A_ROW,
            update("event_type = 'spam'"),
            update("channel = 'fax'"),
            update("email = null", "channel = 'email'"),
            update("event_at = timestamptz '2099-01-01 00:00:00+00'"),
        ),
        {
            (UNIQUE, "event_id"),
            (IN_SET, "event_type"),
            (IN_SET, "channel"),
            (NOT_NULL, "email"),
            (BETWEEN, "event_at"),
        },
    ),
    Break(
        "marts_fct_orders",
        (
            update("order_key = null"),
            update("ordering_channel = 'fax'"),
            update("order_total_pln = -5"),
            update("fulfilment_type = 'home_delivery'", "ordering_channel = 'store'"),
        ),
        {
            (NOT_NULL, "order_key"),
            (IN_SET, "ordering_channel"),
            (BETWEEN, "order_total_pln"),
            (IN_SET, "fulfilment_type"),
        },
    ),
    Break(
        "marts_fct_order_lines",
        (
            DUPLICATE_A_ROW,
            update("quantity = -1"),
            update("sku = 'X'"),
            update("ordering_channel = 'fax'"),
        ),
        {(UNIQUE, "order_line_key"), (BETWEEN, "quantity"), (REGEX, "sku"), (IN_SET, "ordering_channel")},
    ),
    Break(
        "marts_dim_customers",
        (
            update("email_count = 9"),  # an over-merged profile
            update("customer_key = 'not-a-key'"),
            update("last_seen_at = first_seen_at - interval 1 day"),
            update("revenue_pln = -1"),
        ),
        {
            (BETWEEN, "email_count"),
            (REGEX, "customer_key"),
            (PAIR, "last_seen_at,first_seen_at"),
            (BETWEEN, "revenue_pln"),
        },
    ),
    Break(
        "marts_fct_touchpoints",
        (
            update("touchpoint_key = null"),
            update("channel = 'store'", "source_record_type = 'marketing_message_event'"),
            update("touchpoint_type = 'teleport'"),
            update("touchpoint_date = date '1999-12-31'"),
        ),
        {
            (NOT_NULL, "touchpoint_key"),
            (IN_SET, "channel"),
            (IN_SET, "touchpoint_type"),
            (BETWEEN, "touchpoint_date"),
        },
    ),
    Break(
        "marts_customer_identity_map",
        (
            update("entity_id = 'jan.kowalski@example.com'", "entity_type = 'email'"),  # a clear e-mail
            update("entity_id = '+48600100200'", "entity_type = 'phone'"),
            update("link_rule = 'guessed'", "entity_kind = 'identifier'"),
            update("entity_kind = 'ghost'", "entity_kind = 'record'"),
        ),
        {(REGEX, "entity_id"), (NOT_REGEX, "entity_id"), (IN_SET, "link_rule"), (IN_SET, "entity_kind")},
    ),
]


@pytest.fixture(scope="module")
def warehouse(xs_world) -> Path:
    return xs_world(SEED).warehouse


def broken_copy(warehouse: Path, relation: str, statements, directory: Path) -> Path:
    """A warehouse file holding only a copy of `relation`, broken by `statements` (on the view `t`)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "warehouse.duckdb"
    # the suites read the retailer's configuration (id formats, bounds) from the data directory
    shutil.copyfile(warehouse.parent / "omni.toml", directory / "omni.toml")
    schema, table = relation.split(".")
    with duckdb.connect(str(path)) as con:
        con.execute(f"attach '{warehouse}' as built (read_only)")
        con.execute(f"create schema {schema}")
        con.execute(f"create table {relation} as select * from built.{relation}")
        con.execute("detach built")
        con.execute(f"use {schema}")
        con.execute(f"alter table {table} rename to t")
        for statement in statements:
            con.execute(statement)
        con.execute(f"alter table t rename to {table}")
    return path


def test_every_table_of_the_brief_has_a_suite():
    assert {s.asset_key for s in SUITES.values()} >= {
        ("raw_pos", "receipt_lines"),
        ("raw_webshop", "orders"),
        ("raw_loyalty", "members"),
        ("raw_helpdesk", "tickets"),
        ("raw_marketing", "message_events"),
        ("marts", "fct_orders"),
        ("marts", "fct_order_lines"),
        ("marts", "dim_customers"),
        ("marts", "fct_touchpoints"),
        ("marts", "customer_identity_map"),
    }
    assert {b.suite for b in BREAKS} == set(SUITES), "every suite is tested on a broken table"
    for s in SUITES.values():
        assert s.relation == ".".join(s.asset_key)


@pytest.mark.parametrize("name", SUITES)
def test_suite_passes_on_the_built_table(warehouse, name):
    from expectations.runner import validate_table

    result = validate_table(SUITES[name], warehouse)
    assert result.success, [f.summary() for f in result.failures]
    assert result.rows > 0
    assert result.evaluated == result.successful >= 15
    assert result.statistics["success_percent"] == 100.0
    assert result.seconds < 10, "a suite on an xs table takes well under a second"


@pytest.mark.parametrize("case", BREAKS, ids=str)
def test_suite_fails_on_a_broken_copy(warehouse, case, tmp_path):
    from expectations.runner import validate_table

    table_suite = SUITES[case.suite]
    broken = broken_copy(warehouse, table_suite.relation, case.statements, tmp_path)
    result = validate_table(table_suite, broken)
    assert not result.success
    assert case.fails <= result.failed(), "\n".join(f.summary() for f in result.failures)
    assert result.unsuccessful == len(result.failures) >= len(case.fails)
    assert result.successful + result.unsuccessful == result.evaluated


def test_failures_report_what_was_observed(warehouse, tmp_path):
    from expectations.runner import validate_table

    table_suite = SUITES["marts_fct_orders"]
    broken = broken_copy(
        warehouse, table_suite.relation, ("update t set ordering_channel = 'fax' where rowid < 3",), tmp_path
    )
    result = validate_table(table_suite, broken)
    (failure,) = [
        f for f in result.failures if f.column == "ordering_channel" and "row_condition" not in f.arguments
    ]
    assert failure.expectation_type == IN_SET
    assert failure.observed["unexpected_count"] == 3
    assert failure.observed["unexpected_examples"] == ["fax", "fax", "fax"]
    assert failure.arguments["value_set"] == ["web", "app", "store"]
    assert "3 unexpected" in failure.summary()


def test_a_suite_validates_again_in_the_same_process(warehouse):
    """GX's `.add()` raises on a name that exists: repeated runs must not."""
    from expectations.runner import read_table, validate
    from omni.config import load_config

    table_suite = SUITES["raw_helpdesk_tickets"]
    frame = read_table(warehouse, table_suite.relation, table_suite.columns)
    suite = table_suite.build(load_config(warehouse.parent))
    first, second = validate(suite, frame), validate(suite, frame)
    assert first.statistics == second.statistics
    assert first.success and second.success


def test_read_table_reads_only_the_columns_asked_for(warehouse):
    from expectations.runner import read_table

    frame = read_table(
        warehouse, "marts.fct_orders", ["order_key", "placed_at", "placed_date", "order_total_pln", "nope"]
    )
    assert list(frame.columns) == ["order_key", "placed_at", "placed_date", "order_total_pln"]
    assert str(frame["placed_at"].dtype) == str(frame["placed_date"].dtype) == "datetime64[ns]"  # naive UTC
    assert str(frame["order_total_pln"].dtype) == "float64"
    with pytest.raises(LookupError):
        read_table(warehouse, "marts.no_such_table", ["x"])


# --- the Dagster checks ---------------------------------------------------------------------------------


def test_gx_checks_sit_on_dagster_assets(default_defs):
    from dagster import AssetKey

    from dagster_project.defs.gx.checks import gx_checks

    defs = default_defs

    checks = gx_checks()
    assert len(checks) == len(SUITES)
    asset_keys = defs.resolve_asset_graph().get_all_asset_keys()
    wired = {(k.asset_key, k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    for check in checks:
        guard, findings = sorted(check.check_specs, key=lambda spec: spec.name)
        table_suite = SUITES[guard.name.removeprefix("gx_")]
        assert findings.name == f"{guard.name}_findings"
        for spec in (guard, findings):
            assert spec.asset_key == AssetKey(list(table_suite.asset_key))
            assert spec.asset_key in asset_keys, f"{spec.asset_key} is not an asset of the definitions"
            assert (spec.asset_key, spec.name) in wired
        assert guard.blocking == table_suite.blocking
        assert not findings.blocking  # a finding never stops a build
        assert check.node_def.pool == "duckdb_warehouse"


def run_check(table_suite, data_dir: Path) -> dict:
    """What a suite's checks report on a data directory: {check name: result}."""
    from dagster_project.defs.gx.checks import evaluate_suite
    from omni.settings import Paths

    return {result.check_name: result for result in evaluate_suite(table_suite, Paths.from_env(data_dir))}


def test_gx_check_reports_statistics_and_failures(warehouse, tmp_path):
    from dagster import AssetCheckSeverity

    good = run_check(SUITES["marts_fct_orders"], warehouse.parent)
    assert good["gx_marts_fct_orders"].passed and good["gx_marts_fct_orders_findings"].passed
    assert good["gx_marts_fct_orders"].metadata["unsuccessful_expectations"].value == 0
    assert good["gx_marts_fct_orders"].metadata["success_percent"].value == 100.0

    # a key loaded twice guards the warehouse: an error of the blocking check
    broken_dir = tmp_path / "broken"
    broken_copy(warehouse, "marts.fct_orders", (DUPLICATE_A_ROW,), broken_dir)
    bad = run_check(SUITES["marts_fct_orders"], broken_dir)
    assert not bad["gx_marts_fct_orders"].passed
    assert bad["gx_marts_fct_orders"].severity == AssetCheckSeverity.ERROR  # blocking suite
    assert "order_key" in bad["gx_marts_fct_orders"].metadata["failed_expectations"].value
    assert bad["gx_marts_fct_orders_findings"].passed

    # an implausible amount is a finding: a warning with the count and an example, never an error
    odd_dir = tmp_path / "odd"
    broken_copy(
        warehouse, "marts.fct_orders", ("update t set order_total_pln = -1 where rowid = 0",), odd_dir
    )
    odd = run_check(SUITES["marts_fct_orders"], odd_dir)
    assert odd["gx_marts_fct_orders"].passed
    finding = odd["gx_marts_fct_orders_findings"]
    assert not finding.passed and finding.severity == AssetCheckSeverity.WARN
    assert finding.metadata["findings"].value == 1
    (failure,) = finding.metadata["failures"].value
    assert failure["column"] == "order_total_pln" and failure["observed"]["unexpected_count"] == 1

    # a missing table fails the check instead of crashing it; a non-blocking suite only warns
    missing = run_check(SUITES["marts_fct_touchpoints"], broken_dir)["gx_marts_fct_touchpoints"]
    assert not missing.passed
    assert missing.severity == AssetCheckSeverity.WARN
    assert "does not exist" in missing.metadata["error"].value


def test_a_run_judges_row_by_row_only_the_rows_stamped_since_its_guards_last_passed(warehouse, tmp_path):
    """The checks of a run (since_last_pass): the first judges every row and keeps the newest stamp; the next
    judges only rows with a newer stamp, and uniqueness every row of the keys those rows hold; a run whose
    guards fail keeps nothing, so the next judges the same rows again."""
    from dagster_project.defs.gx.checks import evaluate_suite
    from omni.settings import Paths
    from omni.watermarks import TABLE

    table_suite = SUITES["marts_fct_orders"]
    directory = tmp_path / "copy"
    path = broken_copy(warehouse, "marts.fct_orders", (), directory)
    with duckdb.connect(str(path)) as con:
        (total,) = con.execute("select count(*) from marts.fct_orders").fetchone()
        (newest,) = con.execute("select max(_omni_batch) from marts.fct_orders").fetchone()

    def run() -> dict:
        results = evaluate_suite(table_suite, Paths.from_env(directory), since_last_pass=True)
        return {result.check_name: result for result in results}

    first = run()
    assert first["gx_marts_fct_orders"].passed
    assert first["gx_marts_fct_orders"].metadata["rows_validated"].value == total
    assert first["gx_marts_fct_orders"].metadata["rows_judged_row_by_row"].value == "every row"
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute(f"select stamp, rows_judged from {TABLE}").fetchall() == [(str(newest), total)]

    again = run()
    assert again["gx_marts_fct_orders"].passed
    assert again["gx_marts_fct_orders"].metadata["rows_validated"].value == 0
    assert f"_omni_batch > {newest}" in again["gx_marts_fct_orders"].metadata["rows_judged_row_by_row"].value

    # a later batch rewrites two orders, one with an implausible amount: two rows judged, one finding
    with duckdb.connect(str(path)) as con:
        con.execute(
            "update marts.fct_orders set _omni_batch = ? , order_total_pln = case when rowid = 0 then -1 "
            "else order_total_pln end where rowid in (0, 1)",
            [newest + 1],
        )
    later = run()
    assert later["gx_marts_fct_orders"].passed
    assert later["gx_marts_fct_orders"].metadata["rows_validated"].value == 2
    assert later["gx_marts_fct_orders_findings"].metadata["findings"].value == 1

    # a new row repeating an old order's key fails the uniqueness guard, which reads every row of the keys
    # the new rows hold: the old row of that key is counted too; a failing run keeps no stamp, so the next
    # run judges the same rows again
    with duckdb.connect(str(path)) as con:
        con.execute(
            "insert into marts.fct_orders select * replace (cast(? as bigint) as _omni_batch) "
            "from marts.fct_orders where rowid = 5",
            [newest + 2],
        )
    for _ in range(2):
        bad = run()
        assert not bad["gx_marts_fct_orders"].passed
        assert "order_key" in bad["gx_marts_fct_orders"].metadata["failed_expectations"].value
        assert bad["gx_marts_fct_orders"].metadata["rows_validated"].value == 1
        (unique,) = [
            f for f in bad["gx_marts_fct_orders"].metadata["failures"].value if f["column"] == "order_key"
        ]
        assert unique["observed"]["unexpected_count"] == 2
