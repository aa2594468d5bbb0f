"""Customer behaviour: campaigns, journeys across channels and everything that follows an order.

Each journey template is generated for all its journeys at once (numpy arrays, one element per
journey); a template appends rows to record tables (sessions, orders, receipts, messages, ...), which
refer to each other by row index. Nothing here loops over people, events or rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from omni.generate import settings as S
from omni.generate.util import DAY_MS, HOUR_MS, MIN_MS, choice_w, expand, first_of_group, rng_for
from omni.generate.world import (
    CH_EMAIL,
    CH_PUSH,
    CH_SMS,
    PHONE_E164,
    SRC_LINK,
    World,
    online_time,
    store_time,
)

# codes
WEB, APP = 0, 1
ENTRY_DIRECT, ENTRY_ORGANIC, ENTRY_AD, ENTRY_EMAIL, ENTRY_SMS, ENTRY_PUSH, ENTRY_SOCIAL = range(7)
HOME, CC, LOCKER = 0, 1, 2
SALE, RETURN, PICKUP = 0, 1, 2
PAY = ["card", "cash", "blik", "voucher", "online"]
PAY_CARD, PAY_CASH, PAY_BLIK, PAY_VOUCHER, PAY_ONLINE = range(5)
MSG_CH = ["email", "sms", "push"]
VIA = ["chat", "phone", "email", "messenger"]
VIA_CHAT, VIA_PHONE, VIA_EMAIL, VIA_MESSENGER = range(4)
T_WALK_IN, T_WEB, T_CC, T_AD_ABANDON, T_APP_STORE, T_GOLDEN, T_CLICK, T_PICKUP, T_RETURN, T_BROWSE = range(10)
TEMPLATES = ["walk_in", "web_purchase", "click_and_collect", "ad_abandon_remarketing", "app_to_store",
             "golden_path", "campaign_click", "pickup", "return", "browse"]

I8, I16, I32, I64 = np.int8, np.int16, np.int32, np.int64

SCHEMAS = {
    "sessions": dict(person=(I32, -1), t0=(I64, 0), platform=(I8, 0), cookie=(I32, -1), device=(I32, -1),
                     customer=(I32, -1), login_at=(I16, -1), n_browse=(I16, 0), cart_start=(I64, -1),
                     n_cart=(I16, 0), checkout=(I8, 0), order=(I32, -1), locator=(I8, 0), entry=(I8, 0),
                     campaign=(I16, -1), click=(I32, -1), msg=(I64, -1), gap=(I32, 30000), focus=(I32, -1),
                     geo=(I16, 0), devcat=(I8, 0), template=(I8, T_BROWSE)),
    "lines": dict(sku=(I32, 0), qty=(I16, 1), price=(I64, 0), disc=(I64, 0)),
    "orders": dict(person=(I32, -1), customer=(I32, -1), channel=(I8, WEB), t=(I64, 0), session=(I32, -1),
                   fulfil=(I8, HOME), store=(I16, -1), locker=(I32, -1), coupon=(I32, -1), line_start=(I64, 0),
                   n_lines=(I16, 1), email=(I64, -1), phone=(I64, -1), template=(I8, T_WEB)),
    "checkouts": dict(person=(I32, -1), customer=(I32, -1), email=(I64, -1), channel=(I8, WEB), t=(I64, 0),
                      line_start=(I64, 0), n_lines=(I16, 1), session=(I32, -1)),
    "receipts": dict(person=(I32, -1), store=(I16, 0), t=(I64, 0), ttype=(I8, SALE), member=(I32, -1),
                     phone=(I64, -1), email=(I64, -1), pay=(I8, PAY_CARD), coupon=(I32, -1),
                     orig_order=(I32, -1), orig_receipt=(I32, -1), rl_start=(I64, 0), n_rl=(I16, 1),
                     register=(I8, 1), cashier=(I16, 0), template=(I8, T_WALK_IN)),
    "rlines": dict(sku=(I32, 0), qty=(I16, 1), unit=(I64, 0), disc=(I64, 0), total=(I64, 0)),
    "messages": dict(campaign=(I16, 0), person=(I32, -1), channel=(I8, 0), contact=(I64, -1), t=(I64, 0),
                     bounce=(I8, 0), d_deliv=(I32, -1), d_open=(I32, -1), d_click=(I32, -1), d_unsub=(I32, -1),
                     coupon=(I32, -1), violation=(I8, 0)),
    "clicks": dict(campaign=(I16, 0), t=(I64, 0), session=(I32, -1), person=(I32, -1)),
    "web_returns": dict(order=(I32, 0), t=(I64, 0), method=(I8, 0), reason=(I8, 0), refund=(I64, 0),
                        rl_start=(I64, 0), n_rl=(I16, 1)),
    "ret_lines": dict(sku=(I32, 0), qty=(I16, 1)),
    "tickets": dict(person=(I32, -1), via=(I8, 0), t=(I64, 0), d_first=(I64, 0), d_solved=(I64, 0),
                    contacts=(I8, 1), csat=(I8, -1), order=(I32, -1), receipt=(I32, -1), subject=(I8, 0),
                    email=(I64, -1), phone=(I64, -1), name_style=(I8, 0), followup=(I8, 0)),
    "surveys": dict(person=(I32, -1), kind=(I8, 0), t=(I64, 0), score=(I8, 0), email=(I64, -1),
                    phone=(I64, -1), channel=(I8, 0), order=(I32, -1), receipt=(I32, -1), ticket=(I32, -1),
                    comment=(I16, -1)),
}
SURVEY_CHANNELS = ["web", "app", "store", "call_center"]


class Acc:
    """Append-only columns; `add` returns the index of the first appended row."""

    def __init__(self, name: str) -> None:
        self.schema = SCHEMAS[name]
        self.parts: list[dict[str, np.ndarray]] = []
        self.n = 0

    def add(self, n: int, **cols) -> int:
        base = self.n
        part = {}
        for k, v in cols.items():
            if k not in self.schema:
                raise KeyError(k)
            part[k] = np.broadcast_to(np.asarray(v), (n,)).astype(self.schema[k][0], copy=True)
        self.parts.append(part)
        self.n += n
        return base

    def finish(self) -> dict[str, np.ndarray]:
        out = {}
        sizes = [len(next(iter(p.values()))) if p else 0 for p in self.parts]
        for k, (dt, default) in self.schema.items():
            chunks = [p[k] if k in p else np.full(sz, default, dtype=dt) for p, sz in zip(self.parts, sizes,
                                                                                          strict=True)]
            out[k] = np.concatenate(chunks) if chunks else np.zeros(0, dtype=dt)
        self.parts = []
        return out


@dataclass
class Campaigns:
    """Campaign calendar: marketing blasts, triggered programmes and paid ads."""

    ids: list[str]
    names: list[str]
    channel: list[str]  # email, sms, push, ads
    purpose: list[str]
    start: list[date]
    end: list[date]
    coupon: list[int]  # coupon index or -1
    utm: list[str]
    platform: list[str]  # google / meta for ads, "" otherwise
    send_day: np.ndarray  # blasts: day index of the send, -1 for others
    audience: np.ndarray
    coupons: list[str]  # campaign coupon codes (index = coupon index)
    coupon_pct: list[float]
    ads: np.ndarray  # indices of ads campaigns
    ad_active: np.ndarray  # (days, len(ads)) weights
    trigger: dict[str, int] = field(default_factory=dict)
    dup_coupon: dict = field(default_factory=dict)  # sms campaign reusing an e-mail coupon


def make_campaigns(w: World) -> Campaigns:
    cal = w.cal
    rng = rng_for(w.seed, "campaigns")
    ids, names, channel, purpose, start, end, coupon, utm, platform, send_day, audience = ([] for _ in range(11))
    coupons: list[str] = []
    coupon_pct: list[float] = []

    def add(ch, name, purp, d0, d1, code=None, pct=0.0, utm_c="", plat="", sday=-1, aud=0.0):
        prefix = {"email": "E", "sms": "S", "push": "P", "ads": "A"}[ch]
        k = sum(1 for c in channel if c == ch)
        ids.append(f"CMP-{prefix}{k + 1:04d}")
        names.append(name)
        channel.append(ch)
        purpose.append(purp)
        start.append(d0)
        end.append(d1)
        if code:
            coupon.append(len(coupons))
            coupons.append(code)
            coupon_pct.append(pct)
        else:
            coupon.append(-1)
        utm.append(utm_c)
        platform.append(plat)
        send_day.append(sday)
        audience.append(aud)
        return len(ids) - 1

    seasonal = {date(2025, 11, 27): ("Black Friday", "BLACK20", 0.2), date(2025, 12, 10): ("Prezenty", "GWIAZDKA15", 0.15),
                date(2026, 1, 8): ("Wyprzedaż zimowa", "ZIMA10", 0.1), date(2026, 6, 26): ("Wyprzedaż lato",
                                                                                          "LATO20", 0.2),
                date(2026, 8, 20): ("Powrót do szkoły", "SZKOLA15", 0.15), date(2026, 10, 8): ("Jesień w domu",
                                                                                              "JESIEN15", 0.15)}
    last_nl_coupon = -1
    dup_done = False
    dup: dict = {}
    for d, day in enumerate(cal.dates):
        wd = day.weekday()
        tag = day.strftime("%Y_%m_%d")
        if day in seasonal:
            title, code, pct = seasonal[day]
            for ch, aud in (("email", 0.8), ("sms", 0.6), ("push", 0.8)):
                add(ch, f"{title} {day.year} ({ch})", "promo", day, day + timedelta(days=6), code, pct,
                    f"{ch}_{title.lower().replace(' ', '_')}_{day.year}", "", d, aud)
            continue
        if wd == 3:  # Thursday newsletter, every third with a coupon
            k = sum(1 for c, p in zip(channel, purpose, strict=True) if c == "email" and p == "newsletter")
            code = f"NL{day.strftime('%d%m')}" if k % 3 == 1 else None
            i = add("email", f"Newsletter {day.strftime('%d.%m.%Y')}", "newsletter", day, day + timedelta(days=7),
                    code, 0.1 if code else 0.0, f"nl_{tag}", "", d, S.NEWSLETTER_AUDIENCE)
            if code:
                last_nl_coupon = i
        elif wd == 4 and (d // 7) % 2 == 0:  # SMS every other Friday
            k = sum(1 for c in channel if c == "sms")
            if not dup_done and last_nl_coupon >= 0 and d - send_day[last_nl_coupon] <= 8:
                # planted: the newsletter's code is sent again by SMS
                i = add("sms", f"SMS przypomnienie {day.strftime('%d.%m')}", "promo", day, day + timedelta(days=5),
                        None, 0.0, f"sms_{tag}", "", d, 0.6)
                coupon[i] = coupon[last_nl_coupon]
                dup = {"sms_campaign": i, "email_campaign": last_nl_coupon, "coupon": coupons[coupon[i]]}
                dup_done = True
            else:
                code = f"SMS{day.strftime('%d%m')}" if k % 2 == 0 else None
                add("sms", f"SMS promocja {day.strftime('%d.%m')}", "promo", day, day + timedelta(days=5), code,
                    0.15 if code else 0.0, f"sms_{tag}", "", d, S.SMS_AUDIENCE)
        elif wd == 1:  # push on Tuesdays
            add("push", f"Push {day.strftime('%d.%m')}", "promo", day, day + timedelta(days=3), None, 0.0,
                f"push_{tag}", "", d, S.PUSH_AUDIENCE)
    first, last = cal.dates[0], cal.dates[-1]
    trig = {
        "cart_email": add("email", "Porzucony koszyk (e-mail)", "abandoned_cart", first, last, None, 0.0,
                          "ac_email"),
        "cart_push": add("push", "Porzucony koszyk (push)", "abandoned_cart", first, last, None, 0.0, "ac_push"),
        "cart_sms": add("sms", "Porzucony koszyk (SMS przypomnienie)", "abandoned_cart", first, last, None, 0.0,
                        "ac_sms"),
    }
    # paid ads: always-on and seasonal
    ads_spec = [("google", "Google - marka", "gg_brand", None, None), ("google", "Google - zakupy", "gg_shopping",
                                                                       None, None),
                ("google", "Google - Performance Max", "gg_pmax", None, None),
                ("meta", "Meta - pozyskanie", "fb_prospecting", None, None),
                ("meta", "Meta - remarketing", "fb_retargeting", None, None),
                ("google", "Google - Black Friday", "gg_black_friday", date(2025, 11, 20), date(2025, 12, 1)),
                ("meta", "Meta - Black Friday", "fb_black_friday", date(2025, 11, 20), date(2025, 12, 1)),
                ("meta", "Meta - Święta", "fb_swieta", date(2025, 12, 2), date(2025, 12, 22)),
                ("google", "Google - wyprzedaż lato", "gg_lato", date(2026, 6, 24), date(2026, 7, 19)),
                ("meta", "Meta - szkoła", "fb_szkola", date(2026, 8, 15), date(2026, 9, 6))]
    ads_idx = []
    for plat, name, u, d0, d1 in ads_spec:
        d0 = d0 or first
        d1 = d1 or last
        if d1 < first or d0 > last:
            continue
        ads_idx.append(add("ads", name, "acquisition" if "remarketing" not in name else "retargeting",
                           max(d0, first), min(d1, last), None, 0.0, u, plat))
    ads = np.array(ads_idx)
    active = np.zeros((cal.days, ads.size))
    for j, c in enumerate(ads_idx):
        a = (start[c] - first).days
        b = (end[c] - first).days
        active[a: b + 1, j] = 3.0 if (end[c] - start[c]).days < 60 else 1.0
    del rng
    return Campaigns(ids, names, channel, purpose, start, end, coupon, utm, platform, np.array(send_day),
                     np.array(audience), coupons, coupon_pct, ads, active, trig, dup)


# ---------------------------------------------------------------------------------------------
class Builder:
    """Generates every record of the period into record tables."""

    def __init__(self, w: World, progress) -> None:
        self.w = w
        self.progress = progress
        self.cp = make_campaigns(w)
        self.t = {name: Acc(name) for name in SCHEMAS}
        self.personal_coupons = 0  # personal coupon codes, indices after the campaign codes
        self.personal_pct = 0.1
        self.extra_consents: list[dict] = []
        self.withdraw = w.consents.withdraw_ms.copy()
        self.planted: dict[str, list] = {"consent_violations": [], "duplicate_coupon_messages": []}
        self.end_ms = w.cal.ms(w.cal.days)
        self.active_sku = np.flatnonzero(w.products.active)
        self.sku_w = w.products.popularity[self.active_sku]
        self.store_skus = [np.flatnonzero(w.stores.assortment[s] & w.products.active) for s in range(w.stores.n)]

    def rng(self, name: str) -> np.random.Generator:
        return rng_for(self.w.seed, "journey", name)

    def n_journeys(self, rng, rate: float, weights: np.ndarray) -> int:
        return int(rng.poisson(rate * float(weights.sum()) * self.w.cal.year_share))

    # ---- building blocks ---------------------------------------------------------------------
    def basket(self, rng, n: int, channel: np.ndarray, day: np.ndarray, first_sku: np.ndarray | None = None,
               n_lines: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Online baskets: (line_start, n_lines) into the lines table; prices of the channel and day."""
        if n_lines is None:
            n_lines = 1 + choice_w(rng, n, np.array([55, 28, 12, 5]))
        parent, pos = expand(n_lines)
        sku = self.active_sku[choice_w(rng, parent.size, self.sku_w)]
        if first_sku is not None:
            sku = np.where((pos == 0) & (first_sku[parent] >= 0), first_sku[parent], sku)
        sku = _dedupe_lines(parent, sku, self.active_sku, rng)
        qty = 1 + choice_w(rng, parent.size, np.array([85, 12, 3]))
        price = self.w.products.sale_cents(np.asarray(channel)[parent] if np.ndim(channel) else channel,
                                           np.asarray(day)[parent], sku)
        base = self.t["lines"].add(parent.size, sku=sku, qty=qty, price=price)
        starts = base + np.cumsum(n_lines) - n_lines
        return starts, n_lines

    def copy_basket(self, starts: np.ndarray, n_lines: np.ndarray, channel, day: np.ndarray, lines: dict):
        parent, pos = expand(n_lines)
        src = starts[parent] + pos
        sku = lines["sku"][src]
        price = self.w.products.sale_cents(np.asarray(channel)[parent] if np.ndim(channel) else channel,
                                           np.asarray(day)[parent], sku)
        base = self.t["lines"].add(parent.size, sku=sku, qty=lines["qty"][src], price=price)
        return base + np.cumsum(n_lines) - n_lines, n_lines

    def store_skus_for(self, rng, store: np.ndarray, count: int | None = None) -> np.ndarray:
        """One sku per element from the store's assortment, by popularity."""
        out = np.zeros(store.size, dtype=np.int64)
        pop = self.w.products.popularity
        for s in np.unique(store):
            idx = np.flatnonzero(store == s)
            skus = self.store_skus[s]
            out[idx] = skus[choice_w(rng, idx.size, pop[skus])]
        return out

    def sessions(self, rng, person, t0, platform, entry, n_browse, template, *, login_start=0.4, login_mid=0.1,
                 cart=None, checkout=0, order=-1, locator=0, campaign=-1, click=-1, msg=-1, focus=-1,
                 force_login=False, guest=None) -> int:
        """Adds sessions; identity (cookie, device, login) follows from the person and the time."""
        w, pe = self.w, self.w.people
        n = person.size
        platform = np.broadcast_to(np.asarray(platform), (n,))
        n_browse = np.broadcast_to(np.asarray(n_browse), (n,)).astype(np.int64)
        is_web = platform == WEB
        cookie = np.where(is_web, w.pick_cookie(rng, person), -1)
        device = np.where(is_web, -1, w.device_at(person, t0))
        acct = pe.customer[person]
        has_acct = (acct >= 0) & (w.accounts.created_ms[np.maximum(acct, 0)] <= t0)
        if guest is not None:
            has_acct &= ~guest
        r = rng.random(n)
        if force_login:
            mode = np.where(r < login_start / max(login_start + login_mid, 1e-9), 0, 1)
        else:
            mode = np.where(r < login_start, 0, np.where(r < login_start + login_mid, 1, -1))
        mode = np.where(~is_web, 0, mode)  # app sessions are logged in
        mode = np.where(has_acct, mode, -1)
        login_at = np.where(mode == 1, 1 + np.floor(rng.random(n) * np.maximum(n_browse, 1)), mode)
        login_at = np.where((mode == 1) & (n_browse == 0), 1, login_at)
        customer = np.where(mode >= 0, acct, -1)
        devcat = np.where(is_web, w.cookies.devcat[np.maximum(cookie, 0)], np.where(rng.random(n) < 0.1, 2, 1))
        geo = np.where(rng.random(n) < 0.94, pe.city[person], rng.integers(0, len(w.city_names), n))
        cart_start, n_cart = cart if cart is not None else (-1, 0)
        gap = rng.integers(12_000, 80_000, n)
        return self.t["sessions"].add(
            n, person=person, t0=t0, platform=platform, cookie=cookie, device=device, customer=customer,
            login_at=login_at, n_browse=n_browse, cart_start=cart_start, n_cart=n_cart, checkout=checkout,
            order=order, locator=locator, entry=entry, campaign=campaign, click=click, msg=msg, gap=gap,
            focus=focus, geo=geo, devcat=devcat, template=template)

    def last_session_times(self, base: int, n: int) -> dict[str, np.ndarray]:
        part = self.t["sessions"].parts[-1]
        assert self.t["sessions"].n == base + n
        pos_checkout = 1 + part["n_browse"].astype(np.int64) + (part["login_at"] > 0) + part["n_cart"]
        gap = part["gap"].astype(np.int64)
        return {"checkout": part["t0"] + pos_checkout * gap, "purchase": part["t0"] + (pos_checkout + 1) * gap,
                "end": part["t0"] + (pos_checkout + 2) * gap, "customer": part["customer"]}

    def ad_clicks(self, rng, person, t_click, platform_pref: str | None = None) -> tuple[np.ndarray, int]:
        """Chooses an active ads campaign per click; returns (campaign index, first click index)."""
        cp = self.cp
        day = np.clip(self.w.cal.day_of(t_click), 0, self.w.cal.days - 1)
        wts = cp.ad_active[day].copy()
        if platform_pref is not None:
            keep = np.array([cp.platform[c] == platform_pref for c in cp.ads])
            wts = wts * np.where(keep, 3.0, 1.0)
        cdf = np.cumsum(wts, axis=1)
        u = rng.random(person.size) * cdf[:, -1]
        j = np.minimum((cdf < u[:, None]).sum(axis=1), cp.ads.size - 1)
        camp = cp.ads[j]
        return camp, self.t["clicks"].n

    def receipts(self, rng, person, store, t_local, template, *, ttype=SALE, first_sku=None, n_lines=None,
                 coupon=-1, lines=None, ident=1.0, orig_order=-1, orig_receipt=-1) -> int:
        """POS receipts with identification and (for sales) a basket from the store's assortment.

        `lines`: for returns and pickups, (sku, qty, unit, disc, total, n_lines) already built."""
        w, pe, cal = self.w, self.w.people, self.w.cal
        n = person.size
        store = np.asarray(store, dtype=np.int64)
        day = np.clip(cal.day_of(t_local), 0, cal.days - 1)
        t_utc = cal.utc_of_local(t_local)
        mem = pe.member[person]
        is_member = (mem >= 0) & (w.members.enrolled_ms[np.maximum(mem, 0)] <= t_utc) & \
                    (t_utc < w.members.closed_ms[np.maximum(mem, 0)])
        r = rng.random(n)
        card = is_member & (r < 0.72 * ident)
        anon = pe.anon[person]
        typed = ~card & ~anon & (rng.random(n) < np.where(is_member, 0.3, 0.07) * ident)
        phone = np.where(typed, w.typed_phone(rng, person, t_utc), -1)
        ph_placeholder = (phone < 0) & ~card & (rng.random(n) < S.P_POS_PLACEHOLDER_PHONE)
        phone = np.where(ph_placeholder, w.phone_placeholder(rng, n, store), phone)
        v2 = day >= w.stores.v2_day[store]
        r = rng.random(n)
        email = np.where(v2 & ~anon & (r < 0.12 * ident), w.typed_email(rng, person), -1)
        email = np.where(v2 & (email < 0) & (r > 0.99), w.email_placeholder(rng, n), email)
        register = 1 + np.floor(rng.random(n) * w.stores.registers[store]).astype(np.int64)
        cashier = store * 100 + 1 + register * 2 + (rng.random(n) < 0.5)
        if ttype == SALE:
            pay = choice_w(rng, n, np.array([55, 27, 15, 3]))
            if n_lines is None:
                n_lines = 1 + choice_w(rng, n, np.array([45, 28, 15, 8, 4]))
            parent, pos = expand(n_lines)
            sku = self.store_skus_for(rng, store[parent])
            if first_sku is not None:
                sku = np.where((pos == 0) & (first_sku[parent] >= 0), first_sku[parent], sku)
            sku = _dedupe_lines(parent, sku, None, rng, self.store_skus, store[parent])
            qty = 1 + choice_w(rng, parent.size, np.array([80, 15, 5]))
            d = day[parent]
            p = w.products
            unit = p.list_cents[2, d, sku]
            promo = p.promo[2, d, sku] >= 0
            disc = np.where(promo, (unit - p.promo_cents[2, d, sku]) * qty, 0)
            gross = unit * qty - disc
            coupon = np.broadcast_to(np.asarray(coupon), (n,))
            pct = self.coupon_pct(coupon)[parent]
            disc = disc + np.round(gross * pct).astype(np.int64)
            total = unit * qty - disc
            base = self.t["rlines"].add(parent.size, sku=sku, qty=qty, unit=unit, disc=disc, total=total)
        else:
            sku, qty, unit, disc, total, n_lines = lines
            pay = np.full(n, PAY_ONLINE if ttype == PICKUP else PAY_CARD)
            if ttype == RETURN:
                pay = np.where(rng.random(n) < 0.8, PAY_CARD, PAY_CASH)
            base = self.t["rlines"].add(sku.size, sku=sku, qty=qty, unit=unit, disc=disc, total=total)
        rl_start = base + np.cumsum(n_lines) - n_lines
        return self.t["receipts"].add(n, person=person, store=store, t=t_local, ttype=ttype,
                                      member=np.where(card, mem, -1), phone=phone, email=email, pay=pay,
                                      coupon=coupon, rl_start=rl_start, n_rl=n_lines, register=register,
                                      cashier=cashier, template=template, orig_order=orig_order,
                                      orig_receipt=orig_receipt)

    def coupon_pct(self, coupon: np.ndarray) -> np.ndarray:
        pct = np.array(self.cp.coupon_pct + [self.personal_pct])
        c = np.asarray(coupon)
        idx = np.where(c < 0, -1, np.minimum(c, len(self.cp.coupon_pct)))
        return np.where(c < 0, 0.0, pct[np.maximum(idx, 0)])

    def orders(self, rng, person, t, channel, session, fulfil, line_start, n_lines, template, customer,
               coupon=-1) -> int:
        w, pe = self.w, self.w.people
        n = person.size
        store = np.where(fulfil == CC, pe.home_store[person], -1)
        lockers = w.city_lockers
        n_lock = np.array([lk.size for lk in lockers])
        first_lock = np.array([lk[0] if lk.size else -1 for lk in lockers])
        city = pe.city[person]
        locker = np.where(fulfil == LOCKER, first_lock[city] + np.floor(rng.random(n) * n_lock[city]), -1)
        email = np.where(customer >= 0, w.accounts.email[np.maximum(customer, 0)], w.typed_email(rng, person))
        phone = np.where(rng.random(n) < 0.7, w.typed_phone(rng, person, t), -1)
        return self.t["orders"].add(n, person=person, customer=customer, channel=channel, t=t, session=session,
                                    fulfil=fulfil, store=store, locker=locker, coupon=coupon, line_start=line_start,
                                    n_lines=n_lines, email=email, phone=phone, template=template)

    def fulfilment(self, rng, person, cc_share: float) -> np.ndarray:
        n = person.size
        f = choice_w(rng, n, np.array([52, cc_share, 38]))
        return np.where((f == CC) & ~self.w.people.city_has_store[person], HOME, f)

    def message(self, rng, campaign, person, channel, contact, t, *, open_p, click_p, coupon=-1, bounce_p=0.01,
                unsub_p=0.0, violation=0) -> tuple[int, dict]:
        """Adds messages with outcomes; returns (first index, outcome arrays)."""
        n = person.size
        bounce = (rng.random(n) < bounce_p) & (channel != CH_PUSH)
        d_deliv = np.where(bounce, rng.integers(2, 600, n), rng.integers(1, 90, n))
        if channel == CH_SMS:
            opened = np.zeros(n, dtype=bool)
            d_open = np.full(n, -1)
            clicked = ~bounce & (rng.random(n) < click_p)
            d_click = np.where(clicked, d_deliv + np.minimum(rng.lognormal(np.log(1200), 1.2, n), 2 * 86400), -1)
            unsub = ~bounce & ~clicked & (rng.random(n) < unsub_p)
            d_unsub = np.where(unsub, d_deliv + rng.integers(60, 7200, n), -1)
        else:
            opened = ~bounce & (rng.random(n) < open_p)
            d_open = np.where(opened, d_deliv + np.minimum(rng.lognormal(np.log(5400), 1.3, n), 3 * 86400), -1)
            clicked = opened & (rng.random(n) < click_p) & (channel != CH_PUSH)
            d_click = np.where(clicked, d_open + rng.integers(5, 300, n), -1)
            unsub = opened & ~clicked & (rng.random(n) < unsub_p)
            d_unsub = np.where(unsub, d_open + rng.integers(20, 200, n), -1)
        base = self.t["messages"].add(n, campaign=campaign, person=person, channel=channel, contact=contact, t=t,
                                      bounce=bounce, d_deliv=d_deliv, d_open=d_open, d_click=d_click,
                                      d_unsub=d_unsub, coupon=coupon, violation=violation)
        out = {"opened": opened, "clicked": clicked, "unsub": unsub,
               "t_open": t + d_open.astype(np.int64) * 1000, "t_click": t + d_click.astype(np.int64) * 1000,
               "t_unsub": t + d_unsub.astype(np.int64) * 1000}
        return base, out

    # ---- the period --------------------------------------------------------------------------
    def run(self) -> None:
        self.progress("campaigns")
        self.blasts()
        self.progress("journeys")
        self.walk_in()
        self.web_purchase(T_WEB)
        self.web_purchase(T_CC)
        self.ad_abandon()
        self.app_store()
        self.golden()
        self.campaign_clicks()
        self.progress("browsing")
        self.browse()
        self.progress("orders, pick-ups and returns")
        self.finish_orders()
        self.pickups()
        self.returns()
        self.progress("service and surveys")
        self.service()
        self.surveys()
        self.finish()

    # ---- marketing blasts (sequential: an unsubscribe stops later sends) ----------------------
    def blasts(self) -> None:
        w, cp, pe, cal = self.w, self.cp, self.w.people, self.w.cal
        rng = self.rng("blasts")
        blasts = [i for i in range(len(cp.ids)) if cp.send_day[i] >= 0]
        n_viol = w.spec.consent_violations
        viol_campaigns = set(rng.choice(blasts, size=min(len(blasts), max(1, n_viol // 2)), replace=False).tolist()) \
            if blasts else set()
        self.click_rows: list[dict] = []
        everyone = np.arange(pe.n)
        for i in blasts:
            ch = {"email": CH_EMAIL, "sms": CH_SMS, "push": CH_PUSH}[cp.channel[i]]
            d = int(cp.send_day[i])
            send_local = cal.ms(d) + (10 if ch == CH_EMAIL else 12 if ch == CH_SMS else 17) * HOUR_MS
            t_base = int(cal.utc_of_local(np.array([send_local]))[0])
            eligible = (w.consents.grant_ms[ch] <= t_base) & (t_base < self.withdraw[ch])
            contact = self._contact(ch, everyone, np.full(pe.n, t_base))
            eligible &= contact >= 0
            chosen = eligible & (rng.random(pe.n) < cp.audience[i] * np.clip(pe.engagement, 0.4, 1.8))
            persons = np.flatnonzero(chosen)
            violation = np.zeros(persons.size, dtype=np.int8)
            if i in viol_campaigns:
                withdrawn = np.flatnonzero((self.withdraw[ch] <= t_base) & (contact >= 0))
                k = min(withdrawn.size, max(1, n_viol // max(len(viol_campaigns), 1)))
                if k:
                    extra = np.sort(rng.choice(withdrawn, size=k, replace=False))
                    persons = np.concatenate([persons, extra])
                    violation = np.concatenate([violation, np.ones(k, dtype=np.int8)])
            if ch == CH_SMS:  # one message per phone number (family phones)
                num = contact[persons] % w.pools.n_num
                order = np.lexsort((persons, num))
                keep = order[first_of_group(num[order])]
                keep.sort()
                persons, violation = persons[keep], violation[keep]
            n = persons.size
            t = t_base + rng.integers(0, 45 * MIN_MS, n)
            params = {CH_EMAIL: dict(open_p=S.EMAIL_OPEN * np.clip(pe.engagement[persons], 0.2, 2.5),
                                     click_p=S.EMAIL_CLICK_GIVEN_OPEN, bounce_p=S.EMAIL_BOUNCE,
                                     unsub_p=S.EMAIL_UNSUB_GIVEN_OPEN),
                      CH_SMS: dict(open_p=0.0, click_p=S.SMS_CLICK, bounce_p=S.SMS_BOUNCE, unsub_p=S.SMS_UNSUB),
                      CH_PUSH: dict(open_p=S.PUSH_OPEN * np.clip(pe.engagement[persons], 0.3, 2.0), click_p=0.0,
                                    bounce_p=0.0)}[ch]
            base, out = self.message(rng, i, persons, ch, contact[persons], t, coupon=cp.coupon[i],
                                     violation=violation, **params)
            if violation.any():
                for j in np.flatnonzero(violation):
                    self.planted["consent_violations"].append(
                        {"message_index": base + int(j), "person": int(persons[j]), "channel": cp.channel[i],
                         "campaign": cp.ids[i], "withdrawn_ms": int(self.withdraw[ch, persons[j]]),
                         "sent_ms": int(t[j])})
            # unsubscribes withdraw the consent from then on
            u = out["unsub"] & (out["t_unsub"] < self.end_ms) & (violation == 0)
            if u.any():
                p_u = persons[u]
                t_u = out["t_unsub"][u]
                self.withdraw[ch, p_u] = np.minimum(self.withdraw[ch, p_u], t_u)
                self.extra_consents.append({"person": p_u, "channel": ch, "ms": t_u,
                                            "contact": contact[p_u], "source": SRC_LINK})
            sel = (out["clicked"] if ch != CH_PUSH else out["opened"])
            tc = np.where(ch == CH_PUSH, out["t_open"], out["t_click"])
            sel &= tc < self.end_ms - HOUR_MS
            if sel.any():
                self.click_rows.append({"person": persons[sel], "t": tc[sel], "channel": np.full(sel.sum(), ch),
                                        "campaign": np.full(sel.sum(), i), "msg": base + np.flatnonzero(sel),
                                        "coupon": np.full(sel.sum(), cp.coupon[i])})

    def _contact(self, ch: int, persons: np.ndarray, t: np.ndarray) -> np.ndarray:
        """What the marketing platform holds for a person: consent e-mail, phone (E.164), device."""
        w = self.w
        if ch == CH_EMAIL:
            return w.consents.contact[CH_EMAIL, persons]
        if ch == CH_SMS:
            num = w.phone_at(persons, t)
            return np.where(num >= 0, PHONE_E164 * w.pools.n_num + num, -1)
        return w.device_at(persons, t)

    # ---- journeys ----------------------------------------------------------------------------
    def walk_in(self) -> None:
        w, pe, cal = self.w, self.w.people, self.w.cal
        rng = self.rng("walk_in")
        weights = pe.w_store * pe.value
        n = self.n_journeys(rng, S.RATE_WALK_IN, weights)
        person = choice_w(rng, n, weights)
        day = choice_w(rng, n, cal.store_w)
        store = np.where(rng.random(n) < 0.9, pe.home_store[person], rng.integers(0, w.stores.n, n))
        self.receipts(rng, person, store, store_time(cal, rng, day), T_WALK_IN)

    def web_purchase(self, template: int) -> None:
        w, pe, cal = self.w, self.w.people, self.w.cal
        rng = self.rng(TEMPLATES[template])
        if template == T_CC:
            weights = pe.w_web * pe.value * ~pe.anon * pe.city_has_store
            n = self.n_journeys(rng, S.RATE_CLICK_COLLECT, weights)
        else:
            weights = pe.w_web * pe.value * ~pe.anon
            n = self.n_journeys(rng, S.RATE_WEB_PURCHASE, weights)
        person = choice_w(rng, n, weights)
        day = choice_w(rng, n, cal.online_w)
        t0 = online_time(cal, rng, day)
        platform = np.where(pe.app[person] & (rng.random(n) < (0.5 if template == T_WEB else 0.25)), APP, WEB)
        entry = np.array([ENTRY_DIRECT, ENTRY_ORGANIC, ENTRY_AD, ENTRY_SOCIAL])[choice_w(rng, n, np.array(
            [35, 38, 20, 7]))]
        entry = np.where(platform == APP, ENTRY_DIRECT, entry)
        if template == T_CC:  # some looked around a day or two earlier
            pre = rng.random(n) < 0.25
            tp = t0[pre] - rng.integers(DAY_MS, 3 * DAY_MS, pre.sum())
            ok = tp >= cal.day0_ms
            pp = person[pre][ok]
            self.sessions(rng, pp, tp[ok], WEB, ENTRY_ORGANIC, 2 + rng.poisson(4, pp.size), template,
                          login_start=0.3, login_mid=0.05)
        click = np.full(n, -1)
        camp = np.full(n, -1)
        ad = entry == ENTRY_AD
        if ad.any():
            c, c0 = self.ad_clicks(rng, person[ad], t0[ad])
            camp[ad] = c
            click[ad] = c0 + np.arange(ad.sum())
        n_browse = 2 + rng.poisson(4, n)
        cart = self.basket(rng, n, platform, day)
        order_base = self.t["orders"].n
        s_base = self.t["sessions"].n
        guest = rng.random(n) < 0.1  # account holders checking out as guests
        self.sessions(rng, person, t0, platform, entry, n_browse, template, login_start=0.5, login_mid=0.5,
                      force_login=True, cart=cart, checkout=1, order=order_base + np.arange(n), campaign=camp,
                      click=click, guest=guest)
        times = self.last_session_times(s_base, n)
        if ad.any():
            self.t["clicks"].add(int(ad.sum()), campaign=camp[ad], t=t0[ad] - rng.integers(1000, 8000, ad.sum()),
                                 session=s_base + np.flatnonzero(ad), person=person[ad])
        fulfil = np.full(n, CC) if template == T_CC else self.fulfilment(rng, person, 10)
        self.orders(rng, person, times["purchase"], platform, s_base + np.arange(n), fulfil, cart[0], cart[1],
                    template, times["customer"])

    def ad_abandon(self) -> None:
        """Ad click -> browse -> cart -> abandoned checkout -> reminder -> (maybe) purchase."""
        w, pe, cal, cp = self.w, self.w.people, self.w.cal, self.cp
        rng = self.rng("ad_abandon")
        weights = pe.w_web * pe.value * ~pe.anon
        n = self.n_journeys(rng, S.RATE_AD_ABANDON, weights)
        person = choice_w(rng, n, weights)
        day = choice_w(rng, n, cal.online_w)
        t_click = online_time(cal, rng, day)
        t0 = t_click + rng.integers(1000, 8000, n)
        camp, c0 = self.ad_clicks(rng, person, t_click)
        cart = self.basket(rng, n, WEB, day)
        s_base = self.t["sessions"].n
        self.sessions(rng, person, t0, WEB, ENTRY_AD, 3 + rng.poisson(4, n), T_AD_ABANDON, login_start=0.3,
                      login_mid=0.3, cart=cart, checkout=1, campaign=camp, click=c0 + np.arange(n))
        self.t["clicks"].add(n, campaign=camp, t=t_click, session=s_base + np.arange(n), person=person)
        times = self.last_session_times(s_base, n)
        customer = times["customer"]
        t_co = times["checkout"]
        typed = rng.random(n) < 0.8
        email = np.where(customer >= 0, w.accounts.email[np.maximum(customer, 0)],
                         np.where(typed, w.typed_email(rng, person), -1))
        self.t["checkouts"].add(n, person=person, customer=customer, email=email, channel=WEB, t=t_co,
                                line_start=cart[0], n_lines=cart[1], session=s_base + np.arange(n))
        # the reminder: e-mail if the address is known and consented, else push to an app user
        t_send = t_co + rng.integers(HOUR_MS, 4 * HOUR_MS, n)
        known = email >= 0
        ok_email = known & self.allowed(CH_EMAIL, person, t_send) & (t_send < self.end_ms)
        device = w.device_at(person, t_send)
        ok_push = ~ok_email & (device >= 0) & self.allowed(CH_PUSH, person, t_send) & (t_send < self.end_ms)
        back = np.zeros(n, dtype=bool)
        t_back = np.zeros(n, dtype=np.int64)
        via = np.full(n, -1)
        msg_idx = np.full(n, -1)
        coupon = np.full(n, -1)
        e = np.flatnonzero(ok_email)
        if e.size:
            cpn = np.where(rng.random(e.size) < 0.3, self.new_personal_coupons(e.size), -1)
            base, out = self.message(rng, cp.trigger["cart_email"], person[e], CH_EMAIL,
                                     w.consents.contact[CH_EMAIL, person[e]], t_send[e], open_p=0.45, click_p=0.5,
                                     coupon=cpn, bounce_p=0.01)
            clicked = out["clicked"] & (out["t_click"] < self.end_ms - HOUR_MS)
            buy = clicked & (rng.random(e.size) < 0.6)
            back[e] = buy
            t_back[e] = out["t_click"]
            via[e] = ENTRY_EMAIL
            msg_idx[e] = base + np.arange(e.size)
            coupon[e] = np.where(rng.random(e.size) < 0.85, cpn, -1)
            self._plant_sms_resend(rng, person[e], cpn, t_send[e])
        p = np.flatnonzero(ok_push)
        if p.size:
            base, out = self.message(rng, cp.trigger["cart_push"], person[p], CH_PUSH, device[p], t_send[p],
                                     open_p=0.3, click_p=0.0, bounce_p=0.0)
            opened = out["opened"] & (out["t_open"] < self.end_ms - HOUR_MS)
            back[p] = opened & (rng.random(p.size) < 0.5)
            t_back[p] = out["t_open"]
            via[p] = ENTRY_PUSH
            msg_idx[p] = base + np.arange(p.size)
        # no reminder (or ignored): some come back by themselves within days
        direct = ~back & (via < 0) & (rng.random(n) < 0.2)
        t_back = np.where(direct, t_co + rng.integers(6 * HOUR_MS, 5 * DAY_MS, n), t_back)
        direct &= t_back < self.end_ms - HOUR_MS
        back |= direct
        via = np.where(direct, ENTRY_DIRECT, via)
        b = np.flatnonzero(back)
        if b.size == 0:
            return
        platform = np.where(via[b] == ENTRY_PUSH, APP, WEB)
        t2 = t_back[b] + rng.integers(1000, 6000, b.size)
        day2 = cal.day_of(t2)
        lines = self.t["lines"]
        lines_now = _concat_parts(lines)
        cart2 = self.copy_basket(cart[0][b], cart[1][b], platform, day2, lines_now)
        o_base = self.t["orders"].n
        s2 = self.t["sessions"].n
        campaign = np.where(via[b] == ENTRY_EMAIL, cp.trigger["cart_email"],
                            np.where(via[b] == ENTRY_PUSH, cp.trigger["cart_push"], -1))
        self.sessions(rng, person[b], t2, platform, via[b], 1 + rng.poisson(2, b.size), T_AD_ABANDON,
                      login_start=0.7, login_mid=0.3, force_login=True, cart=cart2, checkout=1,
                      order=o_base + np.arange(b.size), campaign=campaign, msg=msg_idx[b])
        times = self.last_session_times(s2, b.size)
        fulfil = np.where(rng.random(b.size) < 0.55, HOME, LOCKER)
        self.orders(rng, person[b], times["purchase"], platform, s2 + np.arange(b.size), fulfil, cart2[0], cart2[1],
                    T_AD_ABANDON, times["customer"], coupon=coupon[b])

    def _plant_sms_resend(self, rng, person, cpn, t_send) -> None:
        """Planted: a few personal coupons of cart e-mails are sent again by SMS."""
        k_total = self.w.spec.duplicate_personal_coupons
        done = len(self.planted["duplicate_coupon_messages"])
        if done >= k_total:
            return
        t_sms = t_send + DAY_MS
        contact = self._contact(CH_SMS, person, t_sms)
        cand = np.flatnonzero((cpn >= 0) & (contact >= 0) & self.allowed(CH_SMS, person, t_sms)
                              & (t_sms < self.end_ms))
        cand = cand[: k_total - done]
        if cand.size == 0:
            return
        base, _ = self.message(rng, self.cp.trigger["cart_sms"], person[cand], CH_SMS, contact[cand], t_sms[cand],
                               open_p=0.0, click_p=0.0, coupon=cpn[cand], bounce_p=0.0)
        for j, c in enumerate(cand):
            self.planted["duplicate_coupon_messages"].append({"message_index": base + j, "person": int(person[c]),
                                                              "coupon_index": int(cpn[c])})

    def new_personal_coupons(self, n: int) -> np.ndarray:
        base = len(self.cp.coupons) + self.personal_coupons
        self.personal_coupons += n
        return base + np.arange(n)

    def allowed(self, ch: int, person: np.ndarray, t: np.ndarray) -> np.ndarray:
        return (self.w.consents.grant_ms[ch, person] <= t) & (t < self.withdraw[ch, person])

    def app_store(self) -> None:
        """App browsing, then a purchase in the store (with or without the loyalty card)."""
        w, pe, cal = self.w, self.w.people, self.w.cal
        rng = self.rng("app_store")
        weights = pe.w_app * pe.w_store * pe.value
        n = self.n_journeys(rng, S.RATE_APP_STORE, weights)
        person = choice_w(rng, n, weights)
        day = choice_w(rng, n, cal.online_w)
        t0 = online_time(cal, rng, day)
        store = pe.home_store[person]
        focus = self.store_skus_for(rng, store)
        self.sessions(rng, person, t0, APP, ENTRY_DIRECT, 3 + rng.poisson(3, n), T_APP_STORE, focus=focus,
                      locator=(rng.random(n) < 0.35).astype(np.int8))
        sday = cal.local_day_of_utc(t0) + 1 + rng.integers(0, 3, n)
        sday = cal.next_open[np.minimum(sday, cal.days)]
        ok = sday < cal.days
        self.receipts(rng, person[ok], store[ok], store_time(cal, rng, sday[ok]), T_APP_STORE, first_sku=focus[ok],
                      n_lines=1 + choice_w(rng, int(ok.sum()), np.array([55, 30, 15])))

    def golden(self) -> None:
        """Web browse -> store visit -> online order -> pick-up in the store."""
        w, pe, cal = self.w, self.w.people, self.w.cal
        rng = self.rng("golden")
        weights = pe.value * (pe.customer >= 0) * pe.store * pe.city_has_store * (pe.w_web > 0)
        n = self.n_journeys(rng, S.RATE_GOLDEN, weights)
        person = choice_w(rng, n, weights)
        day = choice_w(rng, n, cal.online_w)
        t0 = online_time(cal, rng, day)
        store = pe.home_store[person]
        focus = self.store_skus_for(rng, store)
        self.sessions(rng, person, t0, WEB, ENTRY_ORGANIC, 4 + rng.poisson(4, n), T_GOLDEN, login_start=0.3,
                      login_mid=0.2, focus=focus, locator=(rng.random(n) < 0.6).astype(np.int8))
        sday = cal.next_open[np.minimum(cal.local_day_of_utc(t0) + 1 + rng.integers(0, 3, n), cal.days)]
        ok = sday < cal.days
        person, store, focus, sday = person[ok], store[ok], focus[ok], sday[ok]
        t_store = store_time(cal, rng, sday)
        self.receipts(rng, person, store, t_store, T_GOLDEN, n_lines=np.ones(person.size, dtype=np.int64))
        t2 = cal.utc_of_local(t_store) + rng.integers(DAY_MS, 4 * DAY_MS, person.size)
        ok = t2 < self.end_ms - 2 * DAY_MS
        person, store, focus, t2 = person[ok], store[ok], focus[ok], t2[ok]
        m = person.size
        day2 = cal.day_of(t2)
        cart = self.basket(rng, m, WEB, day2, first_sku=focus, n_lines=np.ones(m, dtype=np.int64))
        o_base = self.t["orders"].n
        s2 = self.t["sessions"].n
        self.sessions(rng, person, t2, WEB, ENTRY_DIRECT, 1 + rng.poisson(2, m), T_GOLDEN, login_start=0.8,
                      login_mid=0.2, force_login=True, cart=cart, checkout=1, order=o_base + np.arange(m),
                      focus=focus)
        times = self.last_session_times(s2, m)
        self.orders(rng, person, times["purchase"], WEB, s2 + np.arange(m), np.full(m, CC), cart[0], cart[1],
                    T_GOLDEN, times["customer"])

    def campaign_clicks(self) -> None:
        """Sessions after newsletter/SMS clicks and push opens; some buy (with the campaign coupon)."""
        w, pe, cal, cp = self.w, self.w.people, self.w.cal, self.cp
        rng = self.rng("campaign_clicks")
        if not self.click_rows:
            return
        rows = {k: np.concatenate([r[k] for r in self.click_rows]) for k in self.click_rows[0]}
        n = rows["person"].size
        person, t = rows["person"], rows["t"] + rng.integers(1000, 6000, n)
        ch = rows["channel"]
        platform = np.where(ch == CH_PUSH, APP, WEB)
        entry = np.where(ch == CH_EMAIL, ENTRY_EMAIL, np.where(ch == CH_SMS, ENTRY_SMS, ENTRY_PUSH))
        coupon = rows["coupon"]
        p_buy = np.where(coupon >= 0, S.CLICK_CONVERSION_COUPON, S.CLICK_CONVERSION)
        buy = (rng.random(n) < p_buy * np.clip(pe.value[person], 0.5, 2.0)) & ~pe.anon[person]
        day = cal.day_of(t)
        n_browse = 1 + rng.poisson(3, n)
        # sessions without a purchase
        nb = ~buy
        self.sessions(rng, person[nb], t[nb], platform[nb], entry[nb], n_browse[nb], T_CLICK, login_start=0.4,
                      login_mid=0.05, campaign=rows["campaign"][nb], msg=rows["msg"][nb])
        b = np.flatnonzero(buy)
        m = b.size
        if m:
            cart = self.basket(rng, m, platform[b], day[b])
            o_base = self.t["orders"].n
            s_base = self.t["sessions"].n
            self.sessions(rng, person[b], t[b], platform[b], entry[b], n_browse[b], T_CLICK, login_start=0.6,
                          login_mid=0.4, force_login=True, cart=cart, checkout=1, order=o_base + np.arange(m),
                          campaign=rows["campaign"][b], msg=rows["msg"][b])
            times = self.last_session_times(s_base, m)
            use = np.where(rng.random(m) < 0.85, coupon[b], -1)
            self.orders(rng, person[b], times["purchase"], platform[b], s_base + np.arange(m),
                        self.fulfilment(rng, person[b], 15), cart[0], cart[1], T_CLICK, times["customer"],
                        coupon=use)
        # the coupon redeemed in a store a few days later
        st = (coupon >= 0) & ~buy & pe.store[person] & (rng.random(n) < S.CLICK_STORE_CONVERSION)
        sday = cal.next_open[np.minimum(cal.local_day_of_utc(t) + 1 + rng.integers(0, 5, n), cal.days)]
        st &= sday < cal.days
        s = np.flatnonzero(st)
        if s.size:
            self.receipts(rng, person[s], pe.home_store[person[s]], store_time(cal, rng, sday[s]), T_CLICK,
                          coupon=coupon[s])

    def browse(self) -> None:
        """Sessions that buy nothing: web (anonymous or logged in), app, ad clicks that bounce."""
        w, pe, cal = self.w, self.w.people, self.w.cal
        rng = self.rng("browse")
        # web
        weights = pe.w_web * np.where(pe.anon, S.RATE_BROWSE_ANON / S.RATE_BROWSE_WEB, 1.0)
        n = self.n_journeys(rng, S.RATE_BROWSE_WEB, weights)
        person = choice_w(rng, n, weights)
        day = choice_w(rng, n, cal.online_w)
        t0 = online_time(cal, rng, day)
        entry = np.array([ENTRY_DIRECT, ENTRY_ORGANIC, ENTRY_SOCIAL, ENTRY_AD])[choice_w(rng, n, np.array(
            [30, 42, 10, 18]))]
        n_browse = np.where(rng.random(n) < 0.3, 0, 1 + rng.geometric(0.25, n))
        atc = (n_browse > 1) & (rng.random(n) < 0.1)
        self._browse_sessions(rng, person, t0, day, WEB, entry, n_browse, atc, rng.random(n) < 0.03)
        # app
        weights = pe.w_app
        n = self.n_journeys(rng, S.RATE_BROWSE_APP, weights)
        person = choice_w(rng, n, weights)
        day = choice_w(rng, n, cal.online_w)
        t0 = online_time(cal, rng, day)
        n_browse = 1 + rng.poisson(4, n)
        self._browse_sessions(rng, person, t0, day, APP, np.full(n, ENTRY_DIRECT), n_browse,
                              rng.random(n) < 0.12, rng.random(n) < 0.05)
        # ad clicks that bounce
        weights = pe.w_web
        n = self.n_journeys(rng, S.RATE_AD_BOUNCE, weights)
        person = choice_w(rng, n, weights)
        day = choice_w(rng, n, cal.online_w)
        t0 = online_time(cal, rng, day)
        self._browse_sessions(rng, person, t0, day, WEB, np.full(n, ENTRY_AD), rng.integers(0, 2, n),
                              np.zeros(n, bool), np.zeros(n, bool))

    def _browse_sessions(self, rng, person, t0, day, platform, entry, n_browse, atc, locator) -> None:
        n = person.size
        cart_start = np.full(n, -1, dtype=np.int64)
        n_cart = np.zeros(n, dtype=np.int64)
        a = np.flatnonzero(atc)
        if a.size:
            cs, cn = self.basket(rng, a.size, platform, day[a], n_lines=np.ones(a.size, dtype=np.int64))
            cart_start[a], n_cart[a] = cs, cn
        click = np.full(n, -1)
        camp = np.full(n, -1)
        ad = np.flatnonzero(entry == ENTRY_AD)
        t_click = t0[ad] - rng.integers(1000, 8000, ad.size)
        if ad.size:
            c, c0 = self.ad_clicks(rng, person[ad], t_click)
            camp[ad], click[ad] = c, c0 + np.arange(ad.size)
        s_base = self.t["sessions"].n
        self.sessions(rng, person, t0, platform, entry, n_browse, T_BROWSE, login_start=0.3, login_mid=0.08,
                      cart=(cart_start, n_cart), campaign=camp, click=click, locator=locator.astype(np.int8))
        if ad.size:
            self.t["clicks"].add(ad.size, campaign=camp[ad], t=t_click, session=s_base + ad, person=person[ad])

    # ---- after the orders ---------------------------------------------------------------------
    def finish_orders(self) -> None:
        """Money of web orders: coupon discounts per line, shipping, totals; fulfilment times."""
        rng = self.rng("orders")
        self.L = self.t["lines"].finish()
        o = self.O = self.t["orders"].finish()
        L = self.L
        n = o["person"].size
        parent, pos = expand(o["n_lines"])
        idx = o["line_start"][parent] + pos
        amount = L["price"][idx] * L["qty"][idx]
        pct = self.coupon_pct(o["coupon"])[parent]
        disc = np.round(amount * pct).astype(np.int64)
        L["disc"][idx] = disc
        o["subtotal"] = np.bincount(parent, weights=amount, minlength=n).astype(np.int64)
        o["discount"] = np.bincount(parent, weights=disc, minlength=n).astype(np.int64)
        net = o["subtotal"] - o["discount"]
        o["shipping"] = np.where(o["fulfil"] == HOME, np.where(net < 20000, 1499, 0),
                                 np.where(o["fulfil"] == LOCKER, np.where(net < 15000, 999, 0), 0))
        o["total"] = net + o["shipping"]
        o["t_fulfilled"] = o["t"] + rng.integers(6 * HOUR_MS, 48 * HOUR_MS, n)
        o["t_picked"] = np.full(n, -1, dtype=np.int64)
        o["t_refund"] = np.full(n, -1, dtype=np.int64)
        o["refund_full"] = np.zeros(n, dtype=bool)
        o["pickup_receipt"] = np.full(n, -1, dtype=np.int64)

    def pickups(self) -> None:
        w, cal, o = self.w, self.w.cal, self.O
        rng = self.rng("pickups")
        cc = np.flatnonzero((o["fulfil"] == CC) & (o["t_fulfilled"] < self.end_ms))
        cc = cc[rng.random(cc.size) < 0.97]
        ready_local_day = cal.local_day_of_utc(o["t_fulfilled"][cc])
        pday = cal.next_open[np.minimum(ready_local_day + 1 + rng.geometric(0.5, cc.size) - 1, cal.days)]
        ok = pday < cal.days
        cc, pday = cc[ok], pday[ok]
        t_local = store_time(cal, rng, pday)
        parent, pos = expand(o["n_lines"][cc])
        li = o["line_start"][cc][parent] + pos
        L = self.L
        lines = (L["sku"][li], L["qty"][li], L["price"][li], np.zeros(li.size, np.int64), np.zeros(li.size, np.int64),
                 o["n_lines"][cc])
        base = self.t["receipts"].n
        self.receipts(rng, o["person"][cc], o["store"][cc], t_local, T_PICKUP, ttype=PICKUP, lines=lines,
                      ident=0.6, orig_order=cc)
        o["t_picked"][cc] = cal.utc_of_local(t_local)
        o["pickup_receipt"][cc] = base + np.arange(cc.size)

    def returns(self) -> None:
        """Courier / parcel-locker returns of web orders, store returns of web orders and of receipts."""
        w, cal, o, L = self.w, self.w.cal, self.O, self.L
        rng = self.rng("returns")
        n = o["person"].size
        delivered = o["fulfil"] != CC
        t_have = np.where(delivered, o["t_fulfilled"] + rng.integers(DAY_MS, 3 * DAY_MS, n), o["t_picked"])
        have = (t_have > 0) & (t_have < self.end_ms)
        r = rng.random(n)
        by_post = have & delivered & (r < 0.09)
        in_store = have & ((delivered & (r >= 0.09) & (r < 0.11)) | (~delivered & (r < 0.07)))
        # which lines go back
        parent, pos = expand(o["n_lines"])
        li = o["line_start"][parent] + pos
        back = (rng.random(li.size) < 0.7) | (pos == 0)
        back &= (by_post | in_store)[parent]
        # courier / locker
        t_ret = t_have + rng.integers(2 * DAY_MS, 14 * DAY_MS, n)
        post = np.flatnonzero(by_post & (t_ret < self.end_ms))
        sel = back & np.isin(parent, post)
        amount = L["price"][li] * L["qty"][li] - L["disc"][li]
        refund = np.bincount(parent[sel], weights=amount[sel], minlength=n).astype(np.int64)
        n_back = np.bincount(parent[sel], minlength=n)
        method = np.where(o["fulfil"][post] == LOCKER, (rng.random(post.size) < 0.85), rng.random(post.size) < 0.3)
        rl = self.t["ret_lines"].add(int(sel.sum()), sku=L["sku"][li][sel], qty=L["qty"][li][sel])
        starts = rl + np.cumsum(n_back[post]) - n_back[post]
        self.t["web_returns"].add(post.size, order=post, t=t_ret[post], method=method.astype(np.int8),
                                  reason=rng.integers(0, 6, post.size), refund=refund[post], rl_start=starts,
                                  n_rl=n_back[post])
        o["t_refund"][post] = t_ret[post] + rng.integers(HOUR_MS, 3 * DAY_MS, post.size)
        o["refund_full"][post] = n_back[post] == o["n_lines"][post]
        # at the store
        sday = cal.next_open[np.minimum(cal.local_day_of_utc(np.maximum(t_have, cal.day0_ms)) + 1
                                        + rng.integers(0, 14, n), cal.days)]
        st = np.flatnonzero(in_store & (sday < cal.days))
        sel = back & np.isin(parent, st)
        n_back = np.bincount(parent[sel], minlength=n)
        store = np.where(o["store"][st] >= 0, o["store"][st], w.people.home_store[o["person"][st]])
        q = -L["qty"][li][sel].astype(np.int64)
        unit = L["price"][li][sel]
        disc = L["disc"][li][sel]
        lines = (L["sku"][li][sel], q, unit, disc, q * unit + disc, n_back[st])
        t_local = store_time(cal, rng, sday[st])
        base = self.t["receipts"].n
        self.receipts(rng, o["person"][st], store, t_local, T_RETURN, ttype=RETURN, lines=lines, ident=0.8,
                      orig_order=st)
        o["t_refund"][st] = cal.utc_of_local(t_local) + rng.integers(MIN_MS, 2 * HOUR_MS, st.size)
        o["refund_full"][st] = n_back[st] == o["n_lines"][st]
        self.store_returned_orders = st
        self.store_return_receipts = base + np.arange(st.size)
        # returns of store purchases
        R = _concat_parts(self.t["receipts"])
        RL = _concat_parts(self.t["rlines"])
        sales = np.flatnonzero((R["ttype"] == SALE) & (rng.random(R["ttype"].size) < 0.035))
        day = cal.day_of(R["t"][sales])
        rday = cal.next_open[np.minimum(day + 1 + rng.integers(0, 20, sales.size), cal.days)]
        ok = rday < cal.days
        sales, rday = sales[ok], rday[ok]
        if sales.size == 0:
            return
        parent, pos = expand(R["n_rl"][sales])
        li = R["rl_start"][sales][parent] + pos
        keep = (rng.random(li.size) < 0.7) | (pos == 0)
        n_back = np.bincount(parent[keep], minlength=sales.size)
        q = -RL["qty"][li][keep].astype(np.int64)
        unit = RL["unit"][li][keep]
        disc = RL["disc"][li][keep]
        total = q * unit + disc
        lines = (RL["sku"][li][keep], q, unit, disc, total, n_back)
        had_card = R["member"][sales] >= 0
        self.receipts(rng, R["person"][sales], R["store"][sales], store_time(cal, rng, rday), T_RETURN, ttype=RETURN,
                      lines=lines, ident=np.where(had_card, 1.2, 0.5), orig_receipt=sales)

    def service(self) -> None:
        """Helpdesk tickets about orders and receipts (chat then phone about the same order), general ones."""
        w, pe, cal, o = self.w, self.w.people, self.w.cal, self.O
        rng = self.rng("service")
        R = self.R = _concat_parts(self.t["receipts"])
        n_o = o["person"].size
        returned = o["t_refund"] >= 0
        p_t = np.where(returned, 0.14, 0.045)
        tk = np.flatnonzero(rng.random(n_o) < p_t)
        subj = np.where(o["fulfil"][tk] == CC, np.where(rng.random(tk.size) < 0.5, 3, 0),
                        choice_w(rng, tk.size, np.array([45, 0, 15, 0, 10, 8])))
        subj = np.where(returned[tk] & (rng.random(tk.size) < 0.6), 1, subj)
        t_ord = o["t"][tk] + rng.integers(HOUR_MS, 7 * DAY_MS, tk.size)
        sales = np.flatnonzero((R["ttype"] == SALE) & ~pe.anon[R["person"]] & (rng.random(R["ttype"].size) < 0.006))
        t_rec = cal.utc_of_local(R["t"][sales]) + rng.integers(HOUR_MS, 10 * DAY_MS, sales.size)
        gen_w = (~pe.anon).astype(np.float64)
        n_gen = self.n_journeys(rng, S.RATE_GENERAL_TICKET, gen_w)
        gen_person = choice_w(rng, n_gen, gen_w)
        t_gen = online_time(cal, rng, choice_w(rng, n_gen, cal.online_w))
        person = np.concatenate([o["person"][tk], R["person"][sales], gen_person])
        t = np.concatenate([t_ord, t_rec, t_gen])
        order = np.concatenate([tk, np.full(sales.size + n_gen, -1)])
        receipt = np.concatenate([np.full(tk.size, -1), sales, np.full(n_gen, -1)])
        subject = np.concatenate([subj, np.full(sales.size, 6), 7 + rng.integers(0, 4, n_gen)])
        via = choice_w(rng, person.size, np.array([45, 20, 25, 10]))
        # chat about an order, then a phone call about the same order
        follow = np.flatnonzero((via == VIA_CHAT) & (order >= 0) & (rng.random(person.size) < 0.3))
        t_f = t[follow] + rng.integers(4 * HOUR_MS, 48 * HOUR_MS, follow.size)
        person = np.concatenate([person, person[follow]])
        t = np.concatenate([t, t_f])
        order = np.concatenate([order, order[follow]])
        receipt = np.concatenate([receipt, receipt[follow]])
        subject = np.concatenate([subject, subject[follow]])
        via = np.concatenate([via, np.full(follow.size, VIA_PHONE)])
        followup = np.concatenate([np.zeros(t.size - follow.size, np.int8), np.ones(follow.size, np.int8)])
        had_follow = np.zeros(t.size, dtype=bool)
        had_follow[follow] = True
        keep = t < self.end_ms - HOUR_MS
        person, t, order, receipt, subject, via, followup, had_follow = (
            a[keep] for a in (person, t, order, receipt, subject, via, followup, had_follow))
        n = person.size
        d_first = np.select([via == VIA_CHAT, via == VIA_PHONE, via == VIA_EMAIL],
                            [rng.integers(30, 480, n), rng.integers(10, 120, n), rng.integers(3600, 30 * 3600, n)],
                            rng.integers(600, 8 * 3600, n)) * 1000
        contacts = 1 + choice_w(rng, n, np.array([60, 25, 10, 5]))
        contacts = np.where(followup == 1, 1, contacts)
        contacts = np.where(had_follow, np.maximum(contacts, 2), contacts)
        d_solved = d_first + np.select([via == VIA_CHAT, via == VIA_PHONE],
                                       [rng.integers(5 * 60, 60 * 60, n), rng.integers(3 * 60, 20 * 60, n)],
                                       rng.integers(3600, 3 * 86400, n)) * 1000 * contacts
        rated = (via != VIA_PHONE) & (rng.random(n) < 0.35)
        base = np.clip(5 - (contacts - 1) - (rng.random(n) < 0.3) + (rng.random(n) < 0.2), 1, 5)
        csat = np.where(rated, base, -1)
        # who asks: e-mail typed in chat, the e-mail client's address, caller id, a Messenger name
        email = np.where(via == VIA_CHAT, w.typed_email(rng, person, p_variant=0.35),
                         np.where(via == VIA_EMAIL, w.typed_email(rng, person, second=rng.random(n) < 0.1,
                                                                  p_variant=0.15), -1))
        ph = (email >= 0) & (rng.random(n) < S.P_TICKET_PLACEHOLDER_EMAIL)
        email = np.where(ph, w.email_placeholder(rng, n), email)
        num = w.phone_at(person, t)
        phone = np.where((via == VIA_PHONE) & (num >= 0) & (rng.random(n) < 0.95),
                         np.where(rng.random(n) < 0.8, PHONE_E164, 1) * w.pools.n_num + num, -1)
        name_style = choice_w(rng, n, np.array([60, 20, 20]))
        self.t["tickets"].add(n, person=person, via=via, t=t, d_first=d_first, d_solved=d_solved, contacts=contacts,
                              csat=csat, order=order, receipt=receipt, subject=subject, email=email, phone=phone,
                              name_style=name_style, followup=followup)

    def surveys(self) -> None:
        """NPS after purchases; CSAT after pick-ups, phone tickets and deliveries."""
        w, pe, cal, o, R = self.w, self.w.people, self.w.cal, self.O, self.R
        rng = self.rng("surveys")
        T = self.T = self.t["tickets"].finish()
        mood = rng.normal(0, 1.2, pe.n)
        rows = []
        # NPS after web orders (to the order's e-mail) and card-identified store purchases
        n_o = o["person"].size
        ticketed = np.zeros(n_o, bool)
        ticketed[T["order"][T["order"] >= 0]] = True
        s = np.flatnonzero(rng.random(n_o) < 0.07)
        bad = (o["t_refund"][s] >= 0) | ticketed[s]
        rows.append(dict(person=o["person"][s], kind=0, t=o["t"][s] + rng.integers(DAY_MS, 7 * DAY_MS, s.size),
                         email=o["email"][s], phone=-1, channel=o["channel"][s], order=s, receipt=-1,
                         mood=mood[o["person"][s]] - 2.5 * bad))
        sale = np.flatnonzero((R["ttype"] == SALE) & (R["member"] >= 0) & (rng.random(R["ttype"].size) < 0.07))
        m_email = w.members.email[R["member"][sale]]
        valid = (m_email >= 0) & (m_email < w.pools.email_placeholder0)
        sale, m_email = sale[valid], m_email[valid]
        rows.append(dict(person=R["person"][sale], kind=0, t=cal.utc_of_local(R["t"][sale]) + rng.integers(
            DAY_MS, 5 * DAY_MS, sale.size), email=m_email, phone=-1, channel=2, order=-1, receipt=sale,
            mood=mood[R["person"][sale]]))
        # CSAT after pick-ups, phone tickets, deliveries
        pk = np.flatnonzero((R["ttype"] == PICKUP) & (rng.random(R["ttype"].size) < 0.12))
        oo = R["orig_order"][pk]
        rows.append(dict(person=R["person"][pk], kind=1, t=cal.utc_of_local(R["t"][pk]) + rng.integers(
            2 * HOUR_MS, 2 * DAY_MS, pk.size), email=o["email"][oo], phone=-1, channel=2, order=oo, receipt=-1,
            mood=mood[R["person"][pk]]))
        ph = np.flatnonzero((T["via"] == VIA_PHONE) & (rng.random(T["via"].size) < 0.3))
        num = w.phone_at(T["person"][ph], T["t"][ph])
        ok = num >= 0
        ph, num = ph[ok], num[ok]
        rows.append(dict(person=T["person"][ph], kind=1, t=T["t"][ph] + T["d_solved"][ph] + rng.integers(
            10 * MIN_MS, 6 * HOUR_MS, ph.size), email=-1, phone=PHONE_E164 * w.pools.n_num + num, channel=3,
            order=-1, receipt=-1, ticket=ph, mood=mood[T["person"][ph]] - 0.8 * (T["contacts"][ph] - 1)))
        dl = np.flatnonzero((o["fulfil"] != CC) & (rng.random(n_o) < 0.03))
        rows.append(dict(person=o["person"][dl], kind=1, t=o["t_fulfilled"][dl] + rng.integers(DAY_MS, 4 * DAY_MS,
                                                                                                 dl.size),
                         email=o["email"][dl], phone=-1, channel=o["channel"][dl], order=dl, receipt=-1,
                         mood=mood[o["person"][dl]]))
        for r in rows:
            n = np.asarray(r["person"]).size
            if n == 0:
                continue
            mood_r = r.pop("mood") + rng.normal(0, 1, n)
            if r["kind"] == 0:
                score = np.clip(np.round(8.2 + 1.6 * mood_r), 0, 10)
                band = np.where(score >= 9, 0, np.where(score >= 7, 1, 2))
            else:
                score = np.clip(np.round(4.0 + 0.9 * mood_r), 1, 5)
                band = np.where(score >= 4, 0, np.where(score >= 3, 1, 2))
            has_c = rng.random(n) < 0.35
            comment = np.where(has_c, band * 10 + rng.integers(0, 4, n), -1)
            if r["kind"] == 1:
                comment = np.where(has_c, 100 + rng.integers(0, 5, n), -1)
            r["t"] = np.asarray(r["t"])
            keep = r["t"] < self.end_ms
            cols = {k: np.broadcast_to(np.asarray(v), (n,))[keep] for k, v in r.items()}
            self.t["surveys"].add(int(keep.sum()), score=score[keep], comment=comment[keep], **cols)

    def finish(self) -> None:
        self.R = self.t["receipts"].finish()
        self.RL = self.t["rlines"].finish()
        self.S = self.t["sessions"].finish()
        self.M = self.t["messages"].finish()
        self.C = self.t["checkouts"].finish()
        self.K = self.t["clicks"].finish()
        self.WR = self.t["web_returns"].finish()
        self.WRL = self.t["ret_lines"].finish()
        self.SV = self.t["surveys"].finish()
        cons = self.w.consents.events
        extra = self.extra_consents
        if extra:
            add = {k: [cons[k]] for k in cons}
            for e in extra:
                k = e["person"].size
                add["person"].append(e["person"])
                add["member"].append(np.full(k, -1))
                add["channel"].append(np.full(k, e["channel"]))
                add["purpose"].append(np.zeros(k, np.int64))
                add["status"].append(np.ones(k, np.int64))
                add["source"].append(np.full(k, e["source"]))
                add["ms"].append(e["ms"])
                is_email = e["channel"] == CH_EMAIL
                add["email"].append(e["contact"] if is_email else np.full(k, -1))
                add["phone"].append(e["contact"] if e["channel"] == CH_SMS else np.full(k, -1))
            cons = {k: np.concatenate(v).astype(np.int64) for k, v in add.items()}
        self.consent_events = cons
        self.withdraw_final = self.withdraw


def _concat_parts(acc: Acc) -> dict[str, np.ndarray]:
    """Current content of an accumulator without finishing it."""
    out = {}
    for k, (dt, default) in acc.schema.items():
        chunks = []
        for p in acc.parts:
            size = len(next(iter(p.values())))
            chunks.append(p[k] if k in p else np.full(size, default, dtype=dt))
        out[k] = np.concatenate(chunks) if chunks else np.zeros(0, dtype=dt)
    return out


def _dedupe_lines(parent: np.ndarray, sku: np.ndarray, pool: np.ndarray | None, rng, store_pools=None,
                  store_of_line=None) -> np.ndarray:
    """No sku twice in one basket: repeated skus are replaced by another one (a few passes)."""
    sku = sku.copy()
    for _ in range(6):
        order = np.lexsort((np.arange(sku.size), sku, parent))
        dup = np.zeros(sku.size, dtype=bool)
        same = (parent[order][1:] == parent[order][:-1]) & (sku[order][1:] == sku[order][:-1])
        dup[order[1:][same]] = True
        if not dup.any():
            break
        idx = np.flatnonzero(dup)
        if pool is not None:
            sku[idx] = pool[rng.integers(0, pool.size, idx.size)]
        else:
            st = store_of_line[idx]
            for s in np.unique(st):  # loop over stores
                skus = store_pools[s]
                sel = idx[st == s]
                sku[sel] = skus[rng.integers(0, skus.size, sel.size)]
    return sku
