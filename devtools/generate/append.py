"""Continue a generated world by whole export days (`omni generate --append-days N`, docs/truth.md).

The exported period is simulated and rendered again in memory from the size and seed in truth/world.json
(nothing of it is written again). Each appended day is a world of its own over the same people, browsers
and devices, drawn from a random stream of (seed, day): the same appends give the same bytes whether the
days come one call at a time or all at once. Its records are numbered after everything exported before
it, and only files named by that day are written. Each day also plants late clickstream events of earlier
days, a login that ties a so far anonymous browser to its account, and a corrected re-export of a web
order. truth/ is then written again over everything exported so far.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from devtools.generate import (
    WORLD_FILE,
    BaseWorld,
    GenerateStats,
    keep_large_allocations_returnable,
    render,
    simulate,
    write_world_file,
)
from devtools.generate.activity import DAY, HOUR, Tables, World
from devtools.generate.marketing import ADS_CAMPAIGNS, NEVER, build_messages
from devtools.generate.people import e164
from devtools.generate.render import WEBSHOP_ORDER_BASE, Renderer
from devtools.generate.truth import write_truth

# what the exported period planted, kept as truth/planted.json lists it
BASE_PLANTED = ("corrupt_rows", "duplicate_files", "price_inconsistencies", "stock_mismatches")
TABLES = ("order", "receipt", "checkout", "ad_click", "ticket", "survey")
STREAMS = ("activity", "consent", "marketing", "render", "identity", "plant")
# an appended day's streams: (seed, DAY_STREAM + day index, stream)
DAY_STREAM = 1000
LATE_SESSIONS = 2


class NoWorldError(Exception):
    """The data directory holds no world written by `omni generate`."""


def append_days(data_dir: Path, n: int, progress: Callable[[str], None] | None = None) -> GenerateStats:
    if n < 1:
        raise ValueError("append at least one day")
    say = progress or (lambda _msg: None)
    started = time.perf_counter()
    keep_large_allocations_returnable()
    truth_dir = data_dir / "truth"
    meta_path = truth_dir / WORLD_FILE
    if not meta_path.is_file():
        raise NoWorldError(f"{meta_path} not found: {data_dir} holds no world written by `omni generate`")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    size, seed, done = meta["size"], int(meta["seed"]), int(meta["appended_days"])
    start = np.datetime64(meta["period_start"], "D")
    first = int((np.datetime64(meta["base_last_export_day"], "D") - start).astype(int)) + 1
    planted_before = json.loads((truth_dir / "planted.json").read_text(encoding="utf-8"))

    say("the exported period, again in memory")
    base = simulate(size, seed, say)
    world = base.world
    merged = _Merged(base)
    r = Renderer(world, data_dir, say)
    r.write = False
    r.events_truth_path = os.devnull
    try:
        render(r, base, say)
    finally:
        r.close()
    merged.add_world(world, world.horizon)
    merged.add_renderer(r)
    rows: dict[str, int] = {}
    files = 0
    with tempfile.TemporaryDirectory(prefix="omni-append-") as scratch:
        day_events = []
        for j in range(done + n):
            d = first + j
            date = str(start + np.timedelta64(d, "D"))
            write = j >= done
            say(f"day {date}" + ("" if write else " (exported before, again in memory)"))
            rr = _day(merged, base, r, data_dir, seed, d, date, write, Path(scratch))
            day_events.append(Path(scratch) / f"events_{d}.csv")
            if write:
                files += rr.files
                for k, v in rr.rows.items():
                    if not k.startswith("reference.") or k in ("reference.prices", "reference.stock_levels"):
                        rows[k] = rows.get(k, 0) + v
        say("truth")
        _events_truth(truth_dir / "events.csv", int(meta["base_events_csv_bytes"]), day_events)
    mworld, mr, planted_marketing = merged.finish(r, first + done + n)
    mr.planted = {k: planted_before[k] for k in BASE_PLANTED if k in planted_before}
    mr.planted.update(merged.planted_lists(data_dir, start, first, done + n))
    write_truth(mr, mworld, merged.consents, planted_marketing)
    last = str(start + np.timedelta64(first + done + n - 1, "D"))
    write_world_file(
        data_dir,
        size,
        seed,
        world,
        base_last_export_day=meta["base_last_export_day"],
        base_events_csv_bytes=meta["base_events_csv_bytes"],
        appended_days=done + n,
        last_export_day=last,
    )
    return GenerateStats(
        size=size,
        seed=seed,
        persons=len(world.people),
        rows_by_source=dict(sorted(rows.items())),
        files=files,
        seconds=round(time.perf_counter() - started, 2),
    )


class _Merged:
    """What truth/ needs of the exported period and every appended day, gathered day after day."""

    def __init__(self, base: BaseWorld) -> None:
        w = base.world
        self.world = w
        self.people = w.people
        sessions = w.t.chunks["session"][0]
        self.sessions = [_slim_sessions(sessions)]
        self.session_order = [w.t.get("session_order")]
        m = base.messages
        # the sends of a coupon (what planted.json counts the duplicate coupons from)
        self.sends = [_coupon_sends(m)]
        self.n_messages = int(base.planted["n_messages"])
        self.consents = base.consents
        self.consent_violations = base.planted["consent_violations"]
        self.counters = dict(w.t.counters)
        self.tables: dict[str, list[pd.DataFrame]] = {k: [] for k in TABLES}
        self.truth: dict[str, list[pd.DataFrame]] = {}
        self.session_frames: list[pd.DataFrame] = []
        self.touches: list[pd.DataFrame] = []
        self.second: list[pd.DataFrame] = []
        self.receipt_ids: list[pd.Series] = []
        self.offsets: dict[str, int] = {}
        self.corrections: list[dict] = []
        self.logins: list[dict] = []

    def add_world(self, w: World, horizon: int) -> None:
        for kind in TABLES:
            for part in w.t.chunks.get(kind, []):
                # a ticket solved after its export day was exported open, and stays so
                frame = (
                    part.assign(solved=np.where(part["solved"] < horizon, part["solved"], NEVER))
                    if kind == "ticket"
                    else part
                )
                if len(frame):
                    self.tables[kind].append(frame)
        self.counters = dict(w.t.counters)

    def add_renderer(self, r: Renderer) -> None:
        for name, frame in r.truth.items():
            self.truth.setdefault(name, []).append(frame)
        r.truth = {}  # held here from now on
        sessions = self.sessions[-1].sort_values(["t", "session"], kind="stable")
        self.session_frames.append(r.session_frame.assign(session=sessions["session"].to_numpy()))
        if hasattr(r, "message_touches"):
            self.touches.append(r.message_touches)
        self.second.append(r.second_address_orders)
        self.receipt_ids.append(getattr(r, "receipt_id_of", pd.Series(dtype=object)))
        # held here from now on
        r.session_frame = r.message_touches = r.second_address_orders = r.receipt_id_of = None
        self.offsets = {
            "ticket": sum(len(f) for f in self.truth.get("tickets", [])),
            "survey": sum(len(f) for f in self.truth.get("survey_responses", [])),
            "return": sum(len(f) for f in self.truth.get("returns_webshop", [])),
            "consent": sum(len(f) for f in self.truth.get("consent_events", [])),
        }

    def table(self, kind: str) -> pd.DataFrame:
        parts = self.tables[kind]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def recent(self, kind: str, lo: int, hi: int) -> pd.DataFrame:
        """The records of `kind` with a time in [lo, hi)."""
        parts = [f[(f["t"].to_numpy() >= lo) & (f["t"].to_numpy() < hi)] for f in self.tables[kind]]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def receipt_id_of(self) -> pd.Series:
        return pd.concat([s for s in self.receipt_ids if len(s)])

    def finish(self, r: Renderer, days: int):
        w = copy.copy(self.world)
        w.days, w.horizon = days, days * DAY
        chunks = {}
        for k in TABLES:  # one copy of each table at a time
            chunks[k] = [self.table(k)]
            self.tables[k] = []
            self.world.t.chunks.pop(k, None)
        sessions = pd.concat(self.sessions, ignore_index=True)
        self.sessions = []
        click = sessions["click_id"].to_numpy()
        sessions["click_id"] = np.where(click >= 0, click.astype(object), None)
        chunks["session"] = [sessions]
        chunks["session_order"] = [pd.concat(self.session_order, ignore_index=True)]
        w.t = Tables(chunks=chunks, counters=dict(self.counters))
        w.session_ties = World._session_ties(w)
        mr = copy.copy(r)
        mr.truth = {k: pd.concat(self.truth.pop(k), ignore_index=True) for k in list(self.truth)}
        for c in self.corrections:
            orders = mr.truth["orders_webshop"]
            orders.loc[orders["order_id"] == str(c["id"]), "total_pln"] = c["new_value"]
        frame = pd.concat(self.session_frames, ignore_index=True)
        self.session_frames = []
        mr.session_frame = (
            frame.sort_values(["t", "session"], kind="stable").drop(columns="session").reset_index(drop=True)
        )
        mr.message_touches = pd.concat(self.touches, ignore_index=True)
        mr.second_address_orders = pd.concat(self.second, ignore_index=True)
        mr.receipt_id_of = self.receipt_id_of()
        sent = pd.concat(self.sends, ignore_index=True)
        coupons = sent[sent["coupon"].notna()]
        dup = coupons.groupby(["person", "coupon"])["channel"].nunique()
        household = self.people["household_id"].to_numpy()[coupons["person"].to_numpy().astype(np.int64)]
        per_household = (
            coupons.assign(household=household).groupby(["household", "coupon"])["channel"].nunique()
        )
        planted = {
            "consent_violations": self.consent_violations,
            "duplicate_coupons": int((dup > 1).sum()),
            "duplicate_coupon_households": int((per_household > 1).sum()),
        }
        return w, mr, planted

    def planted_lists(self, data_dir: Path, start: np.datetime64, first: int, days: int) -> dict:
        """The new keys of planted.json, read back from the appended days' clickstream files."""
        late, links = [], []
        login_of = {(x["cookie_id"], x["customer_id"], x["date"]): x for x in self.logins}
        for d in range(first, first + days):
            date = str(start + np.timedelta64(d, "D"))
            name = f"events/events_{date}.jsonl"
            path = data_dir / "landing" / name
            if not path.exists():
                continue
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    e = json.loads(line)
                    if e["event_at"][:10] < date:
                        late.append({"file": name, "event_id": e["event_id"], "event_at": e["event_at"]})
                    key = (e.get("cookie_id"), e.get("user_id"), date)
                    if e["event_name"] == "login" and key in login_of:
                        x = login_of.pop(key)  # its first login that day
                        links.append(
                            {
                                "person_id": x["person_id"],
                                "via": "login",
                                "records": [
                                    {"record_type": "cookie", "record_id": x["cookie_id"]},
                                    {"record_type": "webshop_customer", "record_id": x["customer_id"]},
                                ],
                                "file": name,
                                "event_id": e["event_id"],
                            }
                        )
        return {
            "late_events": late,
            "profile_links": links,
            "corrected_records": [{k: v for k, v in c.items() if k != "t"} for c in self.corrections],
        }


