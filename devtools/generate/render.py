"""Write the simulated world as the channels export it (docs/landing.md), and remember the truth.

Values become text without a Python object per row: timestamps and ids as bytes (text.py), the rest
with pyarrow compute. Flat JSON lines (clickstream, message events) are built with Arrow string kernels,
nested documents by DuckDB, CSV by pyarrow's writer; small API-shaped documents with `json`. Random
draws stay on the main thread, in order, and files are written in the order asked (on a writer thread),
so the same size and seed give the same bytes.
"""

from __future__ import annotations

import collections
import hashlib
import json
import queue
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from devtools.generate import text
from devtools.generate.activity import DAY, World
from devtools.generate.marketing import ADS_CAMPAIGNS, NEVER
from devtools.generate.people import (
    TWO_ADDRESSES_SHARE,
    e164,
    messy_emails,
    messy_phones,
    messy_streets,
    pick_share,
)
from devtools.generate.reference import CITIES, PLACEHOLDER_EMAILS, PLACEHOLDER_PHONES

SHOP = "https://sklep.example.pl"
# the fields of a web order's shipping address, in export order
SHIPPING_ADDRESS_FIELDS = ("first_name", "last_name", "address1", "city", "zip", "country_code")
WEBSHOP_ORDER_BASE = 5_000_000
TICKET_BASE = 900_000
# session sources whose landing page carries utm parameters
UTM_SOURCES = ["ads", "email", "push", "social"]
# utm_source of a message's link, by channel; utm_campaign of triggered campaigns (the campaigns export)
MESSAGE_UTM_SOURCE = {"email": "newsletter", "sms": "sms", "push": "app_push"}
TRIGGERED_UTM = {"TRG-ABANDONED-CART": "abandoned-cart", "TRG-COUPON": "coupon"}


class FileWriter:
    """Writes files on a thread of its own while the next rows are being built. Jobs run in the order
    submitted (appends to a file stay in order); a bounded queue keeps memory bounded."""

    def __init__(self, depth: int = 2) -> None:
        self._jobs: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="omni-generate-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self._error is None:
                    for path, mode, pieces in job:
                        with open(path, mode) as fh:
                            for piece in pieces:
                                fh.write(piece)
            except BaseException as exc:  # re-raised in the main thread
                self._error = exc
            finally:
                self._jobs.task_done()

    def submit(self, job: list[tuple[Path, str, list]]) -> None:
        self._check()
        self._jobs.put(job)

    def flush(self) -> None:
        self._jobs.join()
        self._check()

    def close(self) -> None:
        if self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()
        self._check()

    def _check(self) -> None:
        if self._error is not None:
            raise RuntimeError("writing landing files failed") from self._error


