"""Identifier normalisation: phones of every country (libphonenumber, model stg_identifiers__phone_numbers),
the e-mail macro on a column NULL in every row, a store without a phone, and the identifier_rejections mart."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest

from omni.settings import DBT_PROJECT_DIR
from tests.support import DbtOutcome, dbt, rows

PHONE_MODEL = DBT_PROJECT_DIR / "models" / "staging" / "identifiers" / "stg_identifiers__phone_numbers.py"
SEED_PHONES = frozenset({"+48000000000", "+48123456789", "+48111111111", "+48999999999", "+48500000000"})
POLISH_FORMATS = [
    "+48 601 234 567",
    "601-234-567",
    "0048601234567",
    "601234567",
    "(+48) 601 234 567",
    "+48601234567",
]


@pytest.fixture(scope="module")
def phones():
    """The phone model's module: its mapping is plain Python, testable without dbt."""
    spec = importlib.util.spec_from_file_location("stg_identifiers__phone_numbers", PHONE_MODEL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- (a) the phone mapping ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw, e164, region",
    [
        ("+61 400 045 594", "+61400045594", "AU"),
        ("+44 20 7946 0958", "+442079460958", "GB"),
        ("+1 (415) 555-2671", "+14155552671", "US"),
        ("+49 30 901820", "+4930901820", "DE"),
        ("+49 1512 3456789", "+4915123456789", "DE"),
        ("0044 20 7946 0958", "+442079460958", "GB"),  # 00: the international prefix dialled from Poland
    ],
)
def test_numbers_of_every_country_come_out_in_e164(phones, raw, e164, region):
    row = phones.normalize_phone(raw, "PL")
    assert (row["phone_e164"], row["phone_region"], row["phone_rejection_reason"]) == (e164, region, None)
    assert row["phone_is_valid"] and not row["phone_is_placeholder"]


@pytest.mark.parametrize("raw", POLISH_FORMATS)
def test_polish_formats_keep_their_e164(phones, raw):
    row = phones.normalize_phone(raw, "PL")
    assert (row["phone_e164"], row["phone_region"], row["phone_rejection_reason"]) == (
        "+48601234567",
        "PL",
        None,
    )


def test_a_mobile_number_newer_than_the_library_is_kept(phones):
    # 702 is not (yet) a range libphonenumber 9.0.43 knows; 9 digits not starting with 0 is how a Polish
    # mobile number looks, and dropping it would lose a real customer's link
    row = phones.normalize_phone("702 123 456", "PL")
    assert (row["phone_e164"], row["phone_is_valid"], row["phone_rejection_reason"]) == (
        "+48702123456",
        False,
        None,
    )


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("abc", "not_a_number"),
        ("brak", "not_a_number"),
        ("12345", "too_short"),
        ("+48 601 234 5678", "too_long"),  # a digit too many
        ("0 601 234 567", "too_long"),
        ("+999 1234567", "invalid_country_code"),
        ("+1 555 0143", "missing_area_code"),
        ("+48 601 234 567 / 602 345 678", "too_long"),  # two numbers in one field
        ("000000000", "placeholder"),
    ],
)
def test_junk_gives_null_and_a_reason(phones, raw, reason):
    row = phones.normalize_phone(raw, "PL")
    assert (row["phone_e164"], row["phone_rejection_reason"]) == (None, reason)
    assert reason in phones.REASONS


def test_placeholders_are_flagged_not_dropped(phones):
    seed = phones.normalize_phone("123 456 789", "PL", SEED_PHONES)
    repeated = phones.normalize_phone("666666666", "PL", SEED_PHONES)
    foreign = phones.normalize_phone("+420 111 111 111", "PL", SEED_PHONES)  # a 3-digit country code
    real = phones.normalize_phone("601 234 567", "PL", SEED_PHONES)
    assert (seed["phone_e164"], seed["phone_is_placeholder"]) == ("+48123456789", True)
    assert (repeated["phone_e164"], repeated["phone_is_placeholder"]) == ("+48666666666", True)
    assert (foreign["phone_e164"], foreign["phone_is_placeholder"]) == ("+420111111111", True)
    assert not real["phone_is_placeholder"]


def test_the_default_region_reads_numbers_without_a_country_code(phones):
    assert phones.normalize_phone("020 7946 0958", "GB")["phone_e164"] == "+442079460958"
    assert phones.normalize_phone("020 7946 0958", "PL")["phone_e164"] is None
    with pytest.raises(ValueError, match="default_phone_region"):
        phones.normalize_phones(["601234567"], "XX")


