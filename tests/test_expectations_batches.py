"""The GX runner validates a large table in batches of bounded rows (expectations/runner.py): the outcome
is the one of a single DataFrame of the whole table, and a `where` predicate restricts the row-wise
expectations to the rows it selects while uniqueness and the row count judge the whole table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pytest

from expectations import all_suites
from expectations.common import TableSuite, col, finding, suite, where
from expectations.runner import ROW, ROW_COUNT, SCHEMA, UNIQUE, kind, validate_table
from tests.test_expectations import BREAKS, SUITES, broken_copy

NOT_NULL = "expect_column_values_to_not_be_null"
UNIQUE_TYPE = "expect_column_values_to_be_unique"
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
REGEX = "expect_column_values_to_match_regex"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"
ROW_COUNT_TYPE = "expect_table_row_count_to_be_between"
COLUMN_SET = "expect_table_columns_to_match_set"

# a parcel carrier's scans: 1,000 rows in two deliveries (wave 1: rows 0-899, wave 2: rows 900-999)
PARCELS = """
create schema logistics;
create table logistics.parcel_scans as
select
    i as scan_no,
    case when i in (17, 988) then 'PX-0042' else 'PX-' || lpad((i + 100)::varchar, 4, '0') end as parcel_ref,
    case when i % 250 = 3 then 'pigeon' when i % 2 = 0 then 'van' else 'bike' end as carrier,
    case when i % 97 = 5 then null else (i % 40)::integer end as depot,
    case when i in (5, 333, 950) then -2.5 else (i % 30) * 0.75 end as weight_kg,
    timestamp '2025-03-01 08:00' + to_minutes(i::bigint) as scanned_at,
    case when i in (200, 901) then timestamp '2025-02-01 08:00' else timestamp '2025-03-02 08:00' + to_minutes(i::bigint) end
        as delivered_at,
    case when i in (40, 41) then 'H' when i = 999 then 'H' else 'D' || (i % 5)::varchar end as hub,
    case when i in (40, 41, 999) then 7 else i end as hub_seq,
    case when i < 900 then 1 else 2 end as wave
