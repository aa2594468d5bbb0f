"""The right to erasure (RODO/GDPR art. 17): `omni forget --email | --phone | --customer-key`.

1. The person is resolved through identity stitching: the profile holding the given value, with all
   its identifiers (e-mails, phones, cards, accounts, memberships, cookies, devices) and all its
   source records (orders, receipts, sessions, messages, tickets...).
2. The request is remembered as keyed hashes of those values and record ids
   (`<data-dir>/governance/erasure_requests.json`; HMAC-SHA256 with OMNI_PSEUDONYMISATION_KEY), never
   the values themselves, so it can be applied to data that arrives later.
3. Every layer is cleaned: landing files are rewritten without the person's records (also files that
   arrive later: asset `governance/erasure_requests` runs before every load), raw tables and their
   quarantine lose the rows, dlt's finished load packages are removed, then a build rebuilds staging
   and marts and publishes; older publications (which still held the person) are deleted and the
   report is rendered again.
4. An erasure log (`governance/erasure_log.jsonl`) records each request: when, by what kind of
   identifier, and how many records each layer lost. No personal data.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from omni.settings import Paths

DEFAULT_KEY = "omni-development-key"  # the same default as dbt's pseudonymize macro

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
}
# what a top-level `id` (or `order_id`) means, per landing folder
ID_KINDS: dict[str, dict[str, str]] = {
    "webshop/customers": {"id": "customer_id"},
    "webshop/orders": {"id": "record:webshop_order"},
    "webshop/checkouts": {"id": "record:webshop_checkout"},
    "webshop/returns": {"order_id": "record:webshop_order"},
    "helpdesk/tickets": {"id": "record:helpdesk_ticket"},
}
IDENTIFIER_TYPES = ("email", "phone", "loyalty_card", "customer_id", "member_id", "cookie_id", "device_id")


def _key() -> bytes:
    return os.environ.get("OMNI_PSEUDONYMISATION_KEY", DEFAULT_KEY).encode()


def token(kind: str, value: str) -> str:
    return hmac.new(_key(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


# --- normalisation, as the dbt macros do it (dbt/macros/normalize_identifiers.sql) --------------------
def normalize_email(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip().lower()
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", v):
        return None
    local, domain = v.split("@", 1)
    if domain in ("gmail.com", "googlemail.com"):
        return local.split("+", 1)[0].replace(".", "") + "@gmail.com"
    return v


def normalize_phone(value: str | None) -> str | None:
    digits = re.sub(r"[^0-9]", "", str(value or ""))
    if re.fullmatch(r"[1-9][0-9]{8}", digits):
        return "+48" + digits
    if re.fullmatch(r"48[1-9][0-9]{8}", digits):
        return "+" + digits
    if re.fullmatch(r"0048[1-9][0-9]{8}", digits):
        return "+" + digits[2:]
    return None


def normalize_card(value: str | None) -> str | None:
    digits = re.sub(r"[^0-9]", "", str(value or ""))
    if len(digits) != 13:
        return None
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12])) % 10) % 10
    return digits if check == int(digits[12]) else None


def normalize(kind: str, value) -> str | None:
    if value is None or value == "":
        return None
    if kind == "email":
        return normalize_email(str(value))
    if kind == "phone":
        return normalize_phone(str(value))
    if kind == "loyalty_card":
        return normalize_card(str(value))
    if kind in ("cookie_id", "device_id"):
        return str(value).strip().lower() or None
    if kind == "record:helpdesk_ticket" or kind.startswith("record:") or kind in ("customer_id", "member_id"):
        text = str(value).strip()
        return text[:-2] if re.fullmatch(r"\d+\.0", text) else text
    return str(value)


# --- requests --------------------------------------------------------------------------------------------
@dataclass
class Subject:
    identifiers: dict[str, set[str]] = field(default_factory=dict)  # type -> normalised values
    records: dict[str, set[str]] = field(default_factory=dict)  # record type -> ids
    customer_keys: set[str] = field(default_factory=set)

    def tokens(self) -> set[str]:
        out = {token(t, v) for t, values in self.identifiers.items() for v in values}
        out |= {token(f"record:{t}", v) for t, ids in self.records.items() for v in ids}
        return out


def governance_dir(paths: Paths) -> Path:
    return paths.data_dir / "governance"


def load_tokens(paths: Paths) -> set[str]:
    requests = governance_dir(paths) / "erasure_requests.json"
    if not requests.exists():
        return set()
    return {t for r in json.loads(requests.read_text()) for t in r["tokens"]}


def resolve(
    paths: Paths, email: str | None = None, phone: str | None = None, customer_key: str | None = None
) -> Subject:
    """The person behind the given identifier: their profile's identifiers and records."""
    subject = Subject()
    asked: tuple[str, str] | None = None
    if email:
        value = normalize_email(email)
        if not value:
            raise ValueError("not an e-mail address")
        asked = ("email", value)
    elif phone:
        value = normalize_phone(phone)
        if not value:
            raise ValueError("not a phone number (9 digits, optionally +48)")
        asked = ("phone", value)
    elif not customer_key:
        raise ValueError("give --email, --phone or --customer-key")
    if asked:
        subject.identifiers.setdefault(asked[0], set()).add(asked[1])
    if not paths.warehouse.exists():
        return subject
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        if asked:
            rows = con.execute(
                """
                select p.component, p.customer_key, c.refused_reason, i.link_rule
                from intermediate.int_identity__identifiers as i
                inner join intermediate.int_identity__components as c using (node_id)
                left join intermediate.int_identity__profiles as p on p.component = c.component
                where i.identifier_type = ? and i.identifier_value = ?""",
                list(asked),
            ).fetchall()
            # a value that links nothing (shared, placeholder) identifies only the records carrying it
            components = [r[0] for r in rows if r[3] == "identifying" and r[2] is None]
            if not components:
                carrying = con.execute(
                    """select record_type, record_id from intermediate.int_identity__observations
                                          where identifier_type = ? and identifier_value = ?""",
                    list(asked),
                ).fetchall()
                for record_type, record_id in carrying:
                    subject.records.setdefault(record_type, set()).add(record_id)
                return subject
        else:
            found = con.execute(
                "select component from intermediate.int_identity__profiles where customer_key = ?",
                [customer_key],
            ).fetchall()
            if not found:
                raise LookupError(f"no customer {customer_key}")
            components = [found[0][0]]
        for component in components:
            key = con.execute(
                "select customer_key from intermediate.int_identity__profiles where component = ?",
                [component],
            ).fetchone()
            if key and key[0]:
                subject.customer_keys.add(key[0])
            for t, v in con.execute(
                """
                select i.identifier_type, i.identifier_value
                from intermediate.int_identity__components as c
                inner join intermediate.int_identity__identifiers as i using (node_id)
                where c.component = ? and i.link_rule = 'identifying' and c.refused_reason is null""",
                [component],
            ).fetchall():
                if t in IDENTIFIER_TYPES:
                    subject.identifiers.setdefault(t, set()).add(v)
            for t, rid in con.execute(
                """
                select r.record_type, r.record_id
                from intermediate.int_identity__components as c
                inner join intermediate.int_identity__record_nodes as r on r.record_node = c.node_id
                where c.component = ?""",
                [component],
            ).fetchall():
                subject.records.setdefault(t, set()).add(rid)
    return subject