def test_the_table_has_one_row_per_raw_text(phones):
    table = phones.normalize_phones(POLISH_FORMATS + POLISH_FORMATS + ["abc"], "PL")
    assert table.schema == phones.SCHEMA
    assert table.num_rows == len(POLISH_FORMATS) + 1
    assert set(table.column("phone_e164").to_pylist()) == {"+48601234567", None}


# --- a tiny warehouse built by dbt -------------------------------------------------------------------------
RESPONSES = [  # response_id, email (NULL in every row), phone
    ("r1", None, "+61 400 045 594"),
    ("r2", None, "+44 20 7946 0958"),
    ("r3", None, "+1 (415) 555-2671"),
    ("r4", None, "+49 30 901820"),
    ("r5", None, "601-234-567"),
    ("r6", None, "(+48) 601 234 567"),
    ("r7", None, "nie pamiętam"),
    ("r8", None, None),
]
STORES = [("S001", "+48 22 819 41 27"), ("S002", None)]  # S002 has no phone
RECEIPT_LINES = [  # receipt_id, store_id, customer_phone
    ("S002-1", "S002", "601 234 567"),  # a customer's phone typed at the store without a phone
    ("S002-2", "S002", "0048 602 345 678"),
    ("S001-1", "S001", "+48 22 819 41 27"),  # the cashier typed the store's own number
    ("S001-2", "S001", "111111111"),
    ("S001-3", "S001", None),
]


def _dbt(warehouse: Path, target: Path, *args: str) -> DbtOutcome:
    return dbt(warehouse, *args, target=target)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """Raw surveys, stores and till lines only (no web shop, loyalty...: the phone model reads what is
    there), staged by dbt: the phone model, the staging models over it, and their unit and data tests."""
    scratch = tmp_path_factory.mktemp("identifiers")
    warehouse = scratch / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw_surveys; create schema raw_reference; create schema raw_pos")
        con.execute("""create table raw_surveys.responses (response_id varchar, survey_type varchar,
            email varchar, phone varchar, score bigint, comment varchar, responded_at timestamptz,
            touchpoint_channel varchar, order_id varchar, ticket_id varchar, _source_file varchar,
            _dlt_load_id varchar)""")
        con.executemany(
            "insert into raw_surveys.responses values (?, 'NPS', ?, ?, 9, null, "
            "'2026-05-01 10:00:00+00', 'web', null, null, 'f', '1')",
            RESPONSES,
        )
        con.execute("""create table raw_reference.stores (store_id varchar, name varchar, city varchar,
            address varchar, postal_code varchar, region varchar, store_type varchar, store_phone varchar,
            opened_at date, latitude double, longitude double, _source_file varchar, _dlt_load_id varchar)""")
        con.executemany(
            "insert into raw_reference.stores values (?, 'Store', 'Warszawa', 'ul. Prosta 1', "
            "'00-001', 'mazowieckie', 'standard', ?, '2020-01-01', 52.2, 21.0, 'f', '1')",
            STORES,
        )
        con.execute("""create table raw_pos.receipt_lines (receipt_id varchar, store_id varchar,
            register_no varchar, cashier_id varchar, receipt_datetime timestamp, transaction_type varchar,
            loyalty_card varchar, customer_phone varchar, line_no bigint, sku varchar, quantity bigint,
            unit_price double, discount double, line_total double, payment_method varchar,
            coupon_code varchar, original_order_id varchar, original_receipt_id varchar,
            customer_email varchar, _source_file varchar, _dlt_load_id varchar)""")
        con.executemany(
            "insert into raw_pos.receipt_lines values (?, ?, '1', 'C1', '2026-05-01 10:00:00', "
            "'SALE', null, ?, 1, 'SKU1', 1, 10.0, 0, 10.0, 'card', null, null, null, null, 'f', '1')",
            RECEIPT_LINES,
        )
    out = _dbt(
        warehouse,
        scratch / "target",
        "build",
        "--indirect-selection",
        "cautious",
        "--select",
        "placeholder_identifiers",
        "stg_identifiers__phone_numbers",
        "stg_surveys__responses",
        "stg_reference__stores",
        "stg_pos__receipt_lines",
    )
    assert out.returncode == 0, out.stdout[-4000:]
    # the unit test of a store without a phone ran too
    assert "a_store_without_a_phone_keeps_till_typed_phones" in out.stdout
    return warehouse


