"""What a retailer declares about itself: the sources it has, its country, and what its exports look like.

One file, `omni.toml`, read from `OMNI_CONFIG` when set, else from the data directory
(`<data-dir>/omni.toml`); without one, every source is on and every format is accepted. The file is
documented in docs/configuration.md. `omni generate` writes the demo retailer's.

What the landing contract *requires* (keys, required columns, parseable values, vocabularies) is not
configurable: it is the gate (docs/landing.md). What varies between retailers is configured here and
only ever produces findings (warnings with counts and examples), never a stopped build: id formats,
plausibility bounds, date windows, the country of phones and postal codes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from omni.settings import SOURCE_NAMES

CONFIG_FILE = "omni.toml"

# Id formats a retailer may declare (a regular expression each, matched in full). Unset: any
# non-empty value. Each applies to every column that carries that kind of id, raw and marts alike.
FORMATS = {
    "store_id": "store ids (till exports, click & collect stores, home stores, marts)",
    "sku": "product SKUs (order lines, till lines, marts)",
    "receipt_id": "till receipt ids (and the receipt a return or a ticket refers to)",
    "order_name": "the order number shown to the customer (`name` of a web shop order)",
    "member_id": "loyalty member ids",
    "loyalty_card": "loyalty card numbers as the CRM exports them",
    "parcel_locker_id": "parcel locker ids",
    "campaign_id": "marketing campaign ids",
    "message_id": "marketing message ids",
    "device_id": "app install ids",
    "event_id": "clickstream and marketing event ids",
}


class ConfigError(ValueError):
    """`omni.toml` is not what docs/configuration.md describes."""


@dataclass(frozen=True)
class Plausibility:
    """Bounds past which a value is probably a mistake (a unit error, a broken clock). Findings only."""

    max_order_amount: float | None = None  # one order or receipt, in the retailer's currency
    max_shipping_amount: float | None = None
    max_line_quantity: int | None = None
    earliest_date: dt.date | None = None  # default: no lower bound
    # default: no date later than one day after the check runs (a future date is a broken clock)
    latest_date: dt.date | None = None
    min_birth_year: int = 1900

    def latest(self) -> dt.datetime:
        if self.latest_date is not None:
            return dt.datetime.combine(self.latest_date, dt.time(23, 59, 59))
        return dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(23, 59, 59))

    def earliest(self) -> dt.datetime | None:
        return dt.datetime.combine(self.earliest_date, dt.time()) if self.earliest_date else None


@dataclass(frozen=True)
class IdentityMatching:
    """Probabilistic identity matching (docs/identity.md): pairs at or above `match_probability` may merge
    their profiles, pairs from `review_probability` up are listed in identity_match_candidates."""

    match_probability: float = 0.99
    review_probability: float = 0.8
    min_records_to_train: int = 1000  # fewer compared records: the documented priors, untrained

    def __post_init__(self) -> None:
        if not 0 < self.review_probability <= self.match_probability <= 1:
            raise ConfigError(
                "[identity] needs 0 < review_probability <= match_probability <= 1, got "
                f"review_probability = {self.review_probability}, match_probability = {self.match_probability}"
            )


@dataclass(frozen=True)
class ClvRefit:
    """When the customer lifetime value models are fitted again (docs/customer-analytics.md): an
    incremental build keeps the last fit until `refit_days` days have passed since its as-of date (0: every
    build); a full build always fits."""

    refit_days: int = 7

    def __post_init__(self) -> None:
        if isinstance(self.refit_days, bool) or not isinstance(self.refit_days, int) or self.refit_days < 0:
            raise ConfigError(
                f"[clv] refit_days must be a whole number of days, 0 or more, not {self.refit_days!r}"
            )


# settings of when work is done, not of what the results are: changing them needs no full refresh
RUN_POLICY_VARS = frozenset({"clv_refit_days"})


@dataclass(frozen=True)
class RetailerConfig:
    sources: tuple[str, ...] = SOURCE_NAMES
    country: str = "PL"  # default region of phones typed without a country code, and of postal codes
    currency: str = "PLN"
    timezone: str = "Europe/Warsaw"  # the wall clock of till exports, the calendar of daily KPIs
    formats: dict[str, str] = field(default_factory=dict)
    plausibility: Plausibility = field(default_factory=Plausibility)
    identity: IdentityMatching = field(default_factory=IdentityMatching)
    clv: ClvRefit = field(default_factory=ClvRefit)
    path: Path | None = None  # the file it was read from, if any

    def is_on(self, source: str) -> bool:
        return source in self.sources

    @property
    def sources_off(self) -> tuple[str, ...]:
        return tuple(s for s in SOURCE_NAMES if s not in self.sources)

    def format(self, name: str) -> str | None:
        if name not in FORMATS:
            raise KeyError(f"unknown id format {name!r}")
        return self.formats.get(name)

    def dbt_vars(self) -> dict[str, object]:
        """What dbt needs of the configuration (passed as --vars by every dbt command of a build)."""
        return {
            "default_phone_region": self.country,
            "local_timezone": self.timezone,
            "enabled_sources": list(self.sources),
            "identity_match_probability": self.identity.match_probability,
            "identity_review_probability": self.identity.review_probability,
            "identity_min_records_to_train": self.identity.min_records_to_train,
            "clv_refit_days": self.clv.refit_days,
        }


def config_path(data_dir: Path) -> Path:
    chosen = os.environ.get("OMNI_CONFIG")
    return Path(chosen).expanduser().resolve() if chosen else Path(data_dir) / CONFIG_FILE


def load_config(data_dir: Path | str) -> RetailerConfig:
    """The retailer's configuration for a data directory (defaults where there is no file)."""
    path = config_path(Path(data_dir))
    if not path.exists():
        if os.environ.get("OMNI_CONFIG"):
            raise ConfigError(f"OMNI_CONFIG names {path}, which does not exist")
        return RetailerConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_config(raw, path)


