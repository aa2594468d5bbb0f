"""What people do: journeys over days and channels, built per journey template over arrays of journeys.

Times are int64 seconds since the period start (UTC). Every record keeps the index of its person
(`person`), which becomes the truth; what a source *shows* of the person (identifiers) is decided
here too, and rendered as messy text by `render.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from devtools.generate.reference import Reference

DAY = 86_400
HOUR = 3_600
# local hour-of-day profile of shopping (Warsaw), 0..23
HOUR_WEIGHTS = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 5, 6, 6.5, 6.5, 6, 6, 6.5, 7, 7.5, 7.5, 7, 5, 3.5, 2]
)
TEMPLATES = [
    "web_direct",
    "ad_cart_email_web",
    "browse_then_store",
    "web_click_collect",
    "store_walkin",
    "email_coupon_web",
    "golden_path",
    "app_order",
]
# per segment (store_only, online_only, omni, browser): template probabilities
TEMPLATE_MIX = {
    "store_only": [0.00, 0.00, 0.05, 0.04, 0.85, 0.00, 0.06, 0.00],
    "online_only": [0.35, 0.18, 0.00, 0.10, 0.00, 0.15, 0.00, 0.22],
    "omni": [0.14, 0.10, 0.16, 0.20, 0.20, 0.08, 0.07, 0.05],
    "browser": [0.45, 0.35, 0.00, 0.00, 0.20, 0.00, 0.00, 0.00],
}
FULFILMENT = np.array(["home_delivery", "parcel_locker", "click_and_collect"])
# of the people reminded of an abandoned checkout, the share who come back through the reminder's link,
# and the share of those who then buy (the others leave the cart again)
REMINDER_RETURN_SHARE = 0.4
REMINDER_BUY_SHARE = 0.5
# the coupon of the month goes to this share of the people each month (consent decides who receives it);
# the `email_coupon_web` journeys are those who use it
COUPON_MAILING_SHARE = 0.25
MONTH = 30 * DAY


@dataclass
class Tables:
    """Growing lists of record chunks, concatenated at the end."""

    chunks: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def ids(self, kind: str, n: int) -> np.ndarray:
        start = self.counters.get(kind, 0)
        self.counters[kind] = start + n
        return np.arange(start, start + n, dtype=np.int64)

    def add(self, kind: str, frame: pd.DataFrame) -> None:
        if len(frame):
            self.chunks.setdefault(kind, []).append(frame)

    def get(self, kind: str) -> pd.DataFrame:
        parts = self.chunks.get(kind, [])
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


class World:
    """Simulates the period for all people; `tables` holds the records afterwards."""

    def __init__(
        self,
        rng: np.random.Generator,
        people: pd.DataFrame,
        ref: Reference,
        days: int,
        period_start: np.datetime64,
    ) -> None:
        self.rng = rng
        # the stream of what only identity matching reads (addresses, planted cases): set by generate()
        self.id_rng = rng
        self.people = people
        self.ref = ref
        self.days = days
        self.period_start = period_start
        self.horizon = days * DAY
        self.t = Tables()
        n = len(people)
        self.n = n
        # per person: cookies (1-3 browsers) and app devices (1-2)
        self.n_cookies = rng.integers(1, 4, n)
        self.cookie_base = np.r_[0, np.cumsum(self.n_cookies)[:-1]]
        self.n_devices = np.where(people["is_app_user"].to_numpy(), rng.integers(1, 3, n), 0)
        self.device_base = np.r_[0, np.cumsum(self.n_devices)[:-1]]
        self.store_ids = ref.stores["store_id"].to_numpy()
        self.home_store = people["home_store"].to_numpy()
        self.has_account = people["has_account"].to_numpy()
        self.is_app = people["is_app_user"].to_numpy()
        self.is_member = people["is_member"].to_numpy()
        pop = ref.products["popularity"].to_numpy()
        self.sku_p = pop / pop.sum()
        self.price = ref.products["base_price_pln"].to_numpy()
        self.day_weights = self._day_weights()
        lockers = ref.lockers
        self.locker_of_city = {ci: g["locker_id"].to_numpy() for ci, g in lockers.groupby("city_index")}
        # a continued world (`continue_day`) simulates one day, `window`, of activity
        self.window: int | None = None
        self.active_days = days
        # till receipts end before this time (a continued day keeps them within its local date)
        self.receipt_horizon = self.horizon

    # --- calendar ---------------------------------------------------------------------------------
    def _day_weights(self) -> np.ndarray:
        dates = self.period_start.astype("datetime64[D]") + np.arange(self.days)
        dow = (dates.astype(int) + 3) % 7  # Monday = 0
        w = np.array([0.9, 0.9, 0.95, 1.0, 1.15, 1.3, 0.75])[dow]
        month = dates.astype("datetime64[M]").astype(int) % 12 + 1
        dom = (dates - dates.astype("datetime64[M]")).astype(int) + 1
        w = w * np.where((month == 12) & (dom >= 5) & (dom <= 23), 1.8, 1.0)  # pre-Christmas
        w = w * np.where((month == 11) & (dom >= 24) & (dom <= 30), 2.2, 1.0)  # Black Week
        w = w * np.where((month == 7) & (dom <= 14), 1.3, 1.0)  # summer sale
        w = w * np.where((month == 1) | (month == 2), 0.85, 1.0)
        return w / w.sum()

    def random_times(self, n: int) -> np.ndarray:
        if self.window is not None:
            return self._window_times(n)
        day = self.rng.choice(self.days, size=n, p=self.day_weights)
        hour = self.rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
        local = day * DAY + hour * HOUR + self.rng.integers(0, HOUR, n)
        return np.maximum(
            local - HOUR, 0
        )  # local -> UTC, close enough for scheduling; rendering uses exact offsets

    def _window_times(self, n: int) -> np.ndarray:
        """Times in the day `window`, 03:00 to 21:00 UTC (the same local date in Warsaw), by the hour profile."""
        hours = np.arange(3, 21)
        w = HOUR_WEIGHTS[(hours + 1) % 24]
        hour = self.rng.choice(hours, size=n, p=w / w.sum())
        return self.window * DAY + hour * HOUR + self.rng.integers(0, HOUR, n)

    # --- building blocks ----------------------------------------------------------------------------
    def cookie_of(self, person: np.ndarray) -> np.ndarray:
        return self.cookie_base[person] + self.rng.integers(0, self.n_cookies[person])

    def device_of(self, person: np.ndarray) -> np.ndarray:
        has = self.n_devices[person] > 0
        pick = self.device_base[person] + self.rng.integers(0, np.maximum(self.n_devices[person], 1))
        return np.where(has, pick, -1)

    def sessions(
        self, person, t, platform, purpose, source="direct", campaign=None, click_id=None, sku=None
    ) -> np.ndarray:
        n = len(person)
        if n == 0:
            return np.array([], dtype=np.int64)
        rng = self.rng
        ids = self.t.ids("session", n)
        platform = np.broadcast_to(np.asarray(platform, dtype=object), n)
        app = platform == "app"
        base = {"browse": 4, "cart": 6, "abandon": 7, "purchase": 8}
        purpose = np.broadcast_to(np.asarray(purpose, dtype=object), n)
        n_events = np.array([base[p] for p in purpose]) + rng.poisson(3, n)
        acct = self.has_account[person]
        p_login = np.where(purpose == "purchase", 0.85, 0.35)
        logged_in = acct & ((app & (rng.random(n) < 0.9)) | (~app & (rng.random(n) < p_login)))
        # on the web, the login happens part-way: the events before it carry only the cookie
        login_at = np.where(app, 0, rng.integers(0, np.maximum(n_events - 3, 1)))
        self.t.add(
            "session",
            pd.DataFrame(
                {
                    "session": ids,
                    "person": person,
                    "t": t,
                    "platform": platform,
                    "purpose": purpose,
                    "n_events": n_events,
                    "logged_in": logged_in,
                    "login_at": np.where(logged_in, login_at, -1),
                    "cookie": np.where(app, -1, self.cookie_of(person)),
                    "device": np.where(app, self.device_of(person), -1),
                    "source": np.broadcast_to(np.asarray(source, dtype=object), n),
                    "campaign": np.broadcast_to(np.asarray(campaign, dtype=object), n),
                    "click_id": np.broadcast_to(np.asarray(click_id, dtype=object), n)
                    if click_id is not None
                    else None,
                    "sku": sku if sku is not None else rng.choice(len(self.sku_p), size=n, p=self.sku_p),
                    "order": -1,
                }
            ),
        )
        return ids

    def lines(
        self, owner_kind: str, owner: np.ndarray, mean_lines: float = 1.6, first_sku=None
    ) -> pd.DataFrame:
        rng = self.rng
        k = 1 + rng.poisson(mean_lines - 1, len(owner))
        owner_rep = np.repeat(owner, k)
        sku = rng.choice(len(self.sku_p), size=len(owner_rep), p=self.sku_p)
        if first_sku is not None:
            firsts = np.r_[0, np.cumsum(k)[:-1]]
            sku[firsts] = first_sku
        qty = 1 + (rng.random(len(owner_rep)) < 0.2) + (rng.random(len(owner_rep)) < 0.05)
        line_no = np.arange(len(owner_rep)) - np.repeat(np.r_[0, np.cumsum(k)[:-1]], k) + 1
        return pd.DataFrame(
            {
                owner_kind: owner_rep,
                "line_no": line_no,
                "sku": sku,
                "quantity": qty,
                "unit_price": self.price[sku],
            }
        )

    def web_orders(self, person, t, channel, fulfilment=None, session=None, coupon=None, first_sku=None):
        n = len(person)
        if n == 0:
            return np.array([], dtype=np.int64)
        rng = self.rng
        ids = self.t.ids("order", n)
        if fulfilment is None:
            fulfilment = FULFILMENT[rng.choice(3, size=n, p=[0.5, 0.3, 0.2])]
        fulfilment = np.broadcast_to(np.asarray(fulfilment, dtype=object), n)
        cc = fulfilment == "click_and_collect"
        city = self.people["city_index"].to_numpy()[person]
        lockers = (
            np.array(
                [self.locker_of_city[c][rng.integers(0, len(self.locker_of_city[c]))] for c in city],
                dtype=object,
            )
            if n < 50_000
            else self._lockers_vectorised(city)
        )
        lines = self.lines("order", ids, 1.8, first_sku)
        lines["discount"] = np.where(
            pd.Series(coupon).reindex(lines["order"] - ids[0]).notna().to_numpy()
            if coupon is not None
            else False,
            (lines["unit_price"] * lines["quantity"] * 0.1).round(2),
            0.0,
        )
        logged = np.zeros(n, dtype=bool)
        if session is not None:
            s = self.t.chunks["session"][-1]
            logged = s.set_index("session").loc[session, "logged_in"].to_numpy()
        self.t.add("order_line", lines)
        self.t.add(
            "order",
            pd.DataFrame(
                {
                    "order": ids,
                    "person": person,
                    "t": t,
                    "channel": np.broadcast_to(np.asarray(channel, dtype=object), n),
                    "fulfilment": fulfilment,
                    "pickup_store": np.where(cc, self.home_store[person], None),
                    "locker": np.where(fulfilment == "parcel_locker", lockers, None),
                    "coupon": coupon if coupon is not None else None,
                    "logged_in": logged,
                    "session": session if session is not None else -1,
                }
            ),
        )
        return ids

    def _lockers_vectorised(self, city: np.ndarray) -> np.ndarray:
        out = np.empty(len(city), dtype=object)
        for c in np.unique(city):
            m = city == c
            opts = self.locker_of_city[c]
            out[m] = opts[self.rng.integers(0, len(opts), int(m.sum()))]
        return out

    def receipts(self, person, t, store, kind, order=None, receipt=None, lines=None, first_sku=None):
        n = len(person)
        if n == 0:
            return np.array([], dtype=np.int64)
        ids = self.t.ids("receipt", n)
        if lines is None:
            lines = self.lines("receipt", ids, 1.5, first_sku)
        else:
            lines = lines.copy()
        lines["discount"] = 0.0
        self.t.add("receipt_line", lines)
        self.t.add(
            "receipt",
            pd.DataFrame(
                {
                    "receipt": ids,
                    "person": person,
                    "t": t,
                    "store": store,
                    "kind": np.broadcast_to(np.asarray(kind, dtype=object), n),
                    "order": order if order is not None else -1,
                    "orig_receipt": receipt if receipt is not None else -1,
                }
            ),
        )
        return ids

    def copy_lines(
        self,
        kind: str,
        src_ids: np.ndarray,
        new_owner: np.ndarray,
        owner_col: str,
        sign: int,
        share: float = 1.0,
    ) -> pd.DataFrame:
        """Lines of orders/receipts `src_ids` re-owned by `new_owner` (pickups, returns)."""
        src = self.t.get(kind)
        src = src[src[kind.replace("_line", "")].isin(src_ids)]
        mapping = pd.Series(new_owner, index=src_ids)
        out = pd.DataFrame(
            {
                owner_col: mapping.loc[src[kind.replace("_line", "")]].to_numpy(),
                "line_no": src["line_no"].to_numpy(),
                "sku": src["sku"].to_numpy(),
                "quantity": sign * src["quantity"].to_numpy(),
                "unit_price": src["unit_price"].to_numpy(),
            }
        )
        if share < 1.0:
            keep = (out["line_no"] == 1) | (self.rng.random(len(out)) < share)
            out = out[keep]
        return out.reset_index(drop=True)

    def ad_clicks(self, person, t, campaign_ids) -> np.ndarray:
        n = len(person)
        ids = self.t.ids("ad_click", n)
        platform = np.where(self.rng.random(n) < 0.6, "google", "meta")
        self.t.add(
            "ad_click",
            pd.DataFrame(
                {"click": ids, "person": person, "t": t, "platform": platform, "campaign": campaign_ids}
            ),
        )
        return ids

    # --- journeys -------------------------------------------------------------------------------------
    def run(self, ads_campaigns: list[str]) -> None:
        self._journeys(ads_campaigns, self.days / 365)
        self._browse_only()
        self._service_and_feedback()
        self._coupon_mailing()
        self._clip_to_period()
        self.session_ties = self._session_ties()

    def continue_day(
        self, ads_campaigns: list[str], recent_orders: pd.DataFrame, recent_sales: pd.DataFrame
    ) -> None:
        """One more day (`window`) of the same people: journeys and browsing that start that day, and tickets
        and survey answers about their recent orders (`recent_orders`: person, order, t; `recent_sales`:
        person, receipt, t), all within the day."""
        self._journeys(ads_campaigns, 1 / 365)
        self._browse_only()
        self._recent_feedback(recent_orders, recent_sales)
        self._clip_to_period()

    def _journeys(self, ads_campaigns: list[str], years: float) -> None:
        rng = self.rng
        people = self.people
        n_journeys = rng.poisson(people["purchase_rate"].to_numpy() * years)
        person = np.repeat(np.arange(self.n), n_journeys)
        seg = people["segment"].to_numpy()[person]
        template = np.empty(len(person), dtype=np.int64)
        for s, mix in TEMPLATE_MIX.items():
            m = seg == s
            template[m] = rng.choice(len(TEMPLATES), size=int(m.sum()), p=mix)
        # app templates need an app
        template[(template == TEMPLATES.index("app_order")) & ~self.is_app[person]] = 0
        t = self.random_times(len(person))
        self.ads_campaigns = np.array(ads_campaigns, dtype=object)
        for k, name in enumerate(TEMPLATES):
            m = template == k
            if self.window is not None and not m.any():
                continue  # a single day may have no journey of a template
            getattr(self, f"_{name}")(person[m], t[m])

    def _clip_to_period(self) -> None:
        """Drop what would happen after the period ends, and whatever points at something dropped."""
        get = self.t.get
        keep = {k: get(k) for k in self.t.chunks}
        for kind in ("session", "order", "receipt", "checkout", "ad_click", "ticket", "survey", "trigger"):
            if kind in keep:
                limit = self.receipt_horizon if kind == "receipt" else self.horizon
                keep[kind] = keep[kind][keep[kind]["t"] < limit]
        orders = set(keep["order"]["order"]) if "order" in keep else set()
        if "order_line" in keep:
            keep["order_line"] = keep["order_line"][keep["order_line"]["order"].isin(orders)]
        if "receipt" in keep:
            r = keep["receipt"]
            keep["receipt"] = r[(r["order"] < 0) | r["order"].isin(orders)]
            keep["receipt_line"] = keep["receipt_line"][
                keep["receipt_line"]["receipt"].isin(set(keep["receipt"]["receipt"]))
            ]
        links = keep.get("session_order")
        if links is not None:
            dead = links[~links["order"].isin(orders)]["session"]
            keep["session"] = keep["session"][~keep["session"]["session"].isin(set(dead))]
            keep["session_order"] = links[
                links["order"].isin(orders) & links["session"].isin(set(keep["session"]["session"]))
            ]
        if "checkout" in keep:
            keep["checkout_line"] = keep["checkout_line"][
                keep["checkout_line"]["checkout"].isin(set(keep["checkout"]["checkout"]))
            ]
        self.t.chunks = {k: [v.reset_index(drop=True)] for k, v in keep.items()}

    def _platform(self, person):
        return np.where(self.is_app[person] & (self.rng.random(len(person)) < 0.5), "app", "web")

    def _web_direct(self, p, t):
        plat = self._platform(p)
        s = self.sessions(
            p, t, plat, "purchase", source=np.where(self.rng.random(len(p)) < 0.3, "organic", "direct")
        )
        self._link(s, self.web_orders(p, t + 20 * 60, plat, session=s))

    def _app_order(self, p, t):
        s = self.sessions(
            p, t, "app", "purchase", source=np.where(self.rng.random(len(p)) < 0.3, "push", "direct")
        )
        self._link(
            s, self.web_orders(p, t + 15 * 60, "app", FULFILMENT[self.rng.choice(2, len(p))], session=s)
        )

    def _ad_cart_email_web(self, p, t):
        rng = self.rng
        camp = self.ads_campaigns[rng.integers(0, len(self.ads_campaigns), len(p))]
        clicks = self.ad_clicks(p, t, camp)
        s1 = self.sessions(p, t + 5, "web", "abandon", source="ads", campaign=camp, click_id=clicks)
        checkout_t = t + 12 * 60
        self._checkouts(p, checkout_t, s1)
        # a reminder goes out by e-mail (or push) a day or so later; consent is checked when sending, and a
        # reminder that consent stops brings nobody back (journeys_from_messages)
        back = checkout_t + rng.integers(20 * HOUR, 50 * HOUR, len(p))
        comes = rng.random(len(p)) < REMINDER_RETURN_SHARE
        buy = comes & (rng.random(len(p)) < REMINDER_BUY_SHARE)  # not every reminder wins the sale back
        # a reminder visit that does not buy ends at the cart: only a visit that places the order has a purchase
        s2 = self.sessions(
            p[comes],
            back[comes] + rng.integers(HOUR, 6 * HOUR, int(comes.sum())),
            "web",
            np.where(buy[comes], "purchase", "cart"),
            source="email",
            campaign="abandoned-cart",
        )
        s2_t = self.t.chunks["session"][-1]["t"].to_numpy() if len(s2) else np.array([], np.int64)
        bought = buy[comes]
        orders = self.web_orders(p[buy], s2_t[bought] + 15 * 60, "web", session=s2[bought])
        self._link(s2[bought], orders)
        visit = np.full(len(p), -1, dtype=np.int64)
        visit[comes] = s2
        order = np.full(len(p), -1, dtype=np.int64)
        order[buy] = orders
        self._trigger(p, back, "abandoned_cart", None, visit, order)

    def _trigger(self, person, t, kind, coupon, session, order) -> None:
        """A message a journey sends (a reminder, a coupon), with the visit it brings (`session`, -1: none)
        and the order placed in that visit (-1: none). build_messages sends it where consent allows."""
        self.t.add(
            "trigger",
            pd.DataFrame(
                {"person": person, "t": t, "kind": kind, "coupon": coupon, "session": session, "order": order}
            ),
        )

    def _checkouts(self, p, t, session):
        ids = self.t.ids("checkout", len(p))
        lines = self.lines("checkout", ids, 1.7)
        self.t.add("checkout_line", lines)
        self.t.add("checkout", pd.DataFrame({"checkout": ids, "person": p, "t": t, "session": session}))

    def _browse_then_store(self, p, t):
        plat = self._platform(p)
        sku = self.rng.choice(len(self.sku_p), size=len(p), p=self.sku_p)
        self.sessions(p, t, plat, "browse", sku=sku)
        later = t + self.rng.integers(2 * HOUR, 5 * DAY, len(p))
        self.receipts(p, later, self._store_for(p), "SALE", first_sku=sku)

    def _web_click_collect(self, p, t):
        rng = self.rng
        plat = self._platform(p)
        s = self.sessions(p, t, plat, "purchase")
        o = self.web_orders(p, t + 20 * 60, plat, "click_and_collect", session=s)
        self._link(s, o)
        self._pickup_and_maybe_return(p, t + 20 * 60, o, rng)

    def _pickup_and_maybe_return(self, p, t_order, o, rng):
        stores = self.home_store[p]
        pickup_t = t_order + rng.integers(20 * HOUR, 3 * DAY, len(p))
        n = len(p)
        new_ids = self._next_ids("receipt", n)
        lines = self.copy_lines("order_line", o, new_ids, "receipt", +1)
        self.receipts(p, pickup_t, stores, "PICKUP", order=o, lines=lines)
        ret = rng.random(n) < 0.18
        if ret.any():
            rt = pickup_t[ret] + rng.integers(DAY, 12 * DAY, int(ret.sum()))
            rids = self._next_ids("receipt", int(ret.sum()))
            lines = self.copy_lines("order_line", o[ret], rids, "receipt", -1, share=0.0)
            self.receipts(p[ret], rt, stores[ret], "RETURN", order=o[ret], lines=lines)

    def _next_ids(self, kind: str, n: int) -> np.ndarray:
        """The ids the next `n` records of `kind` will get (to build their lines first)."""
        start = self.t.counters.get(kind, 0)
        return np.arange(start, start + n, dtype=np.int64)

    def _store_for(self, p):
        other = self.rng.random(len(p)) < 0.1
        return np.where(
            other, self.store_ids[self.rng.integers(0, len(self.store_ids), len(p))], self.home_store[p]
        )

    def _store_walkin(self, p, t):
        rng = self.rng
        r = self.receipts(p, t, self._store_for(p), "SALE")
        ret = rng.random(len(p)) < 0.04
        if ret.any():
            rec = self.t.chunks["receipt"][-1].set_index("receipt").loc[r[ret]]
            rids = self._next_ids("receipt", int(ret.sum()))
            lines = self.copy_lines("receipt_line", r[ret], rids, "receipt", -1, share=0.0)
            self.receipts(
                p[ret],
                t[ret] + rng.integers(DAY, 14 * DAY, int(ret.sum())),
                rec["store"].to_numpy(),
                "RETURN",
                receipt=r[ret],
                lines=lines,
            )

    def _email_coupon_web(self, p, t):
        coupon = _coupon_of_month(t)
        s = self.sessions(p, t, "web", "purchase", source="email", campaign="coupon")
        o = self.web_orders(p, t + 25 * 60, "web", session=s, coupon=coupon)
        self._link(s, o)
        self._trigger(p, t - 2 * HOUR, "coupon", coupon, s, o)

    def _coupon_mailing(self) -> None:
        """The coupon of the month by e-mail (kind `coupon_mailing`: never by push) to a share of everyone, at a
        time of the month of its own; most never use it. A household whose member's journey brings the month's
        coupon gets none: the mailing adds no household receiving one coupon through two channels."""
        rng = self.rng
        months = -(-self.horizon // MONTH)
        household = self.people["household_id"].to_numpy()
        codes = pd.Index(_coupon_of_month(np.arange(months) * MONTH))
        trig = self.t.get("trigger")
        had = np.array([], dtype=object)  # household and code of the journeys' coupons
        if len(trig):
            c = trig[trig["kind"] == "coupon"]
            had = household[c["person"].to_numpy()].astype(str) + " " + c["coupon"].to_numpy().astype(str)
        for month in range(months):
            p = np.flatnonzero(rng.random(self.n) < COUPON_MAILING_SHARE)
            p = p[~np.isin(household[p].astype(str) + " " + codes[month], had)]
            # a day of the month, between 07:00 and 20:00 (Warsaw, about)
            t = (
                month * MONTH
                + rng.integers(0, MONTH // DAY, len(p)) * DAY
                + rng.integers(6 * HOUR, 19 * HOUR, len(p))
            )
            code = np.full(len(p), codes[month], dtype=object)
            self._trigger(p, t, "coupon_mailing", code, np.full(len(p), -1), np.full(len(p), -1))

    def journeys_from_messages(self, sent_channel: np.ndarray, consents: pd.DataFrame) -> np.ndarray:
        """Journeys that start from a message run only where the message went out: a reminder or coupon
        that consent stopped (`sent_channel` None, per trigger) brings nobody through its link, so the visit
        it would have brought comes direct and its order carries no coupon; a reminder sent by push brings
        the visit from the push. An app visit opened from a push notification needs the person's push
        consent at that moment, else it was opened directly. Returns, per trigger, when the visit it
        brought began (NaN: none), so that the message shows the open and click that led there."""
        trig = self.t.get("trigger")
        sessions = self.t.chunks["session"][0]
        at = pd.Index(sessions["session"].to_numpy())
        visit = trig["session"].to_numpy()
        has_visit = visit >= 0
        row = np.full(len(trig), -1, dtype=np.int64)
        row[has_visit] = at.get_indexer(visit[has_visit])  # -1: the visit fell after the period
        sent = pd.notna(sent_channel)
        lost = (row >= 0) & ~sent
        source = sessions["source"].to_numpy().astype(object).copy()
        campaign = sessions["campaign"].to_numpy().astype(object).copy()
        source[row[lost]] = "direct"
        campaign[row[lost]] = None
        by_push = (row >= 0) & sent & (np.asarray(sent_channel, dtype=object) == "push")
        source[row[by_push]] = "push"
        # app visits opened from a push notification, by people without push consent at the time
        push = np.flatnonzero((source == "push") & (sessions["platform"].to_numpy() == "app"))
        allowed = _consented(
            sessions["person"].to_numpy()[push], sessions["t"].to_numpy()[push], consents, "push"
        )
        source[push[~allowed]] = "direct"
        sessions["source"] = source
        sessions["campaign"] = campaign
        # the coupon of a journey whose coupon never arrived: the order is placed without it
        order = trig["order"].to_numpy()
        dropped = order[~sent & (order >= 0)]
        if len(dropped):
            orders = self.t.chunks["order"][0]
            orders.loc[orders["order"].isin(dropped), "coupon"] = None
            lines = self.t.chunks["order_line"][0]
            lines.loc[lines["order"].isin(dropped), "discount"] = 0.0
        started = np.full(len(trig), np.nan)
        shown = (row >= 0) & sent
        started[shown] = sessions["t"].to_numpy()[row[shown]]
        return started

    def _session_ties(self) -> pd.DataFrame:
        """Which sessions a warehouse can tie to their person (the identifiable journeys of truth/kpis.json):
        one that logged in or placed an order (the order names its buyer), and any other session of a cookie
        or an app device that such a session used. A browser that never logs in or buys stays anonymous."""
        s = self.t.chunks["session"][0]
        ordered = s["session"].isin(self.t.get("session_order")["session"]).to_numpy()
        tied = s["logged_in"].to_numpy().astype(bool) | ordered
        cookie, device = s["cookie"].to_numpy(), s["device"].to_numpy()
        known_cookie = np.unique(cookie[tied & (cookie >= 0)])
        known_device = np.unique(device[tied & (device >= 0)])
        seen = tied | np.isin(cookie, known_cookie) | np.isin(device, known_device)
        self.known_devices = known_device
        # an ad click is tied as the session it opened
        clicks = pd.Series(s["click_id"].to_numpy(), dtype=object)
        opened = seen & clicks.notna().to_numpy()
        self.tied_clicks = clicks[opened].astype(np.int64).to_numpy()
        return pd.DataFrame({"session": s["session"].to_numpy(), "t": s["t"].to_numpy(), "is_tied": seen})

    def _golden_path(self, p, t):
        rng = self.rng
        sku = rng.choice(len(self.sku_p), size=len(p), p=self.sku_p)
        self.sessions(p, t, "web", "browse", sku=sku)
        visit = t + rng.integers(DAY, 3 * DAY, len(p))
        self.receipts(p, visit, self.home_store[p], "SALE")
        order_t = visit + rng.integers(DAY, 4 * DAY, len(p))
        s = self.sessions(p, order_t, "web", "purchase", sku=sku)
        o = self.web_orders(p, order_t + 15 * 60, "web", "click_and_collect", session=s, first_sku=sku)
        self._link(s, o)
        self._pickup_and_maybe_return(p, order_t, o, rng)

    def _link(self, sessions: np.ndarray, orders: np.ndarray) -> None:
        """The purchase session of each order ends with its `purchase` event."""
        if len(sessions) == 0:
            return
        self.t.add("session_order", pd.DataFrame({"session": sessions, "order": orders}))

    def _browse_only(self) -> None:
        """Visits that buy nothing: most of the traffic of a web shop."""
        rng = self.rng
        online = self.people["segment"].to_numpy() != "store_only"
        rate = np.where(online, 6.0, 1.0) * self.active_days / 365
        k = rng.poisson(rate)
        p = np.repeat(np.arange(self.n), k)
        t = self.random_times(len(p))
        src = np.array(["direct", "organic", "ads", "social"], dtype=object)[
            rng.choice(4, len(p), p=[0.4, 0.35, 0.15, 0.1])
        ]
        ads = src == "ads"
        clicks = np.full(len(p), None, dtype=object)
        camp = np.full(len(p), None, dtype=object)
        if ads.any():
            c = self.ads_campaigns[rng.integers(0, len(self.ads_campaigns), int(ads.sum()))]
            clicks[ads] = self.ad_clicks(p[ads], t[ads], c)
            camp[ads] = c
        cart = rng.random(len(p)) < 0.15
        plat = self._platform(p)
        # some paid clicks land on the web shop and buy in the same visit
        buy = ads & (plat == "web") & (rng.random(len(p)) < 0.08)
        s = self.sessions(
            p,
            t,
            plat,
            np.where(buy, "purchase", np.where(cart, "cart", "browse")),
            source=src,
            campaign=camp,
            click_id=clicks,
        )
        if buy.any():
            self._link(s[buy], self.web_orders(p[buy], t[buy] + 20 * 60, "web", session=s[buy]))

    def _service_and_feedback(self) -> None:
        rng = self.rng
        orders = self.t.get("order")
        receipts = self.t.get("receipt")
        sales = receipts[receipts["kind"] == "SALE"]
        # service tickets about web orders (and some store purchases): chat first, sometimes phone after
        o = orders.sample(frac=0.08, random_state=int(rng.integers(2**31))) if len(orders) else orders
        chan = np.array(["chat", "email", "messenger", "phone"], dtype=object)[
            rng.choice(4, len(o), p=[0.4, 0.25, 0.15, 0.2])
        ]
        created = o["t"].to_numpy() + rng.integers(HOUR, 6 * DAY, len(o))
        self._tickets(o["person"].to_numpy(), created, chan, ("webshop", o["order"].to_numpy()))
        follow = (chan == "chat") & (rng.random(len(o)) < 0.35)
        self._tickets(
            o["person"].to_numpy()[follow],
            created[follow] + rng.integers(3 * HOUR, 2 * DAY, int(follow.sum())),
            "phone",
            ("webshop", o["order"].to_numpy()[follow]),
        )
        s = sales.sample(frac=0.02, random_state=int(rng.integers(2**31))) if len(sales) else sales
        self._tickets(
            s["person"].to_numpy(),
            s["t"].to_numpy() + rng.integers(HOUR, 3 * DAY, len(s)),
            np.array(["phone", "email"], dtype=object)[rng.integers(0, 2, len(s))],
            ("pos", s["receipt"].to_numpy()),
        )
        # NPS after some purchases, by e-mail
        all_orders = _purchases(orders, sales)
        asked = all_orders[rng.random(len(all_orders)) < 0.12]
        mood = self.people["purchase_rate"].to_numpy()[asked["person"].to_numpy()]
        base = np.clip(rng.normal(7.2 + 0.25 * np.log1p(mood), 2.0), 0, 10).round().astype(int)
        self.t.add(
            "survey",
            pd.DataFrame(
                {
                    "person": asked["person"].to_numpy(),
                    "t": asked["t"].to_numpy() + rng.integers(DAY, 5 * DAY, len(asked)),
                    "type": "NPS",
                    "score": base,
                    "channel": asked["channel"].to_numpy(),
                    "ref_kind": asked["ref_kind"].to_numpy(),
                    "ref": asked["ref"].to_numpy(),
                    "ticket": -1,
                }
            ),
        )

    def _recent_feedback(self, orders: pd.DataFrame, sales: pd.DataFrame) -> None:
        """Tickets and NPS answers in the day `window` about orders of the last days: the shares of
        `_service_and_feedback` spread over the days after an order. Store purchases of people whose card must
        not meet their contacts (`is_fuzzy_only`) get neither."""
        rng = self.rng
        start = self.window * DAY
        o = orders[rng.random(len(orders)) < 0.08 / 5]
        chan = np.array(["chat", "email", "messenger", "phone"], dtype=object)[
            rng.choice(4, len(o), p=[0.4, 0.25, 0.15, 0.2])
        ]
        created = np.maximum(start + rng.integers(4 * HOUR, 20 * HOUR, len(o)), o["t"].to_numpy() + HOUR)
        self._tickets(o["person"].to_numpy(), created, chan, ("webshop", o["order"].to_numpy()))
        fuzzy = self.people["is_fuzzy_only"].to_numpy()
        sales = sales[~fuzzy[sales["person"].to_numpy()]]
        s = sales[rng.random(len(sales)) < 0.02 / 3]
        self._tickets(
            s["person"].to_numpy(),
            np.maximum(start + rng.integers(4 * HOUR, 20 * HOUR, len(s)), s["t"].to_numpy() + HOUR),
            np.array(["phone", "email"], dtype=object)[rng.integers(0, 2, len(s))],
            ("pos", s["receipt"].to_numpy()),
        )
        asked = _purchases(orders, sales)
        asked = asked[(rng.random(len(asked)) < 0.12 / 4) & (asked["t"].to_numpy() < start)]
        mood = self.people["purchase_rate"].to_numpy()[asked["person"].to_numpy()]
        self.t.add(
            "survey",
            pd.DataFrame(
                {
                    "person": asked["person"].to_numpy(),
                    "t": start + rng.integers(4 * HOUR, 20 * HOUR, len(asked)),
                    "type": "NPS",
                    "score": np.clip(rng.normal(7.2 + 0.25 * np.log1p(mood), 2.0), 0, 10).round().astype(int),
                    "channel": asked["channel"].to_numpy(),
                    "ref_kind": asked["ref_kind"].to_numpy(),
                    "ref": asked["ref"].to_numpy(),
                    "ticket": -1,
                }
            ),
        )

    def _tickets(self, person, created, channel, about) -> None:
        rng = self.rng
        n = len(person)
        if n == 0:
            return
        ids = self.t.ids("ticket", n)
        channel = np.broadcast_to(np.asarray(channel, dtype=object), n)
        first_resp = created + np.select(
            [channel == "chat", channel == "phone", channel == "messenger"],
            [rng.integers(20, 600, n), rng.integers(0, 120, n), rng.integers(300, 4 * HOUR, n)],
            default=rng.integers(HOUR, 30 * HOUR, n),
        )
        contacts = 1 + rng.poisson(np.where(channel == "email", 0.9, 0.5))
        solved = first_resp + rng.integers(5 * 60, 2 * DAY, n) * contacts
        csat = np.where(
            rng.random(n) < 0.45, np.clip(np.round(rng.normal(4.6 - 0.5 * (contacts - 1), 0.8)), 1, 5), -1
        )
        self.t.add(
            "ticket",
            pd.DataFrame(
                {
                    "ticket": ids,
                    "person": person,
                    "t": created,
                    "channel": channel,
                    "first_response": first_resp,
                    "solved": solved,
                    "contacts": contacts,
                    "csat": csat.astype(int),
                    "ref_kind": about[0],
                    "ref": about[1],
                }
            ),
        )


def _purchases(orders: pd.DataFrame, sales: pd.DataFrame) -> pd.DataFrame:
    """Web/app orders and store sales as the purchases an NPS survey may ask about."""
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "person": orders["person"],
                    "t": orders["t"],
                    "channel": orders["channel"],
                    "ref_kind": "webshop",
                    "ref": orders["order"],
                }
            ),
            pd.DataFrame(
                {
                    "person": sales["person"],
                    "t": sales["t"],
                    "channel": "store",
                    "ref_kind": "pos",
                    "ref": sales["receipt"],
                }
            ),
        ],
        ignore_index=True,
    )


def _coupon_of_month(t: np.ndarray) -> np.ndarray:
    """The coupon of the month of each time (months of 30 days from the period start)."""
    return pd.Series((np.asarray(t) // MONTH).astype(int)).map(lambda m: f"RABAT10-{m + 1:02d}").to_numpy()


def _consented(person: np.ndarray, t: np.ndarray, consents: pd.DataFrame, channel: str) -> np.ndarray:
    """Per (person, time): the person's marketing consent for `channel` was current at that time."""
    c = consents[(consents["channel"] == channel) & (consents["purpose"] == "marketing")]
    frame = pd.DataFrame({"person": person, "t": t, "i": np.arange(len(person))}).merge(c, on="person")
    ok = frame[(frame["granted"] <= frame["t"]) & (frame["withdrawn"] > frame["t"])]["i"].to_numpy()
    return np.isin(np.arange(len(person)), ok)