class Renderer:
    def __init__(self, world: World, data_dir: Path, progress: Callable[[str], None]) -> None:
        self.w = world
        self.rng = world.rng
        self.id_rng = world.id_rng  # addresses and the planted identity cases draw from a stream of their own
        self.landing = data_dir / "landing"
        self.truth_dir = data_dir / "truth"
        self.start = world.period_start
        self.progress = progress
        self.rows: dict[str, int] = {}
        self.files = 0
        self._dirs: set[Path] = set()
        self._written: set[str] = set()
        self.writer = FileWriter()
        self._session_last: list[np.ndarray] = []
        self.truth: dict[str, pd.DataFrame] = {}
        self.planted: dict[str, list] = {
            "corrupt_rows": [],
            "duplicate_files": [],
            "price_inconsistencies": [],
            "stock_mismatches": [],
        }
        people = world.people
        self.person_id = people["person_id"].to_numpy()
        self.email = people["email"]
        self.family_phone = people["family_phone"].to_numpy()
        self.customer_id = people["customer_id"].to_numpy()
        self.fuzzy_only = people["is_fuzzy_only"].to_numpy()
        # web orders shipped to the buyer's second address (truth/identity_cases.csv): order id, person
        self.second_address_orders = pd.DataFrame({"order_id": [], "person": []}, dtype=np.int64)
        self.customer_id_text = pa.array(
            np.where(self.customer_id > 0, self.customer_id.astype(str), None), pa.string()
        )
        self.sku_text = pa.array(world.ref.products["sku"].to_numpy().astype(str))
        self.city_text = pa.array([c[0] for c in CITIES])
        # the day the schema changed (POS customer_email, events app_version)
        self.v2_day = world.days // 2
        self.epoch = int(self.start.astype("datetime64[s]").astype(np.int64))
        # a continued world (devtools/generate/append.py) sets these: write nothing (`write`), or only the
        # files of some export days (`only_days`), plant nothing, number records after the ones already
        # exported (`offsets`), and render from day `first_day` on
        self.write = True
        self.only_days: set[str] | None = None
        self.plant = True
        self.offsets: dict[str, int] = {}
        self.first_day = 0
        self.events_truth_path: Path | str = self.truth_dir / "events.csv"
        self.con = duckdb.connect()
        self.con.execute(
            "SET preserve_insertion_order = true; SET threads = 2; SET enable_progress_bar = false"
        )

    # --- formatting helpers --------------------------------------------------------------------------
    def ts(self, seconds, fmt: str = "%Y-%m-%dT%H:%M:%SZ", tz: str = "UTC") -> pa.Array:
        epoch = np.asarray(seconds, dtype=np.int64) + self.epoch
        if tz != "UTC":
            epoch = epoch + text.zone_offsets(epoch, tz)
        formats = {
            "%Y-%m-%dT%H:%M:%SZ": {},
            "%Y-%m-%dT%H:%M:%S.000Z": {"millis": True},
            "%Y-%m-%d %H:%M:%S": {"date_sep": " ", "suffix": ""},
            "%Y-%m-%d": {"time": False},
        }
        if fmt in formats:
            return text.timestamps(epoch, **formats[fmt])
        return pc.strftime(pa.array(epoch, pa.timestamp("s")), format=fmt)

    def day_str(self, seconds) -> np.ndarray:
        days = (np.asarray(seconds, dtype=np.int64) // DAY).clip(0, self.w.days - 1)
        dates = np.datetime_as_string(self.start.astype("datetime64[D]") + np.arange(self.w.days), unit="D")
        return dates[days]

    def hex_chars(self, n: int, width: int) -> np.ndarray:
        """n random hex strings of `width` characters (ids of cookies, sessions...) as a byte matrix."""
        a = self.rng.integers(0, 2**62, n, dtype=np.int64)
        b = self.rng.integers(0, 2**62, n, dtype=np.int64)
        return text.hex_matrix(a, b, width)

    def hex(self, n: int, width: int) -> pa.Array:
        """n random hex strings of `width` characters (ids of cookies, sessions...), deterministic."""
        return text.from_matrix(self.hex_chars(n, width))

    def uuids(self, n: int) -> pa.Array:
        return text.from_matrix(text.uuid_matrix(self.hex_chars(n, 32)))

    def iso_list(self, seconds) -> list:
        return self.ts(seconds).to_pylist()

    @staticmethod
    def money(values) -> np.ndarray:
        return np.round(np.asarray(values, dtype=float), 2)

    def write_csv(self, frame: pd.DataFrame, file_col: str, delimiter: str = ",") -> None:
        """One CSV file per value of `file_col` (rows keep their order), every value quoted as text."""
        self.write_csv_table(
            pa.Table.from_pandas(frame.drop(columns=[file_col]), preserve_index=False),
            frame[file_col].to_numpy(),
            delimiter,
        )

    def write_csv_table(self, body: pa.Table, files, delimiter: str = ",") -> None:
        """Rows of `body` into one CSV file per name in `files` (rows keep their order), every value quoted
        as text. All rows are serialised at once and cut at line ends; each file gets the header."""
        if not self.write:
            return
        order, names, bounds = _file_groups(files)
        body = body.take(pa.array(order))
        body = body.cast(pa.schema([pa.field(f.name, pa.string()) for f in body.schema]))
        options = pacsv.WriteOptions(delimiter=delimiter, quoting_style="needed", include_header=False)
        out = pa.BufferOutputStream()
        pacsv.write_csv(body, out, options)
        data = out.getvalue()
        ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10) + 1
        if len(ends) != body.num_rows:
            raise ValueError("a CSV value holds a line break")
        header = pa.BufferOutputStream()
        pacsv.write_csv(
            body.slice(0, 0), header, pacsv.WriteOptions(delimiter=delimiter, quoting_style="needed")
        )
        head = header.getvalue().to_pybytes()
        starts = np.r_[0, ends]
        view = memoryview(data)
        self._put(
            [(name, [head, view[starts[bounds[k]] : starts[bounds[k + 1]]]]) for k, name in enumerate(names)]
        )

    # Flat text rows (events, message events) become JSON lines with Arrow string kernels (text.py).
    # Nested documents (orders, tickets...) are serialised by DuckDB; every COPY costs ~10 ms, so many
    # files' rows go through one COPY and the output is cut at newline offsets.
    BATCH_ROWS = 200_000

    def _duckdb_lines(self, table: pa.Table) -> tuple[memoryview, np.ndarray]:
        """`table` as JSON lines by DuckDB: the bytes and the offset where each line starts (plus the end)."""
        self.con.register("batch", table)
        lines = self.con.sql("SELECT to_json(batch) || chr(10) AS line FROM batch").to_arrow_table()["line"]
        self.con.unregister("batch")
        return text.line_bounds(lines)

    def _write_files(
        self, data, starts: np.ndarray, names: list[str], bounds: list[int], root: str | None, append: bool
    ) -> None:
        """Lines bounds[k]:bounds[k+1] (byte offsets in `starts`) of `data` go to file names[k], as they
        are or as one document {"<root>": [line, line, ...]}."""
        view = memoryview(data)
        parts = []
        for k, name in enumerate(names):
            chunk = view[starts[bounds[k]] : starts[bounds[k + 1]]]
            if root is not None:
                chunk = (
                    b'{"' + root.encode() + b'":[' + bytes(chunk).rstrip(b"\n").replace(b"\n", b",") + b"]}\n"
                )
            parts.append((name, [chunk]))
        self._put(parts, append)

    def _put(self, parts: list[tuple[str, list]], append: bool = False) -> None:
        """Write files (name under landing/, byte pieces) on the writer thread. With `append`, a file this
        renderer already wrote is extended rather than replaced."""
        jobs = []
        for name, pieces in parts:
            if not self._wanted(name):
                continue
            path = self.landing / name
            if path.parent not in self._dirs:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._dirs.add(path.parent)
            extend = append and name in self._written
            if not extend:
                self._written.add(name)
                self.files += 1
            jobs.append((path, "ab" if extend else "wb", pieces))
        self.writer.submit(jobs)

    def _wanted(self, name: str) -> bool:
        """Whether the file `name` (under landing/) is written: every file, unless the renderer writes
        nothing or only the files of some export days."""
        if not self.write:
            return False
        return self.only_days is None or any(day in name for day in self.only_days)

    def close(self) -> None:
        """Wait until every file asked for is written."""
        self.writer.close()

    def _write_groups(
        self, table: pa.Table, order: np.ndarray, names: list[str], bounds: list[int], root: str | None
    ) -> None:
        """Rows order[bounds[i]:bounds[i+1]] of `table` go to file names[i] (DuckDB's JSON, one document
        each), a batch of files at a time."""
        if not self.write:
            return
        i = 0
        while i < len(names):
            j = i
            while j + 1 < len(names) and bounds[j + 2] - bounds[i] <= self.BATCH_ROWS:
                j += 1
            data, starts = self._duckdb_lines(table.take(pa.array(order[bounds[i] : bounds[j + 1]])))
            self._write_files(
                data, starts, names[i : j + 1], [b - bounds[i] for b in bounds[i : j + 2]], root, False
            )
            i = j + 1

    def write_lines(
        self, lines: pa.Array, prefix: str, day_seconds: np.ndarray, append: bool = False
    ) -> None:
        """JSON lines into one file per day of `day_seconds`: `<prefix><YYYY-MM-DD>.jsonl`, rows in order."""
        if not self.write:
            return
        days = (np.asarray(day_seconds, dtype=np.int64) // DAY).clip(0, self.w.days - 1)
        if len(days) == 0:
            return
        if np.any(days[1:] < days[:-1]):
            order = np.argsort(days, kind="stable")
            lines, days = lines.take(pa.array(order)), days[order]
        uniq, starts = np.unique(days, return_index=True)
        names = [f"{prefix}{d}.jsonl" for d in self.day_str(uniq * DAY)]
        data, offsets = text.line_bounds(lines)
        self._write_files(data, offsets, names, [*starts, len(days)], None, append)

    def write_doc_table(self, table: pa.Table, root: str) -> None:
        """One JSON document `{"<root>": [...]}` per value of `_file`; rows keep their order."""
        order, names, bounds = _file_groups(table["_file"])
        self._write_groups(table.drop_columns(["_file"]), order, names, bounds, root)

    def write_docs(self, records_by_file: dict[str, list[dict]], root: str) -> None:
        for name in sorted(records_by_file):
            if not self._wanted(name):
                continue
            path = self.landing / name
            path.parent.mkdir(parents=True, exist_ok=True)
            doc = json.dumps(
                {root: records_by_file[name]},
                ensure_ascii=False,
                indent=1,
                default=_json_value,
                allow_nan=False,
            )
            path.write_text(doc, encoding="utf-8")
            self.files += 1

    def pick_email(self, person: np.ndarray, p_messy: float) -> pd.Series:
        return messy_emails(self.rng, self.email.iloc[person].reset_index(drop=True), p_messy)

    def pick_phone(self, person: np.ndarray) -> pd.Series:
        return messy_phones(self.rng, self.family_phone[person])

    def remember(self, name: str, frame: pd.DataFrame) -> None:
        self.truth[name] = frame

    # --- reference ------------------------------------------------------------------------------------
    def reference(self) -> None:
        ref = self.w.ref
        products = ref.products.drop(columns=["popularity"])
        self.write_docs(
            {"reference/products.json": json.loads(products.to_json(orient="records"))}, "products"
        )
        self.rows["reference.products"] = len(products)
        stores = ref.stores.drop(columns=["city_index"]).assign(_file="reference/stores.csv")
        self.write_csv(stores, "_file")
        lockers = ref.lockers.drop(columns=["city_index"]).assign(_file="reference/parcel_lockers.csv")
        self.write_csv(lockers, "_file")
        self.rows["reference.stores"] = len(stores)
        self.rows["reference.parcel_lockers"] = len(lockers)
        self._prices()
        self._stock()

    def _prices(self) -> None:
        rng, days = self.rng, self.w.days
        prods = self.w.ref.products
        n = len(prods)
        base = prods["base_price_pln"].to_numpy()
        week = np.arange(days) // 7
        on_promo = rng.random((int(week.max()) + 1, n)) < 0.08  # weekly promotions, the same everywhere
        d_idx, s_idx, c_idx = np.meshgrid(
            np.arange(self.first_day, days), np.arange(n), np.arange(3), indexing="ij"
        )
        d_idx, s_idx, c_idx = d_idx.ravel(), s_idx.ravel(), c_idx.ravel()
        promo = on_promo[week[d_idx], s_idx]
        promo_price = np.where(promo, np.floor(base[s_idx] * 0.8) + 0.99, np.nan)
        price = base[s_idx].copy()
        # planted: a handful of (day, sku) where the web shop and the stores disagree
        k = max(3, days // 20) if self.plant else 0
        pd_ = rng.integers(0, days, k)
        ps = rng.integers(0, n, k)
        for d, sku in zip(pd_, ps, strict=True):
            m = (d_idx == d) & (s_idx == sku) & (c_idx == 0)  # web
            price[m] = base[sku] + 10.0
            self.planted["price_inconsistencies"].append(
                {
                    "price_date": self.day_str(np.array([d * DAY]))[0],
                    "sku": prods["sku"].iloc[sku],
                    "channels": "web vs store",
                    "kind": "price",
                }
            )
        channel = np.array(["web", "app", "store"], dtype=object)[c_idx]
        dates = self.day_str(d_idx * DAY)
        promo_ids = pa.array([f"PROMO-W{x + 1:02d}" for x in range(int(week.max()) + 1)])
        table = pa.table(
            {
                "price_date": pa.array(dates),
                "sku": self.sku_text.take(pa.array(s_idx)),
                "channel": pa.array(channel.astype(str)),
                "price_pln": pa.array(self.money(price)).cast(pa.string()),
                "promo_id": text.pick(
                    pa.concat_arrays([promo_ids, pa.nulls(1, pa.string())]), week[d_idx], promo
                ),
                "promo_price_pln": pa.array(self.money(promo_price), mask=~promo).cast(pa.string()),
            }
        )
        self.write_csv_table(table, _paths("reference/prices/prices_", dates, ".csv"))
        self.rows["reference.prices"] = table.num_rows

    def _stock(self) -> None:
        rng = self.rng
        prods = self.w.ref.products
        n = min(len(prods), 300)
        locations = np.r_[self.w.store_ids, ["WEB-DC"]]
        mondays = [
            d
            for d in range(self.first_day, self.w.days)
            if ((self.start.astype("datetime64[D]") + d).astype(int) + 3) % 7 == 0
        ]
        rows = []
        for d in mondays:
            sku_i, loc_i = np.meshgrid(np.arange(n), np.arange(len(locations)), indexing="ij")
            sku_i, loc_i = sku_i.ravel(), loc_i.ravel()
            qty = rng.poisson(np.where(locations[loc_i] == "WEB-DC", 120, 12))
            web_view = qty.copy()
            store_rows = np.flatnonzero(locations[loc_i] != "WEB-DC")
            bad = store_rows[rng.random(len(store_rows)) < (0.002 if self.plant else 0.0)]
            web_view[bad] = qty[bad] + rng.integers(3, 15, len(bad))
            date = self.day_str(np.array([d * DAY]))[0]
            for i in bad:
                self.planted["stock_mismatches"].append(
                    {
                        "snapshot_date": date,
                        "sku": prods["sku"].iloc[sku_i[i]],
                        "location_id": locations[loc_i[i]],
                    }
                )
            for system, q in (("erp", qty), ("webshop", web_view)):
                rows.append(
                    pd.DataFrame(
                        {
                            "snapshot_date": date,
                            "sku": prods["sku"].to_numpy()[sku_i],
                            "location_id": locations[loc_i],
                            "system": system,
                            "quantity_on_hand": q,
                            "_file": f"reference/stock/stock_{date}.csv",
                        }
                    )
                )
        if not rows:
            return
        frame = pd.concat(rows, ignore_index=True)
        self.write_csv(frame, "_file")
        self.rows["reference.stock_levels"] = len(frame)

    # --- web shop ---------------------------------------------------------------------------------------
    def webshop(self) -> None:
        w, rng = self.w, self.rng
        people = w.people
        # accounts: created before the period (in the first export) or at the first activity
        acct = np.flatnonzero(w.has_account)
        joined = w.consent_joined[acct]
        versions = [
            pd.DataFrame(
                {
                    "person": acct,
                    "updated": np.maximum(joined, 0),
                    "phone": w.people["phone"].to_numpy()[acct],
                }
            )
        ]
        change = acct[people["changes_phone"].to_numpy()[acct]]
        if len(change):
            versions.append(
                pd.DataFrame(
                    {
                        "person": change,
                        "updated": rng.integers(DAY, w.horizon, len(change)),
                        "phone": people["new_phone"].to_numpy()[change],
                    }
                )
            )
        v = pd.concat(versions, ignore_index=True)
        p = v["person"].to_numpy()
        # a till enrolment with no contact (fuzzy_only) gave its phone to the web shop, where its SMS
        # consents were given (see loyalty())
        has_phone = (rng.random(len(v)) < 0.6) | self.fuzzy_only[p]
        email = messy_emails(rng, self.email.iloc[p].reset_index(drop=True), 0.08)
        phone = messy_phones(
            rng,
            np.where(
                has_phone,
                np.where(
                    people["is_shared_phone"].to_numpy()[p], self.family_phone[p], v["phone"].to_numpy()
                ),
                0,
            ),
        )
        # the address as the customer typed it once (every version of the account shows the same)
        street = messy_streets(self.id_rng, people["street_address"].to_numpy()[acct], 0.12)
        address1 = _strings(street).take(pa.array(pd.Index(acct).get_indexer(p)))
        # a birthday where the account holds one (about half of them)
        birth_date = np.where(
            people["web_birth_date"].to_numpy()[p], people["birth_date"].to_numpy()[p], None
        )
        table = pa.table(
            {
                "id": pa.array(self.customer_id[p], pa.int64()),
                "email": _strings(email),
                "phone": _strings(phone),
                # the name the customer gave the account: a diminutive or a typo for a few (name_variant)
                "first_name": people["web_first_name"].to_numpy()[p].astype(str),
                "last_name": people["last_name"].to_numpy()[p].astype(str),
                "birth_date": _strings(birth_date),
                "accepts_marketing": people["accepts_marketing"].to_numpy()[p],
                "created_at": self.ts(w.consent_joined[p]),
                "updated_at": self.ts(np.maximum(v["updated"].to_numpy(), w.consent_joined[p])),
                "default_address": _struct(
                    [
                        address1,
                        pa.array(people["city"].to_numpy()[p].astype(str)),
                        pa.array(people["postal_code"].to_numpy()[p].astype(str)),
                        pa.array(np.full(len(p), "PL")),
                    ],
                    names=["address1", "city", "zip", "country_code"],
                ),
                "_file": _paths(
                    "webshop/customers/customers_", self.day_str(v["updated"].to_numpy()), ".json"
                ),
            }
        )
        self.write_doc_table(table, "customers")
        self.rows["webshop.customers"] = len(v)
        self.remember(
            "webshop_customers",
            pd.DataFrame({"customer_id": self.customer_id[acct], "person_id": self.person_id[acct]}),
        )
        self._orders()
        self._checkouts()
        self._courier_returns()

    def _order_frame(self) -> pd.DataFrame:
        w = self.w
        orders = w.t.get("order")
        lines = w.t.get("order_line")
        lines["amount"] = lines["unit_price"] * lines["quantity"]
        agg = lines.groupby("order").agg(subtotal=("amount", "sum"), discount=("discount", "sum"))
        orders = orders.join(agg, on="order")
        ship = np.select(
            [orders["fulfilment"] == "click_and_collect", orders["fulfilment"] == "parcel_locker"],
            [0.0, 9.99],
            default=14.99,
        )
        ship = np.where((orders["subtotal"] >= 199) & (orders["fulfilment"] != "parcel_locker"), 0.0, ship)
        orders["shipping"] = ship
        orders["total"] = self.money(orders["subtotal"] - orders["discount"] + ship)
        orders["order_id"] = WEBSHOP_ORDER_BASE + orders["order"]
        return orders

    def _orders(self) -> None:
        w, rng = self.w, self.rng
        orders = self._order_frame()
        self.order_frame = orders
        lines = w.t.get("order_line")
        sessions = w.t.get("session").set_index("session")
        p = orders["person"].to_numpy()
        is_customer = orders["logged_in"].to_numpy() & w.has_account[p]
        email = messy_emails(
            rng, self.email.iloc[p].reset_index(drop=True), np.where(is_customer, 0.12, 0.3).mean()
        )
        phone = messy_phones(rng, np.where(rng.random(len(p)) < 0.7, self.family_phone[p], 0))
        # landing URL: utm and click id of the purchase session
        sess = orders["session"].to_numpy()
        src = sessions["source"].reindex(sess).to_numpy()
        camp = sessions["campaign"].reindex(sess).to_numpy()
        click = sessions["click_id"].reindex(sess).to_numpy()
        # only sessions that came with utm carry it to the order (as their landing page); a paid click adds
        # its click id, gclid for Google and fbclid for Meta
        landing_site = [
            SHOP
            + "/"
            + (
                ""
                if s not in UTM_SOURCES
                else f"?utm_source={_utm_source(s, c)}&utm_medium={_utm_medium(s)}"
                f"&utm_campaign={c or 'always-on'}"
                + (
                    f"&{'gclid' if _utm_source(s, c) == 'google' else 'fbclid'}={_click_token(k)}"
                    if k is not None and not pd.isna(k)
                    else ""
                )
            )
            for s, c, k in zip(src, camp, click, strict=True)
        ]
        # fulfilment: when the order was delivered or picked up (pickups come from the till export)
        receipts = w.t.get("receipt")
        pickups = (
            receipts[receipts["kind"] == "PICKUP"].set_index("order")["t"]
            if len(receipts)
            else pd.Series(dtype=np.int64)
        )
        done = pickups.reindex(orders["order"]).to_numpy()
        done = np.where(
            np.isnan(done), orders["t"].to_numpy() + rng.integers(DAY, 4 * DAY, len(orders)), done
        ).astype(np.int64)
        done = np.minimum(done, w.horizon - 1)
        n = len(orders)
        # each order is exported twice: when placed, and again when fulfilled (newest version wins)
        v = np.r_[np.arange(n), np.arange(n)]
        second = np.r_[np.zeros(n, bool), np.ones(n, bool)]
        lines = lines.sort_values(["order", "line_no"], kind="stable")
        counts = lines.groupby("order").size().reindex(orders["order"]).fillna(0).to_numpy().astype(np.int64)
        offsets = pa.array(np.r_[0, np.cumsum(counts)].astype(np.int32))
        order_id_l = lines["order"].to_numpy() + WEBSHOP_ORDER_BASE
        items = pa.ListArray.from_arrays(
            offsets,
            _struct(
                [
                    pa.array(order_id_l * 10 + lines["line_no"].to_numpy(), pa.int64()),
                    pa.array(w.ref.products["sku"].to_numpy()[lines["sku"].to_numpy()].astype(str)),
                    pa.array(lines["quantity"].to_numpy(), pa.int64()),
                    pa.array(lines["unit_price"].to_numpy(), pa.float64()),
                    pa.array(self.money(lines["discount"].to_numpy()), pa.float64()),
                ],
                names=["id", "sku", "quantity", "price", "total_discount"],
            ),
        )
        fulfilment = orders["fulfilment"].to_numpy().astype(str)
        ship_to = self._shipping_addresses(orders)
        placed = self.ts(orders["t"].to_numpy())
        done_s = self.ts(done)
        status2 = np.where(fulfilment == "click_and_collect", "picked_up", "fulfilled")
        cid = np.where(is_customer, self.customer_id[p], -1)
        table = pa.table(
            {
                "id": pa.array(orders["order_id"].to_numpy()[v], pa.int64()),
                "name": pa.array(np.char.add("WS-", orders["order_id"].to_numpy().astype(str))[v]),
                "customer_id": pa.array(cid[v], pa.int64(), mask=(cid[v] < 0)),
                "email": _strings(email).take(v),
                "phone": _strings(phone).take(v),
                "source_name": pa.array(orders["channel"].to_numpy().astype(str)[v]),
                "created_at": placed.take(v),
                "updated_at": pc.if_else(pa.array(second), done_s.take(v), placed.take(v)),
                "currency": pa.array(np.full(2 * n, "PLN")),
                "subtotal_price": pa.array(self.money(orders["subtotal"].to_numpy())[v]),
                "total_discounts": pa.array(self.money(orders["discount"].to_numpy())[v]),
                "shipping_price": pa.array(orders["shipping"].to_numpy()[v]),
                "total_price": pa.array(orders["total"].to_numpy()[v]),
                "discount_code": _strings(orders["coupon"]).take(v),
                "fulfilment_type": pa.array(fulfilment[v]),
                "pickup_store_id": _strings(orders["pickup_store"]).take(v),
                "parcel_locker_id": _strings(orders["locker"]).take(v),
                "shipping_address": _struct(
                    [ship_to[k].take(pa.array(v)) for k in SHIPPING_ADDRESS_FIELDS],
                    names=list(SHIPPING_ADDRESS_FIELDS),
                ),
                "financial_status": pa.array(np.full(2 * n, "paid")),
                "fulfillment_status": pa.array(np.where(second, status2[v], "unfulfilled")),
                "landing_site": pa.array(landing_site, pa.string()).take(pa.array(v)),
                "line_items": items.take(pa.array(v)),
                "_file": _paths(
                    "webshop/orders/orders_",
                    np.where(second, self.day_str(done)[v], self.day_str(orders["t"].to_numpy())[v]),
                    ".json",
                ),
            }
        )
        del landing_site, items
        self.write_doc_table(table, "orders")
        created = placed.to_pylist()
        self.rows["webshop.orders"] = 2 * len(orders)
        self.rows["webshop.order_lines"] = 2 * len(lines)
        self.remember(
            "orders_webshop",
            pd.DataFrame(
                {
                    "source_system": "webshop",
                    "order_id": orders["order_id"].astype(str),
                    "person_id": self.person_id[p],
                    "channel": orders["channel"],
                    "fulfilment_type": orders["fulfilment"],
                    "store_id": orders["pickup_store"],
                    "placed_at": created,
                    "total_pln": orders["total"],
                    "coupon_code": orders["coupon"],
                    "is_identifiable": True,
                }
            ),
        )

    def _shipping_addresses(self, orders: pd.DataFrame) -> dict[str, pa.Array]:
        """The shipping address of each order: the buyer's name and home, except for a few web shoppers
        (TWO_ADDRESSES_SHARE of those with home deliveries) who have some parcels delivered to a second
        address (work, family), under their own name. Those orders are remembered for the truth."""
        w, rng, people = self.w, self.id_rng, self.w.people
        p = orders["person"].to_numpy()
        home_delivery = orders["fulfilment"].to_numpy() == "home_delivery"
        chosen = pick_share(rng, np.unique(p[home_delivery & w.has_account[p]]), TWO_ADDRESSES_SHARE)
        candidate = home_delivery & np.isin(p, chosen)
        second = candidate & (rng.random(len(p)) < 0.4)
        rows = np.flatnonzero(candidate)
        _, first = np.unique(p[rows], return_index=True)
        second[rows[first]] = True  # every one of them at least once
        self.second_address_orders = pd.DataFrame(
            {"order_id": orders["order_id"].to_numpy()[second], "person": p[second]}
        )

        def where(col: str) -> np.ndarray:
            return np.where(second, people[f"second_{col}"].to_numpy()[p], people[col].to_numpy()[p])

        return {
            "first_name": _strings(people["web_first_name"].to_numpy()[p]),
            "last_name": _strings(people["last_name"].to_numpy()[p]),
            "address1": _strings(messy_streets(rng, where("street_address"), 0.12)),
            "city": _strings(where("city")),
            "zip": _strings(where("postal_code")),
            "country_code": pa.array(np.full(len(p), "PL")),
        }

    def _checkouts(self) -> None:
        w, rng = self.w, self.rng
        co = w.t.get("checkout")
        if not len(co):
            return
        lines = w.t.get("checkout_line")
        sessions = w.t.get("session").set_index("session")
        p = co["person"].to_numpy()
        logged = sessions["logged_in"].reindex(co["session"]).to_numpy().astype(bool)
        typed = rng.random(len(co)) < 0.6
        email = messy_emails(rng, self.email.iloc[p].reset_index(drop=True), 0.2)
        lines["amount"] = lines["unit_price"] * lines["quantity"]
        total = lines.groupby("checkout")["amount"].sum().reindex(co["checkout"]).to_numpy()
        lines = lines.sort_values(["checkout", "line_no"], kind="stable")
        counts = (
            lines.groupby("checkout").size().reindex(co["checkout"]).fillna(0).to_numpy().astype(np.int64)
        )
        items = pa.ListArray.from_arrays(
            pa.array(np.r_[0, np.cumsum(counts)].astype(np.int32)),
            _struct(
                [
                    pa.array(w.ref.products["sku"].to_numpy()[lines["sku"].to_numpy()].astype(str)),
                    pa.array(lines["quantity"].to_numpy(), pa.int64()),
                    pa.array(lines["unit_price"].to_numpy(), pa.float64()),
                ],
                names=["sku", "quantity", "price"],
            ),
        )
        cid = np.where(logged, self.customer_id[p], -1)
        shown = _strings(email.where(pd.Series(typed | logged), None))
        table = pa.table(
            {
                "id": pa.array(7_000_000 + co["checkout"].to_numpy(), pa.int64()),
                "customer_id": pa.array(cid, pa.int64(), mask=cid < 0),
                "email": shown,
                "source_name": pa.array(np.full(len(co), "web")),
                "created_at": self.ts(co["t"].to_numpy()),
                "updated_at": self.ts(co["t"].to_numpy()),
                "total_price": pa.array(self.money(total)),
                "line_items": items,
                "_file": _paths(
                    "webshop/checkouts/abandoned_checkouts_", self.day_str(co["t"].to_numpy()), ".json"
                ),
            }
        )
        self.write_doc_table(table, "checkouts")
        self.rows["webshop.abandoned_checkouts"] = len(co)
        self.remember(
            "checkouts",
            pd.DataFrame(
                {"checkout_id": (7_000_000 + co["checkout"]).astype(str), "person_id": self.person_id[p]}
            ),
        )

    def _courier_returns(self) -> None:
        w, rng = self.w, self.rng
        o = self.order_frame
        cand = o[o["fulfilment"] != "click_and_collect"]
        ret = cand[rng.random(len(cand)) < 0.09]
        t = ret["t"].to_numpy() + rng.integers(3 * DAY, 20 * DAY, len(ret))
        keep = t < w.horizon
        ret, t = ret[keep], t[keep]
        lines = w.t.get("order_line")
        first = lines[lines["line_no"] == 1].set_index("order")
        reasons = np.array(
            ["za mały rozmiar", "za duży rozmiar", "niezgodny z opisem", "uszkodzony", "zmiana zdania"]
        )
        li = first.reindex(ret["order"].to_numpy())
        k = len(ret)
        table = pa.table(
            {
                "id": pa.array(800_000 + self.offsets.get("return", 0) + np.arange(k), pa.int64()),
                "order_id": pa.array(ret["order_id"].to_numpy(), pa.int64()),
                "created_at": self.ts(t),
                "return_method": pa.array(
                    np.where(ret["fulfilment"].to_numpy() == "parcel_locker", "parcel_locker", "courier")
                ),
                "refund_amount": pa.array(
                    self.money(li["unit_price"].to_numpy() * li["quantity"].to_numpy())
                ),
                "reason": pa.array(reasons[np.arange(k) % len(reasons)]),
                "lines": pa.ListArray.from_arrays(
                    pa.array(np.arange(k + 1, dtype=np.int32)),
                    _struct(
                        [
                            pa.array(
                                w.ref.products["sku"]
                                .to_numpy()[li["sku"].to_numpy().astype(np.int64)]
                                .astype(str)
                            ),
                            pa.array(li["quantity"].to_numpy().astype(np.int64)),
                        ],
                        names=["sku", "quantity"],
                    ),
                ),
                "_file": _paths("webshop/returns/returns_", self.day_str(t), ".json"),
            }
        )
        self.write_doc_table(table, "returns")
        self.rows["webshop.returns"] = len(ret)
        self.remember(
            "returns_webshop",
            pd.DataFrame(
                {
                    "source_system": "webshop",
                    "return_id": (800_000 + self.offsets.get("return", 0) + np.arange(len(ret))).astype(str),
                    "person_id": self.person_id[ret["person"].to_numpy()],
                    "order_id": ret["order_id"].astype(str),
                    "return_channel": np.where(
                        ret["fulfilment"] == "parcel_locker", "parcel_locker", "courier"
                    ),
                }
            ),
        )

    # --- clickstream -----------------------------------------------------------------------------------
    EVENT_CHUNK_SESSIONS = 50_000

    def events(self) -> None:
        """The clickstream, built and written in time-ordered chunks of sessions (memory stays bounded)."""
        w = self.w
        sessions = w.t.get("session").sort_values(["t", "session"], kind="stable").reset_index(drop=True)
        links = w.t.get("session_order")
        link = links.set_index("session")["order"] if len(links) else pd.Series(dtype=np.int64)
        if getattr(self, "cookie_values", None) is None:  # a continued world keeps its browsers' ids
            self.cookie_values = self.hex(int(w.n_cookies.sum()), 20)
            self.device_values = pc.binary_join_element_wise(
                "dev-", self.hex(max(int(w.n_devices.sum()), 1), 16), ""
            )
        session_ids = text.json_literals(self.hex(len(sessions), 24))
        # JSON text of what events repeat (per cookie, device, person, product), spread with `take`
        lit = {
            "cookie": text.with_null(text.json_literals(self.cookie_values)),
            "device": text.with_null(text.json_literals(self.device_values)),
            "user": text.with_null(text.json_literals(self.customer_id_text)),
            "sku": text.with_null(text.json_literals(self.sku_text)),
            "product_url": text.json_literals(pc.binary_join_element_wise(f"{SHOP}/p/", self.sku_text, "")),
            "city": text.json_literals(self.city_text).take(pa.array(w.people["city_index"].to_numpy())),
        }
        truth = pacsv.CSVWriter(
            self.events_truth_path, pa.schema([("event_id", pa.string()), ("person_id", pa.string())])
        )
        person_text = pa.array(self.person_id, pa.string())
        total = 0

        def finish(built) -> None:
            nonlocal total
            lines, received, event_id, person = built.result()
            self.write_lines(lines, "events/events_", received, append=True)
            truth.write_table(
                pa.table({"event_id": event_id, "person_id": person_text.take(pa.array(person))})
            )
            total += len(lines)

        # random draws happen here, in order; the text of a chunk is built on a worker thread (Arrow and
        # numpy release the GIL), two chunks at a time, and written in order
        pending: collections.deque = collections.deque()
        with ThreadPoolExecutor(max_workers=2) as pool:
            for a in range(0, len(sessions), self.EVENT_CHUNK_SESSIONS):
                chunk = sessions.iloc[a : a + self.EVENT_CHUNK_SESSIONS].reset_index(drop=True)
                rows = self._event_rows(
                    chunk, text.with_null(session_ids[a : a + self.EVENT_CHUNK_SESSIONS]), link
                )
                pending.append(pool.submit(self._event_lines, rows, lit))
                if len(pending) >= 2:
                    finish(pending.popleft())
            while pending:
                finish(pending.popleft())
        truth.close()
        self.rows["events.events"] = total
        # what the true KPIs need of the sessions: who, when, where, and the order each placed
        self.session_frame = pd.DataFrame(
            {
                "person": sessions["person"].to_numpy(),
                "t": sessions["t"].to_numpy(),
                "t_last": np.concatenate(self._session_last)
                if self._session_last
                else np.array([], np.int64),
                "platform": sessions["platform"].to_numpy(),
                "purpose": sessions["purpose"].to_numpy(),
                "order": link.reindex(sessions["session"]).fillna(-1).to_numpy().astype(np.int64),
            }
        )
        self._session_last = []
        # nothing reads the sessions after the clickstream: free them for the steps still to come
        del sessions
        self.w.t.chunks.pop("session", None)
        if self.plant and self.write:
            self._plant_event_faults()

    def _plant_event_faults(self) -> None:
        """Two truncated lines (a collector that died mid-write) and one file delivered twice.

        A truncated line is the first half of an event like the file's last one, under a fresh event id
        (derived from that line, not drawn, so the real rows stay as they are); it ends before the
        record's closing brace, so it is never valid JSON."""
        self.writer.flush()
        names = sorted(
            str(p.relative_to(self.landing)) for p in (self.landing / "events").glob("events_*.jsonl")
        )
        for i, name in enumerate(names[1:3]):
            path = self.landing / name
            last = path.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("utf-8")
            h = hashlib.sha256(f"{name}\n{i}\n{last}".encode()).hexdigest()
            event_id = (
                f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"  # the shape of text.uuid_matrix
            )
            line = last.replace(json.loads(last)["event_id"], event_id, 1)
            cut = min(max(len(line) // 2, line.index(event_id) + len(event_id) + 2), len(line) - 1)
            with path.open("a", encoding="utf-8") as fh:
                fh.write(line[:cut] + "\n")
            self.planted["corrupt_rows"].append(
                {"file": name, "event_id": event_id, "reason": "malformed JSON line"}
            )
        copy = names[len(names) // 3]
        shutil.copyfile(self.landing / copy, self.landing / copy.replace(".jsonl", "_resend.jsonl"))
        self.files += 1
        self.planted["duplicate_files"].append(
            {"file": copy, "copy": copy.replace(".jsonl", "_resend.jsonl")}
        )

    EVENT_NAMES = (
        "page_view",
        "product_view",
        "search",
        "add_to_cart",
        "begin_checkout",
        "purchase",
        "login",
        "app_open",
        "push_open",
    )

    def _event_rows(self, s: pd.DataFrame, sess_ids: pa.Array, link: pd.Series) -> dict:
        """Events of a chunk of sessions as integer arrays, with what their sessions carry; all random draws
        of the chunk happen here, in order."""
        w, rng = self.w, self.rng
        code = {n: i for i, n in enumerate(self.EVENT_NAMES)}
        n_ev = s["n_events"].to_numpy()
        si = np.repeat(np.arange(len(s)), n_ev)
        k = np.arange(len(si)) - np.repeat(np.r_[0, np.cumsum(n_ev)[:-1]], n_ev)
        gap = rng.integers(15, 120, len(s))
        t = s["t"].to_numpy()[si] + k * gap[si]
        self._session_last.append(s["t"].to_numpy() + (n_ev - 1) * gap)
        last = n_ev[si] - 1 - k  # 0 = last event of the session
        purpose = pd.Categorical(s["purpose"], categories=["browse", "cart", "abandon", "purchase"]).codes[si]
        s_app = s["platform"].to_numpy() == "app"
        app = s_app[si]
        s_src = s["source"].to_numpy()
        name = rng.choice(3, len(si), p=[0.35, 0.5, 0.15])  # page_view, product_view, search
        opening = np.where(
            app, np.where((s_src == "push")[si], code["push_open"], code["app_open"]), code["page_view"]
        )
        name = np.where(k == 0, opening, name)
        name = np.where((purpose == 1) & (last == 0), code["add_to_cart"], name)
        name = np.where((purpose == 2) & (last == 1), code["add_to_cart"], name)
        name = np.where((purpose == 2) & (last == 0), code["begin_checkout"], name)
        name = np.where((purpose == 3) & (last == 2), code["add_to_cart"], name)
        name = np.where((purpose == 3) & (last == 1), code["begin_checkout"], name)
        name = np.where((purpose == 3) & (last == 0), code["purchase"], name)
        login_at = s["login_at"].to_numpy()[si]
        name = np.where((k == login_at) & ~app & (k > 0) & (last > 2), code["login"], name)
        logged = s["logged_in"].to_numpy()[si] & (k >= login_at)
        first = k == 0
        received = t + rng.integers(0, 20, len(t))
        late = rng.random(len(t)) < 0.03
        received = np.where(late, t + rng.integers(DAY, 3 * DAY, len(t)), received)
        if "late_floor" in s:  # events of earlier days that the collector received only now
            floor = s["late_floor"].to_numpy()[si]
            received = np.where(
                floor >= 0, np.maximum(received, floor + (t - s["t"].to_numpy()[si])), received
            )
        received = np.minimum(received, w.horizon - 1)
        shows_sku = np.isin(name, [code["product_view"], code["add_to_cart"]])
        uuid_a = rng.integers(0, 2**62, len(si), dtype=np.int64)
        uuid_b = rng.integers(0, 2**62, len(si), dtype=np.int64)
        clicks = s["click_id"].to_numpy() if "click_id" in s else np.full(len(s), None)
        return {
            "si": si,
            "name": name,
            "first": first,
            "logged": logged,
            "t": t,
            "received": received,
            "sku": s["sku"].to_numpy()[si],
            "shows_sku": shows_sku,
            "uuid_a": uuid_a,
            "uuid_b": uuid_b,
            "person": s["person"].to_numpy()[si],
            "sess_ids": sess_ids,
            "app": s_app,
            "source": s_src,
            "campaign": s["campaign"].to_numpy(),
            "cookie": s["cookie"].to_numpy(),
            "device": s["device"].to_numpy(),
            "s_person": s["person"].to_numpy(),
            "order": link.reindex(s["session"]).to_numpy(),
            "click": clicks,
        }

    def _event_lines(
        self, r: dict, lit: dict[str, pa.Array]
    ) -> tuple[pa.Array, np.ndarray, pa.Array, np.ndarray]:
        """JSON lines of a chunk's events in file order (by the day received), their received times, and
        event ids and persons in event order (for the truth). Pure: runs on a worker thread.

        What depends only on the session (and on whether the event is its first, or logged in) is made as
        JSON text per session and variant, and spread to events with one `take`."""
        code = {n: i for i, n in enumerate(self.EVENT_NAMES)}
        n_s = len(r["app"])
        app, cookie, device, person, source = r["app"], r["cookie"], r["device"], r["s_person"], r["source"]
        utm = self._session_utm(source, r["campaign"])
        s_utm = np.isin(source, UTM_SOURCES)
        order = r["order"]
        has_order = ~np.isnan(order)
        order_id = text.with_null(
            text.json_literals(
                pa.array(
                    np.where(has_order, order, 0).astype(np.int64) + WEBSHOP_ORDER_BASE, mask=~has_order
                ).cast(pa.string())
            )
        )
        clk = pd.to_numeric(pd.Series(r["click"], dtype=object), errors="coerce").to_numpy(dtype=float)
        click = text.from_matrix(
            text.quoted(text.numbered_chars("Cj0KCQjw", np.nan_to_num(clk).astype(np.int64), 10))
        )
        click = text.with_null(pc.if_else(pa.array(~np.isnan(clk)), click, pa.scalar("null", click.type)))
        device_kinds = np.array([0, 1, 0, 2, 1])[np.where(cookie >= 0, cookie, 0) % 5]
        # variants per session: 4 (first event or not, logged in or not) from platform to page_referrer,
        # 2 (first event or not) from utm_source to geo_city
        v4 = np.arange(4 * n_s)
        s4, logged4 = v4 // 4, v4 % 2 == 1  # the first-event variants are alike here
        before = text.fragment(
            [
                (
                    "platform",
                    text.pick(
                        text.with_null(text.json_literals(pa.array(["web", "app"]))), app[s4].astype(np.int64)
                    ),
                ),
                ("session_id", r["sess_ids"].take(pa.array(s4))),
                ("cookie_id", text.pick(lit["cookie"], cookie[s4], cookie[s4] >= 0)),
                ("device_id", text.pick(lit["device"], device[s4], device[s4] >= 0)),
                ("user_id", text.pick(lit["user"], person[s4], logged4)),
            ]
        )
        v2 = np.arange(2 * n_s)
        s2, first2 = v2 // 2, v2 % 2 == 1
        after = text.fragment(
            [
                ("utm_source", text.pick(utm["utm_source"], utm["combo"][s2], first2 & s_utm[s2])),
                ("utm_medium", text.pick(utm["utm_medium"], utm["combo"][s2], first2 & s_utm[s2])),
                ("utm_campaign", text.pick(utm["utm_campaign"], utm["combo"][s2], first2 & s_utm[s2])),
                ("click_id", text.pick(click, s2, first2)),
                (
                    "device_category",
                    text.json_literals(pa.array(["desktop", "mobile", "tablet"])).take(
                        pa.array(np.where(app, 1, device_kinds)[s2])
                    ),
                ),
                ("geo_city", lit["city"].take(pa.array(person[s2]))),
            ]
        )
        # rows in file order (by the day received) from here on: only integer arrays are permuted
        received_day = (r["received"] // DAY).clip(0, self.w.days - 1)
        o = np.argsort(received_day, kind="stable")
        si, name, first, logged, t, received, sku, shows_sku = (
            r[k][o] for k in ("si", "name", "first", "logged", "t", "received", "sku", "shows_sku")
        )
        r_combo, n_combo = utm["combo"], len(utm["page_url"])
        pages = text.with_null(
            pa.concat_arrays(
                [utm["page_url"].cast(pa.large_string()), lit["product_url"].cast(pa.large_string())]
            ),
            f'"{SHOP}/"',
        )
        month = (t // (30 * DAY)).astype(np.int64)
        versions = [f"5.{m}" for m in range(int(month.max()) + 1)]
        # the app version came with the schema change: before it the key is missing, not null
        app_version = pa.array(
            ["", *[f',"app_version":"{v}"' for v in versions], ',"app_version":null'], pa.large_string()
        )
        event_id = text.uuid_matrix(text.hex_matrix(r["uuid_a"], r["uuid_b"], 32))
        fields = [
            ("event_id", text.from_matrix(text.quoted(event_id[o]))),
            ("event_name", text.json_literals(pa.array(list(self.EVENT_NAMES))).take(pa.array(name))),
            ("event_at", text.timestamps(t + self.epoch, millis=True, quote=True)),
            ("received_at", text.timestamps(received + self.epoch, millis=True, quote=True)),
            (None, before.take(pa.array(4 * si + 2 * first + logged))),
            # the landing page (with its utm) first, a product's page for product views and add-to-cart, else home
            (
                "page_url",
                pages.take(
                    pa.array(
                        np.where(
                            first & s_utm[si], r_combo[si], np.where(shows_sku, n_combo + sku, len(pages) - 1)
                        )
                    )
                ),
            ),
            (
                "page_referrer",
                text.pick(
                    text.with_null(text.json_literals(pa.array(["https://www.google.com/"]))),
                    np.zeros(len(si), np.int64),
                    first & (source == "organic")[si],
                ),
            ),
            ("product_sku", text.pick(lit["sku"], sku, shows_sku)),
            ("order_id", text.pick(order_id, si, name == code["purchase"])),
            (None, after.take(pa.array(2 * si + first))),
            (
                None,
                app_version.take(
                    pa.array(
                        np.where(
                            received_day[o] < self.v2_day, 0, np.where(app[si], 1 + month, len(versions) + 1)
                        )
                    )
                ),
            ),
        ]
        return text.object_lines(fields), received, text.from_matrix(event_id), r["person"]

    @staticmethod
    def _session_utm(source: np.ndarray, campaign: np.ndarray) -> dict:
        """The utm values (as JSON text) of each distinct (source, campaign) of sessions, and each session's
        row among them (`combo`)."""
        src_code, src_uniq = pd.factorize(pd.Series(source, dtype=object), use_na_sentinel=False)
        camp_code, camp_uniq = pd.factorize(pd.Series(campaign, dtype=object), use_na_sentinel=False)
        pairs = [(a, b) for a in src_uniq for b in camp_uniq]
        sources = [_utm_source(a, b) for a, b in pairs]
        return {
            "combo": (src_code * len(camp_uniq) + camp_code).astype(np.int64),
            "utm_source": text.with_null(text.json_literals(pa.array(sources, pa.string()))),
            "utm_medium": text.with_null(
                text.json_literals(pa.array([_utm_medium(a) for a, _ in pairs], pa.string()))
            ),
            "utm_campaign": text.with_null(
                text.json_literals(
                    pa.array([b if isinstance(b, str) else "always-on" for _, b in pairs], pa.string())
                )
            ),
            "page_url": text.json_literals(
                pa.array([f"{SHOP}/?utm_source={x}" for x in sources], pa.string())
            ),
        }

    # --- stores ------------------------------------------------------------------------------------------
    def pos(self) -> None:
        w, rng = self.w, self.rng
        r = w.t.get("receipt").sort_values(["t", "receipt"], kind="stable").reset_index(drop=True)
        lines = w.t.get("receipt_line")
        p = r["person"].to_numpy()
        n = len(r)
        kind = r["kind"].to_numpy()
        card = w.people["card_number"].to_numpy()[p]
        member = w.is_member[p]
        shows_card = member & (rng.random(n) < np.where(kind == "PICKUP", 0.3, 0.75))
        typed_phone = ~shows_card & (rng.random(n) < np.where(kind == "PICKUP", 0.5, 0.18))
        placeholder = ~shows_card & ~typed_phone & (rng.random(n) < 0.03)
        # a member enrolled at a till with no contact (fuzzy_only) shows the card and nothing else, and
        # not where the receipt names a web order, or a store purchase a ticket or survey names: nothing
        # ties the card to the person's e-mail, phone or account
        fuzzy = self.fuzzy_only[p]
        shows_card &= ~(fuzzy & self._receipts_tied_to_contacts(r))
        typed_phone &= ~fuzzy
        placeholder &= ~fuzzy
        # every world, however small, has at least one cashier typing a placeholder
        open_ = ~shows_card & ~typed_phone & ~fuzzy
        if not placeholder.any() and open_.any():
            placeholder[np.flatnonzero(open_)[0]] = True
        store_phone = w.ref.stores.set_index("store_id")["store_phone"].reindex(r["store"]).to_numpy()
        ph_values = np.array(PLACEHOLDER_PHONES, dtype=object)[rng.integers(0, len(PLACEHOLDER_PHONES), n)]
        ph = np.where(rng.random(n) < 0.3, store_phone, ph_values)
        phone = self.pick_phone(p).to_numpy()
        local_t = r["t"].to_numpy() + self.epoch
        local_t = local_t + text.zone_offsets(local_t, "Europe/Warsaw")
        local_day = text.timestamps(local_t, time=False)
        store = pa.array(r["store"].to_numpy().astype(str))
        # receipt numbers count per store and local day, in time order
        store_code = pc.dictionary_encode(store).indices.to_numpy().astype(np.int64)
        group = store_code * (int(local_t.max() // DAY) + 1) + local_t // DAY
        by_group = np.argsort(group, kind="stable")
        starts = np.r_[0, np.flatnonzero(np.diff(group[by_group])) + 1]
        seq = np.empty(n, dtype=np.int64)
        seq[by_group] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
        receipt_id = pc.binary_join_element_wise(
            store, pc.replace_substring(local_day, "-", ""), text.numbered("", seq + 1, 5), "-"
        ).to_numpy(zero_copy_only=False)
        email_v2 = (r["t"].to_numpy() >= self.v2_day * DAY) & (rng.random(n) < 0.12) & ~fuzzy
        email = np.where(email_v2, self.pick_email(p, 0.25).to_numpy(), None)
        email = np.where(
            email_v2 & (rng.random(n) < 0.08),
            np.array(PLACEHOLDER_EMAILS, dtype=object)[rng.integers(0, 2, n)],
            email,
        )
        id_of = pd.Series(receipt_id, index=r["receipt"].to_numpy())
        orders = r["order"].to_numpy()
        head = {
            "receipt_id": pa.array(receipt_id, pa.string()),
            "store_id": store,
            "register_no": pa.array(rng.integers(1, 5, n)).cast(pa.string()),
            "cashier_id": text.numbered("K", rng.integers(1, 40, n), 3),
            "receipt_datetime": text.timestamps(local_t, date_sep=" ", suffix=""),
            "transaction_type": pa.array(kind.astype(str)),
            "loyalty_card": _strings(np.where(shows_card, card, None)),
            "customer_phone": _strings(np.where(typed_phone, phone, np.where(placeholder, ph, None))),
            "payment_method": pa.array(
                np.where(
                    kind == "PICKUP",
                    "online",
                    np.array(["card", "card", "blik", "cash", "voucher"])[rng.integers(0, 5, n)],
                )
            ),
            "coupon_code": pa.nulls(n, pa.string()),
            "original_order_id": pa.array(orders + WEBSHOP_ORDER_BASE, mask=orders < 0).cast(pa.string()),
            "original_receipt_id": _strings(
                np.where(
                    r["orig_receipt"].to_numpy() >= 0,
                    id_of.reindex(r["orig_receipt"].to_numpy()).to_numpy(),
                    None,
                )
            ),
            "customer_email": _strings(email),
            "_file": pc.binary_join_element_wise("pos/", store, "/pos_", store, "_", local_day, ".csv", ""),
            "_day": local_day,
        }
        # lines in till order: local time, receipt number, line number
        row = pd.Index(r["receipt"].to_numpy()).get_indexer(lines["receipt"].to_numpy())
        body = lines[row >= 0]
        row = row[row >= 0]
        id_rank = np.empty(n, dtype=np.int64)
        id_rank[pc.sort_indices(head["receipt_id"]).to_numpy()] = np.arange(n)
        o = np.lexsort((body["line_no"].to_numpy(), id_rank[row], local_t[row]))
        body, row = body.iloc[o], pa.array(row[o])
        kind_l = kind[row.to_numpy()]
        unit = body["unit_price"].to_numpy()
        qty = body["quantity"].to_numpy()
        total = np.where(kind_l == "PICKUP", 0.0, unit * qty)
        line = {
            "line_no": pa.array(body["line_no"].to_numpy()).cast(pa.string()),
            "sku": self.sku_text.take(pa.array(body["sku"].to_numpy())),
            "quantity": pa.array(qty).cast(pa.string()),
            "unit_price": _comma(unit),
            "discount": _comma(body["discount"].to_numpy()),
            "line_total": _comma(total),
        }
        cols = [
            "receipt_id",
            "store_id",
            "register_no",
            "cashier_id",
            "receipt_datetime",
            "transaction_type",
            "loyalty_card",
            "customer_phone",
            "line_no",
            "sku",
            "quantity",
            "unit_price",
            "discount",
            "line_total",
            "payment_method",
            "coupon_code",
            "original_order_id",
            "original_receipt_id",
            "customer_email",
            "_file",
            "_day",
        ]
        out = pa.table({c: line[c] if c in line else head[c].take(row) for c in cols})
        v2_from = self.day_str(np.array([self.v2_day * DAY]))[0]
        # planted corrupt rows: one extra line each, on a SALE receipt of its own file, broken for exactly
        # the reason recorded (the rest of the line is the receipt's own, coherent: a till that garbled one line)
        _, files, _ = _file_groups(out["_file"])
        extra = [
            self._planted_receipt_line(out, files, i, stamp, q, why)
            for i, (stamp, q, why) in enumerate(
                [
                    ("31.02.2026 25:61", 1, "unparseable receipt_datetime"),
                    (None, -2, "negative quantity on a SALE"),
                    (None, 1, "missing receipt_id"),
                ]
                if self.plant
                else []
            )
        ]
        out = pa.concat_tables([out, pa.Table.from_pylist(extra, schema=out.schema)])
        v1 = pc.less(out["_day"], v2_from)
        for part in (out.filter(v1).drop_columns(["customer_email"]), out.filter(pc.invert(v1))):
            self.write_csv_table(part.drop_columns(["_file", "_day"]), part["_file"], delimiter=";")
        self.rows["pos.receipt_lines"] = out.num_rows
        # re-delivered files: the same bytes under a `_resend` name
        resend = [f for i, f in enumerate(files) if i % 97 == 5] if self.plant and self.write else []
        self.writer.flush()
        for f in resend:
            src = self.landing / f
            shutil.copyfile(src, src.with_name(src.stem + "_resend.csv"))
            self.files += 1
            self.planted["duplicate_files"].append(
                {"file": f, "copy": str(Path(f).with_name(Path(f).stem + "_resend.csv"))}
            )
        sale = r[kind == "SALE"]
        amount = lines.assign(a=lines["unit_price"] * lines["quantity"]).groupby("receipt")["a"].sum()
        identifiable = shows_card | typed_phone | (email_v2 & ~np.isin(email, PLACEHOLDER_EMAILS))
        self.remember(
            "orders_pos",
            pd.DataFrame(
                {
                    "source_system": "pos",
                    "order_id": receipt_id[kind == "SALE"],
                    "person_id": self.person_id[p[kind == "SALE"]],
                    "channel": "store",
                    "fulfilment_type": "in_store",
                    "store_id": sale["store"].to_numpy(),
                    "placed_at": self.iso_list(sale["t"].to_numpy()),
                    "total_pln": self.money(amount.reindex(sale["receipt"]).to_numpy()),
                    "coupon_code": None,
                    "is_identifiable": identifiable[kind == "SALE"],
                }
            ),
        )
        ret = kind == "RETURN"
        self.remember(
            "returns_pos",
            pd.DataFrame(
                {
                    "source_system": "pos",
                    "return_id": receipt_id[ret],
                    "person_id": self.person_id[p[ret]],
                    "order_id": np.where(
                        orders[ret] >= 0,
                        (orders[ret] + WEBSHOP_ORDER_BASE).astype(str),
                        id_of.reindex(r["orig_receipt"].to_numpy()[ret]).to_numpy(),
                    ),
                    "return_channel": "store",
                }
            ),
        )
        self.remember(
            "pickups",
            pd.DataFrame(
                {
                    "receipt_id": receipt_id[kind == "PICKUP"],
                    "order_id": (orders[kind == "PICKUP"] + WEBSHOP_ORDER_BASE).astype(str),
                    "person_id": self.person_id[p[kind == "PICKUP"]],
                }
            ),
        )
        self.receipt_id_of = id_of

    def _receipts_tied_to_contacts(self, r: pd.DataFrame) -> np.ndarray:
        """Receipts whose card would be seen with someone's contact elsewhere: those naming a web order
        (pick-ups, returns of web orders: the order carries an e-mail) and those of a store purchase that
        a ticket or a survey names (with the e-mail or phone of its author), returns included."""
        named = [
            frame.loc[frame["ref_kind"] == "pos", "ref"].to_numpy()
            for frame in (self.w.t.get("ticket"), self.w.t.get("survey"))
            if len(frame)
        ]
        named = np.concatenate(named) if named else np.array([], dtype=np.int64)
        orig = r["orig_receipt"].to_numpy()
        purchase = np.where(orig >= 0, orig, r["receipt"].to_numpy())
        return (r["order"].to_numpy() >= 0) | np.isin(purchase, named)

    def _planted_receipt_line(
        self, out: pa.Table, files: list[str], i: int, stamp: str | None, quantity: int, why: str
    ) -> dict:
        """A corrupt till line: one more line of the last SALE receipt of a file (the (7i)-th file, or the next
        one holding a SALE and no other planted line), with that receipt's header, the line number after
        its last line and a line total that matches its quantity: only `why` is wrong with it. Draws
        nothing at random, so the real rows stay as they are."""
        used = {c["file"] for c in self.planted["corrupt_rows"]}
        sale = pc.equal(out["transaction_type"], "SALE")
        start = min(i * 7, len(files) - 1)
        for f in files[start:] + files[:start]:
            if f in used:
                continue
            rows = pc.indices_nonzero(pc.and_(pc.equal(out["_file"], f), sale)).to_numpy()
            if len(rows):
                break
        else:
            raise ValueError("no till file with a SALE receipt left to plant a corrupt line in")
        of_file = out.take(pa.array(rows))
        receipt = of_file["receipt_id"][-1]
        line = of_file.filter(pc.equal(of_file["receipt_id"], receipt)).to_pylist()[-1]
        unit = float(line["unit_price"].replace(",", "."))
        line.update(
            transaction_type="SALE",
            line_no=str(int(line["line_no"]) + 1),
            quantity=str(quantity),
            line_total=_comma([unit * quantity])[0].as_py(),
        )
        if stamp is not None:
            line["receipt_datetime"] = stamp
        if why == "missing receipt_id":
            line["receipt_id"] = ""
        self.planted["corrupt_rows"].append(
            {"file": f, "receipt_id": line["receipt_id"], "line_no": int(line["line_no"]), "reason": why}
        )
        return line

    # --- loyalty and consents ------------------------------------------------------------------------------
    def loyalty(self, consents: pd.DataFrame) -> None:
        w, rng = self.w, self.rng
        people = w.people
        members = np.flatnonzero(w.is_member)
        joined = w.consent_joined[members]
        versions = [
            pd.DataFrame(
                {
                    "person": members,
                    "updated": np.maximum(joined, 0),
                    "phone": people["phone"].to_numpy()[members],
                }
            )
        ]
        ch = members[people["changes_phone"].to_numpy()[members]]
        if len(ch):
            versions.append(
                pd.DataFrame(
                    {
                        "person": ch,
                        "updated": rng.integers(DAY, w.horizon, len(ch)),
                        "phone": people["new_phone"].to_numpy()[ch],
                    }
                )
            )
        v = pd.concat(versions, ignore_index=True)
        p = v["person"].to_numpy()
        n = len(v)
        shared = people["is_shared_phone"].to_numpy()[p]
        phone = messy_phones(rng, np.where(shared, self.family_phone[p], v["phone"].to_numpy())).to_numpy()
        phone = np.where(
            rng.random(n) < 0.015, np.array(PLACEHOLDER_PHONES, dtype=object)[rng.integers(0, 2, n)], phone
        )
        typed = self.pick_email(p, 0.2).to_numpy()
        email = np.where(rng.random(n) < 0.1, None, typed)
        email = np.where(
            rng.random(n) < 0.02, np.array(PLACEHOLDER_EMAILS, dtype=object)[rng.integers(0, 3, n)], email
        )
        # name variants give the e-mail of their web account; till enrolments with no contact give none
        email = np.where(people["is_name_variant"].to_numpy()[p], typed, email)
        fuzzy = self.fuzzy_only[p]
        email, phone = np.where(fuzzy, None, email), np.where(fuzzy, None, phone)
        street = np.where(
            people["member_street_missing"].to_numpy()[p], None, people["street_address"].to_numpy()[p]
        )
        frame = pd.DataFrame(
            {
                "member_id": people["member_id"].to_numpy()[p],
                "card_number": people["card_number"].to_numpy()[p],
                "email": email,
                "phone": phone,
                "first_name": people["member_first_name"].to_numpy()[p],
                "last_name": people["member_last_name"].to_numpy()[p],
                "birth_date": people["birth_date"].to_numpy()[p],
                "street": messy_streets(self.id_rng, street, 0.15).to_numpy(dtype=object, na_value=None),
                "postal_code": people["postal_code"].to_numpy()[p],
                "city": people["city"].to_numpy()[p],
                "country": "PL",
                "home_store_id": w.home_store[p],
                "enrolled_at": self.ts(w.consent_joined[p]).to_numpy(zero_copy_only=False),
                "updated_at": self.ts(np.maximum(v["updated"].to_numpy(), w.consent_joined[p])).to_numpy(
                    zero_copy_only=False
                ),
                "status": "active",
            }
        )
        frame["_file"] = np.char.add(
            np.char.add("loyalty/members/members_", self.day_str(v["updated"].to_numpy()).astype(str)), ".csv"
        )
        self.write_csv(frame, "_file")
        self.rows["loyalty.members"] = n
        self.remember(
            "loyalty_members",
            pd.DataFrame(
                {"member_id": people["member_id"].to_numpy()[members], "person_id": self.person_id[members]}
            ),
        )
        # the consent ledger: every grant, and every withdrawal
        c = consents
        grants = c.assign(event_t=c["granted"], status="granted", source=c["grant_source"])
        wd = c[c["withdrawn"] < NEVER]
        withdrawals = wd.assign(event_t=wd["withdrawn"], status="withdrawn", source=wd["withdraw_source"])
        ev = pd.concat([grants, withdrawals], ignore_index=True).sort_values(
            ["event_t", "person", "channel", "purpose"], kind="stable"
        )
        ev = ev.reset_index(drop=True)
        pp = ev["person"].to_numpy()
        m = len(ev)
        ev_email = np.where(ev["channel"].to_numpy() == "email", self.email.iloc[pp].to_numpy(), None)
        ev_phone = np.where(ev["channel"].to_numpy() == "sms", e164(self.family_phone[pp]).to_numpy(), None)
        # a till enrolment with no contact (fuzzy_only): its consents about an e-mail or a phone were given
        # on the web shop and name no member (push consents name the member alone)
        unnamed = self.fuzzy_only[pp] & (pd.notna(ev_email) | pd.notna(ev_phone))
        out = pd.DataFrame(
            {
                "consent_event_id": pd.Series(np.arange(m) + 1).map(lambda i: f"CE{i:08d}").to_numpy(),
                "member_id": np.where(w.is_member[pp] & ~unnamed, people["member_id"].to_numpy()[pp], None),
                "email": ev_email,
                "phone": ev_phone,
                "channel": ev["channel"].to_numpy(),
                "purpose": ev["purpose"].to_numpy(),
                "status": ev["status"].to_numpy(),
                "source": ev["source"].to_numpy(),
                "event_at": self.ts(ev["event_t"].to_numpy()).to_numpy(zero_copy_only=False),
                "_file": np.char.add(
                    np.char.add(
                        "loyalty/consents/consent_events_", self.day_str(ev["event_t"].to_numpy()).astype(str)
                    ),
                    ".csv",
                ),
            }
        )
        self.write_csv(out, "_file")
        self.rows["loyalty.consent_events"] = m
        self.remember(
            "consent_events",
            pd.DataFrame(
                {
                    "consent_event_id": out["consent_event_id"],
                    "person_id": self.person_id[pp],
                    "channel": out["channel"],
                    "purpose": out["purpose"],
                    "status": out["status"],
                    "event_at": out["event_at"],
                }
            ),
        )

    # --- marketing and ads -------------------------------------------------------------------------------
    def marketing(self, campaigns: pd.DataFrame, messages: pd.DataFrame) -> None:
        start = self.start.astype("datetime64[D]")
        rows = [
            {
                "campaign_id": c.campaign_id,
                "name": c.name,
                "channel": c.channel,
                "purpose": "promotion",
                "start_date": str(start + np.timedelta64(int(c.t // DAY), "D")),
                "end_date": str(start + np.timedelta64(int(c.t // DAY) + 7, "D")),
                "coupon_code": _text(c.coupon),
                "utm_campaign": c.campaign_id,
                "ad_platform": None,
            }
            for c in campaigns.itertuples()
        ]
        rows += [
            {
                "campaign_id": cid,
                "name": name,
                "channel": "email",
                "purpose": "triggered",
                "start_date": str(start),
                "end_date": None,
                "coupon_code": None,
                "utm_campaign": utm,
                "ad_platform": None,
            }
            for cid, name, utm in (
                ("TRG-ABANDONED-CART", "Porzucony koszyk", "abandoned-cart"),
                ("TRG-COUPON", "Kupon miesiąca", "coupon"),
                ("NL-RESEND", "Newsletter (ponowna wysyłka)", "NL-RESEND"),
            )
        ]
        rows += [
            {
                "campaign_id": c,
                "name": c.replace("-", " ").title(),
                "channel": "ads",
                "purpose": "acquisition",
                "start_date": str(start),
                "end_date": None,
                "coupon_code": None,
                "utm_campaign": c,
                "ad_platform": "google" if "-G-" in c else "meta",
            }
            for c in ADS_CAMPAIGNS
        ]
        self.write_docs({"marketing/campaigns.json": rows}, "campaigns")
        self.rows["marketing.campaigns"] = len(rows)
        m = messages
        n = len(m)
        # uuids are drawn for all events at once (as before chunking), and formatted per chunk
        uuid_a = self.rng.integers(0, 2**62, n, dtype=np.int64)
        uuid_b = self.rng.integers(0, 2**62, n, dtype=np.int64)
        people_lit = {
            "email": text.with_null(
                text.json_literals(pa.array(self.email.to_numpy(dtype=object), pa.string()))
            ),
            "phone": text.with_null(
                text.json_literals(pa.array(e164(self.family_phone).to_numpy(dtype=object), pa.string()))
            ),
            "device": text.with_null(text.json_literals(self.device_values)),
        }
        # text columns as codes into their distinct values, once for all rows
        codes, uniq = {}, {}
        for col in ("channel", "event_type", "campaign", "coupon"):
            found, values = pd.factorize(m[col], use_na_sentinel=False)
            codes[col] = found.astype(np.int32)  # a handful of values: half the memory of the default
            uniq[col] = [v if isinstance(v, str) else None for v in values]

        def code_is(col: str, value: str) -> np.ndarray:
            return codes[col] == (uniq[col].index(value) if value in uniq[col] else -1)

        rows = {
            "person": m["person"].to_numpy(),
            "t": m["t"].to_numpy(),
            "message": m["message"].to_numpy(),
            "email": code_is("channel", "email"),
            "sms": code_is("channel", "sms"),
            "push": code_is("channel", "push"),
            "click": code_is("event_type", "click"),
            **codes,
        }

        def chunk(a: int) -> dict:
            return {
                k: v[a : a + self.MESSAGE_CHUNK_ROWS]
                for k, v in {**rows, "uuid_a": uuid_a, "uuid_b": uuid_b}.items()
            }

        pending: collections.deque = collections.deque()
        with ThreadPoolExecutor(max_workers=2) as pool:
            for a in range(0, n, self.MESSAGE_CHUNK_ROWS):
                part = chunk(a)
                pending.append((pool.submit(self._message_lines, part, uniq, people_lit), part["t"]))
                if len(pending) >= 2:
                    built, t = pending.popleft()
                    self.write_lines(built.result(), "marketing/events/message_events_", t, append=True)
            while pending:
                built, t = pending.popleft()
                self.write_lines(built.result(), "marketing/events/message_events_", t, append=True)
        self.rows["marketing.message_events"] = n
        rows.clear()  # the per-event columns are written: free them before the truth's frames are made
        codes.clear()
        uuid_a = uuid_b = None
        # opens and clicks are the customer's own interactions (the true journeys need them)
        engaged = m["event_type"].isin(["open", "click"]).to_numpy()
        self.message_touches = pd.DataFrame(
            {
                "person": m["person"].to_numpy()[engaged],
                "t": m["t"].to_numpy()[engaged],
                "channel": m["channel"].to_numpy()[engaged],
            }
        )
        sends = m[m["event_type"] == "send"]
        # one row per message (a third of the events): its own texts stay Arrow strings and the shared ones
        # categories, where Python strings would take about 70 bytes a value (GBs at size l)
        self.remember(
            "marketing_messages",
            pd.DataFrame(
                {
                    "message_id": _arrow_strings(text.numbered("MSG", sends["message"].to_numpy(), 9)),
                    "person_id": self.person_id[sends["person"].to_numpy()],
                    "campaign_id": sends["campaign"].astype("category").array,
                    "channel": sends["channel"].astype("category").array,
                    "coupon_code": sends["coupon"].astype("category").array,
                    "sent_at": _arrow_strings(self.ts(sends["t"].to_numpy())),
                }
            ),
        )

    MESSAGE_CHUNK_ROWS = 500_000

    def _message_lines(self, r: dict, uniq: dict[str, list], people_lit: dict) -> pa.Array:
        """Message events as JSON lines. What belongs to the message (campaign to coupon) is made as JSON
        text once per message and spread to its events with one `take`. Pure: runs on a worker thread."""
        w = self.w

        def values(col) -> pa.Array:
            return text.json_literals(pa.array(col, pa.string()))

        pp, n_camp = r["person"], len(uniq["campaign"])
        _, first, per_event = np.unique(r["message"], return_index=True, return_inverse=True)
        per_event = per_event.ravel()
        same = all(
            np.array_equal(r[k][first][per_event], r[k]) for k in ("person", "channel", "campaign", "coupon")
        )
        if not same:  # a message's events disagree on what the message is: one fragment per event
            first, per_event = np.arange(len(pp)), np.arange(len(pp))
        f = first
        n_dev = len(self.device_values)
        message = text.fragment(
            [
                ("campaign_id", values(uniq["campaign"]).take(pa.array(r["campaign"][f]))),
                ("message_id", text.from_matrix(text.quoted(text.numbered_chars("MSG", r["message"][f], 9)))),
                ("channel", values(uniq["channel"]).take(pa.array(r["channel"][f]))),
                ("email", text.pick(people_lit["email"], pp[f], r["email"][f])),
                ("phone", text.pick(people_lit["phone"], pp[f], r["sms"][f])),
                (
                    "device_id",
                    text.pick(
                        people_lit["device"],
                        np.minimum(w.device_base[pp[f]], n_dev - 1),
                        r["push"][f] & (w.n_devices[pp[f]] > 0),
                    ),
                ),
                ("coupon_code", values(uniq["coupon"]).take(pa.array(r["coupon"][f]))),
            ]
        )
        urls = [
            f"{SHOP}/?utm_source={MESSAGE_UTM_SOURCE.get(c, c)}&utm_medium={c}&utm_campaign={TRIGGERED_UTM.get(k, k)}"
            for c in uniq["channel"]
            for k in uniq["campaign"]
        ]
        fields = [
            (
                "event_id",
                text.from_matrix(
                    text.quoted(text.uuid_matrix(text.hex_matrix(r["uuid_a"], r["uuid_b"], 32)))
                ),
            ),
            ("event_type", values(uniq["event_type"]).take(pa.array(r["event_type"]))),
            ("event_at", text.timestamps(r["t"] + self.epoch, quote=True)),
            (None, message.take(pa.array(per_event))),
            (
                "url",
                text.pick(text.with_null(values(urls)), r["channel"] * n_camp + r["campaign"], r["click"]),
            ),
        ]
        return text.object_lines(fields)

    def ads(self) -> None:
        w, rng = self.w, self.rng
        c = w.t.get("ad_click")
        plat = np.where(pd.Series(c["campaign"]).str.contains("-G-").to_numpy(), "google", "meta")
        frame = pd.DataFrame(
            {
                "click_id": [_click_token(x) for x in c["click"].to_numpy()],
                "platform": plat,
                "campaign_id": c["campaign"].to_numpy(),
                "clicked_at": self.ts(c["t"].to_numpy()).to_numpy(zero_copy_only=False),
                "landing_page": [
                    f"{SHOP}/?utm_source={'google' if p == 'google' else 'facebook'}&utm_medium=cpc&utm_campaign={k}"
                    for p, k in zip(plat, c["campaign"].to_numpy(), strict=True)
                ],
                "_file": np.char.add(
                    np.char.add("ads/clicks/ad_clicks_", self.day_str(c["t"].to_numpy()).astype(str)), ".csv"
                ),
            }
        )
        self.write_csv(frame, "_file")
        self.rows["ads.ad_clicks"] = len(frame)
        day = self.day_str(c["t"].to_numpy())
        counts = (
            pd.DataFrame({"date": day, "campaign_id": c["campaign"].to_numpy(), "platform": plat})
            .value_counts()
            .rename("clicks")
            .reset_index()
        )
        # campaigns run every day: days without a recorded click still cost impressions
        grid = pd.MultiIndex.from_product(
            [self.day_str(np.arange(self.first_day, w.days) * DAY), ADS_CAMPAIGNS],
            names=["date", "campaign_id"],
        ).to_frame(index=False)
        grid["platform"] = np.where(grid["campaign_id"].str.contains("-G-"), "google", "meta")
        spend = grid.merge(counts, on=["date", "campaign_id", "platform"], how="left").fillna({"clicks": 0})
        clicks = spend["clicks"].to_numpy().astype(int) * 3  # the shop sees a third of the clicks as sessions
        cpc = np.where(spend["platform"] == "google", 1.9, 1.3) * rng.uniform(0.8, 1.2, len(spend))
        spend = spend.assign(
            account_id=np.where(spend["platform"] == "google", "123-456-7890", "act_9876543"),
            campaign_name=spend["campaign_id"].str.replace("-", " ").str.title(),
            utm_campaign=spend["campaign_id"],
            impressions=clicks * rng.integers(25, 60, len(spend)) + rng.integers(100, 400, len(spend)),
            clicks=clicks,
            cost_pln=self.money(clicks * cpc + 5),
        )
        spend["_file"] = "ads/spend/ad_spend_" + spend["date"] + ".csv"
        cols = [
            "date",
            "platform",
            "account_id",
            "campaign_id",
            "campaign_name",
            "utm_campaign",
            "impressions",
            "clicks",
            "cost_pln",
            "_file",
        ]
        self.write_csv(spend[cols], "_file")
        self.rows["ads.ad_spend"] = len(spend)

    # --- service and surveys -------------------------------------------------------------------------------
    def helpdesk(self) -> None:
        w, rng = self.w, self.rng
        tk = w.t.get("ticket")
        if not len(tk):
            return
        p = tk["person"].to_numpy()
        n = len(tk)
        email = self.pick_email(p, 0.25).to_numpy()
        phone = self.pick_phone(p).to_numpy()
        chan = tk["channel"].to_numpy()
        show_email = (chan != "phone") | (rng.random(n) < 0.2)
        show_phone = (chan == "phone") & (rng.random(n) < 0.9) | (rng.random(n) < 0.15)
        ref = np.where(
            tk["ref_kind"].to_numpy() == "webshop",
            (tk["ref"].to_numpy() + WEBSHOP_ORDER_BASE).astype(str),
            self.receipt_id_of.reindex(tk["ref"].to_numpy()).to_numpy(),
        )
        solved_t = tk["solved"].to_numpy()
        is_solved = solved_t < w.horizon
        names = (w.people["first_name"].to_numpy()[p] + " " + w.people["last_name"].to_numpy()[p]).astype(str)
        subjects = {
            "chat": "Pytanie o zamówienie",
            "phone": "Rozmowa telefoniczna",
            "email": "Reklamacja",
            "messenger": "Wiadomość z Messengera",
        }
        # every ticket is exported when opened, and the solved ones again when solved
        v = np.r_[np.arange(n), np.flatnonzero(is_solved)]
        second = np.r_[np.zeros(n, bool), np.ones(int(is_solved.sum()), bool)]
        first_resp = self.ts(np.minimum(tk["first_response"].to_numpy(), w.horizon - 1))
        solved = self.ts(np.minimum(solved_t, w.horizon - 1))
        csat = tk["csat"].to_numpy()
        tags = np.char.add(
            np.char.add(np.where(tk["ref_kind"].to_numpy() == "webshop", "zamowienie", "sklep"), ","),
            chan.astype(str),
        )
        table = pa.table(
            {
                "id": pa.array(TICKET_BASE + self.offsets.get("ticket", 0) + v, pa.int64()),
                "via_channel": pa.array(chan.astype(str)[v]),
                "requester": _struct(
                    [
                        pa.array(np.where(show_email, email, None)[v], pa.string()),
                        pa.array(np.where(show_phone, phone, None)[v], pa.string()),
                        pa.array(names[v]),
                    ],
                    names=["email", "phone", "name"],
                ),
                "subject": pa.array(np.array([subjects[c] for c in chan])[v]),
                "order_id": pa.array(ref[v], pa.string()),
                "status": pa.array(np.where(second, "solved", "open")),
                "created_at": self.ts(tk["t"].to_numpy()).take(v),
                "first_response_at": first_resp.take(v),
                "solved_at": pa.array(
                    np.where(second, solved.take(v).to_numpy(zero_copy_only=False), None), pa.string()
                ),
                "updated_at": pa.array(
                    np.where(
                        second,
                        solved.take(v).to_numpy(zero_copy_only=False),
                        first_resp.take(v).to_numpy(zero_copy_only=False),
                    )
                ),
                "contacts": pa.array(tk["contacts"].to_numpy()[v], pa.int64()),
                "satisfaction": _struct(
                    [pa.array(csat[v], pa.int64())], names=["score"], mask=pa.array(~(second & (csat[v] > 0)))
                ),
                "tags": pa.array(tags[v]),
                "_file": _paths(
                    "helpdesk/tickets/tickets_",
                    np.where(
                        second,
                        self.day_str(np.minimum(solved_t, w.horizon - 1))[v],
                        self.day_str(tk["t"].to_numpy())[v],
                    ),
                    ".json",
                ),
            }
        )
        self.write_doc_table(table, "tickets")
        self.rows["helpdesk.tickets"] = len(v)
        self.remember(
            "tickets",
            pd.DataFrame(
                {
                    "ticket_id": (TICKET_BASE + self.offsets.get("ticket", 0) + np.arange(n)).astype(str),
                    "person_id": self.person_id[p],
                    "channel": chan,
                    "order_id": ref,
                    "contacts": tk["contacts"].to_numpy(),
                    "csat": np.where(is_solved, tk["csat"].to_numpy(), -1),
                }
            ),
        )

    def surveys(self) -> None:
        w, rng = self.w, self.rng
        sv = w.t.get("survey")
        sv = sv[sv["t"] < w.horizon].reset_index(drop=True)
        p = sv["person"].to_numpy()
        n = len(sv)
        comments = np.array(
            [None, None, "Szybka dostawa", "Miła obsługa w sklepie", "Za długo czekałem", "Polecam!", None],
            dtype=object,
        )
        ref = np.where(
            sv["ref_kind"].to_numpy() == "webshop",
            (sv["ref"].to_numpy() + WEBSHOP_ORDER_BASE).astype(str),
            self.receipt_id_of.reindex(sv["ref"].to_numpy()).to_numpy(),
        )
        frame = pd.DataFrame(
            {
                "response_id": pd.Series(np.arange(n) + 1 + self.offsets.get("survey", 0))
                .map(lambda i: f"SR{i:08d}")
                .to_numpy(),
                "survey_type": sv["type"].to_numpy(),
                "email": self.pick_email(p, 0.1).to_numpy(),
                "phone": None,
                "score": sv["score"].to_numpy(),
                "comment": comments[rng.integers(0, len(comments), n)],
                "responded_at": self.ts(sv["t"].to_numpy()).to_numpy(zero_copy_only=False),
                "touchpoint_channel": sv["channel"].to_numpy(),
                "order_id": ref,
                "ticket_id": None,
                "_file": np.char.add(
                    np.char.add("surveys/responses_", self.day_str(sv["t"].to_numpy()).astype(str)), ".csv"
                ),
            }
        )
        self.write_csv(frame, "_file")
        self.rows["surveys.responses"] = n
        self.remember(
            "survey_responses",
            pd.DataFrame(
                {
                    "response_id": frame["response_id"],
                    "person_id": self.person_id[p],
                    "survey_type": frame["survey_type"],
                    "score": frame["score"],
                    "touchpoint_channel": frame["touchpoint_channel"],
                }
            ),
        )


def _struct(arrays: list, names: list[str], mask: pa.Array | None = None) -> pa.StructArray:
    """pa.StructArray.from_arrays, also for fields that came out chunked (large inputs)."""
    arrays = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in arrays]
    return pa.StructArray.from_arrays(arrays, names=names, mask=mask)


def _file_groups(files) -> tuple[np.ndarray, list[str], list[int]]:
    """Rows grouped by file name, names in sorted order, rows in order within a file: the row order, the
    names, and where each file's rows start (plus the end)."""
    encoded = pc.dictionary_encode(
        files if isinstance(files, pa.Array | pa.ChunkedArray) else pa.array(files, pa.string())
    )
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    uniq = encoded.dictionary.to_pylist()
    codes = encoded.indices.to_numpy()
    by_name = sorted(range(len(uniq)), key=uniq.__getitem__)
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[by_name] = np.arange(len(uniq))
    order = np.argsort(rank[codes], kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(rank[codes], minlength=len(uniq)))]
    return order, [uniq[i] for i in by_name], bounds.tolist()


def _arrow_strings(values: pa.Array) -> pd.Series:
    """A pandas column over an Arrow string array, without a Python object per value."""
    return pd.Series(values, dtype=pd.ArrowDtype(values.type))


def _strings(values) -> pa.Array:
    """Text with missing values as nulls, from a pandas Series or numpy array of any missing marker."""
    try:
        return pa.array(values, pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not text: only strings are kept
        series = pd.Series(values, dtype=object)
        return pa.array(
            series.where(series.map(lambda x: isinstance(x, str)), None).to_numpy(dtype=object), pa.string()
        )


def _paths(prefix: str, days, suffix: str) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pa.array(np.asarray(days).astype(str)), suffix, "")


def _text(value) -> str | None:
    """A string, or None for pandas' missing values (NaN is not JSON)."""
    return value if isinstance(value, str) else None


def _json_value(value):
    """numpy scalars and pandas' missing value, as JSON sees them."""
    if value is pd.NA or value is None:
        return None
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _utm_source(source, campaign) -> str:
    if source == "ads":
        return "google" if isinstance(campaign, str) and "-G-" in campaign else "facebook"
    return {"email": "newsletter", "push": "app_push", "social": "instagram"}.get(source, "direct")


def _utm_medium(source) -> str:
    return {"ads": "cpc", "email": "email", "push": "push", "social": "social"}.get(source, "none")


def _click_token(click) -> str | None:
    if click is None or pd.isna(click):
        return None
    return f"Cj0KCQjw{int(click):010d}"


def _comma(values) -> pa.Array:
    """Money with a decimal comma, as Polish tills export it ("{:.2f}" of the value rounded to cents)."""
    rounded = np.round(np.asarray(values, dtype=float), 2)
    if not np.isfinite(rounded).all():
        raise ValueError("money must be finite")
    cents = np.rint(np.abs(rounded) * 100).astype(np.int64)
    whole = pa.array(cents // 100).cast(pa.string())
    sign = pa.array(np.where(np.signbit(rounded), "-", ""))
    return pc.binary_join_element_wise(sign, whole, ",", text.numbered("", cents % 100, 2), "")
