"""The right to erasure (RODO/GDPR art. 17): `omni forget --email | --phone | --customer-key`.

1. The person is resolved through identity stitching, read from public marts only: the profile holding
   the given value (mart `erasure_lookup`, keyed by erasure tokens, no values), with all its
   identifiers (e-mails, phones, cards, accounts, memberships, cookies, devices) as erasure tokens and
   all its source records (orders, receipts, sessions, messages, tickets...: mart
   `customer_identity_map`). The value asked for is normalised the way the warehouse normalises it
   (`Normalizer`), so its token is the one the mart computed from staging's value.
2. The request is remembered as keyed hashes of those values and record ids
   (`<data-dir>/governance/erasure_requests.json`; HMAC-SHA256 under the pseudonymisation key,
   omni/pseudonymisation.py, with the key's id), never the values themselves, so it can be applied to
   data that arrives later.
3. Every layer is cleaned: landing files are rewritten without the person's records (also files that
   arrive later: asset `governance/erasure_requests` runs before every load), raw tables, their
   quarantine and findings lose the rows, dlt's local working folders (load packages with copies of
   loaded rows, the last run's trace) are removed, then a build rebuilds staging and marts and
   publishes. That build ends with asset `governance/erasure_compaction`: the warehouse file, whose
   freed blocks still hold deleted rows, is rewritten into a fresh file and swapped in atomically, and
   the publications made before the erasure are deleted. With `--no-rebuild` the next build does it.
4. An erasure log (`governance/erasure_log.jsonl`) records each request (when, by what kind of
   identifier, how many records each layer lost) and each completion. No personal data.

Identifier normalisation has one definition, the warehouse's: the dbt macros of
dbt/macros/normalize_identifiers.sql (rendered here and run by DuckDB) and, for phones, the function of
model stg_identifiers__phone_numbers (libphonenumber, in the region of omni.toml `[locale] country`).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import phonenumbers
import pyarrow as pa

from omni.dbt_macros import render_macros
from omni.pseudonymisation import key_id, load_key, pseudonym
from omni.settings import DBT_PROJECT_DIR, Paths

MACROS = DBT_PROJECT_DIR / "macros" / "normalize_identifiers.sql"
PORTABLE_MACROS = DBT_PROJECT_DIR / "macros" / "portable.sql"
PHONE_MODEL = DBT_PROJECT_DIR / "models" / "staging" / "identifiers" / "stg_identifiers__phone_numbers.py"

# landing field name -> how to read it: an identifier type, or the record type whose id it holds
FIELD_KINDS: dict[str, str] = {
    "email": "email",
    "customer_email": "email",
    "phone": "phone",
    "customer_phone": "phone",
    "card_number": "loyalty_card",
    "loyalty_card": "loyalty_card",
    "customer_id": "customer_id",
    "user_id": "customer_id",
    "member_id": "member_id",
    "cookie_id": "cookie_id",
    "device_id": "device_id",
    "session_id": "record:web_session",
    "receipt_id": "record:pos_receipt",
    "original_receipt_id": "record:pos_receipt",
    "original_order_id": "record:webshop_order",
    "message_id": "record:marketing_message",
    "response_id": "record:survey_response",
    "consent_event_id": "record:consent_event",
    "click_id": "record:ad_click",
}
# what a top-level `id` (or `order_id`) means, per landing folder
ID_KINDS: dict[str, dict[str, str]] = {
    "webshop/customers": {"id": "customer_id"},
    "webshop/orders": {"id": "record:webshop_order"},
    "webshop/checkouts": {"id": "record:webshop_checkout"},
    "webshop/returns": {"order_id": "record:webshop_order"},
    "helpdesk/tickets": {"id": "record:helpdesk_ticket"},
}
# what an `id` column means, per raw table
RAW_ID_KINDS: dict[str, str] = {
    "raw_webshop.customers": "customer_id",
    "raw_webshop.orders": "record:webshop_order",
    "raw_webshop.abandoned_checkouts": "record:webshop_checkout",
    "raw_helpdesk.tickets": "record:helpdesk_ticket",
}
# the public marts a person is resolved with (never the identity models behind them)
LOOKUP_MART = "marts.erasure_lookup"
IDENTITY_MAP_MART = "marts.customer_identity_map"
IDENTIFIER_TYPES = ("email", "phone", "loyalty_card", "customer_id", "member_id", "cookie_id", "device_id")
# identifier type -> the macro of dbt/macros/normalize_identifiers.sql that staging normalises it with
SQL_MACROS = {
    "email": "normalize_email",
    "loyalty_card": "normalize_loyalty_card",
    "cookie_id": "normalize_token",
    "device_id": "normalize_token",
}
REQUESTS_FILE = "erasure_requests.json"
PENDING_FILE = "erasure_pending.json"
LOG_FILE = "erasure_log.jsonl"


class ErasureKeyError(RuntimeError):
    """Remembered erasure requests were made under another pseudonymisation key."""


# --- one definition of identifier normalisation: the warehouse's ---------------------------------------------
@cache
def _macros() -> dict:
    # the normalisation macros and the portable macros they call, as the DuckDB warehouse renders them
    return render_macros("duckdb", [PORTABLE_MACROS, MACROS])


def macro_sql(kind: str, column: str) -> str:
    """The SQL expression staging normalises an identifier of `kind` with, applied to `column`."""
    return str(_macros()[SQL_MACROS[kind]](column)).strip()


@cache
def _phone_model():
    spec = importlib.util.spec_from_file_location("stg_identifiers__phone_numbers", PHONE_MODEL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _id_text(value) -> str | None:
    """A record id or account id as text: what JSON readers make of an integer (`123.0`) read back."""
    text = str(value).strip()
    if not text:
        return None
    return text[:-2] if re.fullmatch(r"\d+\.0", text) else text


class Normalizer:
    """Identifier values as the warehouse normalises them: e-mails, cards, cookie and device ids by the
    dbt macros (run by an in-memory DuckDB), phones by model stg_identifiers__phone_numbers's own function
    in the region dbt gets (omni.toml `[locale] country`). Results are cached per value."""

    def __init__(self, region: str):
        self.region = region
        self._con = duckdb.connect()
        self._cache: dict[tuple[str, str], str | None] = {}

    @classmethod
    def for_paths(cls, paths: Paths) -> Normalizer:
        from omni.config import load_config

        return cls(str(load_config(paths.data_dir).dbt_vars()["default_phone_region"]))

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Normalizer:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def phone(self, raw: str) -> str | None:
        return _phone_model().normalize_phone(raw, self.region)["phone_e164"]

    def prime(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Normalise many (kind, raw text) pairs at once (one query per SQL kind)."""
        todo: dict[str, set[str]] = {}
        for kind, raw in pairs:
            if (kind, raw) not in self._cache:
                todo.setdefault(kind, set()).add(raw)
        for kind, raws in todo.items():
            if kind in SQL_MACROS:
                values = sorted(raws)
                found = self._con.execute(
                    f"select v, {macro_sql(kind, 'v')} from unnest(?::varchar[]) as t(v)", [values]
                ).fetchall()
                self._cache.update({(kind, raw): norm for raw, norm in found})
            else:
                for raw in raws:
                    self._cache[(kind, raw)] = self._one(kind, raw)

    def _one(self, kind: str, raw: str) -> str | None:
        if kind == "phone":
            return self.phone(raw)
        if kind in SQL_MACROS:
            (norm,) = self._con.execute(f"select {macro_sql(kind, '$1')}", [raw]).fetchone()
            return norm
        return _id_text(raw)  # account ids and record ids

    def normalize(self, kind: str, raw) -> str | None:
        if raw is None or isinstance(raw, (dict, list)):
            return None
        text = str(raw)
        if not text.strip():
            return None
        if (kind, text) not in self._cache:
            self._cache[(kind, text)] = self._one(kind, text)
        return self._cache[(kind, text)]

    def identifiers_in_text(self, text: str) -> set[tuple[str, str]]:
        """(kind, normalised value) of the e-mail addresses and phone numbers written in a free text (a line
        no reader could parse)."""
        from omni.privacy import EMAIL

        found: set[tuple[str, str]] = set()
        for match in EMAIL.finditer(text):
            norm = self.normalize("email", match.group(0))
            if norm:
                found.add(("email", norm))
        for match in phonenumbers.PhoneNumberMatcher(
            text, self.region, leniency=phonenumbers.Leniency.POSSIBLE
        ):
            norm = self.normalize("phone", match.raw_string)
            if norm:
                found.add(("phone", norm))
        return found


