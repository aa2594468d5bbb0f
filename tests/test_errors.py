"""A failed build says what broke, on one screen: the step, the check or dbt node, the expectation, the
column, how many rows and a few examples (personal values masked); `omni checks` gives the same detail."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from omni.build import dbt_failure_lines
from omni.checks import DbtArtifacts, Evaluation, expectation_lines, format_summary, mask_text
from omni.settings import Paths

EMAIL = "jan.kowalski@example.com"

# --- the formatters, over crafted check metadata and dbt artifacts (no build) ----------------------------


def test_a_failed_expectation_names_column_count_and_masked_examples():
    failure = {
        "expectation": "expect_column_values_to_match_regex",
        "column": "email",
        "arguments": {"regex": "^[^@]+@[^@]+$"},
        "observed": {
            "element_count": 100,
            "unexpected_count": 3,
            "unexpected_percent": 3.0,
            "unexpected_examples": [EMAIL, EMAIL, "anna@@example.com", "+48 601 234 567"],
        },
    }
    lines = expectation_lines(failure)
    text = "\n".join(lines)
    assert lines[0].startswith("expect_column_values_to_match_regex(email; regex=")
    assert "3 of 100 rows fail (3%)" in lines[0]
    assert "j***@***" in lines[1] and "a***@***" in lines[1]
    assert "kowalski" not in text and "601 234" not in text
    assert lines[1].count("j***@***") == 1  # the same value once


def test_anything_that_looks_like_an_email_or_phone_is_masked():
    masked = mask_text(
        f"write to {EMAIL} or call +48 601 234 567; receipt S001-20260806-00001, 2026-08-06 10:00"
    )
    assert "kowalski" not in masked and "601 234" not in masked
    assert "S001-20260806-00001" in masked and "2026-08-06 10:00" in masked


@pytest.fixture
def dbt_failure(tmp_path) -> tuple[Path, Path, str]:
    """A warehouse and the artifacts of a failed `dbt build` against it: a failing unique test on an
    e-mail column classified `pii: direct`, a failing not_null test, an errored model, a skipped one."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema staging")
        con.execute(
            "create table staging.stg_customers as select * from (values "
            f"('c1', '{EMAIL}', 'PL'), ('c2', '{EMAIL}', 'PL'), ('c3', 'ewa@example.com', null)) "
            "as t(customer_id, email_normalized, country_code)"
        )
    model = "model.omnichannel.stg_customers"
    columns = {
        "customer_id": {"name": "customer_id", "meta": {}},
        "email_normalized": {"name": "email_normalized", "meta": {}, "config": {"meta": {"pii": "direct"}}},
        "country_code": {"name": "country_code", "meta": {}},
    }
    unique = "test.omnichannel.unique_stg_customers_email_normalized.0a1b2c3d4e"
    not_null = "test.omnichannel.not_null_stg_customers_country_code.1a2b3c4d5e"
    manifest = {
        "nodes": {
            model: {
                "name": "stg_customers",
                "schema": "staging",
                "resource_type": "model",
                "columns": columns,
            },
            "model.omnichannel.stg_orders": {
                "name": "stg_orders",
                "schema": "staging",
                "resource_type": "model",
            },
            unique: {
                "name": "unique_stg_customers_email_normalized",
                "resource_type": "test",
                "attached_node": model,
                "column_name": "email_normalized",
                "depends_on": {"nodes": [model]},
                "test_metadata": {
                    "name": "unique",
                    "kwargs": {
                        "column_name": "email_normalized",
                        "model": "{{ get_where_subquery(ref('stg_customers')) }}",
                    },
                },
            },
            not_null: {
                "name": "not_null_stg_customers_country_code",
                "resource_type": "test",
                "attached_node": model,
                "column_name": "country_code",
                "depends_on": {"nodes": [model]},
                "test_metadata": {"name": "not_null", "kwargs": {"column_name": "country_code"}},
            },
        }
    }
    results = [
        {
            "unique_id": unique,
            "status": "fail",
            "failures": 1,
            "message": "Got 1 result, configured to fail if != 0",
            "compiled_code": "select email_normalized as unique_field, count(*) as n_records\n"
            'from "warehouse"."staging"."stg_customers" where email_normalized is not null\n'
            "group by email_normalized having count(*) > 1\n",
        },
        {
            "unique_id": not_null,
            "status": "fail",
            "failures": 1,
            "message": "Got 1 result",
            "compiled_code": 'select * from "warehouse"."staging"."stg_customers" where country_code is null',
        },
        {
            "unique_id": "model.omnichannel.stg_orders",
            "status": "error",
            "failures": None,
            "message": "Runtime Error in model stg_orders (models/staging/stg_orders.sql)\n"
            '  Binder Error: Referenced column "ordered_at" not found in FROM clause!\n'
            '  Candidate bindings: "order_date"\n  LINE 12: ...',
        },
        {"unique_id": "model.omnichannel.fct_orders", "status": "skipped", "failures": None, "message": None},
        {"unique_id": "test.omnichannel.unique_fct_orders_order_key.9f8e7d6c5b", "status": "skipped"},
    ]
    invocation_id = "5f3c2d1e-0000-4000-8000-000000000001"
    folder = tmp_path / "target" / "omnichannel_dbt-abcdef1-1234567"
    folder.mkdir(parents=True)
    (folder / "run_results.json").write_text(
        json.dumps({"metadata": {"invocation_id": invocation_id}, "results": results})
    )
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return warehouse, folder, invocation_id