# --- landing files -----------------------------------------------------------------------------------------
def _matches(record: dict, tokens: set[str], id_kinds: dict[str, str]) -> bool:
    def check(key: str, value, kinds: dict[str, str]) -> bool:
        if isinstance(value, dict):
            return any(check(k, v, FIELD_KINDS) for k, v in value.items())
        if isinstance(value, list) or value is None:
            return False
        kind = kinds.get(key) or FIELD_KINDS.get(key)
        if kind is None and key == "order_id":
            text = str(value).strip()
            kind = "record:webshop_order" if text.isdigit() else "record:pos_receipt"
        if kind is None:
            return False
        norm = normalize(kind, value)
        return norm is not None and token(kind, norm) in tokens

    return any(check(k, v, id_kinds) for k, v in record.items())


def scrub_file(path: Path, landing: Path, tokens: set[str]) -> int:
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
        delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return 0
        keep = []
        for row in reader:
            if _matches(dict(zip(header, row, strict=False)), tokens, id_kinds):
                removed += 1
            else:
                keep.append(row)
        if removed:
            quoted = text.lstrip().startswith('"')
            _replace(path, "".join(_csv_line(r, delimiter, quoted) for r in [header, *keep]))
    elif path.suffix == ".jsonl":
        lines = text.splitlines(keepends=True)
        keep = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                keep.append(line)  # a broken line stays for the loader to quarantine
                continue
            if isinstance(record, dict) and _matches(record, tokens, id_kinds):
                removed += 1
            else:
                keep.append(line)
        if removed:
            _replace(path, "".join(keep))
    elif path.suffix == ".json":
        try:
            doc = json.loads(text)
        except ValueError:
            return 0
        if isinstance(doc, dict):
            for root, items in doc.items():
                if isinstance(items, list):
                    kept = [r for r in items if not (isinstance(r, dict) and _matches(r, tokens, id_kinds))]
                    removed += len(items) - len(kept)
                    doc[root] = kept
        if removed:
            _replace(path, json.dumps(doc, ensure_ascii=False))
    return removed