def _slim_sessions(sessions: pd.DataFrame) -> pd.DataFrame:
    """What the ties of sessions (World._session_ties) and the planted login need of them, compactly (an ad
    click id as a number, -1 for none)."""
    click = pd.to_numeric(pd.Series(sessions["click_id"], dtype=object), errors="coerce")
    return pd.DataFrame(
        {
            "session": sessions["session"].to_numpy().astype(np.int64),
            "person": sessions["person"].to_numpy().astype(np.int32),
            "t": sessions["t"].to_numpy().astype(np.int64),
            "cookie": sessions["cookie"].to_numpy().astype(np.int32),
            "device": sessions["device"].to_numpy().astype(np.int32),
            "logged_in": sessions["logged_in"].to_numpy().astype(bool),
            "click_id": click.fillna(-1).to_numpy().astype(np.int64),
        }
    )


def _coupon_sends(messages: pd.DataFrame) -> pd.DataFrame:
    sends = messages[(messages["event_type"] == "send") & messages["coupon"].notna()]
    return sends[["person", "coupon", "channel"]].copy()


def _streams(seed: int, d: int) -> dict[str, np.random.Generator]:
    return {k: np.random.default_rng([seed, DAY_STREAM + d, i]) for i, k in enumerate(STREAMS)}


def _day(
    merged: _Merged,
    base: BaseWorld,
    r0: Renderer,
    data_dir: Path,
    seed: int,
    d: int,
    date: str,
    write: bool,
    scratch: Path,
) -> Renderer:
    """Simulate and render day `d` (writing its files when `write`), and add it to `merged`."""
    rng = _streams(seed, d)
    w = copy.copy(merged.world)
    w.rng, w.id_rng = rng["activity"], rng["identity"]
    w.days, w.horizon = d + 1, (d + 1) * DAY
    w.window, w.active_days, w.receipt_horizon = d, 1, (d + 1) * DAY - 2 * HOUR
    w.t = Tables(counters=dict(merged.counters))
    lo, hi = (d - 5) * DAY, d * DAY
    orders = merged.recent("order", lo, hi)
    receipts = merged.recent("receipt", lo, hi)
    sales = receipts[receipts["kind"] == "SALE"]
    w.continue_day(
        ADS_CAMPAIGNS, orders[["person", "order", "t", "channel"]], sales[["person", "receipt", "t"]]
    )
    # consent changes: a marketing consent withdrawn now and then, as over the period
    ledger = _withdrawals(w, merged, rng["consent"], d)
    # triggered messages (reminders, the coupon of the month), sent where consent allows
    w.rng = rng["marketing"]
    messages = pd.DataFrame()
    if len(w.t.get("trigger")):
        consents = merged.consents.copy()
        consents["withdraw_source"] = consents["withdraw_source"].replace("unsubscribe_link", "web")
        empty = pd.DataFrame(columns=["channel", "campaign_id", "name", "t", "coupon", "reach"])
        messages, info = build_messages(w, consents, empty, plant=False)
        messages = messages[messages["t"] < w.horizon].reset_index(drop=True)
        messages["message"] += merged.n_messages
        merged.n_messages += int(info["n_messages"])
        merged.sends.append(_coupon_sends(messages))
    # planted: late events of earlier days, a login on a so far anonymous browser
    _plant_sessions(w, merged, r0, rng["plant"], d, date)
    sessions = w.t.chunks["session"][0]
    merged.sessions.append(_slim_sessions(sessions))
    merged.session_order.append(w.t.get("session_order"))
    merged.add_world(w, w.horizon)

    w.rng = rng["render"]
    rr = Renderer(w, data_dir, lambda _msg: None)
    rr.write, rr.only_days, rr.plant, rr.first_day = write, {date}, False, d
    rr.offsets = dict(merged.offsets)
    rr.cookie_values, rr.device_values = r0.cookie_values, r0.device_values
    rr.events_truth_path = scratch / f"events_{d}.csv"
    try:
        rr.reference()
        if len(w.t.get("order")):
            rr._orders()
        if len(w.t.get("checkout")):
            rr._checkouts()
        rr.events()
        if len(w.t.get("receipt")):
            rr.pos()
        own = getattr(rr, "receipt_id_of", pd.Series(dtype=object))
        # tickets and answers may name a receipt of an earlier day
        rr.receipt_id_of = pd.concat([merged.receipt_id_of(), own])
        if len(ledger):
            rr.write_csv(ledger.drop(columns=["person"]), "_file")
            rr.rows["loyalty.consent_events"] = len(ledger)
            rr.remember(
                "consent_events",
                ledger[["consent_event_id", "channel", "purpose", "status", "event_at"]].assign(
                    person_id=rr.person_id[ledger["person"].to_numpy()]
                )[["consent_event_id", "person_id", "channel", "purpose", "status", "event_at"]],
            )
        if len(messages):
            rr.marketing(pd.DataFrame(columns=["campaign_id", "name", "channel", "t", "coupon"]), messages)
        if not len(w.t.get("ad_click")):  # the campaigns' spend is reported on days without a click too
            w.t.chunks["ad_click"] = [pd.DataFrame(columns=["click", "person", "t", "platform", "campaign"])]
        rr.ads()
        if len(w.t.get("ticket")):
            rr.helpdesk()
        if len(w.t.get("survey")):
            rr.surveys()
    finally:
        rr.close()
    rr.receipt_id_of = own
    merged.add_renderer(rr)
    _correct_order(merged, data_dir, rng["plant"], start_of(date, d), d, date, write)
    return rr


