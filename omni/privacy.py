"""Personal data in what is published for BI: the `no_personal_data` asset check on `published/marts`
(blocking the report) and tests/test_privacy.py.

Two nets, both run by `scan_published`:

1. **Classification**, from the dbt manifest. Every published table is a dbt model of schema `marts`;
   columns declare `meta: {pii: <level>}` in the models' YAML (docs/governance.md):

   - `direct`: e-mail, phone, name, address, card number. Published, it is a finding whatever its
     values look like.
   - `quasi` (city, postal code, birth date), `online` (cookie and device ids), `free_text` (comments):
     allowed in a mart, listed in the coverage, and value-scanned.
   - `pseudonymised`: a keyed hash, or a key made from internal ids (customer_key, anonymous_id).
     Value-scanned.
   - `none`: not personal.

   A level not in this list (a typo) leaves the column unclassified, value-scanned, and is reported.

   Lineage: dbt Core's manifest has no column-level lineage, so a column is traced by name through its
   model's ancestors (models, seeds, snapshots, sources). A published column whose namesake upstream
   is classified `direct` is a finding unless it is declared `pseudonymised`. A raw table's e-mail and
   phone columns come from its landing contract (ingestion/<source>/settings.py) unless the dbt source
   classifies its columns itself.

2. **Value scan**, the second net, over every text-like column that is not a declared id: e-mail
   addresses by regex, phone numbers with libphonenumber (`PhoneNumberMatcher`, leniency VALID):
   international numbers of every country and national numbers of `PHONE_REGION`. An id column holds
   machine-made values (a 9-digit order-line id is also a valid Polish phone number), so it is not
   scanned. A column is a declared id when its YAML says so:

   - `meta: {role: id}` (with its `pii` level, usually `none` or `pseudonymised`), any column name; or
   - it is named `<object>_id` / `<object>_key` and the YAML already declares it a key: the model's
     primary key (a `primary_key` constraint, or `unique` + `not_null`), or a `relationships` test.

   A column classified `direct`, `quasi` or `free_text` is never an id.

Findings: one per published column (or the report) and kind: `direct` and `lineage` (by
classification), `email` and `phone` (by value). A value is never reported in full, only masked.
Not blocking, in `Coverage`: the columns that carry no classification at all (and of them those whose
name matches a personal column upstream), and the published quasi/online/free_text/pseudonymised columns.

Bounded memory: the value scan runs in DuckDB under a memory limit, spilling to a temporary directory,
and DuckDB hands Python only the distinct values that could hold an e-mail address (an `@`) or a phone
number (six digits or more, and not a single token of letters and digits such as a hash: the same
shortcuts `find_phones` takes, in SQL), in sorted batches. Python's verdict (the e-mail pattern,
libphonenumber) stays the only one, so the findings are those of a scan of every value; the distinct
values of each column are counted in DuckDB for the coverage.
"""

from __future__ import annotations

import importlib
import json
import re
import tempfile
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import phonenumbers

from omni.settings import dbt_target_dir

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# national numbers written without a country prefix are read as numbers of this region
PHONE_REGION = "PL"
# no phone number of any country has fewer than 6 digits (country code included): shorter texts skip it
_ENOUGH_DIGITS = re.compile(r"(?:\d\D*){6}")
# a single token of ASCII letters and digits holding a letter (a hash, a cookie id) holds no phone number:
# each of its digit runs touches a letter, which leniency VALID refuses, unless letters spell an extension
# (x, ext, int): tokens with a t or an x still go to the matcher
_LETTER_BOUND_TOKEN = re.compile(r"[0-9A-SU-WYZa-su-wyz]*[A-SU-WYZa-su-wyz][0-9A-SU-WYZa-su-wyz]*")
# The same shortcuts in DuckDB's SQL (RE2), looser than Python's, never stricter: a value reaches Python
# when it holds an `@` (every e-mail match does), or six characters that are numbers of any script (\p{N}
# holds every decimal digit Python's \d matches) and is not a letter-bound token (the same ASCII classes).
CANDIDATE_SQL = (
    "(contains(v, '@') or (regexp_matches(v, '(?s)\\p{N}(?:.*?\\p{N}){5}') and not "
    f"regexp_full_match(v, '{_LETTER_BOUND_TOKEN.pattern}')))"
)
# the value scan's DuckDB connection: what it may hold in memory before it spills to its temporary
# directory, and how many candidate values Python takes at a time
SCAN_MEMORY_LIMIT = "1GB"
SCAN_BATCH_ROWS = 10_000
# the stamp of the dbt batch that wrote a row of an incremental mart (its content changes with it)
STAMP = "_omni_batch"

