"""The static world: calendar, stores, parcel lockers, products and prices, people and their
identifiers, accounts, loyalty members, devices, cookies, consents and the campaign calendar.

Everything is held as numpy arrays (one element per person, product, ...) and Arrow string pools;
records refer to pool entries by integer index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from omni.generate import names as N
from omni.generate import settings as S
from omni.generate.util import (
    DAY_MS,
    HOUR_MS,
    MIN_MS,
    STR,
    cat,
    choice_w,
    digits_str,
    ean13_check,
    epoch_ms,
    expand,
    first_of_group,
    ints_str,
    rng_for,
    take,
    uuid_strings,
    warsaw_offset_hours,
)

INF = np.iinfo(np.int64).max
CH_EMAIL, CH_SMS, CH_PUSH, CH_PHONE = 0, 1, 2, 3
CONSENT_CHANNELS = ["email", "sms", "push", "phone"]
CONSENT_SOURCES = ["store", "web", "app", "call_center", "unsubscribe_link"]
SRC_STORE, SRC_WEB, SRC_APP, SRC_CALL, SRC_LINK = range(5)
PHONE_FORMATS = 7  # variants per phone number in the phone pool
PHONE_E164 = 5
EMAIL_VARIANTS = 6


# ---------------------------------------------------------------------------------------------
@dataclass
class Calendar:
    start: date
    days: int
    dates: list[date]
    labels: list[str]
    day0_ms: int
    weekday: np.ndarray
    online_w: np.ndarray
    store_w: np.ndarray
    store_open: np.ndarray
    next_open: np.ndarray  # index of the next open store day >= d (days if none)
    offset_h: np.ndarray  # Europe/Warsaw UTC offset per day
    mid: int  # first day of the schema v2 files
    year_share: float  # period length in years

    def ms(self, day) -> np.ndarray:
        return self.day0_ms + np.asarray(day, dtype=np.int64) * DAY_MS

    def day_of(self, ms) -> np.ndarray:
        return (np.asarray(ms, dtype=np.int64) - self.day0_ms) // DAY_MS

    def local_day_of_utc(self, ms) -> np.ndarray:
        """The local (Warsaw) calendar day of UTC instants."""
        d = np.clip(self.day_of(ms), 0, self.days - 1)
        return self.day_of(np.asarray(ms) + self.offset_h[d] * HOUR_MS)

    def utc_of_local(self, local_ms) -> np.ndarray:
        d = np.clip(self.day_of(local_ms), 0, self.days - 1)
        return np.asarray(local_ms) - self.offset_h[d] * HOUR_MS


POLISH_HOLIDAYS = {
    date(2025, 11, 1), date(2025, 11, 11), date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26),
    date(2026, 1, 1), date(2026, 1, 6), date(2026, 4, 5), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 3),
    date(2026, 5, 24), date(2026, 6, 4), date(2026, 8, 15), date(2026, 11, 1),
}
TRADING_SUNDAYS = {date(2025, 12, 7), date(2025, 12, 14), date(2025, 12, 21), date(2026, 1, 25),
                   date(2026, 3, 29), date(2026, 4, 26), date(2026, 6, 28), date(2026, 8, 30)}
BLACK_FRIDAY = date(2025, 11, 28)


def season(d: date) -> float:
    """Demand multiplier of a day: Black Friday, Christmas, winter and summer sales, back to school."""
    m = 1.0
    if d == BLACK_FRIDAY:
        m = 2.6
    elif date(2025, 11, 24) <= d <= date(2025, 12, 1):
        m = 1.7
    elif date(2025, 12, 2) <= d <= date(2025, 12, 22):
        m = 1.3 + 0.4 * (d - date(2025, 12, 2)).days / 20
    elif date(2025, 12, 24) <= d <= date(2025, 12, 26):
        m = 0.45
    elif date(2025, 12, 27) <= d <= date(2026, 1, 6):
        m = 0.9
    elif date(2026, 1, 7) <= d <= date(2026, 1, 20):
        m = 1.15
    elif date(2026, 2, 1) <= d <= date(2026, 2, 28):
        m = 0.9
    elif date(2026, 6, 26) <= d <= date(2026, 7, 12):
        m = 1.35
    elif date(2026, 8, 17) <= d <= date(2026, 9, 6):
        m = 1.2
    return m


def make_calendar(days: int) -> Calendar:
    start = S.END_DATE - timedelta(days=days - 1)
    dates = [start + timedelta(days=i) for i in range(days)]
    weekday = np.array([d.weekday() for d in dates])
    seas = np.array([season(d) for d in dates])
    online_week = np.array([1.0, 0.97, 0.97, 1.0, 0.93, 0.88, 1.15])
    store_week = np.array([0.85, 0.85, 0.9, 0.95, 1.15, 1.45, 1.25])
    store_open = np.array([(d not in POLISH_HOLIDAYS) and (d.weekday() < 6 or d in TRADING_SUNDAYS) for d in dates])
    online_w = online_week[weekday] * seas
    store_w = store_week[weekday] * seas * store_open
    next_open = np.full(days + 1, days, dtype=np.int64)
    for i in range(days - 1, -1, -1):
        next_open[i] = i if store_open[i] else next_open[i + 1]
    return Calendar(
        start=start, days=days, dates=dates, labels=[d.isoformat() for d in dates], day0_ms=epoch_ms(start),
        weekday=weekday, online_w=online_w / online_w.sum(), store_w=store_w / store_w.sum(),
        store_open=store_open, next_open=next_open,
        offset_h=np.array([warsaw_offset_hours(d) for d in dates], dtype=np.int64),
        mid=days // 2, year_share=days / 365.0,
    )


# local hour-of-day weights
ONLINE_HOURS = np.array([0.35, 0.18, 0.08, 0.05, 0.05, 0.1, 0.3, 0.6, 0.9, 1.0, 1.0, 1.0, 1.1, 1.1, 1.0, 1.0,
                         1.1, 1.2, 1.4, 1.6, 1.8, 1.8, 1.4, 0.8])
STORE_HOURS = np.array([0] * 9 + [0.5, 0.7, 0.9, 1.0, 1.0, 1.0, 1.1, 1.3, 1.4, 1.3, 1.0, 0.6] + [0] * 3)


def online_time(cal: Calendar, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """UTC ms instants on the given UTC days, shaped by the local online hour profile."""
    n = day.size
    hour = choice_w(rng, n, ONLINE_HOURS)
    sod = hour * 3600 + rng.integers(0, 3600, n) - cal.offset_h[day] * 3600
    sod = np.mod(sod, 86400)
    return cal.ms(day) + sod * 1000 + rng.integers(0, 1000, n)


def store_time(cal: Calendar, rng: np.random.Generator, day: np.ndarray) -> np.ndarray:
    """Local wall-clock ms instants during opening hours (day must be an open day)."""
    n = day.size
    hour = choice_w(rng, n, STORE_HOURS)
    return cal.ms(day) + (hour * 3600 + rng.integers(0, 3600, n)) * 1000


# ---------------------------------------------------------------------------------------------
@dataclass
class Stores:
    n: int
    ids: pa.Array
    city: np.ndarray
    names: list[str]
    address: list[str]
    postal: list[str]
    phone: list[str]  # as listed in the reference data
    phone_typed: list[str]  # as a cashier types it into the customer phone field
    store_type: list[str]
    opened: list[str]
    lat: np.ndarray
    lon: np.ndarray
    registers: np.ndarray
    v2_day: np.ndarray  # first day with the customer_email column
    assortment: np.ndarray  # (stores, products) bool


@dataclass
class Lockers:
    n: int
    ids: pa.Array
    city: np.ndarray
    postal: list[str]


def _zip(rng, prefixes: tuple[str, ...]) -> str:
    return f"{prefixes[rng.integers(0, len(prefixes))]}-{rng.integers(1, 1000):03d}"


CITY_CODES = ["WAW", "KRA", "WRO", "POZ", "GDA", "LOD", "KAT", "LUB", "SZC", "BYD", "BIA", "GDY", "RZE", "TOR",
              "KIE", "OLS", "CZE", "RAD", "GLI", "SOS", "BBI", "OPO", "ZGO", "GOW", "PLO", "ELB", "TAR", "KOS",
              "KAL", "LEG", "ZAB"]


def city_table() -> dict:
    return {
        "name": [c[0] for c in N.CITIES], "region": [c[1] for c in N.CITIES],
        "lat": np.array([c[2] for c in N.CITIES]), "lon": np.array([c[3] for c in N.CITIES]),
        "pop": np.array([c[4] for c in N.CITIES], dtype=np.float64), "area": [c[5] for c in N.CITIES],
        "zips": [c[6] for c in N.CITIES],
    }


def make_stores(spec: S.SizeSpec, cal: Calendar, n_products: int, popularity: np.ndarray, seed: int) -> Stores:
    rng = rng_for(seed, "stores")
    cities = city_table()
    n_cities = {4: 4, 16: 12, 40: 22, 80: 31}.get(spec.stores, min(spec.stores, len(N.CITIES)))
    pop = cities["pop"][:n_cities]
    alloc = np.ones(n_cities, dtype=np.int64)
    extra = spec.stores - n_cities
    if extra > 0:
        share = pop / pop.sum() * (spec.stores)
        rem = np.maximum(share - 1, 0)
        add = np.floor(rem / rem.sum() * extra).astype(np.int64)
        order = np.argsort(-(rem / rem.sum() * extra - add), kind="stable")
        add[order[: extra - add.sum()]] += 1
        alloc += add
    city = np.repeat(np.arange(n_cities), alloc)
    n = city.size
    names, address, postal, phone, typed, types, opened = [], [], [], [], [], [], []
    used_malls: dict[int, int] = {}
    for i, c in enumerate(city):
        k = used_malls.get(int(c), 0)
        used_malls[int(c)] = k + 1
        stype = "flagship" if i == 0 else N.STORE_TYPES[int(rng.integers(0, len(N.STORE_TYPES)))]
        mall = N.MALL_NAMES[(int(c) * 3 + k) % len(N.MALL_NAMES)]
        street = N.STREETS[int(rng.integers(0, len(N.STREETS)))]
        label = mall if stype in ("mall", "retail_park", "outlet") else street.replace("ul. ", "").replace("al. ", "")
        names.append(f"{S.SHOP_NAME} {cities['name'][c]} {label}")
        address.append(f"{street} {int(rng.integers(1, 180))}")
        postal.append(_zip(rng, cities["zips"][c]))
        area = cities["area"][c]
        local = f"{int(rng.integers(200, 999))}{int(rng.integers(0, 100)):02d}{int(rng.integers(0, 100)):02d}"
        phone.append(f"+48 {area} {local[:3]} {local[3:5]} {local[5:]}")
        typed.append(f"{area}{local}")
        types.append(stype)
        opened.append((date(2008, 1, 1) + timedelta(days=int(rng.integers(0, 6200)))).isoformat())
    lat = cities["lat"][city] + rng.normal(0, 0.02, n)
    lon = cities["lon"][city] + rng.normal(0, 0.03, n)
    registers = rng.integers(2, 6, n)
    v2_day = cal.mid + rng.integers(0, 7, n)
    # assortment: big stores carry more, popular products are everywhere
    size = np.where(np.array(types) == "flagship", 0.95, rng.uniform(0.35, 0.7, n))
    pct = np.argsort(np.argsort(-popularity, kind="stable"), kind="stable") / max(n_products - 1, 1)
    p_carry = np.clip(size[:, None] * (1.4 - pct[None, :]), 0, 1)
    p_carry[:, pct < 0.1] = 1.0
    assortment = rng.random((n, n_products)) < p_carry
    ids = pa.array([f"S{i + 1:02d}" for i in range(n)], STR)
    return Stores(n, ids, city, names, address, postal, phone, typed, types, opened, lat, lon, registers,
                  v2_day, assortment)


def make_lockers(spec: S.SizeSpec, seed: int) -> Lockers:
    rng = rng_for(seed, "lockers")
    cities = city_table()
    ids, city, postal = [], [], []
    for c in range(len(N.CITIES)):
        for k in range(spec.lockers_per_city):
            ids.append(f"{CITY_CODES[c]}{k + 1:02d}M")
            city.append(c)
            postal.append(_zip(rng, cities["zips"][c]))
    return Lockers(len(ids), pa.array(ids, STR), np.array(city), postal)


# ---------------------------------------------------------------------------------------------
@dataclass
class Products:
    n: int
    sku: pa.Array
    name: pa.Array
    category: np.ndarray
    brand: pa.Array
    base_cents: np.ndarray
    vat: np.ndarray
    ean: pa.Array
    active: np.ndarray
    popularity: np.ndarray  # sampling weight
    # per channel (0 web, 1 app, 2 store): list price, promo index and promo price, (days, products)
    list_cents: np.ndarray = field(repr=False, default=None)
    promo: np.ndarray = field(repr=False, default=None)
    promo_cents: np.ndarray = field(repr=False, default=None)
    promo_ids: list[str] = field(default_factory=list)
    inconsistencies: list[dict] = field(default_factory=list)

    def sale_cents(self, channel: int, day: np.ndarray, sku: np.ndarray) -> np.ndarray:
        pr = self.promo[channel, day, sku]
        return np.where(pr >= 0, self.promo_cents[channel, day, sku], self.list_cents[channel, day, sku])


def _price_99(x: np.ndarray) -> np.ndarray:
    """Cents rounded to a .99 ending."""
    return np.maximum(np.round(x / 100.0).astype(np.int64) * 100 - 1, 99)


def make_products(spec: S.SizeSpec, cal: Calendar, seed: int) -> Products:
    rng = rng_for(seed, "products")
    n = spec.products
    cat_w = np.array([c[5] for c in N.CATEGORIES])
    category = np.sort(choice_w(rng, n, cat_w), kind="stable")
    names, brands, base = [], [], np.zeros(n, dtype=np.int64)
    vat = np.zeros(n)
    for i in range(n):  # products are few (<= 3000): plain loop over the catalogue
        cname, cvat, (lo, hi), types, cbrands, _ = N.CATEGORIES[category[i]]
        t = types[int(rng.integers(0, len(types)))]
        b = cbrands[int(rng.integers(0, len(cbrands)))]
        model = N.MODELS[int(rng.integers(0, len(N.MODELS)))]
        label = f"{t} {b} {model}"
        if cname in ("Moda", "Obuwie"):
            label += f" {N.COLOURS[int(rng.integers(0, len(N.COLOURS)))]}"
        names.append(label)
        brands.append(b)
        base[i] = int(np.exp(rng.uniform(np.log(lo), np.log(hi))) * 100)
        vat[i] = cvat
    base = _price_99(base)
    digits = np.concatenate([np.tile([5, 9, 0], (n, 1)), rng.integers(0, 10, (n, 9))], axis=1)
    ean = digits_str(np.concatenate([digits, ean13_check(digits)[:, None]], axis=1))
    active = rng.random(n) > 0.03
    popularity = (1.0 / (rng.permutation(n) + 1) ** 0.8) * active
    p = Products(n, pa.array([f"SKU-{i + 1:05d}" for i in range(n)], STR), pa.array(names, STR), category,
                 pa.array(brands, STR), base, vat, ean, active, popularity)
    _prices(p, cal, spec, seed)
    return p


def _prices(p: Products, cal: Calendar, spec: S.SizeSpec, seed: int) -> None:
    """Daily list prices (a few price changes), promotions and planted cross-channel inconsistencies."""
    rng = rng_for(seed, "prices")
    D, n = cal.days, p.n
    price = np.tile(p.base_cents, (D, 1))
    n_changes = rng.poisson(1.2 * cal.year_share, n)
    sku_c, _ = expand(n_changes)
    day_c = rng.integers(1, D, sku_c.size)
    factor = rng.choice([0.9, 0.93, 0.95, 1.05, 1.08, 1.1], sku_c.size)
    for s, d, f in zip(sku_c.tolist(), day_c.tolist(), factor.tolist(), strict=True):
        price[d:, s] = _price_99(price[d:, s] * f)
    promo = np.full((D, n), -1, dtype=np.int32)
    pct = np.zeros((D, n))
    promo_ids: list[str] = []

    def add_promo(pid: str, d0: date, d1: date, mask: np.ndarray, discount: float) -> None:
        a = max((d0 - cal.start).days, 0)
        b = min((d1 - cal.start).days, D - 1)
        if b < a or not mask.any():
            return
        k = len(promo_ids)
        promo_ids.append(pid)
        block = pct[a: b + 1]
        better = (discount > block) & mask[None, :]
        block[better] = discount
        promo[a: b + 1][better] = k

    cats = {c[0]: i for i, c in enumerate(N.CATEGORIES)}

    def in_cats(*names_):
        return np.isin(p.category, [cats[x] for x in names_])

    everything = np.ones(n, dtype=bool)
    add_promo("PR-2025-BF", date(2025, 11, 27), date(2025, 12, 1), everything, 0.2)
    add_promo("PR-2025-XMAS", date(2025, 12, 8), date(2025, 12, 21), in_cats("Elektronika", "Dziecko", "Uroda"), 0.15)
    add_promo("PR-2026-ZIMA", date(2026, 1, 2), date(2026, 1, 31), in_cats("Moda", "Obuwie"), 0.3)
    add_promo("PR-2026-WIOSNA", date(2026, 4, 10), date(2026, 4, 26), in_cats("Ogród", "Sport"), 0.15)
    add_promo("PR-2026-LATO", date(2026, 6, 26), date(2026, 7, 19), in_cats("Moda", "Obuwie", "Sport", "Ogród"), 0.25)
    add_promo("PR-2026-SZKOLA", date(2026, 8, 17), date(2026, 9, 6), in_cats("Dziecko", "Książki"), 0.15)
    add_promo("PR-2026-JESIEN", date(2026, 10, 9), date(2026, 10, 18), in_cats("Dom i kuchnia"), 0.2)
    # weekly "hit of the week" promotions on a few products, Monday to Sunday
    first_monday = (7 - cal.start.weekday()) % 7
    for w, d0 in enumerate(range(first_monday, D, 7)):
        day = cal.dates[d0]
        mask = rng.random(n) < 0.04
        add_promo(f"HIT-{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}", day, day + timedelta(days=6), mask,
                  float(rng.choice([0.1, 0.15, 0.2, 0.25])))
    promo_cents = np.where(promo >= 0, _price_99(price * (1 - pct)), 0)
    list_c = np.stack([price, price, price])
    promo_c = np.stack([promo, promo, promo])
    promo_p = np.stack([promo_cents, promo_cents, promo_cents])
    # planted inconsistencies: one (day, sku) each, distinct
    k = spec.price_inconsistencies
    chosen: set[tuple[int, int]] = set()
    incons: list[dict] = []
    active_idx = np.flatnonzero(p.active)
    promo_cells = np.argwhere(promo >= 0)
    kinds = ["store_price_differs", "promo_missing_in_store", "app_price_differs"]
    for i in range(k):
        kind = kinds[i % 3]
        if kind == "promo_missing_in_store" and len(promo_cells):
            d, s = (int(x) for x in promo_cells[int(rng.integers(0, len(promo_cells)))])
        else:
            d, s = int(rng.integers(0, D)), int(active_idx[int(rng.integers(0, active_idx.size))])
        if (d, s) in chosen:
            continue
        chosen.add((d, s))
        web_price = int(list_c[0, d, s])
        if kind == "store_price_differs":
            list_c[2, d, s] = int(_price_99(np.array([web_price * 1.1]))[0])
            other, channels = int(list_c[2, d, s]), "web,store"
        elif kind == "promo_missing_in_store":
            promo_c[2, d, s] = -1
            promo_p[2, d, s] = 0
            other, channels = int(list_c[2, d, s]), "web,store"
        else:
            list_c[1, d, s] = int(_price_99(np.array([web_price * 0.95]))[0])
            other, channels = int(list_c[1, d, s]), "web,app"
        incons.append({"date": cal.labels[d], "day": d, "sku_index": s, "kind": kind, "channels": channels,
                       "web_price_cents": web_price, "other_price_cents": other,
                       "web_promo_id": promo_ids[promo[d, s]] if promo[d, s] >= 0 else ""})
    p.list_cents, p.promo, p.promo_cents, p.promo_ids, p.inconsistencies = list_c, promo_c, promo_p, promo_ids, incons


# ---------------------------------------------------------------------------------------------
@dataclass
class People:
    n: int
    gender: np.ndarray  # 1 male
    first: pa.Array
    last: pa.Array
    first_ascii: pa.Array
    last_ascii: pa.Array
    birth_ms: np.ndarray
    city: np.ndarray
    postal: pa.Array
    household: np.ndarray
    hh_size: np.ndarray
    anon: np.ndarray
    value: np.ndarray
    web: np.ndarray
    app: np.ndarray
    store: np.ndarray
    w_web: np.ndarray
    w_app: np.ndarray
    w_store: np.ndarray
    engagement: np.ndarray
    home_store: np.ndarray
    city_has_store: np.ndarray
    # identifiers
    email1: np.ndarray  # address index, -1 none
    email2: np.ndarray
    email_habit: np.ndarray  # preferred non-canonical variant
    phone1: np.ndarray  # phone number index, -1 none
    phone2: np.ndarray
    phone_change_ms: np.ndarray
    shared_phone: np.ndarray
    customer: np.ndarray  # account index, -1
    customer2: np.ndarray
    member: np.ndarray  # member index, -1
    cookie_start: np.ndarray
    cookie_n: np.ndarray
    device1: np.ndarray
    device2: np.ndarray
    device_change_ms: np.ndarray


@dataclass
class Pools:
    """String pools for identifiers; records hold indices into them."""

    email: pa.Array  # address a, variant k at k * n_addr + a; placeholders at the end
    n_addr: int
    email_owner: np.ndarray  # person owning each address
    email_placeholder0: int
    phone: pa.Array  # number i, format k at k * n_num + i; placeholders and store phones at the end
    n_num: int
    phone_digits: np.ndarray  # 9-digit numbers
    phone_shared: np.ndarray  # number used by more than one person
    phone_placeholder0: int
    store_phone0: int


@dataclass
class Accounts:
    n: int
    ids: np.ndarray  # web shop customer ids (integers)
    person: np.ndarray
    email: np.ndarray  # email pool index as typed at sign-up
    phone: np.ndarray  # phone pool index or -1
    created_ms: np.ndarray
    accepts_marketing: np.ndarray
    phone_update_ms: np.ndarray  # when the account phone was changed (INF never)
    phone_new: np.ndarray


@dataclass
class Members:
    n: int
    ids: pa.Array  # M0001234
    card: pa.Array  # 13 digits
    person: np.ndarray
    email: np.ndarray  # email pool index (may be a placeholder), -1
    phone: np.ndarray  # phone pool index (may be a placeholder), -1
    enrolled_ms: np.ndarray
    source: np.ndarray  # consent source code of the enrolment (store, web, app)
    home_store: np.ndarray
    closed_ms: np.ndarray
    phone_update_ms: np.ndarray
    phone_new: np.ndarray


@dataclass
class Devices:
    n: int
    ids: pa.Array
    person: np.ndarray
    ios: np.ndarray
    lag: np.ndarray  # app versions behind the newest


@dataclass
class Cookies:
    n: int
    ids: pa.Array
    person: np.ndarray
    devcat: np.ndarray  # 0 desktop, 1 mobile, 2 tablet


@dataclass
class Consents:
    """Marketing consent timeline per person and channel, and the ledger of consent events."""

    grant_ms: np.ndarray  # (4, persons) first grant, INF none
    withdraw_ms: np.ndarray  # (4, persons) withdrawal, INF none
    contact: np.ndarray  # (4, persons) email/phone pool index the consent is about
    events: dict  # columns of consent events (see world.consent_columns)

    def allowed(self, channel: int, persons: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (self.grant_ms[channel, persons] <= t) & (t < self.withdraw_ms[channel, persons])


@dataclass
class World:
    spec: S.SizeSpec
    seed: int
    cal: Calendar
    stores: Stores
    lockers: Lockers
    products: Products
    people: People
    pools: Pools
    accounts: Accounts
    members: Members
    devices: Devices
    cookies: Cookies
    consents: Consents
    city_names: list[str]
    city_lockers: list[np.ndarray]

    # -- identifiers as people type them ------------------------------------------------------
    def typed_email(self, rng: np.random.Generator, persons: np.ndarray, second: np.ndarray | None = None,
                    p_variant: float = S.P_EMAIL_VARIANT) -> np.ndarray:
        """Email pool index of an e-mail typed by each person (-1 if they have none)."""
        pe = self.people
        addr = pe.email1[persons]
        if second is not None:
            addr = np.where(second & (pe.email2[persons] >= 0), pe.email2[persons], addr)
        n = persons.size
        r = rng.random(n)
        variant = np.where(r < p_variant, np.where(rng.random(n) < 0.7, pe.email_habit[persons],
                                                   rng.integers(1, EMAIL_VARIANTS, n)), 0)
        return np.where(addr >= 0, variant * self.pools.n_addr + addr, -1)

    def phone_at(self, persons: np.ndarray, t: np.ndarray) -> np.ndarray:
        pe = self.people
        return np.where((pe.phone2[persons] >= 0) & (t >= pe.phone_change_ms[persons]), pe.phone2[persons],
                        pe.phone1[persons])

    def typed_phone(self, rng: np.random.Generator, persons: np.ndarray, t: np.ndarray,
                    fmt: int | None = None) -> np.ndarray:
        """Phone pool index of the person's phone at time t in a format people type (-1 none)."""
        num = self.phone_at(persons, t)
        if fmt is None:
            f = choice_w(rng, persons.size, np.array([35, 20, 15, 7, 5, 13, 5]))
        else:
            f = np.full(persons.size, fmt)
        return np.where(num >= 0, f * self.pools.n_num + num, -1)

    def device_at(self, persons: np.ndarray, t: np.ndarray) -> np.ndarray:
        pe = self.people
        return np.where((pe.device2[persons] >= 0) & (t >= pe.device_change_ms[persons]), pe.device2[persons],
                        pe.device1[persons])

    def pick_cookie(self, rng: np.random.Generator, persons: np.ndarray) -> np.ndarray:
        pe = self.people
        k = np.floor(rng.random(persons.size) ** 1.8 * pe.cookie_n[persons]).astype(np.int64)
        return np.where(pe.cookie_n[persons] > 0, pe.cookie_start[persons] + k, -1)

    def email_placeholder(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.pools.email_placeholder0 + choice_w(rng, n, np.array([6, 3, 1, 1, 1]))

    def phone_placeholder(self, rng: np.random.Generator, n: int, store: np.ndarray | None = None) -> np.ndarray:
        ph = self.pools.phone_placeholder0 + choice_w(rng, n, np.array([5, 3, 1, 1]))
        if store is not None:  # the cashier types the store's own number
            own = rng.random(n) < 0.3
            ph = np.where(own, self.pools.store_phone0 + store, ph)
        return ph


# ---------------------------------------------------------------------------------------------
def _unique_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct Polish mobile numbers (9 digits, 5xx/6xx/7xx/88x)."""
    prefixes = np.array([50, 51, 53, 57, 60, 66, 69, 72, 73, 78, 79, 88])
    out = np.zeros(0, dtype=np.int64)
    while out.size < n:
        k = int((n - out.size) * 1.05) + 16
        cand = prefixes[rng.integers(0, prefixes.size, k)] * 10_000_000 + rng.integers(0, 10_000_000, k)
        merged = np.concatenate([out, cand])
        _, first = np.unique(merged, return_index=True)
        out = merged[np.sort(first)]
    return out[:n]


def _phone_pool(numbers: np.ndarray, stores: Stores) -> tuple[pa.Array, int, int]:
    s = ints_str(numbers)
    a, b, c = (pc.utf8_slice_codeunits(s, i, i + 3) for i in (0, 3, 6))
    formats = [
        s,  # 601234567
        cat("+48 ", a, " ", b, " ", c),  # +48 601 234 567
        cat(a, "-", b, "-", c),  # 601-234-567
        cat("0048", s),  # 0048601234567
        cat("(+48) ", a, " ", b, " ", c),  # (+48) 601 234 567
        cat("+48", s),  # +48601234567 (E.164)
        cat(a, " ", b, " ", c),  # 601 234 567
    ]
    assert len(formats) == PHONE_FORMATS
    placeholders = pa.array(N.PLACEHOLDER_PHONES, STR)
    store_typed = pa.array(stores.phone_typed, STR)
    pool = pa.concat_arrays([*formats, placeholders, store_typed])
    p0 = PHONE_FORMATS * numbers.size
    return pool, p0, p0 + len(N.PLACEHOLDER_PHONES)


def _email_pool(local: pa.Array, domain: pa.Array, is_gmail: np.ndarray, tags: pa.Array) -> pa.Array:
    canonical = cat(local, "@", domain)
    titled = cat(pc.utf8_title(local), "@", pc.utf8_capitalize(domain))
    gm = pa.array(is_gmail)
    v3 = pc.if_else(gm, cat(pc.replace_substring(local, ".", ""), "@", domain), pc.utf8_upper(canonical))
    v4 = pc.if_else(gm, cat(local, tags, "@", domain), cat(" ", titled))
    variants = [canonical, titled, cat(canonical, " "), v3, v4, cat(titled, " ")]
    assert len(variants) == EMAIL_VARIANTS
    return pa.concat_arrays([*variants, pa.array(N.PLACEHOLDER_EMAILS, STR)])


def make_people(spec: S.SizeSpec, cal: Calendar, stores: Stores, seed: int):
    rng = rng_for(seed, "people")
    n = spec.persons
    start_ms = cal.day0_ms
    end_ms = cal.ms(cal.days)
    # names
    gender = (rng.random(n) < 0.48).astype(np.int8)
    fw = np.array([x[2] for x in N.FEMALE_FIRST], dtype=np.float64)
    mw = np.array([x[2] for x in N.MALE_FIRST], dtype=np.float64)
    fi = choice_w(rng, n, fw)
    mi = choice_w(rng, n, mw)
    first = pc.if_else(pa.array(gender == 1), take(pa.array([x[0] for x in N.MALE_FIRST], STR), mi),
                       take(pa.array([x[0] for x in N.FEMALE_FIRST], STR), fi))
    first_ascii = pc.if_else(pa.array(gender == 1), take(pa.array([x[1] for x in N.MALE_FIRST], STR), mi),
                             take(pa.array([x[1] for x in N.FEMALE_FIRST], STR), fi))
    sur = choice_w(rng, n, np.array([x[4] for x in N.SURNAMES], dtype=np.float64))
    # households: consecutive people of a random permutation
    sizes = rng.choice([1, 2, 3, 4], size=n, p=[0.45, 0.3, 0.15, 0.1])
    ends = np.cumsum(sizes)
    n_hh = int(np.searchsorted(ends, n) + 1)
    sizes = sizes[:n_hh]
    sizes[-1] -= ends[n_hh - 1] - n
    perm = rng.permutation(n)
    hh_of_slot, _ = expand(sizes)
    household = np.empty(n, dtype=np.int64)
    household[perm] = hh_of_slot
    hh_size = sizes[household]
    head = perm[np.cumsum(sizes) - sizes]  # first member of each household
    same_name = rng.random(n) < 0.8
    sur = np.where(same_name, sur[head[household]], sur)
    last = pc.if_else(pa.array(gender == 1), take(pa.array([x[0] for x in N.SURNAMES], STR), sur),
                      take(pa.array([x[1] for x in N.SURNAMES], STR), sur))
    last_ascii = pc.if_else(pa.array(gender == 1), take(pa.array([x[2] for x in N.SURNAMES], STR), sur),
                            take(pa.array([x[3] for x in N.SURNAMES], STR), sur))
    # where they live
    cities = city_table()
    has_store = np.zeros(len(N.CITIES), dtype=bool)
    has_store[np.unique(stores.city)] = True
    city_w = cities["pop"] * np.where(has_store, 3.0, 1.0)
    hh_city = choice_w(rng, n_hh, city_w)
    city = hh_city[household]
    prefix_pool = [z for c in range(len(N.CITIES)) for z in cities["zips"][c]]
    prefix_start = np.cumsum([0] + [len(cities["zips"][c]) for c in range(len(N.CITIES))])
    nz = np.diff(prefix_start)
    hh_prefix = prefix_start[hh_city] + np.floor(rng.random(n_hh) * nz[hh_city]).astype(np.int64)
    hh_postal = cat(take(pa.array(prefix_pool, STR), hh_prefix), "-", ints_str(rng.integers(1, 1000, n_hh), 3))
    postal = take(hh_postal, household)
    age = np.clip(rng.normal(42, 14, n), 18, 85)
    birth_ms = (epoch_ms(S.END_DATE) - (age * 365.25 * DAY_MS)).astype(np.int64) // DAY_MS * DAY_MS
    # home store: a store in their city, else the nearest one
    store_city_lat = stores.lat
    store_city_lon = stores.lon
    home_store_of_city = np.zeros(len(N.CITIES), dtype=np.int64)
    for c in range(len(N.CITIES)):
        d = (store_city_lat - cities["lat"][c]) ** 2 + ((store_city_lon - cities["lon"][c]) * 0.62) ** 2
        home_store_of_city[c] = int(np.argmin(d))
    same_city_stores = [np.flatnonzero(stores.city == c) for c in range(len(N.CITIES))]
    n_local = np.array([s.size for s in same_city_stores])
    first_local = np.array([s[0] if s.size else -1 for s in same_city_stores])
    local_pick = first_local[city] + np.floor(rng.random(n) * np.maximum(n_local[city], 1)).astype(np.int64)
    home_store = np.where(n_local[city] > 0, local_pick, home_store_of_city[city])
    city_has_store = has_store[city]
    # behaviour
    anon = rng.random(n) < S.P_ANONYMOUS
    value = rng.lognormal(0, 0.7, n)
    value /= value.mean()
    web = np.where(anon, rng.random(n) < 0.55, rng.random(n) < S.P_WEB)
    account = web & ~anon & (rng.random(n) < S.P_ACCOUNT)
    app = account & (rng.random(n) < S.P_APP)
    store = np.where(anon, rng.random(n) < 0.9, rng.random(n) < S.P_STORE)
    w_web = web * rng.lognormal(0, 0.5, n)
    w_app = app * rng.lognormal(0, 0.5, n)
    w_store = store * rng.lognormal(0, 0.5, n) * np.where(city_has_store, 1.0, 0.3)
    engagement = rng.beta(2, 5, n) * 3.5
    # e-mail addresses: primary for everybody who is not anonymous, a second one for some
    has_e1 = ~anon
    has_e2 = has_e1 & (rng.random(n) < S.P_EMAIL2)
    owners = np.concatenate([np.flatnonzero(has_e1), np.flatnonzero(has_e2)])
    second = np.concatenate([np.zeros(has_e1.sum(), bool), np.ones(has_e2.sum(), bool)])
    na = owners.size
    f_a = take(first_ascii, owners)
    l_a = take(last_ascii, owners)
    yy = ints_str((pc.year(pa.array(birth_ms[owners], type=pa.timestamp("ms"))).to_numpy() % 100), 2)
    initial = pc.utf8_slice_codeunits(f_a, 0, 1)
    pattern = choice_w(rng, na, np.array([34, 14, 10, 10, 10, 10, 6, 6]))
    locals_ = [cat(f_a, ".", l_a), cat(f_a, l_a), cat(initial, ".", l_a), cat(initial, l_a), cat(l_a, ".", f_a),
               cat(f_a, ".", l_a, yy), cat(f_a, "_", l_a), cat(f_a, ints_str(rng.integers(1, 100, na)))]
    local = locals_[0]
    for k in range(1, len(locals_)):
        local = pc.if_else(pa.array(pattern == k), locals_[k], local)
    dom_w = np.array([d[1] for d in N.EMAIL_DOMAINS], dtype=np.float64)
    dom = choice_w(rng, na, dom_w)
    domain = take(pa.array([d[0] for d in N.EMAIL_DOMAINS], STR), dom)
    is_gmail = np.array([d[2] for d in N.EMAIL_DOMAINS])[dom]
    work = second & (rng.random(na) < 0.5)
    domain = pc.if_else(pa.array(work), take(pa.array(N.WORK_DOMAINS, STR), rng.integers(0, len(N.WORK_DOMAINS), na)),
                        domain)
    is_gmail = is_gmail & ~work
    # make addresses unique: number the duplicates
    for _ in range(5):
        canon = cat(local, "@", domain).to_numpy(zero_copy_only=False)
        order = np.argsort(canon, kind="stable")
        r = np.empty(na, dtype=np.int64)
        r[order] = _rank_sorted_objects(canon[order])
        if not (r > 0).any():
            break
        local = pc.if_else(pa.array(r > 0), cat(local, ints_str(r + 1)), local)
    tags = take(pa.array(N.GMAIL_TAGS, STR), rng.integers(0, len(N.GMAIL_TAGS), na))
    email_pool = _email_pool(local, domain, is_gmail, tags)
    email1 = np.full(n, -1, dtype=np.int64)
    email2 = np.full(n, -1, dtype=np.int64)
    email1[owners[~second]] = np.flatnonzero(~second)
    email2[owners[second]] = np.flatnonzero(second)
    email_habit = rng.integers(1, EMAIL_VARIANTS, n)
    # phones: shared family phones, own phones, changes
    shared_hh = (sizes >= 2) & (rng.random(n_hh) < S.P_SHARED_PHONE_HH)
    shared_phone = shared_hh[household] & ~anon
    own = ~anon & ~shared_phone & (rng.random(n) < 1 - S.P_PHONE_NONE)
    change = own & (rng.random(n) < S.P_PHONE_CHANGE)
    n_fam = int(shared_hh.sum())
    n_own = int(own.sum())
    n_new = int(change.sum())
    numbers = _unique_numbers(rng, n_fam + n_own + n_new)
    fam_idx = np.full(n_hh, -1, dtype=np.int64)
    fam_idx[shared_hh] = np.arange(n_fam)
    phone1 = np.full(n, -1, dtype=np.int64)
    phone1[shared_phone] = fam_idx[household[shared_phone]]
    phone1[own] = n_fam + np.arange(n_own)
    phone2 = np.full(n, -1, dtype=np.int64)
    phone2[change] = n_fam + n_own + np.arange(n_new)
    phone_change_ms = np.full(n, INF, dtype=np.int64)
    phone_change_ms[change] = rng.integers(start_ms + 10 * DAY_MS, end_ms - 5 * DAY_MS, n_new)
    users_per_number = np.bincount(phone1[phone1 >= 0], minlength=numbers.size)
    phone_pool, ph0, sp0 = _phone_pool(numbers, stores)
    pools = Pools(email_pool, na, owners, EMAIL_VARIANTS * na, phone_pool, numbers.size, numbers,
                  users_per_number > 1, ph0, sp0)
    # cookies and devices
    cookie_n = np.where(web, rng.choice([1, 2, 3], size=n, p=[0.55, 0.3, 0.15]), 0)
    cookie_start = np.cumsum(cookie_n) - cookie_n
    n_cookies = int(cookie_n.sum())
    c_person, c_pos = expand(cookie_n)
    devcat = np.where(c_pos == 0, choice_w(rng, n_cookies, np.array([45, 50, 5])),
                      choice_w(rng, n_cookies, np.array([30, 60, 10])))
    cookies = Cookies(n_cookies, uuid_strings(rng, n_cookies), c_person, devcat)
    two_dev = app & (rng.random(n) < S.P_SECOND_DEVICE)
    dev_n = app.astype(np.int64) + two_dev
    d_person, d_pos = expand(dev_n)
    ios = (rng.random(n) < 0.35)[d_person]
    n_dev = d_person.size
    dev_ids = pc.if_else(pa.array(ios), uuid_strings(rng, n_dev, upper=True), uuid_strings(rng, n_dev))
    devices = Devices(n_dev, dev_ids, d_person, ios, rng.choice([0, 0, 0, 1, 1, 2], n_dev))
    dstart = np.cumsum(dev_n) - dev_n
    device1 = np.where(app, dstart, -1)
    device2 = np.where(two_dev, dstart + 1, -1)
    device_change_ms = np.where(two_dev, rng.integers(start_ms + 5 * DAY_MS, end_ms - 5 * DAY_MS, n), INF)
    # web shop accounts (and a few second accounts with the second e-mail)
    acc_person = np.flatnonzero(account)
    pre = rng.random(acc_person.size) < S.P_ACCOUNT_PRE
    acc_created = np.where(pre, rng.integers(start_ms - 3 * 365 * DAY_MS, start_ms, acc_person.size),
                           rng.integers(start_ms, end_ms - DAY_MS, acc_person.size))
    dup = account & (email2 >= 0) & (rng.random(n) < S.P_SECOND_ACCOUNT / max(S.P_EMAIL2, 1e-9))
    dup_person = np.flatnonzero(dup)
    dup_created = rng.integers(start_ms, end_ms - DAY_MS, dup_person.size)
    a_person = np.concatenate([acc_person, dup_person])
    a_created = np.concatenate([acc_created, dup_created])
    a_second = np.concatenate([np.zeros(acc_person.size, bool), np.ones(dup_person.size, bool)])
    order = np.lexsort((a_person, a_created))
    a_person, a_created, a_second = a_person[order], a_created[order], a_second[order]
    na_ = a_person.size
    a_email = _typed_email_static(rng, pools, email1, email2, email_habit, a_person, a_second)
    a_phone_num = np.where(rng.random(na_) < 0.6, phone1[a_person], -1)
    a_phone = np.where(a_phone_num >= 0, choice_w(rng, na_, np.array([35, 20, 15, 7, 5, 13, 5])) * pools.n_num
                       + a_phone_num, -1)
    a_accepts = (rng.random(na_) < 0.55) & ~a_second
    upd = (a_phone >= 0) & (phone2[a_person] >= 0) & (rng.random(na_) < 0.6)
    a_upd_ms = np.where(upd, phone_change_ms[a_person] + rng.integers(HOUR_MS, 20 * DAY_MS, na_), INF)
    a_upd_ms = np.where(a_upd_ms < end_ms, a_upd_ms, INF)
    a_new = np.where(a_upd_ms < INF, (a_phone // pools.n_num) * pools.n_num + phone2[a_person], -1)
    accounts = Accounts(na_, 700001 + np.arange(na_), a_person, a_email, a_phone, a_created, a_accepts,
                        a_upd_ms, a_new)
    customer = np.full(n, -1, dtype=np.int64)
    customer2 = np.full(n, -1, dtype=np.int64)
    customer[a_person[~a_second]] = np.flatnonzero(~a_second)
    customer2[a_person[a_second]] = np.flatnonzero(a_second)
    # loyalty members
    member_flag = store & ~anon & (rng.random(n) < S.P_MEMBER * np.where(city_has_store, 1.0, 0.5))
    m_person = np.flatnonzero(member_flag)
    pre = rng.random(m_person.size) < S.P_MEMBER_PRE
    enrolled = np.where(pre, rng.integers(start_ms - 4 * 365 * DAY_MS, start_ms, m_person.size),
                        rng.integers(start_ms, end_ms - DAY_MS, m_person.size))
    order = np.lexsort((m_person, enrolled))
    m_person, enrolled = m_person[order], enrolled[order]
    nm = m_person.size
    m_source = choice_w(rng, nm, np.array([75, 18, 7]))  # store, web, app
    m_email = _typed_email_static(rng, pools, email1, email2, email_habit, m_person, np.zeros(nm, bool),
                                  p_variant=0.35)
    r = rng.random(nm)
    m_email = np.where(r < S.P_MEMBER_PLACEHOLDER_EMAIL, pools.email_placeholder0 + choice_w(
        rng, nm, np.array([6, 3, 1, 1, 1])), np.where(r < 0.1, -1, m_email))
    m_phone_num = phone1[m_person]
    m_phone = np.where(m_phone_num >= 0, choice_w(rng, nm, np.array([35, 20, 15, 7, 5, 13, 5])) * pools.n_num
                       + m_phone_num, -1)
    r = rng.random(nm)
    m_phone = np.where(r < S.P_MEMBER_PLACEHOLDER_PHONE, ph0 + choice_w(rng, nm, np.array([5, 3, 1, 1])),
                       np.where(r < 0.12, -1, m_phone))
    card_digits = np.concatenate([np.tile([2, 9], (nm, 1)), rng.integers(0, 10, (nm, 10))], axis=1)
    card_digits = np.concatenate([card_digits, ean13_check(card_digits)[:, None]], axis=1)
    card = digits_str(card_digits)
    closed = np.where(rng.random(nm) < 0.015, rng.integers(start_ms, end_ms - DAY_MS, nm), INF)
    closed = np.where(closed > enrolled, closed, INF)
    upd = (m_phone >= 0) & (m_phone < ph0) & (phone2[m_person] >= 0) & (rng.random(nm) < 0.5)
    m_upd = np.where(upd, phone_change_ms[m_person] + rng.integers(DAY_MS, 40 * DAY_MS, nm), INF)
    m_upd = np.where((m_upd < end_ms) & (m_upd > enrolled) & (m_upd < closed), m_upd, INF)
    m_new = np.where(m_upd < INF, (m_phone // pools.n_num) * pools.n_num + phone2[m_person], -1)
    members = Members(nm, cat("M", ints_str(1000 + np.arange(nm) * 7 + rng.integers(0, 7, nm), 7)), card, m_person,
                      m_email, m_phone, enrolled, m_source, home_store[m_person], closed, m_upd, m_new)
    member = np.full(n, -1, dtype=np.int64)
    member[m_person] = np.arange(nm)
    people = People(
        n, gender, first, last, first_ascii, last_ascii, birth_ms, city, postal, household, hh_size, anon, value,
        web, app, store, w_web, w_app, w_store, engagement, home_store, city_has_store,
        email1, email2, email_habit, phone1, phone2, phone_change_ms, shared_phone, customer, customer2, member,
        cookie_start, cookie_n, device1, device2, device_change_ms,
    )
    return people, pools, accounts, members, devices, cookies


def _rank_sorted_objects(values: np.ndarray) -> np.ndarray:
    n = values.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = values[1:] != values[:-1]
    starts = np.flatnonzero(new)
    return np.arange(n) - starts[np.cumsum(new) - 1]


def _typed_email_static(rng, pools: Pools, email1, email2, habit, persons, second, p_variant=S.P_EMAIL_VARIANT):
    addr = np.where(second, email2[persons], email1[persons])
    n = persons.size
    variant = np.where(rng.random(n) < p_variant, np.where(rng.random(n) < 0.7, habit[persons],
                                                           rng.integers(1, EMAIL_VARIANTS, n)), 0)
    return np.where(addr >= 0, variant * pools.n_addr + addr, -1)


# ---------------------------------------------------------------------------------------------
def make_consents(cal: Calendar, people: People, pools: Pools, accounts: Accounts, members: Members,
                  devices: Devices, seed: int) -> Consents:
    """Grants at sign-up, enrolment and app install; withdrawals other than unsubscribe links."""
    rng = rng_for(seed, "consents")
    n = people.n
    end_ms = cal.ms(cal.days)
    rows: dict[str, list[np.ndarray]] = {k: [] for k in
                                         ("person", "member", "channel", "purpose", "status", "source", "ms",
                                          "email", "phone")}

    def add(person, member, channel, purpose, status, source, ms, email, phone):
        k = np.asarray(person).size
        for key, val in (("person", person), ("member", member), ("channel", channel), ("purpose", purpose),
                         ("status", status), ("source", source), ("ms", ms), ("email", email), ("phone", phone)):
            rows[key].append(np.broadcast_to(np.asarray(val, dtype=np.int64), (k,)).copy())

    # web shop sign-up with the marketing box ticked
    a = np.flatnonzero(accounts.accepts_marketing)
    add(accounts.person[a], -1, CH_EMAIL, 0, 0, SRC_WEB, accounts.created_ms[a] + rng.integers(1000, 60000, a.size),
        accounts.email[a], -1)
    # loyalty enrolment
    m = np.arange(members.n)
    has_email = (members.email >= 0) & (members.email < pools.email_placeholder0)
    has_phone = (members.phone >= 0) & (members.phone < pools.phone_placeholder0)
    t = members.enrolled_ms + 30_000
    src = members.source
    e = m[has_email & (rng.random(members.n) < 0.65)]
    add(members.person[e], e, CH_EMAIL, 0, 0, src[e], t[e], members.email[e], -1)
    s = m[has_phone & (rng.random(members.n) < 0.45)]
    add(members.person[s], s, CH_SMS, 0, 0, src[s], t[s], -1, members.phone[s])
    ph = m[has_phone & (rng.random(members.n) < 0.05)]
    add(members.person[ph], ph, CH_PHONE, 0, 0, src[ph], t[ph], -1, members.phone[ph])
    pr = m[has_email & (rng.random(members.n) < 0.5)]
    add(members.person[pr], pr, CH_EMAIL, 1, 0, src[pr], t[pr], members.email[pr], -1)
    # app users: push notifications allowed at install (before the period)
    app_people = np.flatnonzero(people.app & (people.customer >= 0))
    push = app_people[rng.random(app_people.size) < 0.6]
    acc = people.customer[push]
    t_push = np.maximum(accounts.created_ms[acc], cal.day0_ms - 400 * DAY_MS) + rng.integers(HOUR_MS, 30 * DAY_MS,
                                                                                               push.size)
    t_push = np.minimum(t_push, end_ms - 2 * DAY_MS)
    add(push, -1, CH_PUSH, 0, 0, SRC_APP, t_push, accounts.email[acc], -1)

    grants = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in rows.items()}
    mk = (grants["purpose"] == 0) & (grants["status"] == 0)
    grant_ms = np.full((4, n), np.iinfo(np.int64).max, dtype=np.int64)
    contact = np.full((4, n), -1, dtype=np.int64)
    last_grant = np.full((4, n), np.iinfo(np.int64).min, dtype=np.int64)
    for ch in range(4):
        sel = mk & (grants["channel"] == ch)
        p, ms = grants["person"][sel], grants["ms"][sel]
        cont = np.where(ch == CH_EMAIL, grants["email"][sel], grants["phone"][sel])
        order = np.lexsort((ms, p))
        first = first_of_group(p[order])
        grant_ms[ch, p[order][first]] = ms[order][first]
        contact[ch, p[order][first]] = cont[order][first]
        np.maximum.at(last_grant[ch], p, ms)
    withdraw_ms = np.full((4, n), np.iinfo(np.int64).max, dtype=np.int64)
    # withdrawals through other paths than an unsubscribe link
    for ch, share, sources, weights in ((CH_EMAIL, 0.04, [SRC_WEB, SRC_CALL, SRC_STORE], [5, 3, 2]),
                                        (CH_SMS, 0.04, [SRC_STORE, SRC_CALL, SRC_WEB], [4, 4, 2]),
                                        (CH_PUSH, 0.1, [SRC_APP], [1])):
        cand = np.flatnonzero((grant_ms[ch] < end_ms) & (rng.random(n) < share))
        lo = np.maximum(last_grant[ch, cand], cal.day0_ms) + DAY_MS
        ok = lo < end_ms - DAY_MS
        cand, lo = cand[ok], lo[ok]
        w = lo + (rng.random(cand.size) * (end_ms - DAY_MS - lo)).astype(np.int64)
        withdraw_ms[ch, cand] = w
        srcs = np.array(sources)[choice_w(rng, cand.size, np.array(weights, dtype=np.float64))]
        mem = people.member[cand]
        use_member = (srcs == SRC_STORE) & (mem >= 0)
        add(cand, np.where(use_member, mem, -1), ch, 0, 1, srcs, w,
            contact[ch, cand] if ch != CH_SMS else -1, contact[ch, cand] if ch == CH_SMS else -1)
    events = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in rows.items()}
    return Consents(grant_ms, withdraw_ms, contact, events)


# ---------------------------------------------------------------------------------------------
def build_world(spec: S.SizeSpec, seed: int) -> World:
    cal = make_calendar(spec.days)
    products = make_products(spec, cal, seed)
    stores = make_stores(spec, cal, products.n, products.popularity, seed)
    lockers = make_lockers(spec, seed)
    people, pools, accounts, members, devices, cookies = make_people(spec, cal, stores, seed)
    consents = make_consents(cal, people, pools, accounts, members, devices, seed)
    city_lockers = [np.flatnonzero(lockers.city == c) for c in range(len(N.CITIES))]
    return World(spec, seed, cal, stores, lockers, products, people, pools, accounts, members, devices, cookies,
                 consents, [c[0] for c in N.CITIES], city_lockers)


def _minute(ms: np.ndarray) -> np.ndarray:
    return np.asarray(ms) // MIN_MS
