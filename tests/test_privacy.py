"""Personal data: classified in dbt, pseudonymised in the marts, absent from everything published."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import string
from pathlib import Path

import duckdb
import phonenumbers
import pytest

from omni.privacy import (
    EMAIL,
    PHONE_REGION,
    ColumnClass,
    Coverage,
    find_phones,
    load_classification,
    scan_published,
    scan_text,
)
from omni.publish import published_dir
from omni.report import render
from tests.support import dbt

FOREIGN_PHONES = ("+44 20 7946 0958", "+1 415 555 0100", "+61 2 9374 4000")


def test_the_scan_finds_what_it_must():
    polish = ("+48 601 234 567", "601-234-567", "0048601234567", "(+48) 601234567", "123456789")
    for text in ("jan.kowalski@gmail.com", *polish, *FOREIGN_PHONES, "+33 1 42 68 53 00", "+49 30 901820"):
        assert len(scan_text(f"x {text} y", "sample")) == 1, text
    for text in (
        "a63d7348342345832d9f51b50e5fe2c2",  # a hash
        "02f71204-6d74-44cc-a91e-a2ef82ddefec",  # a uuid
        "Cj0KCQjw0000000000",  # a cookie id
        "S001-20260826-00001",  # a till receipt id
        "5008977",
        "50000013",
        "2026-10-31",
        "2026-10-31 12:34:56+00",
        "5901234123457",  # an EAN
        "1234.56",
    ):
        assert not scan_text(text, "sample"), text
    # the e-mail pattern takes whole addresses, plus-tags and capitals included, and nothing without a domain
    text = "to Jan.Kowalski+news@Gmail.com, a.nowak@wp.pl; not@localhost or @wp.pl"
    assert EMAIL.findall(text) == ["Jan.Kowalski+news@Gmail.com", "a.nowak@wp.pl"]
    assert [m.number.country_code for m in find_phones(" ".join(FOREIGN_PHONES))] == [44, 1, 61]


def test_the_shortcuts_before_the_phone_matcher_skip_nothing_it_would_find():
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    numbers = ("601234567", "48601234567", "123456789", "14155550100", "442079460958", "0061293744000")
    texts = [
        "".join(rng.choices(alphabet, k=rng.randint(0, 4)))
        + rng.choice(numbers)
        + rng.choice(("", "x12", "ext12", "int3", ""))
        + "".join(rng.choices(alphabet, k=rng.randint(0, 4)))
        for _ in range(3000)
    ] + [hashlib.sha256(str(i).encode()).hexdigest() for i in range(300)]
    matcher = phonenumbers.PhoneNumberMatcher
    expected = [
        [m.raw_string for m in matcher(t, PHONE_REGION, leniency=phonenumbers.Leniency.VALID)] for t in texts
    ]
    assert [[m.raw_string for m in find_phones(t)] for t in texts] == expected
    assert sum(map(bool, expected)) > 50  # some of them are phones


def test_findings_show_values_masked():
    (email,) = scan_text("write to jan.kowalski@gmail.com", "sample")
    assert (email.kind, email.example) == ("email", "j***@g***.com")
    (phone,) = scan_text("call " + " or ".join(FOREIGN_PHONES), "sample")
    assert (phone.kind, phone.example, phone.values) == ("phone", "+44 ***58", 3)


# a published world in miniature: its dbt manifest and its tables -------------------------------------


def _column(name: str, **meta: str) -> dict:
    return {"name": name, "meta": {}, "config": {"meta": meta}, "constraints": []}


def _model(
    name: str, columns: list[dict], parents: tuple[str, ...] = (), schema: str = "marts", **extra
) -> dict:
    return {
        "unique_id": f"model.shop.{name}",
        "resource_type": "model",
        "name": name,
        "alias": name,
        "schema": schema,
        "columns": {c["name"]: c for c in columns},
        "depends_on": {"nodes": list(parents), "macros": []},
        **extra,
    }


MANIFEST = {
    "sources": {
        "source.shop.webshop.customers": {
            "unique_id": "source.shop.webshop.customers",
            "resource_type": "source",
            "source_name": "webshop",
            "name": "customers",
            "columns": {},  # the landing contract (ingestion/webshop/settings.py) names email and phone
        }
    },
    "nodes": {
        "model.shop.stg_shop__customers": _model(
            "stg_shop__customers",
            [
                _column("customer_id"),
                _column("email", pii="direct"),
                _column("phone", pii="direct"),
                _column("city", pii="quasi"),
            ],
            ("source.shop.webshop.customers",),
            schema="staging",
        ),
        "model.shop.fct_order_lines": _model(
            "fct_order_lines",
            [_column("order_line_key"), _column("order_line_id", pii="none", role="id"), _column("note")],
            primary_key=["order_line_key"],
        ),
        "model.shop.support_notes": _model(
            "support_notes",
            [
                _column("label"),
                _column("body", pii="free_text"),
                _column("customer_name", pii="direct"),
                _column("case_ref", pii="quasi", role="id"),  # a quasi-identifier is never an id
            ],
            primary_key=["label"],  # a key, not named like an id: its values are scanned
        ),
        "model.shop.customers": _model(
            "customers",
            [
                _column("customer_key", pii="pseudonymised", role="id"),
                _column("email"),  # upstream's e-mail under its own name: a finding whatever it holds
                _column("phone", pii="pseudonymised"),
                _column("city"),
                _column("contact"),
                _column("store_id"),
            ],
            ("model.shop.stg_shop__customers",),
        ),
        "model.shop.raw_copy": _model("raw_copy", [], ("source.shop.webshop.customers",)),
        "test.shop.relationships_customers_store_id": {
            "resource_type": "test",
            "test_metadata": {"name": "relationships", "kwargs": {}},
            "attached_node": "model.shop.customers",
            "column_name": "store_id",
            "depends_on": {"nodes": ["model.shop.customers"]},
        },
    },
}

TABLES = {
    "fct_order_lines": (
        "select md5(i::varchar) as order_line_key, (123456780 + i)::varchar as order_line_id,"
        " case when i = 1 then 'call back 123456789' else 'left at the door' end as note"
        " from range(1, 4) t(i)"
    ),
    "support_notes": (
        "select * from (values ('a', '+44 20 7946 0958', 'x', '601 234 567'), ('b', '+1 415 555 0100', 'y', 'k1'),"
        " ('c', 'call +61 2 9374 4000', 'z', 'k2'), ('d', 'no contact', 'x', 'k3'))"
        " t(label, body, customer_name, case_ref)"
    ),
    "customers": (
        "select md5('1') as customer_key, md5('jan@x.pl') as email, md5('601234567') as phone,"
        " 'Kraków' as city, 'jan.kowalski@gmail.com' as contact, '123456789' as store_id"
    ),
    "raw_copy": "select 48601234567::bigint as phone, 7 as orders",
    "not_in_dbt": "select '123456789' as ref",
}

EXPECTED = {
    ("fct_order_lines.note", "phone"),
    ("support_notes.body", "phone"),
    ("support_notes.customer_name", "direct"),
    ("support_notes.case_ref", "phone"),
    ("customers.email", "lineage"),
    ("customers.contact", "email"),
    ("raw_copy.phone", "lineage"),
    ("not_in_dbt.ref", "phone"),
}


def publish_tables(root: Path, tables: dict[str, str]) -> Path:
    (root / "parquet").mkdir(parents=True)
    with duckdb.connect(str(root / "marts.duckdb")) as con:
        for name, sql in tables.items():
            con.execute(f'create table "{name}" as {sql}')
            con.execute(f"copy \"{name}\" to '{root / 'parquet' / f'{name}.parquet'}' (format parquet)")
    return root


def test_classification_of_the_manifest():
    classification = load_classification(MANIFEST)
    assert classification.column("fct_order_lines", "order_line_id") == ColumnClass("none", "declared")
    assert classification.column("fct_order_lines", "order_line_key").id_basis == "primary key"
    assert classification.column("support_notes", "label").id_basis is None
    assert classification.column("support_notes", "case_ref") == ColumnClass("quasi", None)
    assert classification.column("customers", "store_id").id_basis == "relationships"
    assert classification.column("customers", "email").upstream == (
        ("stg_shop__customers.email", "direct"),
        ("webshop.customers.email", "direct"),
    )
    # a raw table's e-mail and phone columns come from its landing contract
    assert ("webshop.customers.phone", "direct") in classification.column("customers", "phone").upstream
    assert classification.column("raw_copy", "phone").upstream == (("webshop.customers.phone", "direct"),)
    assert classification.column("not_in_dbt", "ref") == ColumnClass()


def test_a_published_world_is_judged_by_classification_then_by_value(tmp_path):
    published = publish_tables(tmp_path / "published", TABLES)
    coverage = Coverage()
    findings = scan_published(published, coverage=coverage, classification=load_classification(MANIFEST))
    assert {(f.where, f.kind) for f in findings} == EXPECTED
    assert len(findings) == len(EXPECTED) == 8
    by_where = {f.where: f for f in findings}
    # a 9-digit id in a declared id column is not read; the same digits in free text are a phone
    assert coverage.by_classification["fct_order_lines.order_line_id"] == "id (declared)"
    assert "fct_order_lines.order_line_id" not in coverage.by_value
    assert by_where["fct_order_lines.note"].values == 1
    assert by_where["support_notes.body"].values == 3  # +44, +1, +61
    # the example is the first matching value in text order: the same in every scan
    assert by_where["support_notes.body"].example == "+1 ***00"
    # classified direct: a finding although "x", "y", "z" look harmless
    assert by_where["support_notes.customer_name"].basis == "classification"
    assert by_where["customers.email"].basis == "lineage"  # holds hashes, but under an upstream direct name
    assert by_where["raw_copy.phone"].basis == "lineage"  # a number column: only lineage sees it
    assert by_where["customers.contact"].example == "j***@g***.com"
    assert all(f.files == ("marts.duckdb", "parquet") for f in findings)
    # nothing raw in what is reported
    text = json.dumps([f.__dict__ for f in findings], default=str)
    assert not re.search(r"\d{4}", text.replace("marts.duckdb", "")) and "kowalski" not in text
    assert coverage.by_classification == {
        "fct_order_lines.order_line_key": "id (primary key)",
        "fct_order_lines.order_line_id": "id (declared)",
        "support_notes.customer_name": "direct",
        "customers.customer_key": "id (declared)",
        "customers.email": "lineage",
        "customers.store_id": "id (relationships)",
        "raw_copy.phone": "lineage",
    }
    assert coverage.by_value == {
        "fct_order_lines.note",
        "support_notes.label",
        "support_notes.body",
        "support_notes.case_ref",
        "customers.phone",
        "customers.city",
        "customers.contact",
        "not_in_dbt.ref",
    }
    assert (coverage.tables, coverage.parquet_files, coverage.columns) == (5, 5, 16)
    # not blocking: unclassified columns, of them one named like a personal column upstream
    assert coverage.unclassified == {
        "fct_order_lines.note",
        "support_notes.label",
        "customers.email",
        "customers.city",
        "customers.contact",
        "raw_copy.phone",
        "raw_copy.orders",
        "not_in_dbt.ref",
    }
    assert coverage.unclassified_upstream == {
        "customers.city": "stg_shop__customers.city (quasi)",
        "customers.email": "stg_shop__customers.email (direct), webshop.customers.email (direct)",
        "raw_copy.phone": "webshop.customers.phone (direct)",
    }
    assert coverage.personal == {
        "support_notes.body": "free_text",
        "support_notes.case_ref": "quasi",
        "customers.customer_key": "pseudonymised",
        "customers.phone": "pseudonymised",
    }


def test_an_unknown_level_is_reported_and_the_column_scanned(tmp_path):
    manifest = {
        "nodes": {"model.shop.t": _model("t", [_column("phone_note", pii="pseudonymized", role="id")])}
    }
    published = publish_tables(tmp_path / "published", {"t": "select 'call 601 234 567' as phone_note"})
    coverage = Coverage()
    findings = scan_published(published, coverage=coverage, classification=load_classification(manifest))
    assert [(f.where, f.kind) for f in findings] == [("t.phone_note", "phone")]
    assert coverage.invalid == {"t.phone_note": "pseudonymized"}


# the project's own classification and its published demo marts ---------------------------------------


def test_personal_columns_are_classified_and_stay_out_of_public_marts(dbt_manifest):
    manifest = json.loads(Path(dbt_manifest).read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    direct = {
        "email",
        "email_normalized",
        "phone",
        "phone_normalized",
        "first_name",
        "last_name",
        "requester_email",
        "requester_phone",
        "requester_name",
        "customer_email",
        "customer_phone",
    }
    for name, node in models.items():
        if node["schema"] == "staging":
            for column, spec in node["columns"].items():
                if column in direct:
                    meta = spec.get("config", {}).get("meta", {}) or spec.get("meta", {})
                    assert meta.get("pii"), (name, column)
        if node.get("access") == "public":
            assert not direct & set(node["columns"]), (name, direct & set(node["columns"]))


def test_the_marts_declare_their_ids_and_pseudonyms(dbt_manifest):
    classification = load_classification(dbt_manifest)
    assert not classification.invalid
    assert classification.column("fct_order_lines", "order_line_id") == ColumnClass("none", "declared")
    # record ids, identifier pseudonyms and raw cookie / device ids: personal (online), machine-made, so
    # not value-scanned (a dbt test guarantees the pseudonyms: test_raw_person_level_values_fail_...)
    assert classification.column("customer_identity_map", "entity_id") == ColumnClass("online", "declared")
    for table, columns in classification.columns.items():
        for name, spec in columns.items():
            assert spec.pii != "direct", f"{table}.{name}"
            if name in ("customer_key", "anonymous_id", "profile_key"):
                assert spec == ColumnClass("pseudonymised", "declared"), f"{table}.{name}"
            if re.search(r"(?:^|_)(?:id|key)$", name):  # every id-like column decided in the YAML
                assert spec.is_id or spec.pii, f"{table}.{name}"


@pytest.mark.e2e
def test_nothing_published_carries_personal_data(xs_world, dbt_manifest):
    paths = xs_world(7)
    report = render(paths)
    coverage = Coverage()
    findings = scan_published(published_dir(paths), report, coverage, load_classification(dbt_manifest))
    assert findings == [], findings[:5]
    # and the scan did look at every table and file
    parquet_files = list((published_dir(paths) / "parquet").glob("*.parquet"))
    assert len(parquet_files) >= 10 and coverage.parquet_files == len(parquet_files)
    assert coverage.tables == len(parquet_files) and coverage.distinct_values > 2_000
    assert coverage.by_classification["fct_order_lines.order_line_id"] == "id (declared)"
    assert coverage.by_classification["customer_identity_map.entity_id"] == "id (declared)"
    assert not coverage.unclassified_upstream and not coverage.invalid
    assert {c: lvl for c, lvl in coverage.personal.items() if lvl != "pseudonymised"} == {
        "customer_identity_map.entity_id": "online",
        "dim_customers.city": "quasi",
        "dim_customers.postal_code": "quasi",
        "dim_customers.birth_year": "quasi",
        "fct_sessions.geo_city": "quasi",
    }


@pytest.mark.e2e
def test_raw_person_level_values_fail_the_identity_map_test(xs_world, tmp_path):
    """customer_identity_map.entity_id is not value-scanned (its values are machine-made: a 7-digit order
    number can pass for a phone number); the dbt test that every e-mail, phone and card in it is a
    pseudonym passes on a built world, and fails on a copy where two of them are raw."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(xs_world(7).warehouse, warehouse)
    select = ("test", "--select", "identity_map_values_are_pseudonymised")
    run = dbt(warehouse, *select, target=tmp_path / "target")
    assert run.returncode == 0 and run.results[select[-1]] == "pass", run.stdout
    with duckdb.connect(str(warehouse)) as con:
        kept = con.execute(
            """select count(*) from marts.customer_identity_map
               where entity_kind = 'identifier' and entity_type in ('email', 'phone', 'customer_id')"""
        ).fetchone()[0]
        assert kept > 3
        # a raw phone and a raw e-mail where their pseudonyms were; a customer id stays as it is (allowed)
        for kind, raw in (("phone", "+48600100200"), ("email", "anna.nowak@example.com")):
            con.execute(
                f"""update marts.customer_identity_map set entity_id = ? where identity_map_key = (
                        select min(identity_map_key) from marts.customer_identity_map
                        where entity_kind = 'identifier' and entity_type = '{kind}')""",
                [raw],
            )
    run = dbt(warehouse, *select, target=tmp_path / "target")
    assert run.returncode != 0 and run.results[select[-1]] == "fail"
    assert "Got 2 results" in run.stdout, run.stdout[-2000:]