def start_of(date: str, d: int) -> np.datetime64:
    """The period start, from an export day and its index."""
    return np.datetime64(date, "D") - np.timedelta64(d, "D")


def _withdrawals(w: World, merged: _Merged, rng: np.random.Generator, d: int) -> pd.DataFrame:
    """Marketing consents withdrawn on day `d` (at the daily rate of the period), applied to the merged
    consents, and their consent ledger rows."""
    c = merged.consents
    current = np.flatnonzero((c["granted"].to_numpy() <= d * DAY) & (c["withdrawn"].to_numpy() == NEVER))
    base_days = merged.world.days
    chosen = current[rng.random(len(current)) < 0.07 / base_days]
    t = d * DAY + rng.integers(6 * HOUR, 20 * HOUR, len(chosen))
    source = np.array(["web", "call_center", "store"], dtype=object)[rng.integers(0, 3, len(chosen))]
    idx = c.index[chosen]
    c.loc[idx, "withdrawn"] = t
    c.loc[idx, "withdraw_source"] = source
    ev = c.loc[idx].assign(event_t=t, source=source).sort_values(["event_t", "person", "channel", "purpose"])
    pp = ev["person"].to_numpy().astype(np.int64)
    people = w.people
    email = people["email"].to_numpy()[pp]
    ev_email = np.where(ev["channel"].to_numpy() == "email", email, None)
    ev_phone = np.where(
        ev["channel"].to_numpy() == "sms", e164(people["family_phone"].to_numpy()[pp]).to_numpy(), None
    )
    unnamed = people["is_fuzzy_only"].to_numpy()[pp] & (pd.notna(ev_email) | pd.notna(ev_phone))
    first_id = merged.offsets.get("consent", 0) + 1
    date = str(w.period_start.astype("datetime64[D]") + np.timedelta64(d, "D"))
    stamps = pd.to_datetime(ev["event_t"].to_numpy() + int(w.period_start.astype(np.int64)), unit="s")
    return pd.DataFrame(
        {
            "consent_event_id": [f"CE{first_id + i:08d}" for i in range(len(ev))],
            "member_id": np.where(w.is_member[pp] & ~unnamed, people["member_id"].to_numpy()[pp], None),
            "email": ev_email,
            "phone": ev_phone,
            "channel": ev["channel"].to_numpy(),
            "purpose": ev["purpose"].to_numpy(),
            "status": "withdrawn",
            "source": ev["source"].to_numpy(),
            "event_at": stamps.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(),
            "_file": f"loyalty/consents/consent_events_{date}.csv",
            "person": pp,
        }
    )


