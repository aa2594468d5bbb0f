"""`omni forget`: a person erased from every layer and from every file of the data directory (the warehouse
compacted, dlt's packages gone, older publications deleted), the request logged without personal data,
and remembered so that a later arrival does not bring them back. Identifiers are matched through the
warehouse's own normalisation: a stranger who shares the last nine digits of the erased phone stays."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.pipeline import run_source
from omni.erasure import (
    ErasureKeyError,
    Normalizer,
    Subject,
    erase_raw,
    load_tokens,
    pending_erasures,
    scrub_landing,
    token,
)
from omni.forget import forget
from omni.pseudonymisation import key_id, load_key, pseudonym
from omni.publish import published_dir
from omni.settings import DBT_PROJECT_DIR, Paths
from tests.support import rows

SEEDS = (7, 8)
# the planted strangers' numbers end in the erased person's nine digits after these digits: +420 (Czechia),
# and +1 with an area code of 2 and the first two of the nine
STRANGER_PREFIXES = ("420", "12")


def text_tables(con, schemas: tuple[str, ...]) -> list[tuple[str, str, str]]:
    return con.execute(f"""select schema_name, table_name, column_name from duckdb_columns()
                           where schema_name in {schemas} and (data_type like 'VARCHAR%' or data_type like '%[]')
                           and table_name not like '\\_dlt%' escape '\\'""").fetchall()


def occurrences(paths: Paths, needle: str, schemas: tuple[str, ...]) -> list[str]:
    found = []
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for schema, table, column in text_tables(con, schemas):
            n = con.execute(
                f'select count(*) from {schema}."{table}" '
                f'where contains(lower(cast("{column}" as varchar)), ?)',
                [needle],
            ).fetchone()[0]
            if n:
                found.append(f"{schema}.{table}.{column}")
    return found


# --- reading every file as bytes, and what compression or Parquet hides -------------------------------------
def readable(path: Path) -> list[tuple[str, bytes]]:
    """A file's bytes, plus its content decompressed (gzip, zstd) or decoded (Parquet values as text)."""
    raw = path.read_bytes()
    out = [("bytes", raw)]
    if raw[:2] == b"\x1f\x8b":
        out.append(("gunzip", gzip.decompress(raw)))
    if raw[:4] == b"\x28\xb5\x2f\xfd":
        out.append(("unzstd", pa.input_stream(pa.py_buffer(raw), compression="zstd").read()))
    if raw[:4] == b"PAR1":
        table = pq.read_table(path)
        values = (str(v) for c in table.columns for v in c.to_pylist())
        out.append(
            ("parquet", "\x1f".join(values).encode())
        )  # a separator no pattern reads as part of a number
    return out