def _csv_line(row: list[str], delimiter: str, quoted: bool) -> str:
    """A CSV line in the file's own style: text quoted if the file quotes it, empty fields left empty
    (an empty field is a null to the loader, a quoted empty one would be an empty string)."""

    def field(value: str) -> str:
        if value == "":
            return ""
        if quoted or delimiter in value or '"' in value or "\n" in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    return delimiter.join(field(v) for v in row) + "\n"


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def scrub_landing(paths: Paths, tokens: set[str], only_new: bool = False) -> dict[str, int]:
    """Apply erasure tokens to landing files. With only_new, files already scrubbed under the same
    set of requests (same name, size and mtime) are skipped."""
    if not tokens or not paths.landing.exists():
        return {"files_scanned": 0, "files_rewritten": 0, "records_removed": 0}
    seen_path = governance_dir(paths) / "scrubbed_files.json"
    fingerprint = hashlib.sha256("".join(sorted(tokens)).encode()).hexdigest()
    seen = json.loads(seen_path.read_text()) if seen_path.exists() else {}
    if seen.get("_requests") != fingerprint:
        seen = {"_requests": fingerprint}
    scanned = rewritten = removed = 0
    for path in sorted(
        p for p in paths.landing.rglob("*") if p.is_file() and p.suffix in (".csv", ".json", ".jsonl")
    ):
        rel = path.relative_to(paths.landing).as_posix()
        stat = path.stat()
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}"
        if only_new and seen.get(rel) == stamp:
            continue
        scanned += 1
        n = scrub_file(path, paths.landing, tokens)
        if n:
            rewritten += 1
            removed += n
            stat = path.stat()
        seen[rel] = f"{stat.st_size}:{stat.st_mtime_ns}"
    seen_path.parent.mkdir(parents=True, exist_ok=True)
    seen_path.write_text(json.dumps(seen))
    return {"files_scanned": scanned, "files_rewritten": rewritten, "records_removed": removed}


# --- raw layer -------------------------------------------------------------------------------------------
def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) or "NULL"


def erase_raw(paths: Paths, subject: Subject) -> dict[str, int]:
    """Delete the person's rows from every raw table and quarantine."""
    email_sql = (
        "case when split_part(lower(trim({c})), '@', 2) in ('gmail.com', 'googlemail.com') then "
        "replace(split_part(split_part(lower(trim({c})), '@', 1), '+', 1), '.', '') || '@gmail.com' "
        "else lower(trim({c})) end"
    )
    phone_sql = (
        "case when length(regexp_replace({c}, '[^0-9]', '', 'g')) >= 9 then "
        "'+48' || right(regexp_replace({c}, '[^0-9]', '', 'g'), 9) end"
    )
    removed: dict[str, int] = {}
    ids = subject.identifiers
    rec = subject.records
    needles = sorted({v for values in ids.values() for v in values} | {v for r in rec.values() for v in r})
    with duckdb.connect(str(paths.warehouse)) as con:
        tables = con.execute("""select schema_name, table_name from duckdb_tables()
                                where schema_name like 'raw\\_%' escape '\\' and table_name not like '\\_dlt%' escape '\\'
                                  and table_name <> '_load_audit'""").fetchall()
        for schema, table in tables:
            columns = {
                c
                for (c,) in con.execute(
                    """select column_name from duckdb_columns()
                                                    where schema_name = ? and table_name = ?""",
                    [schema, table],
                ).fetchall()
            }
            if table == "_quarantine":
                if needles:
                    pred = " or ".join(
                        f"contains(lower(record), '{n.lower().replace(chr(39), chr(39) * 2)}')"
                        for n in needles
                    )
                    removed[f"{schema}._quarantine"] = con.execute(
                        f"delete from {schema}._quarantine where {pred}"
                    ).fetchone()[0]
                continue
            preds = []
            for column in columns:
                leaf = column.split("__")[-1]
                kind = FIELD_KINDS.get(leaf)
                if column == "id":
                    kind = {
                        "raw_webshop.customers": "customer_id",
                        "raw_webshop.orders": "record:webshop_order",
                        "raw_webshop.abandoned_checkouts": "record:webshop_checkout",
                        "raw_helpdesk.tickets": "record:helpdesk_ticket",
                    }.get(f"{schema}.{table}")
                if column == "order_id":
                    kind = "record:webshop_order"
                if column == "checkout_id":
                    kind = "record:webshop_checkout"
                if kind is None:
                    continue
                c = f'"{column}"'
                if kind == "email" and ids.get("email"):
                    preds.append(f"{email_sql.format(c=c)} in ({_sql_list(ids['email'])})")
                elif kind == "phone" and ids.get("phone"):
                    preds.append(f"{phone_sql.format(c=c)} in ({_sql_list(ids['phone'])})")
                elif kind == "loyalty_card" and ids.get("loyalty_card"):
                    preds.append(
                        f"regexp_replace({c}, '[^0-9]', '', 'g') in ({_sql_list(ids['loyalty_card'])})"
                    )
                elif kind in ("customer_id", "member_id", "cookie_id", "device_id") and ids.get(kind):
                    preds.append(f"lower(trim(cast({c} as varchar))) in ({_sql_list(ids[kind])})")
                elif kind.startswith("record:") and rec.get(kind.removeprefix("record:")):
                    text = f"cast({c} as varchar)"
                    preds.append(f"{text} in ({_sql_list(rec[kind.removeprefix('record:')])})")
            if preds:
                n = con.execute(f'delete from {schema}."{table}" where {" or ".join(preds)}').fetchone()[0]
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
    return removed