def _session_rows(w: World, person, t, cookie, logged_in: bool, late_floor) -> pd.DataFrame:
    n = len(person)
    return pd.DataFrame(
        {
            "session": w.t.ids("session", n),
            "person": np.asarray(person, np.int64),
            "t": np.asarray(t, np.int64),
            "platform": "web",
            "purpose": "browse",
            "n_events": 6,
            "logged_in": logged_in,
            "login_at": 1 if logged_in else -1,
            "cookie": np.asarray(cookie, np.int64),
            "device": -1,
            "source": "direct",
            "campaign": None,
            "click_id": None,
            "sku": w.rng.choice(len(w.sku_p), size=n, p=w.sku_p),
            "order": -1,
            "late_floor": np.asarray(late_floor, np.int64),
        }
    )


def _plant_sessions(
    w: World, merged: _Merged, r0: Renderer, rng: np.random.Generator, d: int, date: str
) -> None:
    """Visits of earlier days whose events arrive in day `d`'s file, and a visit that logs in on a browser
    that never logged in nor bought before (its earlier visits become the account's)."""
    w.rng = rng
    sessions = w.t.chunks.get("session", [pd.DataFrame()])
    own = sessions[0].assign(late_floor=-1) if len(sessions[0]) else None
    start = d * DAY
    person = rng.integers(0, w.n, LATE_SESSIONS)
    late_t = (
        start - rng.integers(1, 3, LATE_SESSIONS) * DAY + rng.integers(8 * HOUR, 18 * HOUR, LATE_SESSIONS)
    )
    late = _session_rows(
        w, person, late_t, w.cookie_of(person), False, start + rng.integers(HOUR, 3 * HOUR, LATE_SESSIONS)
    )
    # a browser seen before, never in a visit that logged in or ordered, of someone with an account
    before = pd.concat(merged.sessions, ignore_index=True)
    ordered = before["session"].isin(pd.concat(merged.session_order, ignore_index=True)["session"]).to_numpy()
    tied = before["logged_in"].to_numpy().astype(bool) | ordered
    web = before["cookie"].to_numpy() >= 0
    tied_cookies = np.unique(before["cookie"].to_numpy()[tied & web])
    seen = before[web & ~np.isin(before["cookie"].to_numpy(), tied_cookies)]
    seen = seen[w.has_account[seen["person"].to_numpy()]]
    candidates = np.unique(seen["cookie"].to_numpy())
    parts = [p for p in (own, late) if p is not None]
    if len(candidates):
        cookie = candidates[rng.integers(0, len(candidates))]
        who = int(seen.loc[seen["cookie"] == cookie, "person"].iloc[0])
        t = start + rng.integers(10 * HOUR, 18 * HOUR)
        parts.append(_session_rows(w, [who], [t], [cookie], True, [-1]))
        merged.logins.append(
            {
                "date": date,
                "person_id": str(w.people["person_id"].iat[who]),
                "cookie_id": r0.cookie_values[int(cookie)].as_py(),
                "customer_id": str(int(w.people["customer_id"].iat[who])),
            }
        )
    w.t.chunks["session"] = [pd.concat(parts, ignore_index=True)]