PII_LEVELS = ("direct", "quasi", "online", "free_text", "pseudonymised", "none")
PERSONAL_LEVELS = ("direct", "quasi", "online", "free_text")
NEVER_ID_LEVELS = ("direct", "quasi", "free_text")
ID_NAME = re.compile(r"(?:^|_)(?:id|key)$")
# the raw columns a landing contract holds e-mail addresses and phone numbers in
CONTACT_COLUMN = re.compile(r"(?:^|_)(?:e_?mail|phone)(?:_|$)")


@dataclass(frozen=True)
class Finding:
    where: str  # `table.column`, or what scan_text was given (`report:index.html`)
    kind: str  # email | phone (value scan), direct | lineage (classification)
    example: str  # a masked value, or what the verdict rests on: never a raw value in full
    basis: str = "value"  # value | classification | lineage
    files: tuple[str, ...] = ()  # the published copies it was found in: marts.duckdb, parquet
    values: int = 1  # distinct values that matched (value scan)


@dataclass
class Coverage:
    """What a scan read and how each column was judged, so that "no findings" can be told apart from
    "nothing scanned"."""

    tables: int = 0
    parquet_files: int = 0
    columns: int = 0  # text columns value-scanned, each published copy counted
    distinct_values: int = 0
    # table.column -> verdict, for the columns judged by classification alone:
    # `direct`, `lineage`, `id (declared)`, `id (primary key)`, `id (relationships)`
    by_classification: dict[str, str] = field(default_factory=dict)
    by_value: set[str] = field(default_factory=set)  # table.column value-scanned
    # not blocking: columns with neither a pii level nor an id declaration...
    unclassified: set[str] = field(default_factory=set)
    # ...of which those whose name matches a personal column upstream: table.column -> upstream
    unclassified_upstream: dict[str, str] = field(default_factory=dict)
    # declared quasi / online / free_text / pseudonymised: table.column -> level
    personal: dict[str, str] = field(default_factory=dict)
    # a pii level not in PII_LEVELS (treated as unclassified): table.column -> level
    invalid: dict[str, str] = field(default_factory=dict)
    # tables whose value scan read only the rows stamped after a stamp scanned before: table -> that stamp
    scanned_since: dict[str, str] = field(default_factory=dict)
    # the newest stamp (STAMP) of each published table that has one, as scanned: table -> stamp
    newest: dict[str, str] = field(default_factory=dict)
    # distinct values value-scanned per table
    distinct_by_table: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnClass:
    """What the dbt project declares about one published column."""

    pii: str | None = None  # the declared level, None when there is none
    id_basis: str | None = None  # why it is an id: declared | primary key | relationships; None if not
    upstream: tuple[tuple[str, str], ...] = ()  # same-named personal columns upstream: (model.column, level)

    @property
    def is_id(self) -> bool:
        return self.id_basis is not None


@dataclass(frozen=True)
class Classification:
    """The published tables' columns as the dbt manifest classifies them."""

    columns: dict[str, dict[str, ColumnClass]]  # table -> documented column -> class
    upstream: dict[
        str, dict[str, tuple[tuple[str, str], ...]]
    ]  # table -> name -> personal namesakes upstream
    invalid: dict[str, str] = field(default_factory=dict)  # table.column -> unknown pii level

    def column(self, table: str, column: str) -> ColumnClass:
        declared = self.columns.get(table, {}).get(column, ColumnClass())
        upstream = self.upstream.get(table, {}).get(column, ())
        return ColumnClass(declared.pii, declared.id_basis, upstream)

    def knows(self, table: str) -> bool:
        return table in self.columns


def _meta(spec: dict) -> dict:
    return {**(spec.get("meta") or {}), **((spec.get("config") or {}).get("meta") or {})}


def _level(spec: dict) -> str | None:
    level = _meta(spec).get("pii")
    return str(level).strip().lower() if level is not None else None


