"""Every seed builds: the rows the generator plants as corrupt, and nothing else, break the landing contract.

Many xs worlds are generated (generation only) and every landing file of every source table is read by
the ingestion reader, the way the loader reads it (one copy of a re-delivered file, CSV files grouped by
header). What the reader quarantines must be exactly `truth/planted.json`'s `corrupt_rows`, each for the
reason recorded and that reason only; every other row loads. The worlds are read together, one query per
table and header, so that reading stays cheap.
"""

from __future__ import annotations

import collections
import hashlib
import importlib
import json
import re
from pathlib import Path

import pytest

from ingestion import SOURCE_NAMES
from ingestion.common import filedrop
from ingestion.common.filedrop import csv_header, json_extra_keys
from ingestion.pos.settings import RECEIPT_LINES

# 5151 planted its "negative quantity on a SALE" on a RETURN line, which loaded; the others are the
# seeds other tests build, and random ones
SEEDS = (5151, 7, 8, 9, 11, 42, 271, 1009, 2024, 31337, 65535, 86420)
# planted reason -> the contract's wording of it, where they differ
CONTRACT_WORDING = {"negative quantity on a SALE": "quantity sign does not match transaction_type"}
PLANTED_PER_WORLD = {
    "unparseable receipt_datetime": 1,
    "negative quantity on a SALE": 1,
    "missing receipt_id": 1,
    "malformed JSON line": 2,
}
RECEIPT_ID = re.compile(r"(?P<store>[^-]+)-(?P<day>\d{8})-\d{5}")
EVENT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def contract_tables():
    for source in SOURCE_NAMES:
        for table in importlib.import_module(f"ingestion.{source}.settings").TABLES:
            yield source, table


def read(table, paths, extra, header, root):
    """(loaded rows, quarantined rows, values flagged): where the reader NULLs bad optional values (with a
    finding) instead of quarantining their row, the flagged values too; none are expected."""
    with_findings = getattr(filedrop, "read_batch_with_findings", None)
    if with_findings is not None:
        good, bad, findings, *_ = with_findings(table, paths, extra, header, root)
        return good, bad, findings.num_rows
    good, bad, *_ = filedrop.read_batch(table, paths, extra, header, root)
    return good, bad, 0


def rows_in(table, path: Path) -> int:
    """Rows a landing file holds, counted without the ingestion reader."""
    data = path.read_bytes()
    if table.format == "csv":
        return len(data.splitlines()) - 1  # no value holds a line break (the generator makes sure)
    if table.format == "jsonl":
        return sum(1 for line in data.split(b"\n") if line.strip())
    records = json.loads(data)[table.root]
    if table.child_list:
        return sum(len(r.get(table.child_list) or []) for r in records)
    return len(records)


def record_key(record: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The primary key of a quarantined record (JSON text, or the start of a truncated JSON line)."""
    try:
        fields = json.loads(record)
    except json.JSONDecodeError:
        fields = {k: m.group(1) for k in keys if (m := re.search(rf'"{k}"\s*:\s*"([^"]*)"', record))}
    return tuple("" if fields.get(k) is None else str(fields[k]) for k in keys)


@pytest.fixture(scope="module")
def worlds(tmp_path_factory, generated):
    """Every seed's world under one root (links to the session's generated worlds); the root, the planted
    rows, and per table what was read:
    {(source, table): (table, loaded rows, quarantined rows, rows in the files, values flagged)}."""
    root = tmp_path_factory.mktemp("planted")
    planted = {}
    for seed, folder in generated.many(SEEDS).items():
        (root / str(seed)).symlink_to(folder, target_is_directory=True)
        planted[seed] = json.loads((root / str(seed) / "truth" / "planted.json").read_text())["corrupt_rows"]
    read_back = {}
    for source, table in contract_tables():
        files = []
        for seed in SEEDS:
            seen = set()
            for path in sorted((root / str(seed) / "landing" / source).glob(table.glob)):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                if digest not in seen:  # a re-delivered copy is a duplicate: the loader skips it
                    seen.add(digest)
                    files.append(path)
        assert files, f"no {source}.{table.name} files"
        headers = {p: csv_header(p, table) for p in files} if table.format == "csv" else {}
        groups = collections.defaultdict(list)
        for path in files:
            groups[tuple(headers.get(path, ()))].append(path)
        good, bad, flagged = [], [], 0
        for group in groups.values():
            # as the loader's _read_group: the union of the group's headers, unknown columns as extras
            header = frozenset(h for p in group for h in headers.get(p, ()))
            if table.format == "csv":
                extra = tuple(sorted(header - {c.name for c in table.columns}))
            else:
                extra = json_extra_keys(table, group)
            g, b, f = read(table, group, extra, header, root)
            good.append(g.select(["_source_file", *table.primary_key]).to_pylist())
            bad.append(b.to_pylist())
            flagged += f
        read_back[source, table.name] = (
            table,
            [r for rows in good for r in rows],
            [r for rows in bad for r in rows],
            sum(rows_in(table, p) for p in files),
            flagged,
        )
    return root, planted, read_back


def planted_key(row: dict) -> tuple[str, ...]:
    """A planted row's primary key, as `record_key` gives it (till lines: receipt_id, line_no)."""
    if "event_id" in row:
        return (row["event_id"],)
    return (row["receipt_id"], str(row["line_no"]))