def _correct_order(
    merged: _Merged,
    data_dir: Path,
    rng: np.random.Generator,
    start: np.datetime64,
    d: int,
    date: str,
    write: bool,
) -> None:
    """A web order of the last days exported again on day `d` with a newer `updated_at`, a goodwill discount
    and the lower total it leaves (the newest version wins)."""
    done = {c["id"] for c in merged.corrections}
    cand = merged.recent("order", (d - 7) * DAY, (d - 1) * DAY)
    cand = cand[~(cand["order"] + WEBSHOP_ORDER_BASE).isin(done)].sort_values("order")
    if not len(cand):
        return
    row = cand.iloc[int(rng.integers(0, len(cand)))]
    order_id = int(row["order"]) + WEBSHOP_ORDER_BASE
    placed = int(row["t"] // DAY)
    latest, latest_file = None, None
    for k in range(placed, min(placed + 5, d)):
        name = f"webshop/orders/orders_{start + np.timedelta64(k, 'D')}.json"
        path = data_dir / "landing" / name
        if not path.exists():
            continue
        for rec in json.loads(path.read_text(encoding="utf-8"))["orders"]:
            if rec["id"] == order_id and (latest is None or rec["updated_at"] >= latest["updated_at"]):
                latest, latest_file = rec, name
    if latest is None:
        return
    rec = copy.deepcopy(latest)
    cut = round(0.1 * float(rec["subtotal_price"]), 2)
    old = float(rec["total_price"])
    rec["total_discounts"] = round(float(rec["total_discounts"]) + cut, 2)
    rec["total_price"] = round(old - cut, 2)
    if rec["line_items"]:
        rec["line_items"][0]["total_discount"] = round(float(rec["line_items"][0]["total_discount"]) + cut, 2)
    rec["financial_status"] = "partially_refunded"
    stamp = int(rng.integers(9 * HOUR, 17 * HOUR))
    rec["updated_at"] = f"{date}T{stamp // HOUR:02d}:{stamp % HOUR // 60:02d}:{stamp % 60:02d}Z"
    name = f"webshop/orders/orders_{date}.json"
    if write:
        path = data_dir / "landing" / name
        line = json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode()
        if path.exists():
            data = path.read_bytes().rstrip(b"\n")
            if not data.endswith(b"]}"):
                raise ValueError(f"{path}: not an orders document")
            path.write_bytes(data[:-2] + b"," + line + b"]}\n")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b'{"orders":[' + line + b"]}\n")
    merged.corrections.append(
        {
            "source": "webshop",
            "entity": "orders",
            "id": order_id,
            "file": name,
            "previous_file": latest_file,
            "field": "total_price",
            "old_value": old,
            "new_value": rec["total_price"],
            "updated_at": rec["updated_at"],
        }
    )


def _events_truth(path: Path, base_bytes: int, days: list[Path]) -> None:
    """truth/events.csv: the exported period's rows, then every appended day's (without their headers)."""
    with path.open("r+b") as out:
        out.truncate(base_bytes)
        out.seek(base_bytes)
        for day in days:
            if not day.exists():
                continue
            with day.open("rb") as fh:
                fh.readline()
                shutil.copyfileobj(fh, out)