def _contract_columns(source_name: str, table_name: str) -> dict[str, str]:
    """The e-mail and phone columns a landing contract names for one raw table, as `direct`."""
    try:
        module = importlib.import_module(f"ingestion.{source_name}.settings")
    except ImportError:
        return {}
    for table in getattr(module, "TABLES", ()):
        if table.name == table_name:
            return {c.name: "direct" for c in table.columns if CONTACT_COLUMN.search(c.name.lower())}
    return {}


def load_classification(
    manifest: Path | dict | None = None, schema: str = "marts", contracts: bool = True
) -> Classification:
    """Classification of every model of `schema` (the published tables) from a dbt manifest: its path
    (default dbt/target/manifest.json) or the parsed JSON. `contracts`: read the landing contracts for
    the personal columns of raw tables."""
    if not isinstance(manifest, dict):
        path = Path(manifest) if manifest is not None else dbt_target_dir() / "manifest.json"
        if not path.exists():
            raise FileNotFoundError(f"no dbt manifest at {path}: run `dbt parse` (omni build does)")
        manifest = json.loads(path.read_text())
    nodes: dict[str, dict] = {**manifest.get("sources", {}), **manifest.get("nodes", {})}

    related: set[tuple[str, str]] = set()
    for node in nodes.values():
        is_relationship = (node.get("test_metadata") or {}).get("name") == "relationships"
        if node.get("resource_type") == "test" and is_relationship and node.get("column_name"):
            related.add((node.get("attached_node"), node["column_name"]))

    personal_cache: dict[str, dict[str, str]] = {}

    def personal_columns(node_id: str) -> dict[str, str]:
        if node_id not in personal_cache:
            node = nodes[node_id]
            found = {
                c: lvl
                for c, spec in node.get("columns", {}).items()
                if (lvl := _level(spec)) in PERSONAL_LEVELS
            }
            if (
                node.get("resource_type") == "source"
                and contracts
                and not any(_level(spec) for spec in node.get("columns", {}).values())
            ):
                found = _contract_columns(node["source_name"], node["name"])
            personal_cache[node_id] = found
        return personal_cache[node_id]

    def ancestors(node_id: str) -> list[str]:
        seen: dict[str, None] = {}
        queue = deque(nodes[node_id].get("depends_on", {}).get("nodes", []))
        while queue:
            parent = queue.popleft()
            if parent in seen or parent not in nodes:
                continue
            seen[parent] = None
            queue.extend(nodes[parent].get("depends_on", {}).get("nodes", []))
        return list(seen)

    columns: dict[str, dict[str, ColumnClass]] = {}
    upstream: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {}
    invalid: dict[str, str] = {}
    for node_id, node in nodes.items():
        if node.get("resource_type") not in ("model", "seed", "snapshot") or node.get("schema") != schema:
            continue
        table = node.get("alias") or node["name"]
        primary_key = set(node.get("primary_key") or [])
        primary_key |= {
            c
            for con in node.get("constraints") or []
            if con.get("type") == "primary_key"
            for c in con.get("columns") or []
        }
        classes: dict[str, ColumnClass] = {}
        for name, spec in node.get("columns", {}).items():
            level = _level(spec)
            trusted = level is None or level in PII_LEVELS
            if not trusted:  # a misspelt level: unclassified, and no id declaration is taken from it
                invalid[f"{table}.{name}"] = level
                level = None
            if any(c.get("type") == "primary_key" for c in spec.get("constraints") or []):
                primary_key.add(name)
            basis = None
            if trusted and level not in NEVER_ID_LEVELS:
                if str(_meta(spec).get("role", "")).strip().lower() == "id":
                    basis = "declared"
                elif ID_NAME.search(name) and name in primary_key:
                    basis = "primary key"
                elif ID_NAME.search(name) and (node_id, name) in related:
                    basis = "relationships"
            classes[name] = ColumnClass(level, basis)
        columns[table] = classes
        namesakes: dict[str, list[tuple[str, str]]] = {}
        for parent in ancestors(node_id):
            label = nodes[parent].get("name", parent)
            if nodes[parent].get("resource_type") == "source":
                label = f"{nodes[parent]['source_name']}.{label}"
            for name, level in personal_columns(parent).items():
                namesakes.setdefault(name, []).append((f"{label}.{name}", level))
        upstream[table] = {name: tuple(sorted(found)) for name, found in namesakes.items()}
    return Classification(columns, upstream, invalid)