# --- requests --------------------------------------------------------------------------------------------
def token(key: bytes, kind: str, value: str) -> str:
    """The keyed hash an erasure request remembers a normalised value (or a record id) by."""
    return pseudonym(key, f"{kind}:{value}")


@dataclass
class Subject:
    identifiers: dict[str, set[str]] = field(default_factory=dict)  # type -> normalised values
    records: dict[str, set[str]] = field(default_factory=dict)  # record type -> ids
    customer_keys: set[str] = field(default_factory=set)
    # type -> erasure tokens of values known only by their token (from mart erasure_lookup)
    identifier_tokens: dict[str, set[str]] = field(default_factory=dict)

    def kind_tokens(self, key: bytes) -> dict[str, set[str]]:
        """Identifier type -> the erasure tokens of the person's values of that type."""
        out = {t: set(tokens) for t, tokens in self.identifier_tokens.items()}
        for t, values in self.identifiers.items():
            out.setdefault(t, set()).update(token(key, t, v) for v in values)
        return out

    def tokens(self, key: bytes) -> set[str]:
        out = {t for tokens in self.kind_tokens(key).values() for t in tokens}
        out |= {token(key, f"record:{t}", v) for t, ids in self.records.items() for v in ids}
        return out


def governance_dir(paths: Paths) -> Path:
    return paths.data_dir / "governance"