def _read(warehouse: Path, sql: str) -> list[tuple]:
    # a plain connection, as the tests and GX open the warehouse: no UDF registered by dbt
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.xdist_group("tiny-warehouse")
def test_staging_gives_e164_for_every_country_through_a_plain_connection(tiny):
    assert _read(
        tiny, "select response_id, phone_normalized from staging.stg_surveys__responses order by response_id"
    ) == [
        ("r1", "+61400045594"),
        ("r2", "+442079460958"),
        ("r3", "+14155552671"),
        ("r4", "+4930901820"),
        ("r5", "+48601234567"),
        ("r6", "+48601234567"),
        ("r7", None),
        ("r8", None),
    ]
    # the phone model holds every distinct raw text of every source present, once
    mapped = dict(
        _read(
            tiny,
            "select phone_raw, coalesce(phone_e164, phone_rejection_reason) "
            "from staging.stg_identifiers__phone_numbers",
        )
    )
    assert mapped["nie pamiętam"] == "not_a_number"
    assert mapped["+48 22 819 41 27"] == "+48228194127"  # store phones too
    assert mapped["0048 602 345 678"] == "+48602345678"
    assert len(mapped) == len(
        {r[2] for r in RESPONSES if r[2]}
        | {s[1] for s in STORES if s[1]}
        | {r[2] for r in RECEIPT_LINES if r[2]}
    )


# --- (b) an e-mail column NULL in every row ------------------------------------------------------------------
@pytest.mark.xdist_group("tiny-warehouse")
def test_email_normalisation_works_on_a_column_null_in_every_row(tiny):
    # DuckDB 2.0.0 failed binding split_part(col, '@', 2) = ... on such a column (BindBuiltinScalarFunction
    # did not return a BoundFunctionExpression); the staging view runs normalize_email as dbt renders it
    assert _read(
        tiny, "select count(*), count(email), count(email_normalized) from staging.stg_surveys__responses"
    ) == [(len(RESPONSES), 0, 0)]
    assert _read(
        tiny,
        "select count(*), count(email_normalized), count_if(is_placeholder_email) "
        "from staging.stg_pos__receipt_lines",
    ) == [(len(RECEIPT_LINES), 0, 0)]


# --- (c) a store without a phone -------------------------------------------------------------------------------
@pytest.mark.xdist_group("tiny-warehouse")
def test_a_store_without_a_phone_does_not_hide_till_typed_phones(tiny):
    assert _read(
        tiny, "select store_id, store_phone_normalized from staging.stg_reference__stores order by store_id"
    ) == [("S001", "+48228194127"), ("S002", None)]
    assert _read(
        tiny,
        "select receipt_id, phone_normalized, is_placeholder_phone "
        "from staging.stg_pos__receipt_lines order by receipt_id",
    ) == [
        ("S001-1", "+48228194127", True),  # the store's own number
        ("S001-2", "+48111111111", True),  # one repeated digit
        ("S001-3", None, False),
        ("S002-1", "+48601234567", False),  # real phones, though store S002 has no number
        ("S002-2", "+48602345678", False),
    ]


# --- the rejections mart on a generated world ------------------------------------------------------------------
@pytest.mark.e2e
def test_identifier_rejections_counts_what_staging_drops_and_carries_no_personal_data(xs_world):
    paths = xs_world(7)
    mart = rows(
        paths,
        "select source_system, source_table, source_column, identifier_type, reason, "
        "rows_rejected, values_rejected, rows_with_value from marts.identifier_rejections",
    )
    assert mart, "the demo world has placeholders at the till at least"
    reasons = {
        "missing_at_sign",
        "several_at_signs",
        "contains_whitespace",
        "missing_local_part",
        "invalid_domain",
        "not_a_number",
        "invalid_country_code",
        "too_short",
        "too_long",
        "invalid_length",
        "missing_area_code",
        "invalid_number",
        "wrong_length",
        "bad_check_digit",
        "placeholder",
    }
    for *_, kind, reason, rejected, values, carried in mart:
        assert kind in ("email", "phone", "loyalty_card") and reason in reasons
        assert 0 < values <= rejected <= carried
    # every till phone staging has no E.164 for, or flags as a placeholder, is counted
    (expected,) = rows(
        paths,
        "select count_if(phone_normalized is null or is_placeholder_phone) "
        "from staging.stg_pos__receipt_lines where nullif(trim(customer_phone), '') is not null",
    )
    counted = sum(r[5] for r in mart if r[:3] == ("pos", "receipt_lines", "customer_phone"))
    assert counted == expected[0] > 0
    # counts and names only: no text column holds anything but the vocabulary above and source names
    texts = rows(
        paths,
        "select distinct unnest([source_system, source_table, source_column, staging_model, "
        "identifier_type, reason]) from marts.identifier_rejections",
    )
    for (text,) in texts:
        assert text.replace("_", "").isalpha(), text