def mask(value: str, kind: str, country_code: int | None = None) -> str:
    """Enough of a value to recognise what was found, not to recover it."""
    if kind == "email":
        local, _, domain = value.partition("@")
        host, dot, tld = domain.rpartition(".")
        return f"{local[:1]}***@{host[:1]}***{dot}{tld}"
    digits = re.sub(r"\D", "", value)
    prefix = f"+{country_code} " if country_code else ""
    return f"{prefix}***{digits[-2:]}"


def find_phones(text: str) -> list[phonenumbers.PhoneNumberMatch]:
    """Phone numbers in a text: international ones of every country, national ones of PHONE_REGION."""
    if not _ENOUGH_DIGITS.search(text) or _LETTER_BOUND_TOKEN.fullmatch(text):
        return []
    # max_tries bounds the candidates tried; a text has fewer candidates than characters
    matcher = phonenumbers.PhoneNumberMatcher(
        text, PHONE_REGION, leniency=phonenumbers.Leniency.VALID, max_tries=max(len(text), 65535)
    )
    return list(matcher)


def _matches(text: str) -> dict[str, list[str]]:
    """Masked e-mails and phones in a text, by kind."""
    found: dict[str, list[str]] = {}
    emails = [mask(m.group(0), "email") for m in EMAIL.finditer(text)]
    if emails:
        found["email"] = emails
    phones = [mask(m.raw_string, "phone", m.number.country_code) for m in find_phones(text)]
    if phones:
        found["phone"] = phones
    return found


def scan_text(text: str, where: str) -> list[Finding]:
    """E-mail addresses and phone numbers in a text: one finding per kind, with a masked example."""
    return [Finding(where, kind, hits[0], values=len(hits)) for kind, hits in _matches(text).items()]


TEXT_TYPES = ("VARCHAR", "JSON")


def _is_text(type_code: object) -> bool:
    name = str(type_code).upper()
    return name in TEXT_TYPES or "[]" in name or "STRUCT" in name or name.startswith("MAP")


def _judge(table: str, column: str, spec: ColumnClass, coverage: Coverage) -> Finding | None:
    """The verdict of the classification on one column; fills `coverage`. A finding, or None."""
    where = f"{table}.{column}"
    if spec.pii in ("quasi", "online", "free_text", "pseudonymised"):
        coverage.personal[where] = spec.pii
    if spec.pii is None and not spec.is_id:
        coverage.unclassified.add(where)
        if spec.upstream:
            coverage.unclassified_upstream[where] = ", ".join(f"{u} ({lvl})" for u, lvl in spec.upstream)
    if spec.pii == "direct":
        coverage.by_classification[where] = "direct"
        return Finding(where, "direct", "declared pii: direct", basis="classification")
    direct_upstream = [u for u, lvl in spec.upstream if lvl == "direct"]
    if direct_upstream and spec.pii != "pseudonymised":
        coverage.by_classification[where] = "lineage"
        shown = ", ".join(direct_upstream[:3]) + (" ..." if len(direct_upstream) > 3 else "")
        return Finding(where, "lineage", f"same name as {shown} (direct), not pseudonymised", basis="lineage")
    if spec.is_id:
        coverage.by_classification[where] = f"id ({spec.id_basis})"
    return None