def purge_dlt_packages(paths: Paths) -> int:
    """Finished load packages keep copies of loaded rows: remove them (the state that matters for
    incremental loading lives in the warehouse and state.json, not in these)."""
    removed = 0
    for loaded in paths.dlt_pipelines.glob("*/load/loaded/*"):
        shutil.rmtree(loaded, ignore_errors=True)
        removed += 1
    return removed


# --- the whole request ---------------------------------------------------------------------------------------
def forget(
    paths: Paths,
    email: str | None = None,
    phone: str | None = None,
    customer_key: str | None = None,
    rebuild: bool = True,
    echo=lambda _m: None,
) -> dict:
    from omni.publish import KEEP_VERSIONS, published_dir

    started = time.perf_counter()
    subject = resolve(paths, email=email, phone=phone, customer_key=customer_key)
    request_id = uuid.uuid4().hex[:12]
    tokens = subject.tokens()
    gov = governance_dir(paths)
    gov.mkdir(parents=True, exist_ok=True)
    requests_path = gov / "erasure_requests.json"
    requests = json.loads(requests_path.read_text()) if requests_path.exists() else []
    requests.append({"request_id": request_id, "requested_at": _now(), "tokens": sorted(tokens)})
    requests_path.write_text(json.dumps(requests, indent=1))
    echo(
        f"erasure {request_id}: {sum(map(len, subject.records.values()))} records, "
        f"{sum(map(len, subject.identifiers.values()))} identifiers"
    )
    layers: dict[str, object] = {"landing": scrub_landing(paths, tokens)}
    layers["raw"] = erase_raw(paths, subject) if paths.warehouse.exists() else {}
    layers["dlt_load_packages_removed"] = purge_dlt_packages(paths)
    if rebuild and paths.warehouse.exists():
        from omni.build import build

        result = build(paths, echo=echo)
        layers["rebuild"] = "ok" if result.success else f"failed: {'; '.join(result.failed_steps)}"
        if result.success:
            # earlier publications still hold the person: keep only the new one
            versions = published_dir(paths) / "versions"
            current = (published_dir(paths) / "current").resolve()
            for old in versions.iterdir() if versions.exists() else []:
                if old.is_dir() and old.resolve() != current:
                    shutil.rmtree(old, ignore_errors=True)
            layers["publications_removed"] = f"all but the current (of up to {KEEP_VERSIONS})"
    entry = {
        "request_id": request_id,
        "requested_at": requests[-1]["requested_at"],
        "completed_at": _now(),
        "identified_by": "email" if email else "phone" if phone else "customer_key",
        "customers": len(subject.customer_keys),
        "records": {t: len(v) for t, v in sorted(subject.records.items())},
        "identifiers": {t: len(v) for t, v in sorted(subject.identifiers.items())},
        "layers": layers,
        "seconds": round(time.perf_counter() - started, 1),
    }
    with (gov / "erasure_log.jsonl").open("a") as log:
        log.write(json.dumps(entry) + "\n")
    return entry


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