def _requests(paths: Paths) -> list[dict]:
    path = governance_dir(paths) / REQUESTS_FILE
    return json.loads(path.read_text()) if path.exists() else []


def load_tokens(paths: Paths, key: bytes | None = None) -> set[str]:
    """Every remembered token. Requests made under another key (or by an omni that did not record the
    key) could not recognise anyone any more: that is an error, never a silent pass."""
    requests = _requests(paths)
    if not requests:
        return set()
    key = key if key is not None else load_key(paths.data_dir)
    current = key_id(key)
    foreign = [r.get("request_id", "?") for r in requests if r.get("key_id") != current]
    if foreign:
        raise ErasureKeyError(
            f"{len(foreign)} of {len(requests)} erasure requests in {governance_dir(paths) / REQUESTS_FILE} "
            f"were made under another pseudonymisation key than the one in force (key id {current}), e.g. "
            f"request {foreign[0]}: set OMNI_PSEUDONYMISATION_KEY to the key they were made with, or "
            "re-issue them with `omni forget` (docs/governance.md, key rotation)"
        )
    return {t for r in requests for t in r["tokens"]}


def resolve(
    paths: Paths,
    email: str | None = None,
    phone: str | None = None,
    customer_key: str | None = None,
    normalizer: Normalizer | None = None,
    key: bytes | None = None,
) -> Subject:
    """The person behind the given identifier: their profile's identifiers (as erasure tokens) and
    records, read from the public marts erasure_lookup and customer_identity_map."""
    subject = Subject()
    asked: tuple[str, str] | None = None
    own = normalizer is None
    normalizer = normalizer or Normalizer.for_paths(paths)
    try:
        if email:
            value = normalizer.normalize("email", email)
            if not value:
                raise ValueError(
                    f"not an e-mail address the warehouse accepts ({MACROS.name}: normalize_email)"
                )
            asked = ("email", value)
        elif phone:
            value = normalizer.normalize("phone", phone)
            if not value:
                raise ValueError(
                    f"not a phone number the warehouse accepts (libphonenumber, numbers without a country "
                    f"code read in region {normalizer.region})"
                )
            asked = ("phone", value)
        elif not customer_key:
            raise ValueError("give --email, --phone or --customer-key")
    finally:
        if own:
            normalizer.close()
    if asked:
        subject.identifiers.setdefault(asked[0], set()).add(asked[1])
    if not paths.warehouse.exists():
        return subject
    key = key if key is not None else load_key(paths.data_dir)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        try:
            if asked:
                rows = con.execute(
                    f"""select customer_key, anonymous_id, record_type, record_id from {LOOKUP_MART}
                        where erasure_token = ?""",
                    [token(key, *asked)],
                ).fetchall()
                profiles = sorted({ck or aid for ck, aid, _, _ in rows if ck or aid})
                if not profiles:
                    # a value that links nothing (shared, placeholder) identifies only the records carrying it
                    for _, _, record_type, record_id in rows:
                        if record_id is not None:
                            subject.records.setdefault(record_type, set()).add(record_id)
                    return subject
            else:
                found = con.execute(
                    f"select 1 from {LOOKUP_MART} where customer_key = ? limit 1", [customer_key]
                ).fetchall()
                if not found:
                    raise LookupError(f"no customer {customer_key}")
                profiles = [customer_key]
            for profile in profiles:
                for ck, t, erasure_token in con.execute(
                    f"""select customer_key, identifier_type, erasure_token from {LOOKUP_MART}
                        where record_id is null and coalesce(customer_key, anonymous_id) = ?""",
                    [profile],
                ).fetchall():
                    if ck:
                        subject.customer_keys.add(ck)
                    if t in IDENTIFIER_TYPES:
                        subject.identifier_tokens.setdefault(t, set()).add(erasure_token)
                for t, rid in con.execute(
                    f"""select entity_type, entity_id from {IDENTITY_MAP_MART}
                        where entity_kind = 'record' and coalesce(customer_key, anonymous_id) = ?""",
                    [profile],
                ).fetchall():
                    subject.records.setdefault(t, set()).add(rid)
        except duckdb.CatalogException as missing:
            raise LookupError(
                f"the warehouse {paths.warehouse} has no {LOOKUP_MART} or {IDENTITY_MAP_MART} to resolve the "
                f"person with: run `omni build` first ({str(missing).splitlines()[0]})"
            ) from missing
    return subject


# --- matching a record against the remembered tokens ---------------------------------------------------------
@cache
def _field_kind(name: str) -> str | None:
    return FIELD_KINDS.get(name) or FIELD_KINDS.get(name.rsplit("__", maxsplit=1)[-1])