# --- the pseudonymisation key -------------------------------------------------------------------------------
@pytest.mark.e2e
@pytest.mark.parametrize("seed", (7, 8))
def test_no_file_the_build_writes_holds_the_key(xs_world, seed):
    """The key made the pseudonyms of the build (HMAC-SHA256), yet no file under the data directory (but
    the key file itself) or under dbt/target holds it: not compiled SQL, manifest, partial-parse cache,
    run_results, dbt.log, dlt's packages, Dagster's storage, the warehouse or what was published."""
    from omni.pseudonymisation import KEY_FILE, key_file, load_key, pseudonym
    from omni.settings import DBT_PROJECT_DIR
    from tests.support import rows
    from tests.test_erasure import byte_search

    paths = xs_world(seed)
    key = load_key(paths.data_dir)
    assert key == key_file(paths.data_dir).read_text().strip().encode()
    published = {
        entity_id
        for (entity_id,) in rows(
            paths,
            """select entity_id from marts.customer_identity_map
               where entity_kind = 'identifier' and entity_type in ('email', 'phone')""",
        )
    }
    values = rows(
        paths,
        """select distinct identifier_value from intermediate.int_identity__identifiers
           where identifier_type in ('email', 'phone')""",
    )
    assert len(published) > 50 and published <= {pseudonym(key, v) for (v,) in values}
    pattern = {"key": re.compile(re.escape(key))}
    assert byte_search(paths.data_dir, pattern, skip=(KEY_FILE.as_posix(),)) == {}
    for folder in ("target", "logs"):
        assert byte_search(DBT_PROJECT_DIR / folder, pattern) == {}, folder


