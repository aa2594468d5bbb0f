"""`omni generate --append-days N`: a generated world continued by whole export days (docs/truth.md).

xs worlds only, no warehouse build: the appended files, their ids, what each day plants and truth/ are
checked against one another.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from devtools.cli import commands
from devtools.generate import append_days, generate

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.parts[len(root.parts)] in ("landing", "truth")
    }


@pytest.fixture(scope="module", params=[7, 8], ids=lambda s: f"seed{s}")
def worlds(request, tmp_path_factory):
    """The base world of a seed, and copies continued by two days at once and by one day twice."""
    root = tmp_path_factory.mktemp(f"append{request.param}")
    base = root / "base"
    generate(base, "xs", request.param)
    two, one_one = root / "two", root / "one_one"
    shutil.copytree(base, two)
    shutil.copytree(base, one_one)
    append_days(two, 2)
    append_days(one_one, 1)
    append_days(one_one, 1)
    return base, two, one_one


def new_files(base: Path, grown: Path) -> list[str]:
    before = set(digest(base))
    return sorted(f for f in digest(grown) if f not in before)


def test_appends_write_only_files_of_days_after_the_last_export_day(worlds):
    base, two, _ = worlds
    meta = json.loads((two / "truth" / "world.json").read_text())
    last = meta["base_last_export_day"]
    assert meta["appended_days"] == 2
    landed = [f for f in new_files(base, two) if f.startswith("landing/")]
    days = {DATE.search(f).group(0) for f in landed}
    assert days == {"2026-11-01", "2026-11-02"} and min(days) > last
    # every file of the exported period keeps its bytes
    before, after = digest(base), digest(two)
    assert all(after[f] == h for f, h in before.items() if f.startswith("landing/"))


def test_one_day_twice_gives_the_same_files_as_two_days_at_once(worlds):
    _, two, one_one = worlds
    assert digest(two) == digest(one_one)


def events(root: Path, pattern: str = "events_*.jsonl") -> list[dict]:
    return [
        json.loads(line)
        for p in sorted((root / "landing" / "events").glob(pattern))
        if not p.stem.endswith("_resend")
        for line in p.read_text(encoding="utf-8").splitlines()
        if _valid(line)  # the truncated lines planted in the exported period are no events
    ]


def _valid(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_ids_continue_and_never_collide(worlds):
    base, two, _ = worlds
    for name, key in (("events.csv", "event_id"), ("orders.csv", "order_id"), ("tickets.csv", "ticket_id")):
        ids = [r[key] for r in rows(two / "truth" / name)]
        assert len(ids) == len(set(ids)), name
        old = {r[key] for r in rows(base / "truth" / name)}
        assert old <= set(ids), name
    web_old = [
        int(r["order_id"]) for r in rows(base / "truth" / "orders.csv") if r["source_system"] == "webshop"
    ]
    web_new = [
        int(r["order_id"])
        for r in rows(two / "truth" / "orders.csv")
        if r["source_system"] == "webshop" and r["placed_at"] >= "2026-11-01"
    ]
    assert min(web_new, default=max(web_old) + 1) > max(web_old)
    new_orders = [r for r in rows(two / "truth" / "orders.csv") if r["placed_at"] >= "2026-11-01"]
    assert new_orders


def test_truth_covers_exactly_the_landed_events(worlds):
    _, two, _ = worlds
    landed = [e["event_id"] for e in events(two)]
    truth = [r["event_id"] for r in rows(two / "truth" / "events.csv")]
    assert len(truth) == len(set(truth))
    assert sorted(set(landed)) == sorted(truth)


def test_each_appended_day_plants_late_events_a_login_and_a_correction(worlds):
    _, two, _ = worlds
    planted = json.loads((two / "truth" / "planted.json").read_text())
    for day in ("2026-11-01", "2026-11-02"):
        name = f"events/events_{day}.jsonl"
        day_events = events(two, f"events_{day}.jsonl")
        late = [e for e in day_events if e["event_at"][:10] < day]
        listed = [x for x in planted["late_events"] if x["file"] == name]
        assert late and sorted(e["event_id"] for e in late) == sorted(x["event_id"] for x in listed)
        links = [x for x in planted["profile_links"] if x["file"] == name]
        assert len(links) == 1
        link = links[0]
        cookie, account = (r["record_id"] for r in link["records"])
        earlier = [e for e in events(two) if e["cookie_id"] == cookie and e["received_at"][:10] < day]
        # the browser was seen before and never logged in; now it logs in to the person's account
        assert earlier and all(e["user_id"] is None for e in earlier)
        login = [e for e in day_events if e["event_id"] == link["event_id"]]
        assert login[0]["event_name"] == "login" and login[0]["user_id"] == account
        person = {r["person_id"]: r for r in rows(two / "truth" / "persons.csv")}[link["person_id"]]
        assert person["customer_id"] == account
        owners = {r["event_id"]: r["person_id"] for r in rows(two / "truth" / "events.csv")}
        assert {owners[e["event_id"]] for e in earlier} == {link["person_id"]}
        fixes = [c for c in planted["corrected_records"] if c["file"] == f"webshop/orders/orders_{day}.json"]
        assert len(fixes) == 1
        fix = fixes[0]
        docs = json.loads((two / "landing" / fix["file"]).read_text())["orders"]
        new = [o for o in docs if o["id"] == fix["id"] and o["updated_at"] == fix["updated_at"]]
        assert len(new) == 1 and new[0]["total_price"] == fix["new_value"] != fix["old_value"]
        old = json.loads((two / "landing" / fix["previous_file"]).read_text())["orders"]
        versions = [o for o in old if o["id"] == fix["id"]]
        assert versions and max(o["updated_at"] for o in versions) < fix["updated_at"]
        orders = {r["order_id"]: r for r in rows(two / "truth" / "orders.csv")}
        assert float(orders[str(fix["id"])]["total_pln"]) == pytest.approx(fix["new_value"])


def test_aggregate_truth_counts_everything_exported(worlds):
    base, two, _ = worlds
    orders = rows(two / "truth" / "orders.csv")
    kpis = json.loads((two / "truth" / "kpis.json").read_text())
    assert kpis["orders"]["value"] == len(orders) > len(rows(base / "truth" / "orders.csv"))
    persons = rows(two / "truth" / "persons.csv")
    assert sum(int(p["orders"]) for p in persons) == len(orders)
    # the kept planted keys of the exported period are unchanged
    before = json.loads((base / "truth" / "planted.json").read_text())
    after = json.loads((two / "truth" / "planted.json").read_text())
    for key in ("corrupt_rows", "duplicate_files", "price_inconsistencies", "stock_mismatches"):
        assert after[key] == before[key]


def test_append_refuses_a_directory_without_a_world(tmp_path):
    result = CliRunner().invoke(commands, ["generate", "--data-dir", str(tmp_path), "--append-days", "1"])
    assert result.exit_code != 0
    assert "world.json" in result.output