def _fields(record: dict, id_kinds: dict[str, str]) -> list[tuple[str, str]]:
    """(kind, raw text) of every field of a record that holds an identifier or a record id. Nested
    objects are read by their field names; flattened columns (`requester__email`) by their last part;
    `id_kinds` says what the record's own top-level ids are."""
    found: list[tuple[str, str]] = []

    def visit(obj: dict, top: bool) -> None:
        for name, value in obj.items():
            if isinstance(value, dict):
                visit(value, False)
                continue
            if value is None or isinstance(value, list):
                continue
            kind = (id_kinds.get(name) if top else None) or _field_kind(name)
            if kind is None and name != "order_id":
                continue
            text = value if isinstance(value, str) else str(value)
            if not text.strip():
                continue
            if kind is None:  # an order reference: a web shop order number, or a till receipt id
                kind = "record:webshop_order" if text.strip().isdigit() else "record:pos_receipt"
            found.append((kind, text))

    visit(record, True)
    return found


class Matcher:
    """Tells whether a record (a landing record, a quarantined row) belongs to a remembered person."""

    def __init__(self, tokens: set[str], key: bytes, normalizer: Normalizer):
        self.tokens = tokens
        self.key = key
        self.normalizer = normalizer
        self._hashed: dict[tuple[str, str], bool] = {}

    def _known(self, kind: str, norm: str | None) -> bool:
        if norm is None:
            return False
        if (kind, norm) not in self._hashed:
            self._hashed[(kind, norm)] = token(self.key, kind, norm) in self.tokens
        return self._hashed[(kind, norm)]

    def fields(self, records: Iterable[dict], id_kinds: dict[str, str]) -> list[list[tuple[str, str]]]:
        """The identifier fields of many records, their values normalised at once."""
        found = [_fields(record, id_kinds) for record in records]
        self.normalizer.prime(
            pair for fields in found for pair in fields if not pair[0].startswith("record:")
        )
        return found

    def holds(self, fields: list[tuple[str, str]]) -> bool:
        """Does one of a record's fields (from `fields`) hold one of the person's values?"""
        return any(self._known(kind, self.normalizer.normalize(kind, raw)) for kind, raw in fields)

    def record(self, record: dict, id_kinds: dict[str, str]) -> bool:
        return self.holds(_fields(record, id_kinds))

    def text(self, text: str) -> bool:
        """A text no reader could parse: does it write one of the person's e-mails or phones?"""
        return any(self._known(kind, norm) for kind, norm in self.normalizer.identifiers_in_text(text))


# --- landing files -----------------------------------------------------------------------------------------
def scrub_file(path: Path, landing: Path, matcher: Matcher) -> int:
    """Rewrite one landing file without the records that match; returns how many were removed."""
    folder = path.parent.relative_to(landing).as_posix()
    id_kinds = ID_KINDS.get(folder, {})
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return 0  # not text: a corrupt file, quarantined whole by the loader
    removed = 0
    if path.suffix == ".csv":
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return 0
        rows = list(reader)
        fields = matcher.fields((dict(zip(header, row, strict=False)) for row in rows), id_kinds)
        keep = []
        for row, found in zip(rows, fields, strict=True):
            if matcher.holds(found):
                removed += 1
            else:
                keep.append(row)
        if removed:
            quoted = text.lstrip().startswith('"')
            _replace(path, "".join(_csv_line(r, delimiter, quoted) for r in [header, *keep]))
    elif path.suffix == ".jsonl":
        lines = text.splitlines(keepends=True)
        parsed: list[object] = []
        for line in lines:
            try:
                parsed.append(json.loads(line))
            except ValueError:
                parsed.append(None)
        fields = iter(matcher.fields((r for r in parsed if isinstance(r, dict)), id_kinds))
        keep = []
        for line, record in zip(lines, parsed, strict=True):
            if isinstance(record, dict):
                mine = matcher.holds(next(fields))
            else:  # a broken line stays for the loader to quarantine, unless it writes the person's contact
                mine = bool(line.strip()) and matcher.text(line)
            if mine:
                removed += 1
            else:
                keep.append(line)
        if removed:
            _replace(path, "".join(keep))
    elif path.suffix == ".json":
        try:
            doc = json.loads(text)
        except ValueError:
            if matcher.text(
                text
            ):  # a file no reader can parse, quarantined whole: gone if it is the person's
                path.unlink()
                return 1
            return 0
        if isinstance(doc, dict):
            for root, items in doc.items():
                if not isinstance(items, list):
                    continue
                records = [r for r in items if isinstance(r, dict)]
                mine = {
                    id(r)
                    for r, found in zip(records, matcher.fields(records, id_kinds), strict=True)
                    if matcher.holds(found)
                }
                kept = [r for r in items if id(r) not in mine]
                removed += len(items) - len(kept)
                doc[root] = kept
        if removed:
            _replace(path, json.dumps(doc, ensure_ascii=False))
    return removed