def test_each_installation_gets_its_own_key(tmp_path, monkeypatch):
    import stat

    from omni.pseudonymisation import key_file, load_key

    monkeypatch.delenv("OMNI_PSEUDONYMISATION_KEY", raising=False)
    monkeypatch.delenv("OMNI_ENV", raising=False)
    first, second = load_key(tmp_path / "a"), load_key(tmp_path / "b")
    assert first != second and len(first) == len(second) == 64
    assert load_key(tmp_path / "a") == first  # reused, not made again
    assert stat.S_IMODE(key_file(tmp_path / "a").stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file(tmp_path / "a").parent.stat().st_mode) == 0o700
    # a key from the environment wins over the file
    monkeypatch.setenv("OMNI_PSEUDONYMISATION_KEY", "k" * 40)
    assert load_key(tmp_path / "a") == b"k" * 40


def test_weak_keys_and_unsafe_key_files_are_refused(tmp_path, monkeypatch):
    from omni.pseudonymisation import PseudonymisationKeyError, key_file, load_key

    monkeypatch.delenv("OMNI_ENV", raising=False)
    for weak, says in (("omni-development-key", "published with the code"), ("short", "fewer than 32")):
        monkeypatch.setenv("OMNI_PSEUDONYMISATION_KEY", weak)
        with pytest.raises(PseudonymisationKeyError, match=says):
            load_key(tmp_path)
    monkeypatch.delenv("OMNI_PSEUDONYMISATION_KEY")
    load_key(tmp_path)
    key_file(tmp_path).chmod(0o644)
    with pytest.raises(PseudonymisationKeyError, match="readable by others"):
        load_key(tmp_path)


