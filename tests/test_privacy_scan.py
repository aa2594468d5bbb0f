"""The value scan of omni/privacy.py in DuckDB: its SQL pre-filter lets through every value Python would
judge personal, and batches and a tight memory limit change nothing in the findings or the coverage."""

from __future__ import annotations

import random
import string

import duckdb
import pyarrow as pa
import pytest

from omni.privacy import CANDIDATE_SQL, Coverage, _matches, load_classification, scan_published
from tests.test_privacy import publish_tables

# digits of several scripts (ASCII, Arabic-Indic, Devanagari, fullwidth), letters, separators, `@`
DIGITS = "0123456789" + "٠١٢٣٤٥٦٧٨٩" + "०१२३४५६७८९" + "０１２３４５６７８９"
PIECES = (
    *[string.ascii_letters] * 3,
    DIGITS,
    " -./()+\n\t,;",
    "@",
    "xtXT",
    "äöüłżść",
)


def random_texts(seed: int, count: int) -> list[str]:
    """Texts made of runs of digits, letters and separators, with addresses and numbers planted in some."""
    rng = random.Random(seed)
    planted = ("ola.z@poczta.example", "+48 512 000 111", "00 44 20 7946 0958", "(22) 555 01 02", "x@y.zz")
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 6)):
            alphabet = rng.choice(PIECES)
            parts.append("".join(rng.choices(alphabet, k=rng.randint(1, 9))))
        if rng.random() < 0.2:
            parts.insert(rng.randint(0, len(parts)), rng.choice(planted))
        texts.append("".join(parts))
    return texts


def candidates(texts: list[str]) -> set[str]:
    with duckdb.connect() as con:
        table = pa.table({"v": pa.array(texts, pa.string())})
        con.register("texts", table)
        con.execute("create table t as select v from texts")
        return {v for (v,) in con.execute(f"select v from t where {CANDIDATE_SQL}").fetchall()}


def test_the_sql_prefilter_lets_through_every_value_python_judges_personal():
    texts = random_texts(11, 6000)
    passed = candidates(texts)
    personal = [t for t in texts if _matches(t)]
    assert len(personal) > 300  # the sample holds personal values
    assert [t for t in personal if t not in passed] == []
    # and it keeps most of what cannot be personal away from Python
    assert len(passed) < len(set(texts)) * 0.9
    assert not candidates(["0d41e8c9bb5a31f2c4e4f1b2a8d90c3e", "12345", "S12-99.7", "a-b c", ""])


def reference_scan(values: list[str | None]) -> tuple[dict[str, tuple[str, int]], int]:
    """What a scan of every distinct value in Python finds in a column: kind -> (first example in text
    order, matching values); and how many distinct values there are."""
    distinct = sorted({v for v in values if v is not None})
    found: dict[str, list[str]] = {}
    for value in distinct:
        for kind, masked in _matches(value).items():
            found.setdefault(kind, []).append(masked[0])
    return {kind: (masked[0], len(masked)) for kind, masked in found.items()}, len(distinct)


def test_batches_and_a_tight_memory_limit_change_nothing(tmp_path):
    texts = random_texts(5, 4000)
    rng = random.Random(3)
    rows = [(i, texts[i % len(texts)] if i % 17 else None, rng.choice(texts)) for i in range(12_000)]
    published = tmp_path / "published"
    (published / "parquet").mkdir(parents=True)
    with duckdb.connect(str(published / "marts.duckdb")) as con:
        columns = list(zip(*rows, strict=True))
        table = pa.table({"n": columns[0], "body": pa.array(columns[1], pa.string()), "tag": columns[2]})
        con.register("rows", table)
        con.execute("create table notes as select n::bigint as n, body, tag from rows")
        con.execute(f"copy notes to '{published / 'parquet' / 'notes.parquet'}' (format parquet)")
    manifest = load_classification({"nodes": {}})

    expected = {}
    distinct_values = 0
    for index, column in ((1, "body"), (2, "tag")):
        found, distinct = reference_scan([row[index] for row in rows])
        distinct_values += 2 * distinct  # the DuckDB file and the Parquet file
        expected.update({(f"notes.{column}", kind): hit for kind, hit in found.items()})
    assert {kind for _, kind in expected} == {"email", "phone"}

    results = []
    for batch_rows, memory_limit in ((10_000, "1GB"), (1, "1GB"), (7, "20MB")):
        coverage = Coverage()
        findings = scan_published(
            published,
            coverage=coverage,
            classification=manifest,
            batch_rows=batch_rows,
            memory_limit=memory_limit,
        )
        assert {(f.where, f.kind): (f.example, f.values) for f in findings} == expected
        assert all(f.files == ("marts.duckdb", "parquet") for f in findings)
        assert (coverage.columns, coverage.distinct_values) == (4, distinct_values)
        results.append((findings, coverage))
    assert results[0] == results[1] == results[2]


def test_a_batch_holds_at_least_one_value(tmp_path):
    published = publish_tables(tmp_path / "published", {"t": "select 'a' as x"})
    with pytest.raises(ValueError, match="batch_rows"):
        scan_published(published, classification=load_classification({"nodes": {}}), batch_rows=0)


def test_a_stamped_table_is_value_scanned_in_the_rows_written_since_the_last_clean_scan(tmp_path):
    """`scanned` names the stamp up to which a table was scanned clean: its values are scanned only in rows
    with a newer stamp, in the DuckDB file and the Parquet file; a table without stamps is scanned whole."""
    published = publish_tables(
        tmp_path / "published",
        {
            "notes": "select * from (values (1, 'call +48 512 000 111', 100::bigint), "
            "(2, 'ok', 100), (3, 'write to ola.z@poczta.example', 200), (4, 'fine', 200)) "
            "as t(n, body, _omni_batch)",
            "plain": "select 'x@y.zz' as body",
        },
    )
    classification = load_classification({"nodes": {}})

    def scan(scanned):
        coverage = Coverage()
        findings = scan_published(
            published, coverage=coverage, classification=classification, scanned=scanned
        )
        return {(f.where, f.kind) for f in findings}, coverage

    every, coverage = scan(None)
    assert every == {("notes.body", "phone"), ("notes.body", "email"), ("plain.body", "email")}
    assert coverage.newest == {"notes": "200"} and coverage.scanned_since == {}
    assert coverage.distinct_by_table == {"notes": 8, "plain": 2}  # both copies of each table

    since_first, coverage = scan({"notes": "100"})
    assert since_first == {("notes.body", "email"), ("plain.body", "email")}
    assert coverage.scanned_since == {"notes": "100"}
    assert coverage.distinct_by_table == {"notes": 4, "plain": 2}

    nothing_new, _ = scan({"notes": "200", "plain": "200"})
    assert nothing_new == {("plain.body", "email")}  # no stamp: whole