def _csv_line(row: list[str], delimiter: str, quoted: bool) -> str:
    """A CSV line in the file's own style: text quoted if the file quotes it, empty fields left empty
    (an empty field is a null to the loader, a quoted empty one would be an empty string)."""

    def cell(value: str) -> str:
        if value == "":
            return ""
        if quoted or delimiter in value or '"' in value or "\n" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    return delimiter.join(cell(v) for v in row) + "\n"


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def scrub_landing(
    paths: Paths, tokens: set[str], only_new: bool = False, key: bytes | None = None
) -> dict[str, int]:
    """Apply erasure tokens to landing files. With only_new, files already scrubbed under the same
    set of requests (same name, size and mtime) are skipped."""
    if not tokens or not paths.landing.exists():
        return {"files_scanned": 0, "files_rewritten": 0, "records_removed": 0, "unreadable_files_removed": 0}
    key = key if key is not None else load_key(paths.data_dir)
    seen_path = governance_dir(paths) / "scrubbed_files.json"
    fingerprint = hashlib.sha256("".join(sorted(tokens)).encode()).hexdigest()
    seen = json.loads(seen_path.read_text()) if seen_path.exists() else {}
    if seen.get("_requests") != fingerprint:
        seen = {"_requests": fingerprint}
    scanned = rewritten = removed = deleted = 0
    with Normalizer.for_paths(paths) as normalizer:
        matcher = Matcher(tokens, key, normalizer)
        for path in sorted(
            p
            for p in paths.landing.rglob("*")
            if p.is_file() and p.suffix in (".csv", ".json", ".jsonl") and not p.name.startswith(".")
        ):
            rel = path.relative_to(paths.landing).as_posix()
            stat = path.stat()
            stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
            if only_new and seen.get(rel) == stamp:
                continue
            scanned += 1
            n = scrub_file(path, paths.landing, matcher)
            if n and not path.exists():  # a file no reader could parse, which wrote the person's contact
                deleted += 1
                seen.pop(rel, None)
                continue
            if n:
                rewritten += 1
                removed += n
                stat = path.stat()
            seen[rel] = f"{stat.st_size}:{stat.st_mtime_ns}"
    seen_path.parent.mkdir(parents=True, exist_ok=True)
    seen_path.write_text(json.dumps(seen))
    return {
        "files_scanned": scanned,
        "files_rewritten": rewritten,
        "records_removed": removed,
        "unreadable_files_removed": deleted,
    }


# --- raw layer -------------------------------------------------------------------------------------------
def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) or "NULL"


def _column_kind(schema: str, table: str, column: str) -> str | None:
    dataset = schema.removesuffix("_staging")  # dlt's staging dataset of a merge holds the same tables
    if column == "id":
        return RAW_ID_KINDS.get(f"{dataset}.{table}")
    if column == "order_id":
        return "record:webshop_order"
    if column == "checkout_id":
        return "record:webshop_checkout"
    return FIELD_KINDS.get(column.rsplit("__", maxsplit=1)[-1])


def _row_key_fields(row_key: str | None) -> dict[str, str]:
    """A findings row key (`id=12, line_no=3`, the contract's primary key) as fields."""
    fields = {}
    for part in (row_key or "").split(", "):
        name, sep, value = part.partition("=")
        if sep:
            fields[name] = value
    return fields


def erase_raw(paths: Paths, subject: Subject, key: bytes | None = None) -> dict[str, int]:
    """Delete the person's rows from every raw table (and dlt's staging copies of them), its quarantine
    and its findings. Identifier columns are compared through the warehouse's normalisation (macros, and
    phones through libphonenumber), record ids as text. On Spark the raw tables are the lake's Parquet
    files (erase_lake_raw)."""
    if paths.engine == "spark":
        return erase_lake_raw(paths, subject, key)
    key = key if key is not None else load_key(paths.data_dir)
    removed: dict[str, int] = {}
    with Normalizer.for_paths(paths) as normalizer, duckdb.connect(str(paths.warehouse)) as con:
        eraser = _RawEraser(con, subject, key, normalizer)
        tables = [
            (schema, table)
            for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
            if _erasable(schema, table)
        ]
        for schema, table in tables:
            n = eraser.erase(schema, table)
            if n:
                removed[f"{schema}.{table}"] = n
        # lines whose parent went with the person
        present = {f"{s}.{t}" for s, t in tables}
        if {"raw_webshop.return_lines", "raw_webshop.returns"} <= present:
            n = con.execute(
                "delete from raw_webshop.return_lines where return_id not in "
                "(select id from raw_webshop.returns)"
            ).fetchone()[0]
            if n:
                removed["raw_webshop.return_lines"] = n
        con.execute("checkpoint")
    return removed