def test_a_failed_dbt_build_lists_every_failed_node_with_rows_and_masked_examples(dbt_failure):
    warehouse, folder, _ = dbt_failure
    summary, lines = dbt_failure_lines(DbtArtifacts.load(folder), warehouse)
    text = "\n".join(lines)
    assert summary == "dbt build: 2 tests failed, 1 model errored"
    assert "test unique_stg_customers_email_normalized" in text
    assert "unique on stg_customers.email_normalized: 1 failing row" in text
    assert "e.g. unique_field=j***@***, n_records=2" in text  # classified pii: direct, masked
    assert "not_null on stg_customers.country_code: 1 failing row" in text
    assert "customer_id=c3, email_normalized=e***@***, country_code=NULL" in text
    assert "model staging.stg_orders: Runtime Error in model stg_orders" in text
    assert 'Binder Error: Referenced column "ordered_at" not found' in text
    assert "dbt skipped 2 node(s) downstream of the failures (1 models, 1 tests): fct_orders" in text
    assert "kowalski" not in text and "ewa@" not in text


def test_omni_checks_details_a_failed_dbt_test(dbt_failure, monkeypatch):
    import omni.checks

    warehouse, folder, invocation_id = dbt_failure
    monkeypatch.setattr(omni.checks, "dbt_target_path", lambda: folder.parent)
    test = Evaluation(
        asset="staging/stg_customers",
        check="unique_stg_customers_email_normalized",
        passed=False,
        severity="ERROR",
        metadata={"status": "fail", "dagster_dbt/failed_row_count": 1},
        details={
            "status": "fail",
            "dagster_dbt/failed_row_count": 1,
            "invocation_id": invocation_id,
            "unique_id": "test.omnichannel.unique_stg_customers_email_normalized.0a1b2c3d4e",
        },
    )
    gx = Evaluation(
        asset="raw_loyalty/members",
        check="gx_raw_loyalty_members",
        passed=False,
        severity="WARN",
        details={
            "rows_validated": 50,
            "failures": [
                {
                    "expectation": "expect_column_values_to_not_be_null",
                    "column": "email",
                    "arguments": {},
                    "observed": {"element_count": 50, "unexpected_count": 5, "unexpected_percent": 10.0},
                }
            ],
        },
    )
    out = format_summary("abcdef1-run", [test, gx], paths=Paths(warehouse.parent))
    failed, warned = out.split("\nwarned:\n")
    assert "[dbt test] staging/stg_customers : unique_stg_customers_email_normalized" in failed
    assert "unique on stg_customers.email_normalized: 1 failing row" in failed
    assert "e.g. (in the warehouse now) unique_field=j***@***, n_records=2" in failed
    assert "[great expectations] raw_loyalty/members : gx_raw_loyalty_members" in warned
    assert "expect_column_values_to_not_be_null(email): 5 of 50 rows fail (10%)" in warned
    assert "kowalski" not in out