from range(1000) t(i)
"""
COLUMNS = (
    "scan_no",
    "parcel_ref",
    "carrier",
    "depot",
    "weight_kg",
    "scanned_at",
    "delivered_at",
    "hub",
    "hub_seq",
    "no_such_column",
)


def build_parcel_suite(config):
    import great_expectations.expectations as gxe

    return suite(
        "parcel_scans",
        gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=950),
        gxe.ExpectTableColumnsToMatchSet(column_set=list(COLUMNS), exact_match=False),
        gxe.ExpectColumnValuesToBeUnique(column="parcel_ref"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["hub", "hub_seq"]),
        gxe.ExpectColumnValuesToNotBeNull(column="depot"),
        gxe.ExpectColumnValuesToNotBeNull(column="depot", mostly=0.5),
        gxe.ExpectColumnValuesToBeInSet(column="carrier", value_set=["van", "bike"]),
        gxe.ExpectColumnValuesToBeInSet(column="carrier", value_set=["van"], **where(col("depot") == 2)),
        finding(gxe.ExpectColumnValuesToBeBetween(column="weight_kg", min_value=0)),
        gxe.ExpectColumnValuesToBeBetween(column="depot", min_value=0, max_value=30),
        gxe.ExpectColumnValuesToMatchRegex(column="parcel_ref", regex=r"^PX-0[0-9]{3}$"),
        gxe.ExpectColumnValuesToMatchRegex(column="hub", regex=r"^D[0-9]$", mostly=0.99),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="delivered_at", column_B="scanned_at"),
        gxe.ExpectColumnValuesToNotBeNull(column="no_such_column"),
    )


PARCEL_SUITE = TableSuite(
    name="parcel_scans",
    asset_key=("logistics", "parcel_scans"),
    relation="logistics.parcel_scans",
    columns=COLUMNS,
    blocking=False,
    description="test suite",
    build=build_parcel_suite,
)


@pytest.fixture(scope="module")
def parcels(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("parcels") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(PARCELS)
    return path


def without_time(result):
    return dataclasses.replace(result, seconds=0.0)


def observed(result) -> dict[tuple[str, str | None, str], dict]:
    return {
        (f.expectation_type, f.column, str(f.arguments.get("row_condition", ""))): f.observed
        for f in result.failures
    }


def test_batches_of_any_size_give_the_outcome_of_one_dataframe(parcels):
    from omni.config import RetailerConfig

    config = RetailerConfig()
    whole = validate_table(PARCEL_SUITE, parcels, config)
    # the depot's nulls in wave 1 only: an integer column with nulls reads as float in every batch
    for chunk_rows in (50, 333, 999):
        batched = validate_table(PARCEL_SUITE, parcels, config, chunk_rows=chunk_rows)
        assert without_time(batched) == without_time(whole), chunk_rows
        assert [f.summary() for f in batched.failures] == [f.summary() for f in whole.failures]
    # and what one DataFrame reports, exactly
    found = observed(whole)
    assert whole.rows == 1000 and not whole.success
    assert (whole.evaluated, whole.unsuccessful) == (14, 11)
    assert "no_such_column" in str(found[(COLUMN_SET, None, "")]["details"])
    assert found[(ROW_COUNT_TYPE, None, "")]["observed_value"] == 1000
    assert found[(UNIQUE_TYPE, "parcel_ref", "")]["unexpected_count"] == 2  # rows 17 and 988
    assert found[(UNIQUE_TYPE, "parcel_ref", "")]["unexpected_examples"] == ["PX-0042", "PX-0042"]
    assert found[(COMPOUND_UNIQUE, "hub,hub_seq", "")]["unexpected_count"] == 3  # rows 40, 41, 999
    assert found[(NOT_NULL, "depot", "")]["unexpected_count"] == 11  # every 97th row from row 5
    assert found[(IN_SET, "carrier", "")]["unexpected_count"] == 4  # rows 3, 253, 503, 753
    assert found[(BETWEEN, "weight_kg", "")]["unexpected_examples"] == [-2.5, -2.5, -2.5]
    assert found[(PAIR, "delivered_at,scanned_at", "")]["unexpected_count"] == 2
    assert found[(REGEX, "parcel_ref", "")]["unexpected_count"] == 99  # PX-1000 and above but row 988
    assert found[(REGEX, "parcel_ref", "")]["unexpected_examples"] == [
        "PX-1000",
        "PX-1001",
        "PX-1002",
        "PX-1003",
        "PX-1004",
    ]
    assert "exception" in found[(NOT_NULL, "no_such_column", "")]
    assert (REGEX, "hub", "") not in found  # 3 of 1000 do not match: within mostly=0.99
    assert found[(BETWEEN, "depot", "")]["unexpected_count"] == 25 * 9 - 3  # depots 31-39, 3 of them null
    # 11 nulls of 1,000: within mostly=0.5
    assert [f.expectation_type for f in whole.failures if f.column == "depot"] == [BETWEEN, NOT_NULL]


def test_a_where_predicate_restricts_the_row_wise_expectations_only(parcels):
    from omni.config import RetailerConfig

    config = RetailerConfig()
    results = [
        validate_table(PARCEL_SUITE, parcels, config, where="wave = 2", chunk_rows=chunk_rows)
        for chunk_rows in (7, 30, 5000)
    ]
    assert without_time(results[0]) == without_time(results[1]) == without_time(results[2])
    new = results[0]
    found = observed(new)
    assert new.rows == 100  # the rows of wave 2, read for the row-wise expectations
    # row-wise, on wave 2 only: the negative weight of row 950, the early delivery of row 901
    assert found[(BETWEEN, "weight_kg", "")]["unexpected_count"] == 1
    assert found[(BETWEEN, "weight_kg", "")]["element_count"] == 100
    assert found[(PAIR, "delivered_at,scanned_at", "")]["unexpected_count"] == 1
    assert (IN_SET, "carrier", "") not in found  # the pigeons flew in wave 1
    assert found[(NOT_NULL, "depot", "")]["unexpected_count"] == 1  # row 975
    # uniqueness, every row of the keys wave 2 holds: row 988 (wave 2) repeats the key of row 17 (wave 1),
    # row 999 the hub sequence of rows 40 and 41; the old rows of those keys are counted too
    assert found[(UNIQUE_TYPE, "parcel_ref", "")]["unexpected_count"] == 2
    assert found[(UNIQUE_TYPE, "parcel_ref", "")]["unexpected_examples"] == ["PX-0042", "PX-0042"]
    assert found[(COMPOUND_UNIQUE, "hub,hub_seq", "")]["unexpected_count"] == 3
    assert found[(ROW_COUNT_TYPE, None, "")]["observed_value"] == 1000
    # rows of wave 1 but those of the repeated keys: their keys are unique, whatever wave 2 holds
    unique_keys = validate_table(
        PARCEL_SUITE, parcels, config, where="wave = 1 and scan_no not in (17, 40, 41)"
    )
    assert not {UNIQUE_TYPE, COMPOUND_UNIQUE} & {f.expectation_type for f in unique_keys.failures}
    # a predicate selecting nothing: the row-wise expectations and uniqueness hold vacuously (two old rows
    # of one key were judged when they were new); the table's shape is judged all the same
    nothing = validate_table(PARCEL_SUITE, parcels, config, where="wave = 3")
    assert nothing.rows == 0
    assert {f.expectation_type for f in nothing.failures} == {
        ROW_COUNT_TYPE,
        NOT_NULL,  # the missing column
        COLUMN_SET,
    }


def test_a_bad_predicate_or_batch_size_is_refused(parcels):
    from omni.config import RetailerConfig

    with pytest.raises(duckdb.Error, match="no_column"):
        validate_table(PARCEL_SUITE, parcels, RetailerConfig(), where="no_column = 1")
    with pytest.raises(ValueError, match="chunk_rows"):
        validate_table(PARCEL_SUITE, parcels, RetailerConfig(), chunk_rows=0)


def test_every_expectation_of_the_suites_is_validated_in_bounded_memory():
    """No suite holds an expectation that needs the whole table in one DataFrame (`other`)."""
    from omni.config import RetailerConfig

    kinds = {}
    for table_suite in all_suites():
        for expectation in table_suite.build(RetailerConfig()).expectations:
            kinds.setdefault(kind(expectation, table_suite.columns), set()).add(expectation.expectation_type)
    assert set(kinds) == {ROW, UNIQUE, ROW_COUNT, SCHEMA}
    assert kinds[UNIQUE] == {UNIQUE_TYPE, COMPOUND_UNIQUE}
    assert kinds[SCHEMA] == {COLUMN_SET}


# the suites of the project on a built world and on its broken copies: batches change nothing -------


@pytest.fixture(scope="module")
def warehouse(xs_world) -> Path:
    return xs_world(7).warehouse


@pytest.mark.parametrize("name", SUITES)
def test_batches_change_nothing_on_the_built_tables(warehouse, name):
    whole = validate_table(SUITES[name], warehouse)
    batched = validate_table(SUITES[name], warehouse, chunk_rows=97)
    assert without_time(batched) == without_time(whole)


@pytest.mark.parametrize("case", BREAKS, ids=str)
def test_batches_change_nothing_on_the_broken_copies(warehouse, case, tmp_path):
    table_suite = SUITES[case.suite]
    broken = broken_copy(warehouse, table_suite.relation, case.statements, tmp_path)
    whole = validate_table(table_suite, broken)
    batched = validate_table(table_suite, broken, chunk_rows=97)
    assert not whole.success and case.fails <= batched.failed()
    assert without_time(batched) == without_time(whole)
    assert [f.summary() for f in batched.failures] == [f.summary() for f in whole.failures]
