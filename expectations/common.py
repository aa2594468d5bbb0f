"""What every suite module declares (a TableSuite), and the building blocks the suites share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.row_conditions import Column, Condition

# Great Expectations takes seconds to import: the declarations here and in the suite modules do not
# import it, so loading the Dagster definitions stays fast; it is imported when a suite is built.

# A sane window for every timestamp and date of the warehouse: the company's systems date from 2015,
# and anything past 2030 is a broken clock or a placeholder such as 9999-12-31.
EARLIEST = dt.datetime(2015, 1, 1)
LATEST = dt.datetime(2030, 12, 31, 23, 59, 59)

# identifier formats of the sources and of the warehouse's own keys
MD5_KEY = r"^[0-9a-f]{32}$"  # surrogate keys (md5 of source:id), customer_key, anonymous_id
PSEUDONYM = r"^[0-9a-f]{64}$"  # keyed SHA-256 of an e-mail, phone or card number
STORE_ID = r"^S\d{3}$"
SKU = r"^SKU-\d{5}$"
RECEIPT_ID = r"^S\d{3}-\d{8}-\d{5}$"  # <store>-<yyyymmdd>-<sequence of the day>
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

# a money amount beyond this is a unit error (grosze for zloty) or a corrupted value, not a sale
MAX_AMOUNT_PLN = 100_000
MAX_QUANTITY = 1_000


@dataclass(frozen=True)
class TableSuite:
    """One table's expectations: which Dagster asset they check, which relation and columns they read
    (only those: tables can have millions of rows), and whether a failure stops the assets downstream."""

    name: str
    asset_key: tuple[str, ...]
    relation: str
    columns: tuple[str, ...]
    blocking: bool
    description: str
    build: Callable[[], gx.ExpectationSuite]


def suite(name: str, *expectations: Expectation | Sequence[Expectation]) -> gx.ExpectationSuite:
    """An ExpectationSuite from expectations and lists of them (as the helpers below return)."""
    import great_expectations as gx

    flat: list[Expectation] = []
    for item in expectations:
        flat.extend(item if isinstance(item, Sequence) else [item])
    return gx.ExpectationSuite(name=name, expectations=flat)


def table_shape(columns: Sequence[str]) -> list[Expectation]:
    """The table has rows, and every column the suite reads (others may be added freely)."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False),
    ]


def not_null(*columns: str) -> list[Expectation]:
    import great_expectations.expectations as gxe

    return [gxe.ExpectColumnValuesToNotBeNull(column=column) for column in columns]


def key(column: str, regex: str | None = None) -> list[Expectation]:
    """A primary key: present, unique and, when given, of the expected format."""
    import great_expectations.expectations as gxe

    expectations: list[Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(column=column),
        gxe.ExpectColumnValuesToBeUnique(column=column),
    ]
    if regex:
        expectations.append(gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex))
    return expectations


def in_window(column: str, **kwargs) -> Expectation:
    """Timestamps or dates within the sane window (runner.read_table gives UTC instants as naive UTC)."""
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=EARLIEST, max_value=LATEST, **kwargs)


def not_before(later: str, earlier: str) -> Expectation:
    """`later` is never before `earlier` (rows missing either are not judged)."""
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing")


def col(name: str) -> Column:
    """A column in a row condition: `col("transaction_type") == "RETURN"`, `col("x").is_null()`."""
    from great_expectations.expectations.row_conditions import Column

    return Column(name)


def where(condition: Condition) -> dict[str, Condition]:
    """Keyword arguments restricting an expectation to the rows meeting a condition, e.g.
    `where(col("transaction_type") == "RETURN")`."""
    return {"row_condition": condition}