# --- a real build that fails -------------------------------------------------------------------------


def _duplicate_a_till_file(paths: Paths) -> str:
    """A new till export that repeats the first two lines (same receipt_id and line_no) of an existing
    one under another date, one harmless column changed so it is not taken for the same file. Returns
    the repeated receipt id. The file is the first whose two first lines load cleanly (the generator
    plants unreadable timestamps the loader quarantines, and a quarantined line repeats nothing)."""

    def loads(fields: list[str], names: list[str]) -> bool:
        stamp = fields[names.index("receipt_datetime")].strip('"')
        try:
            datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return False
        return True

    for first in sorted((paths.landing / "pos").rglob("pos_*.csv")):
        header, *lines = first.read_text(encoding="utf-8").splitlines()
        names = [name.strip('"') for name in header.split(";")]
        if len(lines) >= 2 and all(loads(line.split(";"), names) for line in lines[:2]):
            break
    else:
        raise AssertionError("no till export with two cleanly loading lines")
    fields = lines[0].split(";")
    fields[names.index("cashier_id")] = '"K999"'
    store, day = re.fullmatch(r"pos_(\w+)_(\d{4}-\d{2}-\d{2})\.csv", first.name).groups()
    copy = first.with_name(f"pos_{store}_{int(day[:4]) - 1}{day[4:]}.csv")
    copy.write_text("\n".join([header, ";".join(fields), lines[1]]) + "\n", encoding="utf-8")
    return fields[names.index("receipt_id")].strip('"')


@pytest.fixture(scope="module")
def gx_broken_world(tmp_path_factory, dbt_manifest, generated):
    """An xs world whose till receipt lines repeat a key: the blocking GX suite raw_pos_receipt_lines
    fails and nothing downstream of it runs. Built once for the tests below."""
    from omni.build import build

    paths = Paths.from_env(tmp_path_factory.mktemp("errors-gx"))
    # the worlds of both broken builds of this module, generated side by side
    shutil.copytree(generated.many([9, 11])[9], paths.data_dir, dirs_exist_ok=True)
    receipt = _duplicate_a_till_file(paths)
    printed: list[str] = []
    result = build(paths, echo=printed.append)
    return paths, result, printed, receipt


@pytest.mark.e2e
@pytest.mark.xdist_group("errors-gx")
def test_a_failed_blocking_check_is_reported_with_expectation_column_count_and_examples(gx_broken_world):
    _, result, printed, receipt = gx_broken_world
    text = "\n".join(printed)
    assert not result.success
    assert printed == result.report
    step = next(line for line in printed if line.startswith("FAILED step "))
    assert "gx_raw_pos_receipt_lines" in step and "raw_pos/receipt_lines : gx_raw_pos_receipt_lines" in step
    assert "[great expectations] raw_pos/receipt_lines : gx_raw_pos_receipt_lines" in text
    assert re.search(
        r"expect_compound_columns_to_be_unique\(receipt_id,line_no\): 4 of \d+ rows fail", text
    ), text
    assert f"e.g. receipt_id={receipt}, line_no=1" in text
    # the steps that did not run, why, and how many
    not_run = next(line for line in printed if line.startswith("NOT RUN "))
    assert f"NOT RUN {len(result.skipped_steps)} step(s), because " in not_run
    assert "gx_raw_pos_receipt_lines failed" in not_run and "dbt" in not_run
    assert any("dbt" in step for step in result.skipped_steps)
    assert "DagsterAssetCheckFailedError" not in text
    assert len(printed) <= 25 and all(len(line) <= 400 for line in printed), text  # one screen
    assert "gx_raw_pos_receipt_lines" in result.failed_steps[0] and "blocking check" in result.failed_steps[0]


