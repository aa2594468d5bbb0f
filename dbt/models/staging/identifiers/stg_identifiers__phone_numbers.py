"""Every distinct phone text the sources carry, parsed by Google's libphonenumber (`phonenumbers`).

One row per raw text (as typed, not trimmed: the staging models join on it). A number is accepted when
  - libphonenumber knows it as a valid number of its country (`is_valid_number`), or
  - it has exactly the length of a mobile number of its country and does not begin with 0: the
    numbering plans the library ships lag behind what operators hand out, and a till-typed number that
    really is the customer's must not be dropped because its range is newer than the library (with
    phonenumbers 9.0.43, 3 % of Polish 7xx and 7 % of 8xx numbers are not "valid"). Plain
    `is_possible_number` is not used: it would take 6 to 10 digits for Poland (pagers, old fixed
    lines), where people only give 9.
Text without a country code is read in the dbt var `default_phone_region` (an ISO region, 'PL' by
default). A rejected text gets no E.164 value and a reason instead.

A dbt Python model that returns a table: the staging views join it, so they stay plain SQL that any
DuckDB connection can read (no UDF registered only inside dbt).

Incremental (docs/incremental.md): a run parses only the texts it does not hold yet; a text's row depends
on nothing but the text, the region and the placeholder seed, and a change of the region (omni.toml)
rebuilds every model, as does a full refresh after an edit of the seed.
"""

from __future__ import annotations

import duckdb
import phonenumbers
import pyarrow as pa
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType, ValidationResult

SCHEMA = pa.schema(
    [
        ("phone_raw", pa.string()),
        ("phone_e164", pa.string()),
        ("phone_region", pa.string()),
        ("phone_is_valid", pa.bool_()),
        ("phone_is_placeholder", pa.bool_()),
        ("phone_rejection_reason", pa.string()),
    ]
)

PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid_country_code",
    NumberParseException.NOT_A_NUMBER: "not_a_number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_LONG: "too_long",
}
LENGTH_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "invalid_country_code",
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.INVALID_LENGTH: "invalid_length",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "missing_area_code",
}
# every value phone_rejection_reason can take (documented and tested in _identifiers__models.yml)
REASONS = sorted(
    set(PARSE_REASONS.values()) | set(LENGTH_REASONS.values()) | {"invalid_number", "placeholder"}
)


def _one_repeated_digit(digits: str) -> bool:
    return len(digits) >= 6 and len(set(digits)) == 1


def normalize_phone(raw: str, region: str, placeholders: frozenset[str] = frozenset()) -> dict:
    """The row of one raw text: E.164, region, validity, placeholder flag, rejection reason."""
    row = {
        "phone_raw": raw,
        "phone_e164": None,
        "phone_region": None,
        "phone_is_valid": None,
        "phone_is_placeholder": False,
        "phone_rejection_reason": None,
    }
    digits = "".join(c for c in raw if c.isdigit())
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException as err:
        row["phone_rejection_reason"] = (
            "placeholder"
            if _one_repeated_digit(digits)
            else PARSE_REASONS.get(err.error_type, "not_a_number")
        )
        return row
    valid = phonenumbers.is_valid_number(number)
    row["phone_is_valid"] = valid
    row["phone_region"] = phonenumbers.region_code_for_number(number)
    national = phonenumbers.national_significant_number(number)
    length = phonenumbers.is_possible_number_for_type_with_reason(number, PhoneNumberType.MOBILE)
    if valid or (length == ValidationResult.IS_POSSIBLE and not national.startswith("0")):
        e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
        row["phone_e164"] = e164
        row["phone_is_placeholder"] = e164 in placeholders or _one_repeated_digit(national)
    else:
        row["phone_rejection_reason"] = (
            "placeholder" if _one_repeated_digit(national) else LENGTH_REASONS.get(length, "invalid_number")
        )
    return row


def normalize_phones(raws, region: str, placeholders=frozenset()) -> pa.Table:
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"dbt var default_phone_region: {region!r} is not a region libphonenumber knows")
    rows = [normalize_phone(raw, region, frozenset(placeholders)) for raw in sorted(set(raws))]
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def _distinct_texts(load, column: str) -> set[str]:
    """Distinct non-blank texts of a source column; nothing when the table or column is not loaded
    (yet): a warehouse built for one system only has no other system's tables."""
    try:
        relation = load()
    except duckdb.CatalogException:
        return set()
    if column not in relation.columns:
        return set()
    texts = (
        relation.project(f"cast({column} as string) as phone_raw")
        .filter("nullif(trim(phone_raw), '') is not null")
        .distinct()
    )
    return {raw for (raw,) in texts.fetchall()}


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="phone_raw")
    region = dbt.config.get("default_phone_region") or "PL"
    # every source column that carries a phone number (dbt needs each source() call spelled out)
    loads = [
        (lambda: dbt.source("webshop", "customers"), "phone"),
        (lambda: dbt.source("webshop", "orders"), "phone"),
        (lambda: dbt.source("loyalty", "members"), "phone"),
        (lambda: dbt.source("loyalty", "consent_events"), "phone"),
        (lambda: dbt.source("marketing", "message_events"), "phone"),
        (lambda: dbt.source("surveys", "responses"), "phone"),
        (lambda: dbt.source("helpdesk", "tickets"), "requester__phone"),
        (lambda: dbt.source("pos", "receipt_lines"), "customer_phone"),
        (lambda: dbt.source("reference", "stores"), "store_phone"),
    ]
    raws: set[str] = set()
    for load, column in loads:
        raws |= _distinct_texts(load, column)
    if dbt.is_incremental:
        # the texts parsed by earlier runs keep their rows
        raws -= {raw for (raw,) in session.sql(f"select phone_raw from {dbt.this}").fetchall()}
    placeholders = {
        value
        for (value,) in dbt.ref("placeholder_identifiers")
        .filter("identifier_type = 'phone'")
        .project("value")
        .fetchall()
    }
    parsed = normalize_phones(raws, region, placeholders)
    # stamped by the post-hook (stamp_new_rows): a Python model does not know the run's batch
    return parsed.append_column("_omni_batch", pa.nulls(parsed.num_rows, pa.int64()))