def parse_config(raw: dict, path: Path | None = None) -> RetailerConfig:
    where = str(path or CONFIG_FILE)
    known = {"sources", "locale", "formats", "plausibility", "identity", "clv"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown section(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    sources_section = _table(raw, "sources", where)
    _only(sources_section, {"enabled"}, "sources", where)
    enabled = sources_section.get("enabled", list(SOURCE_NAMES))
    if not isinstance(enabled, list) or not all(isinstance(s, str) for s in enabled):
        raise ConfigError(f"{where}: [sources] enabled must be a list of source names")
    bad = [s for s in enabled if s not in SOURCE_NAMES]
    if bad:
        raise ConfigError(f"{where}: unknown source(s) {', '.join(bad)}; known: {', '.join(SOURCE_NAMES)}")
    locale = _table(raw, "locale", where)
    _only(locale, {"country", "currency", "timezone"}, "locale", where)
    country = str(locale.get("country", "PL")).upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ConfigError(f"{where}: [locale] country must be a two-letter ISO 3166 code, not {country!r}")
    formats = _table(raw, "formats", where)
    unknown_formats = sorted(set(formats) - set(FORMATS))
    if unknown_formats:
        raise ConfigError(
            f"{where}: unknown id format(s) {', '.join(unknown_formats)}; known: {', '.join(FORMATS)}"
        )
    for name, pattern in formats.items():
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise ConfigError(f"{where}: [formats] {name}: not a regular expression ({exc})") from exc
    bounds = _table(raw, "plausibility", where)
    _only(bounds, set(Plausibility.__dataclass_fields__), "plausibility", where)
    for name in ("earliest_date", "latest_date"):
        if name in bounds and not isinstance(bounds[name], dt.date):
            raise ConfigError(f"{where}: [plausibility] {name} must be a date (YYYY-MM-DD, unquoted)")
    matching = _table(raw, "identity", where)
    _only(matching, set(IdentityMatching.__dataclass_fields__), "identity", where)
    for name, value in matching.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: [identity] {name} must be a number, not {value!r}")
    try:
        identity = IdentityMatching(**matching)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    refit = _table(raw, "clv", where)
    _only(refit, set(ClvRefit.__dataclass_fields__), "clv", where)
    try:
        clv = ClvRefit(**refit)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    return RetailerConfig(
        sources=tuple(s for s in SOURCE_NAMES if s in enabled),
        country=country,
        currency=str(locale.get("currency", "PLN")).upper(),
        timezone=str(locale.get("timezone", "Europe/Warsaw")),
        formats={k: str(v) for k, v in formats.items()},
        plausibility=Plausibility(**bounds),
        identity=identity,
        clv=clv,
        path=path,
    )


def _table(raw: dict, name: str, where: str) -> dict:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{name}] must be a table")
    return value


def _only(section: dict, allowed: set[str], name: str, where: str) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: [{name}] has unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}"
        )