def byte_search(
    root: Path, patterns: dict[str, re.Pattern], skip: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """file -> `how:pattern` for every pattern found in any readable form of any file under root."""
    hits: dict[str, list[str]] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[0] in skip or rel in skip:
            continue
        for how, data in readable(path):
            for name, pattern in patterns.items():
                if pattern.search(data):
                    hits.setdefault(rel, []).append(f"{how}:{name}")
    return hits


SEPARATORS = rb"[\s\-().]{0,3}"


class PhonePattern:
    """A phone number in any form a person or an export writes it ("601 234 567", "601-234-567",
    "(+48) 601234567", "+48601234567", "0048601234567", "48601234567"), except the planted strangers'
    numbers that end in the same digits ("+420 601 234 567", "+1 (260) 123-4567"): a match whose
    preceding digits end in one of `strangers` is theirs. Anything else counts, so a doubtful match
    fails the test rather than passing it."""

    def __init__(self, national: str, strangers: tuple[str, ...]):
        self.digits = re.compile(SEPARATORS.join(re.escape(d.encode()) for d in national))
        self.strangers = tuple(s.encode() for s in strangers)

    def search(self, data: bytes) -> bool:
        for match in self.digits.finditer(data):
            before = re.search(
                rb"(?:[0-9][\s\-().+]{0,4})*$", data[max(0, match.start() - 16) : match.start()]
            )
            prefix = re.sub(rb"[^0-9]", b"", before.group(0))
            if not prefix.endswith(self.strangers):
                return True
        return False


# --- the erased world ------------------------------------------------------------------------------------------
def _ticket(ticket_id: int, email: str | None, phone: str | None, name: str) -> dict:
    return {
        "id": ticket_id,
        "via_channel": "chat",
        "requester": {"email": email, "phone": phone, "name": name},
        "subject": "Pytanie",
        "order_id": None,
        "status": "open",
        "created_at": "2026-10-30T08:00:00Z",
        "first_response_at": "2026-10-30T08:05:00Z",
        "solved_at": None,
        "updated_at": "2026-10-30T08:05:00Z",
        "contacts": 1,
        "satisfaction": None,
        "tags": "chat",
    }


def _message(event_id: str, phone: str) -> str:
    """A marketing event line cut short (no closing brace): the loader quarantines it as malformed."""
    return (
        f'{{"event_id":"{event_id}","event_type":"send","event_at":"2026-10-30T08:03:42Z","campaign_id":"SMS-06",'
        f'"message_id":"{event_id}","channel":"sms","email":null,"phone":"{phone}","device_id":null'
    )


def spaced(national: str) -> str:
    return f"{national[:3]} {national[3:6]} {national[6:]}"


# each seed's erased world is made once, by one test process: its tests go together (xdist groups)
@pytest.fixture(
    scope="module", params=[pytest.param(s, marks=pytest.mark.xdist_group(f"erasure-{s}")) for s in SEEDS]
)
def erased(request, xs_world, tmp_path_factory):
    """A copy of an xs world, with a few planted arrivals loaded into raw, after `omni forget --email` of
    the customer with the most records among those with a web shop account, an e-mail and a phone."""
    source = xs_world(request.param)
    paths = Paths.from_env(tmp_path_factory.mktemp(f"erasure-{request.param}") / "data")
    shutil.copytree(source.data_dir, paths.data_dir, symlinks=True)
    ((email, phone, customer_key),) = rows(
        paths,
        """
        with identifying as (
            select c.component, i.identifier_type, i.identifier_value
            from intermediate.int_identity__components as c
            inner join intermediate.int_identity__identifiers as i using (node_id)
            where c.refused_reason is null and i.link_rule = 'identifying'
        ),
        people as (
            select component,
                   min(identifier_value) filter (where identifier_type = 'email') as email,
                   min(identifier_value) filter (where identifier_type = 'phone') as phone,
                   count(distinct identifier_value) filter (where identifier_type = 'email') as emails,
                   count(distinct identifier_value) filter (where identifier_type = 'phone') as phones
            from identifying group by component
        )
        select people.email, people.phone, p.customer_key
        from people
        inner join intermediate.int_identity__profiles as p using (component)
        inner join marts.dim_customers as c on c.customer_key = p.customer_key
        inner join (select customer_key, count(*) as n from marts.fct_touchpoints group by all) as t
            on t.customer_key = p.customer_key
        where c.has_webshop_account and people.emails = 1 and people.phones = 1
          and people.phone like '+48%' and not people.email like '%@gmail.com'
        order by t.n desc, p.customer_key limit 1""",
    )
    national = phone.removeprefix("+48")
    key = load_key(paths.data_dir)
    # planted arrivals, loaded into raw before the erasure: the person's e-mail in capitals (erased), two
    # strangers whose numbers end in the same nine digits (kept), and two lines no reader can parse, one
    # with the person's phone (erased), one with a stranger's (kept)
    tickets = [
        _ticket(990001, email.upper(), None, "Ktoś Wielkimi"),
        _ticket(990002, None, f"+420 {spaced(national)}", "Jan Obcy"),
        _ticket(990003, None, f"+1 (2{national[:2]}) {national[2:5]}-{national[5:]}", "John Stranger"),
    ]
    (paths.landing / "helpdesk" / "tickets" / "tickets_2026-10-30-planted.json").write_text(
        json.dumps({"tickets": tickets})
    )
    (paths.landing / "marketing" / "events" / "message_events_2026-10-30-planted.jsonl").write_text(
        _message("PLANTED-MINE", f"+48 {spaced(national)}")
        + "\n"
        + _message("PLANTED-STRANGER", f"+420 {spaced(national)}")
        + "\n"
    )
    for name in ("helpdesk", "marketing"):
        run_source(name, paths.landing, paths.warehouse, paths.dlt_pipelines)
    assert rows(paths, "select count(*) from raw_helpdesk.tickets where id between 990001 and 990003") == [
        (3,)
    ]
    entry = forget(paths, email=email.upper())
    return paths, email, phone, customer_key, key, entry


def test_the_person_is_gone_from_every_layer(erased):
    paths, email, _phone, customer_key, _key, entry = erased
    local = email.split("@")[0]
    assert entry["layers"]["rebuild"] == "ok"
    assert entry["records"].get("webshop_order", 0) > 0
    # landing copies
    for path in paths.landing.rglob("*"):
        if path.is_file():
            assert local not in path.read_text(errors="ignore").lower(), path
    # raw tables, their quarantine, staging, intermediate and marts
    assert (
        occurrences(
            paths,
            local,
            (
                "raw_webshop",
                "raw_helpdesk",
                "raw_loyalty",
                "raw_marketing",
                "raw_surveys",
                "raw_pos",
                "staging",
                "intermediate",
            ),
        )
        == []
    )
    for table, column in (
        ("fct_orders", "customer_key"),
        ("dim_customers", "customer_key"),
        ("customer_identity_map", "customer_key"),
        ("fct_touchpoints", "customer_key"),
    ):
        assert rows(paths, f"select count(*) from marts.{table} where {column} = '{customer_key}'") == [(0,)]
    # one publication, made after the erasure
    published = published_dir(paths)
    assert len(list((published / "versions").iterdir())) == 1


def test_no_file_of_the_data_directory_holds_the_person(erased):
    """Every file under the data directory but truth/ (the generator's answer key), and under dbt's target
    and logs, read as bytes, gunzipped, un-zstd-ed and through Parquet: no form of the e-mail or phone, no
    pseudonym or hash of them, no customer key. Only the erasure requests hold the keyed tokens they exist
    for."""
    paths, email, phone, customer_key, key, entry = erased
    national = phone.removeprefix("+48")
    assert entry["layers"]["completion"] == "done" and pending_erasures(paths) == []
    completed = [json.loads(line) for line in (paths.data_dir / "governance" / "erasure_log.jsonl").open()]
    compacted = [
        e for e in completed if e.get("event") == "completed" and entry["request_id"] in e["requests"]
    ]
    assert len(compacted) == 1 and compacted[0]["warehouse_compacted"]["bytes_after"] > 0
    assert not Path(f"{paths.warehouse}.wal").exists()
    patterns = {
        "email": re.compile(re.escape(email.encode()), re.I),
        "phone": PhonePattern(national, strangers=STRANGER_PREFIXES),
        "customer_key": re.compile(customer_key.encode(), re.I),
    }
    for kind, value in (("email", email), ("phone", phone)):
        patterns[f"{kind}_pseudonym"] = re.compile(pseudonym(key, value).encode(), re.I)
        patterns[f"{kind}_unkeyed_md5"] = re.compile(
            hashlib.md5(f"{kind}:{value}".encode()).hexdigest().encode(), re.I
        )
    assert byte_search(paths.data_dir, patterns, skip=("truth",)) == {}
    # dbt's own folders (outside the data directory) hold SQL and artifacts, never rows
    for folder in ("target", "logs"):
        assert byte_search(DBT_PROJECT_DIR / folder, patterns) == {}, folder
    # the tokens of the request, and nowhere else
    tokens = {kind: token(key, kind, value) for kind, value in (("email", email), ("phone", phone))}
    found = byte_search(
        paths.data_dir, {k: re.compile(v.encode()) for k, v in tokens.items()}, skip=("truth",)
    )
    assert found == {"governance/erasure_requests.json": ["bytes:email", "bytes:phone"]}


def test_identifiers_match_as_the_warehouse_normalises_them(erased):
    """The e-mail in capitals is the person's; numbers of other countries that end in the same nine
    digits are strangers', in landing, raw, quarantine and, after the rebuild, staging."""
    paths, _email, phone, *_ = erased
    national = phone.removeprefix("+48")
    planted = json.loads(
        (paths.landing / "helpdesk" / "tickets" / "tickets_2026-10-30-planted.json").read_text()
    )
    assert sorted(t["id"] for t in planted["tickets"]) == [990002, 990003]
    assert rows(
        paths, "select id from raw_helpdesk.tickets where id between 990001 and 990003 order by id"
    ) == [
        (990002,),
        (990003,),
    ]
    assert rows(
        paths,
        "select ticket_id, phone_normalized from staging.stg_helpdesk__tickets where ticket_id >= 990001 order by 1",
    ) == [(990002, f"+420{national}"), (990003, f"+12{national}")]
    lines = (paths.landing / "marketing" / "events" / "message_events_2026-10-30-planted.jsonl").read_text()
    assert "PLANTED-STRANGER" in lines and "PLANTED-MINE" not in lines
    assert rows(
        paths,
        "select count(*) filter (where contains(record, 'PLANTED-MINE')), "
        "count(*) filter (where contains(record, 'PLANTED-STRANGER')) from raw_marketing._quarantine",
    ) == [(0, 1)]


def test_the_erasure_log_holds_no_personal_data(erased):
    paths, email, _phone, customer_key, _key, entry = erased
    log = (paths.data_dir / "governance" / "erasure_log.jsonl").read_text()
    requests = (paths.data_dir / "governance" / "erasure_requests.json").read_text()
    for text in (log, requests):
        assert email.split("@")[0] not in text.lower() and customer_key not in text
    logged = json.loads(log.splitlines()[-1])
    assert logged["request_id"] == entry["request_id"] and logged["identified_by"] == "email"
    assert json.loads(requests)[-1]["key_id"] == key_id(load_key(paths.data_dir))


# on one of the erased worlds only (the checks above run on both): the build of what the arrival feeds
# through the normal job: the erasure requests applied to new landing files, the ticket load, its staging
@pytest.mark.parametrize("erased", SEEDS[:1], indirect=True)
@pytest.mark.xdist_group("erasure-7")
def test_a_later_arrival_does_not_bring_the_person_back(erased):
    from omni.build import build

    paths, email, *_ = erased
    ticket = _ticket(999555, email.title(), None, "Ktoś Zapomniany")
    drop = paths.landing / "helpdesk" / "tickets" / "tickets_2026-10-31-later.json"
    drop.write_text(json.dumps({"tickets": [ticket]}))
    # the erasure requests applied to new landing files first, as in every build
    result = build(
        paths,
        echo=lambda _m: None,
        select='key:"governance/erasure_requests" or key:"raw_helpdesk/tickets" '
        'or key:"staging/stg_helpdesk__tickets"',
    )
    assert result.materialized == 3, result.failed_steps
    assert result.success, result.failed_steps
    assert email.split("@")[0] not in drop.read_text().lower()
    assert rows(paths, "select count(*) from raw_helpdesk.tickets where id = 999555") == [(0,)]
    assert occurrences(paths, email.split("@")[0], ("raw_helpdesk", "staging")) == []


# --- one definition of normalisation: the warehouse's -----------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_erasure_normalises_as_staging_does(xs_world, seed):
    """Every raw e-mail and phone text of a built world normalises in erasure to what staging made of it."""
    paths = xs_world(seed)
    emails = rows(
        paths,
        """select distinct email, email_normalized from staging.stg_webshop__orders where email is not null
           union select distinct email, email_normalized from staging.stg_loyalty__members where email is not null""",
    )
    phones = rows(paths, "select phone_raw, phone_e164 from staging.stg_identifiers__phone_numbers")
    assert len(emails) > 50 and len(phones) > 50
    with Normalizer.for_paths(paths) as normalizer:
        normalizer.prime(("email", raw) for raw, _ in emails)
        assert [(raw, normalizer.normalize("email", raw)) for raw, _ in emails] == emails
        assert [(raw, normalizer.normalize("phone", raw)) for raw, _ in phones] == phones


# --- without a build: the matching rules on small inputs --------------------------------------------------------
@pytest.fixture
def small(tmp_path, monkeypatch):
    monkeypatch.delenv("OMNI_PSEUDONYMISATION_KEY", raising=False)
    monkeypatch.delenv("OMNI_ENV", raising=False)
    paths = Paths.from_env(tmp_path / "data")
    paths.data_dir.mkdir()
    return paths, load_key(paths.data_dir)


# raw rows of a helpdesk: the person's (e-mail in capitals, phones written three ways, a finding of a ticket of
# theirs) beside strangers' (numbers of other countries ending in the same nine digits, another e-mail, a number
# one digit off); the loader's side tables: quarantined records (JSON, or a line it could not parse) and findings
HELPDESK_RAW = {
    "tickets": (
        "id bigint, requester__email varchar, requester__phone varchar",
        """(1, 'Anna.Nowak@Example.PL', null), (2, null, '601 234 567'), (3, null, '+48601234567'),
           (4, null, '+420 601 234 567'), (5, null, '+1 (260) 123-4567'), (6, null, '44601234567'),
           (7, 'anna.nowak@example.com', null), (8, null, '601 234 568')""",
    ),
    "_quarantine": (
        "source_file varchar, record varchar, reason varchar",
        """('helpdesk/tickets/t.json', '{"id": "9", "requester__phone": "(+48) 601-234-567"}', 'bad date'),
           ('helpdesk/tickets/t.json', '{"id": "10", "requester__phone": "+420 601 234 567"}', 'bad date'),
           ('helpdesk/tickets/t.json', '{"id": "11", "requester": {"email": "x 601234567', 'malformed'),
           ('helpdesk/tickets/t.json', '{"id": "12", "requester": {"email": "+420601234567', 'malformed')""",
    ),
    "_findings": (
        "source_file varchar, row_key varchar, column_name varchar, value varchar",
        """('helpdesk/tickets/t.json', 'id=21', 'requester__email', 'anna.nowak@'),
           ('helpdesk/tickets/t.json', 'id=22', 'requester__email', 'jan@'),
           ('helpdesk/tickets/t.json', 'id=23', 'requester__phone', '601 234 567')""",
    ),
}
HELPDESK_SUBJECT = Subject(
    identifiers={"email": {"anna.nowak@example.pl"}, "phone": {"+48601234567"}},
    records={"helpdesk_ticket": {"21"}},
)
HELPDESK_ERASED = {"raw_helpdesk.tickets": 3, "raw_helpdesk._quarantine": 2, "raw_helpdesk._findings": 2}


def _helpdesk_kept(query, more_tickets: tuple = ()) -> None:
    """What stays of HELPDESK_RAW (and `more_tickets`, ids of strangers' tickets): the strangers' rows;
    `query(sql)` runs a query over raw_helpdesk's tables."""
    expected = sorted([4, 5, 6, 7, 8, *more_tickets])
    assert query("select id from raw_helpdesk.tickets order by id") == [(i,) for i in expected]
    # what stays of the quarantine is the strangers' (+420)
    assert query(
        "select count(*), count(*) filter (where contains(record, '+420')) from raw_helpdesk._quarantine"
    ) == [(2, 2)]
    assert query("select row_key from raw_helpdesk._findings") == [("id=22",)]


def test_raw_rows_of_strangers_who_share_the_last_nine_digits_stay(small):
    paths, key = small
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute("create schema raw_helpdesk")
        for table, (columns, values) in HELPDESK_RAW.items():
            con.execute(f"create table raw_helpdesk.{table} ({columns})")
            con.execute(f"insert into raw_helpdesk.{table} values {values}")
    assert erase_raw(paths, HELPDESK_SUBJECT, key) == HELPDESK_ERASED
    _helpdesk_kept(lambda sql: rows(paths, sql))


def test_on_the_lake_every_parquet_file_with_the_person_is_rewritten_without_them(small):
    """The Spark engine's raw tables are the Parquet files of every load (ingestion/lake.py): each file with
    a row of the person is rewritten without it, whichever load wrote it; a file without one stays as it
    was, and no byte of the person is left in any file."""
    paths, key = small
    paths = Paths.from_env(paths.data_dir, "spark")
    tickets = paths.lake_raw / "raw_helpdesk" / "tickets"
    with duckdb.connect() as con:
        for table, (columns, values) in HELPDESK_RAW.items():
            con.execute(f"create table {table} ({columns})")
            con.execute(f"insert into {table} values {values}")
            folder = paths.lake_raw / "raw_helpdesk" / table
            folder.mkdir(parents=True)
            # the rows of two loads
            con.execute(
                f"copy (select * from {table} limit 2) to '{folder / '1.a.parquet'}' (format parquet)"
            )
            con.execute(
                f"copy (select * from {table} offset 2) to '{folder / '2.a.parquet'}' (format parquet)"
            )
        # a third load: a stranger's ticket only
        con.execute(
            f"copy (select 30 as id, 'jan@example.pl' as requester__email, null as requester__phone) "
            f"to '{tickets / '3.a.parquet'}' (format parquet)"
        )
    untouched = (tickets / "3.a.parquet").read_bytes()
    assert erase_raw(paths, HELPDESK_SUBJECT, key) == HELPDESK_ERASED

    def query(sql: str) -> list[tuple]:
        with duckdb.connect() as con:
            con.execute("create schema raw_helpdesk")
            for table in HELPDESK_RAW:
                files = paths.lake_raw / "raw_helpdesk" / table / "*.parquet"
                con.execute(f"create view raw_helpdesk.{table} as select * from read_parquet('{files}')")
            return con.execute(sql).fetchall()

    _helpdesk_kept(query, more_tickets=(30,))
    assert (tickets / "3.a.parquet").read_bytes() == untouched
    patterns = {
        "email": re.compile(rb"anna\.nowak@example\.pl", re.I),
        "phone": PhonePattern("601234567", strangers=(*STRANGER_PREFIXES, "44")),
    }
    assert byte_search(paths.lake_raw, patterns) == {}
    assert not [p for p in paths.lake_raw.rglob("*") if "erasure-" in p.name]


def test_landing_records_are_matched_through_normalisation(small):
    paths, key = small
    folder = paths.landing / "surveys"
    folder.mkdir(parents=True)
    (folder / "responses_2026-10-01.csv").write_text(
        "response_id,email,phone,score\n"
        "r1,ANNA.NOWAK@example.pl,,9\n"
        "r2,,+48 601-234-567,8\n"
        "r3,,+420 601 234 567,7\n"
        "r4,anna.nowak2@example.pl,,6\n"
    )
    (folder / "broken.jsonl").write_text(
        '{"phone": "601 234 567", "x": \n{"phone": "+420 601 234 567", "x": \n'
    )
    tokens = Subject(identifiers={"email": {"anna.nowak@example.pl"}, "phone": {"+48601234567"}}).tokens(key)
    result = scrub_landing(paths, tokens, key=key)
    assert result["records_removed"] == 3 and result["files_rewritten"] == 2
    kept = (folder / "responses_2026-10-01.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in kept] == ["response_id", "r3", "r4"]
    assert (folder / "broken.jsonl").read_text() == '{"phone": "+420 601 234 567", "x": \n'


def test_requests_made_under_another_key_are_refused(small):
    paths, key = small
    governance = paths.data_dir / "governance"
    governance.mkdir()
    other = b"x" * 64
    (governance / "erasure_requests.json").write_text(
        json.dumps(
            [{"request_id": "r1", "key_id": key_id(other), "tokens": [token(other, "email", "a@b.pl")]}]
        )
    )
    with pytest.raises(ErasureKeyError, match="another pseudonymisation key"):
        load_tokens(paths, key)
    (governance / "erasure_requests.json").write_text(
        json.dumps([{"request_id": "r1", "key_id": key_id(key), "tokens": [token(key, "email", "a@b.pl")]}])
    )
    assert load_tokens(paths, key) == {token(key, "email", "a@b.pl")}