@pytest.mark.e2e
@pytest.mark.xdist_group("errors-gx")
def test_omni_checks_lists_the_failing_expectation_with_examples(gx_broken_world):
    from click.testing import CliRunner

    from omni.cli import cli

    paths, result, _, receipt = gx_broken_world
    out = CliRunner().invoke(cli, ["checks", "--data-dir", str(paths.data_dir), "--run-id", result.run_id])
    assert out.exit_code == 0, out.output
    failed = out.output.split("\nfailed:\n", 1)[1].split("\nwarned:\n")[0]
    assert "[great expectations] raw_pos/receipt_lines : gx_raw_pos_receipt_lines" in failed
    assert re.search(
        r"expect_compound_columns_to_be_unique\(receipt_id,line_no\): 4 of \d+ rows fail", failed
    )
    assert f"receipt_id={receipt}, line_no=1" in failed


@pytest.fixture(scope="module")
def dbt_broken_world(tmp_path_factory, dbt_manifest, generated):
    """An xs world whose reference data lost a store that tills and pick-up orders still name: dbt's
    relationships tests on store ids fail, the dbt step fails and dbt skips what is downstream."""
    from omni.build import build

    paths = Paths.from_env(tmp_path_factory.mktemp("errors-dbt"))
    shutil.copytree(generated(11), paths.data_dir, dirs_exist_ok=True)
    stores = paths.landing / "reference" / "stores.csv"
    header, *lines = stores.read_text(encoding="utf-8").splitlines()
    with_tills = {p.name for p in (paths.landing / "pos").iterdir()}
    gone = next(line for line in lines[1:] if line.split(",")[0].strip('"') in with_tills)
    stores.write_text("\n".join([header, *(line for line in lines if line != gone)]) + "\n", encoding="utf-8")
    printed: list[str] = []
    result = build(paths, echo=printed.append)
    return paths, result, printed, gone.split(",")[0].strip('"')


@pytest.mark.e2e
@pytest.mark.xdist_group("errors-dbt")
def test_a_failed_dbt_test_is_reported_with_model_column_rows_and_examples(dbt_broken_world):
    _, result, printed, store = dbt_broken_world
    text = "\n".join(printed)
    assert not result.success
    step = next(line for line in printed if line.startswith("FAILED step "))
    assert "dbt" in step and re.search(r"dbt build: \d+ tests? failed", step), text
    assert "test relationships_stg_pos__receipt_lines_store_id" in text
    assert re.search(
        r"relationships\(to=ref\('stg_reference__stores'\), field=store_id\) on "
        r"stg_pos__receipt_lines\.store_id: \d+ failing rows",
        text,
    ), text
    assert f"e.g. from_field={store}" in text
    assert re.search(r"dbt skipped \d+ node\(s\) downstream", text)
    assert any(line.startswith("NOT RUN ") for line in printed)
    assert "DagsterDbtCliRuntimeError" not in text and "The dbt CLI process" not in text
    assert len(printed) <= 30, text


@pytest.mark.e2e
@pytest.mark.xdist_group("errors-dbt")
def test_omni_checks_gives_a_failed_dbt_tests_model_column_and_count(dbt_broken_world):
    from click.testing import CliRunner

    from omni.cli import cli

    paths, result, _, store = dbt_broken_world
    out = CliRunner().invoke(cli, ["checks", "--data-dir", str(paths.data_dir), "--run-id", result.run_id])
    assert out.exit_code == 0, out.output
    assert re.search(
        r"\[dbt test\] staging/stg_pos__receipt_lines : relationships_stg_pos__receipt_lines_store_id"
        r"\S*  dagster_dbt/failed_row_count=\d+",
        out.output,
    ), out.output
    assert re.search(r"on stg_pos__receipt_lines\.store_id: \d+ failing rows", out.output)
    assert f"from_field={store}" in out.output