def test_production_without_a_key_fails_clearly(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    from omni.dbt_plugin import Plugin
    from omni.pseudonymisation import PseudonymisationKeyError, key_file, load_key

    monkeypatch.delenv("OMNI_PSEUDONYMISATION_KEY", raising=False)
    monkeypatch.setenv("OMNI_ENV", "production")
    with pytest.raises(
        PseudonymisationKeyError, match="OMNI_ENV=production and OMNI_PSEUDONYMISATION_KEY is not set"
    ):
        load_key(tmp_path)
    assert not key_file(tmp_path).exists()  # nothing generated in production
    # dbt's plugin refuses too, whoever runs dbt
    plugin = Plugin.__new__(Plugin)
    plugin.creds = type("Creds", (), {"path": str(tmp_path / "warehouse.duckdb")})()
    with pytest.raises(PseudonymisationKeyError), duckdb.connect() as con:
        plugin.configure_connection(con)
    # and `omni build` stops before any step, with one line that says what to set
    env = {k: v for k, v in os.environ.items() if k != "OMNI_PSEUDONYMISATION_KEY"} | {
        "OMNI_ENV": "production"
    }
    done = subprocess.run(
        [sys.executable, "-m", "omni.cli", "build", "--data-dir", str(tmp_path / "data")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "OMNI_PSEUDONYMISATION_KEY is not set" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()
    # with a key in the environment, production builds use it
    monkeypatch.setenv("OMNI_PSEUDONYMISATION_KEY", "p" * 48)
    assert load_key(tmp_path) == b"p" * 48