def _erasable(schema: str, table: str) -> bool:
    """Whether a table may hold a person's rows: every raw table, its quarantine and findings; not dlt's own
    tables nor the load audit (counts per file)."""
    return schema.startswith("raw_") and not table.startswith("_dlt") and table != "_load_audit"


class _RawEraser:
    """Deletes the person's rows from one raw table of a DuckDB connection (`schema.table`, named as the
    warehouse names it: the names say which columns hold which identifiers)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, subject: Subject, key: bytes, normalizer: Normalizer):
        self.con = con
        self.key = key
        self.normalizer = normalizer
        self.ids = subject.kind_tokens(key)  # type -> erasure tokens: values are compared by their keyed hash
        self.records = subject.records
        self.matcher = Matcher(subject.tokens(key), key, normalizer)
        _register_token_function(con, key)

    def erase(self, schema: str, table: str) -> int:
        """How many rows of `schema.table` were the person's (deleted)."""
        con, ids, rec = self.con, self.ids, self.records
        relation = f'"{schema}"."{table}"'
        if table in ("_quarantine", "_findings"):
            return _erase_side_table(con, relation, table, self.matcher)
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
                [schema, table],
            ).fetchall()
        ]
        preds = []
        for column in columns:
            kind = _column_kind(schema, table, column)
            if kind is None:
                continue
            c = f'"{column}"'
            text = f"cast({c} as varchar)"
            if kind in SQL_MACROS and ids.get(kind):
                preds.append(f"{_token_sql(kind, macro_sql(kind, text))} in ({_sql_list(ids[kind])})")
            elif kind == "phone" and ids.get("phone"):
                # the texts of this column that libphonenumber reads as one of the person's numbers
                texts = [
                    t
                    for (t,) in con.execute(
                        f"select distinct {text} from {relation} where {c} is not null"
                    ).fetchall()
                    if (norm := self.normalizer.normalize("phone", t))
                    and token(self.key, "phone", norm) in ids["phone"]
                ]
                if texts:
                    preds.append(f"{text} in ({_sql_list(texts)})")
            elif kind in ("customer_id", "member_id") and ids.get(kind):
                value = f"regexp_replace(trim({text}), '\\.0$', '')"
                preds.append(f"{_token_sql(kind, value)} in ({_sql_list(ids[kind])})")
            elif kind.startswith("record:") and rec.get(kind.removeprefix("record:")):
                preds.append(f"trim({text}) in ({_sql_list(rec[kind.removeprefix('record:')])})")
        if not preds:
            return 0
        return con.execute(f"delete from {relation} where {' or '.join(preds)}").fetchone()[0]


def erase_lake_raw(paths: Paths, subject: Subject, key: bytes | None = None) -> dict[str, int]:
    """erase_raw on the lake (the Spark engine): every Parquet file of a raw table that holds rows of the
    person is rewritten without them (a new file renamed over the old one: no byte of the rows stays in
    the lake; Parquet files are written once, never updated in place). Every load's files are cleaned, the
    superseded ones too, so no later reader, nor a load read again, brings the person back."""
    key = key if key is not None else load_key(paths.data_dir)
    removed: dict[str, int] = {}
    # every table folder of every source's dataset (raw_<source>/<table>/), whatever dlt's schema lists now;
    # return lines last: those whose return went with the person go too
    datasets = sorted(p for p in paths.lake_raw.iterdir() if p.is_dir()) if paths.lake_raw.is_dir() else []
    folders = sorted(
        (
            folder
            for dataset in datasets
            for folder in dataset.iterdir()
            if folder.is_dir() and _erasable(dataset.name, folder.name)
        ),
        key=lambda folder: (folder.name == "return_lines", str(folder)),
    )
    with Normalizer.for_paths(paths) as normalizer, duckdb.connect() as con:
        eraser = _RawEraser(con, subject, key, normalizer)
        return_ids: set[str] | None = None
        for folder in folders:
            schema, table = folder.parent.name, folder.name
            relation = f'"{schema}"."{table}"'
            con.execute(f'create schema if not exists "{schema}"')
            for path in sorted(folder.rglob("*.parquet")):
                con.execute(f"create or replace table {relation} as select * from read_parquet('{path}')")
                n = eraser.erase(schema, table)
                if (schema, table) == ("raw_webshop", "return_lines") and return_ids is not None:
                    # lines whose return went with the person
                    n += con.execute(
                        f"delete from {relation} where cast(return_id as varchar) not in "
                        "(select unnest(?::varchar[]))",
                        [sorted(return_ids)],
                    ).fetchone()[0]
                if n:
                    _rewrite_parquet(con, relation, path)
                    removed[f"{schema}.{table}"] = removed.get(f"{schema}.{table}", 0) + n
                if (schema, table) == ("raw_webshop", "returns"):
                    found = {str(r) for (r,) in con.execute(f"select id from {relation}").fetchall()}
                    return_ids = (return_ids or set()) | found
                con.execute(f"drop table {relation}")
    return removed