def split(source_file: str) -> tuple[int, str]:
    """`<seed>/landing/<file>` -> (seed, file relative to landing/)."""
    seed, landing, file = source_file.split("/", 2)
    assert landing == "landing", source_file
    return int(seed), file


def test_every_world_plants_the_same_corrupt_rows(worlds):
    _, planted, _ = worlds
    for seed in SEEDS:
        reasons = collections.Counter(row["reason"] for row in planted[seed])
        assert reasons == PLANTED_PER_WORLD, (seed, planted[seed])
    assert CONTRACT_WORDING["negative quantity on a SALE"] in {rule[0] for rule in RECEIPT_LINES.checks}


def test_the_reader_quarantines_exactly_the_planted_rows(worlds):
    _, planted, read_back = worlds
    quarantined = collections.Counter()
    reasons = {}
    for (source, name), (table, _, bad, _, _) in read_back.items():
        for row in bad:
            assert row["_record"] is not None, (source, name, row)  # a row, not a whole unreadable file
            seed, file = split(row["_source_file"])
            key = (seed, file, record_key(row["_record"], table.primary_key))
            quarantined[key] += 1
            reasons[key] = row["_reason"]
    expected = {
        (seed, row["file"], planted_key(row)): row["reason"] for seed in SEEDS for row in planted[seed]
    }
    assert set(quarantined) == set(expected), (
        f"quarantined, not planted: {sorted(set(quarantined) - set(expected))[:5]}; "
        f"planted, not quarantined: {sorted(set(expected) - set(quarantined))[:5]}"
    )
    assert sum(quarantined.values()) == len(expected) == len(SEEDS) * sum(PLANTED_PER_WORLD.values())
    for key, planted_reason in expected.items():
        # broken for exactly the reason recorded: one reason, the planted one in the contract's words
        broken = reasons[key].split("; ")
        wording = CONTRACT_WORDING.get(planted_reason, planted_reason)
        assert len(broken) == 1 and (planted_reason in broken[0] or wording in broken[0]), (key, reasons[key])


def test_every_other_row_loads(worlds):
    _, _, read_back = worlds
    for (source, name), (_, good, bad, in_files, flagged) in read_back.items():
        assert len(good) + len(bad) == in_files, (source, name, len(good), len(bad), in_files)
        assert flagged == 0, f"{source}.{name}: {flagged} values broke the contract"
    counts = {key: len(bad) for key, (_, _, bad, _, _) in read_back.items() if bad}
    assert counts == {("pos", "receipt_lines"): 3 * len(SEEDS), ("events", "events"): 2 * len(SEEDS)}


def test_planted_till_lines_look_like_real_ones(worlds):
    """A planted till line is a SALE line with the id shape of its file's receipts (the missing-id one
    aside): a further line of a real receipt, whose own lines load."""
    _, planted, read_back = worlds
    _, good, bad, _, _ = read_back["pos", "receipt_lines"]
    loaded = {(split(r["_source_file"]), r["receipt_id"], r["line_no"]) for r in good}
    records = {}
    for row in bad:
        fields = json.loads(row["_record"])
        records[split(row["_source_file"]), fields["receipt_id"] or "", fields["line_no"]] = fields
    for seed in SEEDS:
        for row in (r for r in planted[seed] if "receipt_id" in r):
            record = records[(seed, row["file"]), row["receipt_id"], str(row["line_no"])]
            assert record["transaction_type"] == "SALE", (seed, row, record)
            if row["reason"] == "missing receipt_id":
                assert row["receipt_id"] == "", row
                continue
            store, day = re.fullmatch(r"pos/([^/]+)/pos_\1_(\d{4}-\d{2}-\d{2})\.csv", row["file"]).groups()
            shape = RECEIPT_ID.fullmatch(row["receipt_id"])
            assert shape and shape["store"] == store and shape["day"] == day.replace("-", ""), row
            earlier = {n for (f, rid, n) in loaded if f == (seed, row["file"]) and rid == row["receipt_id"]}
            assert earlier == set(range(1, row["line_no"])), (seed, row, earlier)


def test_truncated_event_lines(worlds):
    """Two clickstream lines cut short: the last line of their file, not JSON, with a fresh event id."""
    root, planted, read_back = worlds
    _, good, _, _, _ = read_back["events", "events"]
    loaded_ids = {r["event_id"] for r in good}
    for seed in SEEDS:
        truncated = [r for r in planted[seed] if "event_id" in r]
        assert len(truncated) == 2, (seed, truncated)
        for row in truncated:
            assert EVENT_ID.fullmatch(row["event_id"]), row
            assert row["event_id"] not in loaded_ids, row
            last = (root / str(seed) / "landing" / row["file"]).read_text(encoding="utf-8").splitlines()[-1]
            assert last.startswith('{"event_id":"' + row["event_id"] + '",'), (row, last)
            with pytest.raises(json.JSONDecodeError):
                json.loads(last)