def scan_published(
    published: Path,
    report: Path | None = None,
    coverage: Coverage | None = None,
    classification: Classification | None = None,
    *,
    batch_rows: int = SCAN_BATCH_ROWS,
    memory_limit: str = SCAN_MEMORY_LIMIT,
    scanned: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Findings in the published DuckDB file, its Parquet files and (if given) the report; `coverage`,
    when given, is filled with what was read and how each column was judged. `classification`: by
    default that of dbt/target/manifest.json (load_classification). `batch_rows`: candidate values
    taken from DuckDB at a time; `memory_limit`: DuckDB's, beyond which it spills to a temporary
    directory (removed afterwards).

    `scanned`: {table: stamp} of tables whose rows up to that stamp (STAMP, the batch that wrote them) a
    scan passed before: their values are scanned only in rows with a newer stamp (a row's stamp changes
    with its content). Judgments by classification cover every column of every table, always."""
    if batch_rows < 1:
        raise ValueError(f"batch_rows must be at least 1, not {batch_rows}")
    coverage = coverage if coverage is not None else Coverage()
    classification = classification if classification is not None else load_classification()
    coverage.invalid.update(classification.invalid)
    copies: list[tuple[str, str, str]] = []  # (file, relation, table)
    found: dict[tuple[str, str], Finding] = {}

    def add(finding: Finding, file: str) -> None:
        key = (finding.where, finding.kind)
        seen = found.get(key)
        if seen is None:
            found[key] = Finding(
                finding.where, finding.kind, finding.example, finding.basis, (file,), finding.values
            )
        elif file not in seen.files:
            found[key] = Finding(
                seen.where,
                seen.kind,
                seen.example,
                seen.basis,
                (*seen.files, file),
                max(seen.values, finding.values),
            )

    db = published / "marts.duckdb"
    parquet_dir = published / "parquet"
    spill = tempfile.TemporaryDirectory(prefix="omni-privacy-scan-")
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": spill.name})
    try:
        if db.exists():
            con.execute(f"ATTACH '{db}' AS pub (READ_ONLY)")
            for (table,) in con.execute(
                "select table_name from duckdb_tables() where database_name = 'pub' order by table_name"
            ).fetchall():
                copies.append(("marts.duckdb", f'pub.main."{table}"', table))
                coverage.tables += 1
        for parquet in sorted(parquet_dir.glob("*.parquet")) if parquet_dir.exists() else []:
            copies.append(("parquet", f"read_parquet('{parquet}')", parquet.stem))
            coverage.parquet_files += 1
        verdicts: dict[tuple[str, str], Finding | None] = {}
        for file, relation, table in copies:
            described = con.execute(f"select * from {relation} limit 0").description
            since = None
            if any(column == STAMP for column, *_ in described):
                if file == "marts.duckdb":
                    (newest,) = con.execute(f'select max("{STAMP}")::varchar from {relation}').fetchone()
                    if newest is not None:
                        coverage.newest[table] = newest
                if scanned and table in scanned:
                    since = scanned[table]
                    coverage.scanned_since[table] = since
            for column, type_code, *_ in described:
                if (table, column) not in verdicts:
                    verdicts[(table, column)] = _judge(
                        table, column, classification.column(table, column), coverage
                    )
                verdict = verdicts[(table, column)]
                if verdict is not None:
                    add(verdict, file)
                    continue
                if classification.column(table, column).is_id or not _is_text(type_code):
                    continue
                coverage.by_value.add(f"{table}.{column}")
                for finding in _scan_column(con, relation, table, column, coverage, batch_rows, since):
                    add(finding, file)
    finally:
        con.close()
        spill.cleanup()
    findings = list(found.values())
    if report is not None and report.exists():
        # the report inlines plotly.js: scan the data only, the text outside <script> and the chart JSON
        text = report.read_text(encoding="utf-8")
        data = re.sub(
            r"<script[^>]*>(?:(?!</script>).)*?(?:!function|/\*\*)(?:(?!</script>).)*</script>",
            "",
            text,
            flags=re.S,
        )
        findings += [
            Finding(f.where, f.kind, f.example, files=(report.name,), values=f.values)
            for f in scan_text(data, f"report:{report.name}")
        ]
    return findings


def _scan_column(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    table: str,
    column: str,
    coverage: Coverage,
    batch_rows: int = SCAN_BATCH_ROWS,
    since: str | None = None,
) -> list[Finding]:
    """The value scan of one text-like column (lists and structs as their text form): its distinct values
    counted in DuckDB, those that could hold an e-mail or a phone number (CANDIDATE_SQL) judged in Python,
    taken `batch_rows` at a time; only in the rows stamped after `since`, when given."""
    text = f'cast("{column}" as varchar)'
    present = f'from {relation} where "{column}" is not null'
    if since is not None:
        present += f' and "{STAMP}" > {int(since)}'
    ((distinct,),) = con.execute(f"select count(distinct {text}) {present}").fetchall()
    coverage.columns += 1
    coverage.distinct_values += distinct
    coverage.distinct_by_table[table] = coverage.distinct_by_table.get(table, 0) + distinct
    candidates = con.execute(
        f"select distinct v from (select {text} as v {present}) where {CANDIDATE_SQL} "
        "order by v"  # in order, so a finding's example is the same from one scan to the next
    )
    hits: dict[str, list[str]] = {}
    while batch := candidates.fetchmany(batch_rows):
        for (value,) in batch:
            for kind, masked in _matches(value).items():
                hits.setdefault(kind, []).append(masked[0])
    where = f"{table}.{column}"
    return [Finding(where, kind, masked[0], values=len(masked)) for kind, masked in hits.items()]