def _rewrite_parquet(con: duckdb.DuckDBPyConnection, relation: str, path: Path) -> None:
    """`relation` written over the Parquet file `path`: a new file beside it, renamed over it."""
    tmp = path.with_name(f".{path.name}.erasure-{uuid.uuid4().hex[:8]}")
    try:
        con.execute(f"copy {relation} to '{tmp}' (format parquet)")
        _fsync(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


TOKEN_FUNCTION = "omni_erasure_token"


def _register_token_function(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """`omni_erasure_token(text)` on the connection: the keyed hash of `token` (the key stays in Python)."""

    def keyed(values: pa.Array) -> pa.Array:
        return pa.array(
            [None if v is None else pseudonym(key, v) for v in values.to_pylist()], type=pa.string()
        )

    con.create_function(TOKEN_FUNCTION, keyed, ["VARCHAR"], "VARCHAR", type="arrow")


def _token_sql(kind: str, value_sql: str) -> str:
    """SQL of the erasure token of a normalised value (see `token`)."""
    return f"{TOKEN_FUNCTION}('{kind}:' || {value_sql})"


def _erase_side_table(con: duckdb.DuckDBPyConnection, relation: str, table: str, matcher: Matcher) -> int:
    """Quarantined rows (the record as the loader read it: JSON, or the line it could not parse) and
    findings (a flagged value, with the row's key) of the person."""
    if table == "_quarantine":
        rows = con.execute(f"select rowid, source_file, record from {relation}").fetchall()
    else:
        rows = con.execute(
            f"select rowid, source_file, row_key, column_name, value from {relation}"
        ).fetchall()
    doomed = []
    for rowid, source_file, *rest in rows:
        id_kinds = ID_KINDS.get(str(source_file or "").rsplit("/", 1)[0], {})
        if table == "_quarantine":
            (text,) = rest
            try:
                record = json.loads(text or "")
            except ValueError:
                record = None
            mine = matcher.record(record, id_kinds) if isinstance(record, dict) else matcher.text(text or "")
        else:
            row_key, column_name, value = rest
            mine = matcher.record({**_row_key_fields(row_key), str(column_name): value}, id_kinds)
        if mine:
            doomed.append(rowid)
    if doomed:
        con.execute(f"delete from {relation} where rowid in (select unnest(?::bigint[]))", [doomed])
    return len(doomed)


def purge_dlt_working_dirs(paths: Paths) -> int:
    """Remove dlt's local working folder of every pipeline: load packages keep copies of the rows they
    loaded (completed and failed jobs, packages extracted or normalised but not loaded), the trace of
    the last run keeps what it saw. What a pipeline needs is also in the warehouse (`_dlt_pipeline_state`,
    `_dlt_version`): dlt restores state and schemas from there on the next run, as it does after
    `pipeline.drop()` (ingestion/pipeline.py drops a pipeline left with a pending package the same way).
    Returns how many folders were removed."""
    if not paths.dlt_pipelines.exists():
        return 0
    removed = 0
    for folder in sorted(p for p in paths.dlt_pipelines.iterdir() if p.is_dir()):
        shutil.rmtree(folder)
        removed += 1
    return removed


# --- compaction ----------------------------------------------------------------------------------------------
def compact_warehouse(warehouse: Path) -> dict[str, float]:
    """Rewrite the warehouse into a fresh file beside it and swap it in atomically.

    A DuckDB file keeps deleted rows and dropped tables in its free blocks until they are overwritten
    (CHECKPOINT reclaims part of the space, VACUUM none); copying the database (`COPY FROM DATABASE`:
    schemas, tables, views, constraints, comments and rows) into an empty file leaves only live data.
    The copy is written under another name and renamed over the warehouse, so a reader opens either the
    old file or the whole new one. The old file stays attached read-only until the rename: DuckDB lets
    no writer in meanwhile. Run it with nothing else writing (a build step takes the warehouse pool)."""
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}")
    wal = Path(f"{warehouse}.wal")
    with duckdb.connect(str(warehouse)) as con:  # fold the write-ahead log into the file
        con.execute("checkpoint")
    if wal.exists():
        raise RuntimeError(
            f"compaction: {wal} is still there after a checkpoint; is another process writing?"
        )
    started = time.perf_counter()
    before = warehouse.stat().st_size
    tmp = warehouse.with_name(f".{warehouse.name}.compact-{uuid.uuid4().hex[:8]}")
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{warehouse}' AS old (READ_ONLY)")
        con.execute(f"ATTACH '{tmp}' AS new")
        con.execute("COPY FROM DATABASE old TO new")
        con.execute("CHECKPOINT new")
        con.execute("DETACH new")
        if Path(f"{tmp}.wal").exists():
            raise RuntimeError(f"compaction: the new file left a write-ahead log ({tmp}.wal)")
        _fsync(tmp)
        os.replace(tmp, warehouse)
        _fsync(warehouse.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise
    finally:
        con.close()
    return {
        "bytes_before": before,
        "bytes_after": warehouse.stat().st_size,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pending_erasures(paths: Paths) -> list[str]:
    """Requests whose warehouse compaction (and removal of older publications) is still to be done."""
    path = governance_dir(paths) / PENDING_FILE
    return json.loads(path.read_text())["requests"] if path.exists() else []


def _mark_pending(paths: Paths, request_id: str) -> None:
    path = governance_dir(paths) / PENDING_FILE
    pending = pending_erasures(paths)
    path.write_text(json.dumps({"requests": [*pending, request_id]}))


def complete_erasures(paths: Paths) -> dict | None:
    """After a build that rebuilt everything from cleaned raw data: compact the warehouse and delete every
    publication but the current one (made by this build, from the cleaned data). None when no erasure
    is pending. Logged in the erasure log; the pending mark is removed last, so a failure is retried by
    the next build."""
    from omni.publish import current_version, published_dir

    pending = pending_erasures(paths)
    if not pending:
        return None
    compaction = compact_warehouse(paths.warehouse)
    current = current_version(paths)
    versions = published_dir(paths) / "versions"
    dropped = 0
    for old in sorted(versions.iterdir()) if versions.exists() else []:
        if old.is_dir() and (current is None or old.resolve() != current):
            shutil.rmtree(old)
            dropped += 1
    entry = {
        "event": "completed",
        "requests": pending,
        "completed_at": _now(),
        "warehouse_compacted": compaction,
        "publications_removed": dropped,
    }
    with (governance_dir(paths) / LOG_FILE).open("a") as log:
        log.write(json.dumps(entry) + "\n")
    (governance_dir(paths) / PENDING_FILE).unlink()
    return entry


# --- the whole request ---------------------------------------------------------------------------------------
def erase(
    paths: Paths,
    email: str | None = None,
    phone: str | None = None,
    customer_key: str | None = None,
    rebuild: Callable[[], str] | None = None,
    echo: Callable[[str], None] = lambda _m: None,
) -> dict:
    """Record an erasure request and clean landing, raw and dlt's working folders of the person. With
    `rebuild` (a function that runs the normal build and says "ok" or "failed: ..."), staging and marts are
    rebuilt and the build completes the request; without it the next build does. This library runs no
    build itself: `omni forget` (omni/forget.py) composes it with the build."""
    started = time.perf_counter()
    key = load_key(paths.data_dir)
    load_tokens(paths, key)  # refuses to add to requests made under another key
    subject = resolve(paths, email=email, phone=phone, customer_key=customer_key, key=key)
    identifiers = subject.kind_tokens(key)
    request_id = uuid.uuid4().hex[:12]
    tokens = subject.tokens(key)
    gov = governance_dir(paths)
    gov.mkdir(parents=True, exist_ok=True)
    requests_path = gov / REQUESTS_FILE
    requests = _requests(paths)
    requests.append(
        {"request_id": request_id, "requested_at": _now(), "key_id": key_id(key), "tokens": sorted(tokens)}
    )
    tmp = requests_path.with_name(f".{REQUESTS_FILE}.{request_id}")
    tmp.write_text(json.dumps(requests, indent=1))
    os.replace(tmp, requests_path)
    echo(
        f"erasure {request_id}: {sum(map(len, subject.records.values()))} records, "
        f"{sum(map(len, identifiers.values()))} identifiers"
    )
    layers: dict[str, object] = {"landing": scrub_landing(paths, tokens, key=key)}
    layers["raw"] = erase_raw(paths, subject, key) if paths.warehouse.exists() else {}
    layers["dlt_working_dirs_removed"] = purge_dlt_working_dirs(paths)
    if paths.warehouse.exists():
        _mark_pending(paths, request_id)
    if rebuild is not None and paths.warehouse.exists():
        layers["rebuild"] = rebuild()
    waiting = request_id in pending_erasures(paths)
    layers["completion"] = (
        "pending: the next successful build compacts the warehouse and removes older publications"
        if waiting
        else "done"
    )
    entry = {
        "event": "request",
        "request_id": request_id,
        "requested_at": requests[-1]["requested_at"],
        "completed_at": None if waiting else _now(),
        "identified_by": "email" if email else "phone" if phone else "customer_key",
        "customers": len(subject.customer_keys),
        "records": {t: len(v) for t, v in sorted(subject.records.items())},
        "identifiers": {t: len(v) for t, v in sorted(identifiers.items())},
        "layers": layers,
        "seconds": round(time.perf_counter() - started, 1),
    }
    with (gov / LOG_FILE).open("a") as log:
        log.write(json.dumps(entry) + "\n")
    return entry


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
