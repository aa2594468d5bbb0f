"""The answer key: which person every source record belongs to, what was planted, the true KPIs.

The pipeline never reads `truth/`; `omni evaluate` and the tests score the warehouse against it.
Definitions of every KPI are in docs/truth.md.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from devtools.generate.people import e164
from devtools.generate.reference import PLACEHOLDER_EMAILS, PLACEHOLDER_PHONES
from devtools.generate.render import WEBSHOP_ORDER_BASE

DAY = 86_400
# the journey before an order: interactions in the 30 days before it (kpi_order_journeys' lookback)
LOOKBACK = 30 * DAY
# abandoned checkout ids in the web shop export
CHECKOUT_BASE = 7_000_000
# helpdesk channels in the vocabulary of dim_channels
TICKET_CHANNELS = {"phone": "call_center", "messenger": "social"}
GROUPS = ("all", "multichannel", "single_channel")


def _csv(frame: pd.DataFrame, path) -> None:
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    pacsv.write_csv(table, path)


def write_truth(r, world, consents: pd.DataFrame, planted_marketing: dict) -> None:
    out = r.truth_dir
    people = world.people
    persons = people[
        [
            "person_id",
            "first_name",
            "last_name",
            "gender",
            "birth_year",
            "birth_date",
            "street_address",
            "postal_code",
            "city",
            "household_id",
            "segment",
            "has_account",
            "is_app_user",
            "is_member",
            "is_shared_phone",
        ]
    ].copy()
    persons["email"] = people["email"]
    persons["phone_e164"] = e164(people["phone"].to_numpy()).to_numpy()
    persons["family_phone_e164"] = e164(people["family_phone"].to_numpy()).to_numpy()
    persons["customer_id"] = np.where(people["customer_id"] > 0, people["customer_id"].astype(str), None)
    persons["member_id"] = people["member_id"]
    persons["card_number"] = people["card_number"]

    orders = pd.concat([r.truth["orders_webshop"], r.truth["orders_pos"]], ignore_index=True)
    orders["is_identifiable"] = _identifiable_orders(orders, r, world)
    channels = orders.groupby("person_id")["channel"].nunique()
    n_orders = orders.groupby("person_id").size()
    persons["orders"] = persons["person_id"].map(n_orders).fillna(0).astype(int)
    persons["is_multichannel"] = persons["person_id"].map(channels).fillna(0).astype(int) >= 2
    _csv(persons, out / "persons.csv")
    _csv(orders, out / "orders.csv")
    _csv(
        pd.concat([r.truth["returns_webshop"], r.truth["returns_pos"]], ignore_index=True),
        out / "returns.csv",
    )
    for name in (
        "tickets",
        "marketing_messages",
        "survey_responses",
        "loyalty_members",
        "webshop_customers",
        "checkouts",
        "consent_events",
        "pickups",
    ):
        if name in r.truth:
            _csv(r.truth[name], out / f"{name}.csv")

    # person-level identifiers (as the generator knows them, not every messy rendering)
    ids = []
    for col, kind in (
        ("email", "email"),
        ("email2", "email"),
        ("phone_e164", "phone"),
        ("customer_id", "customer_id"),
        ("member_id", "member_id"),
        ("card_number", "loyalty_card"),
    ):
        src = persons if col in persons else people
        vals = src[col]
        ids.append(
            pd.DataFrame({"person_id": persons["person_id"], "identifier_type": kind, "value": vals}).dropna()
        )
    shared = persons[persons["is_shared_phone"]]
    ids.append(
        pd.DataFrame(
            {
                "person_id": shared["person_id"],
                "identifier_type": "phone",
                "value": shared["family_phone_e164"],
            }
        )
    )
    ident = pd.concat(ids, ignore_index=True).drop_duplicates()
    counts = ident.groupby(["identifier_type", "value"])["person_id"].transform("nunique")
    ident["is_shared"] = counts > 1
    ident["is_placeholder"] = False
    _csv(ident, out / "identifiers.csv")
    _csv(identity_cases(r, world), out / "identity_cases.csv")

    planted = dict(r.planted)
    planted["placeholder_values"] = {
        "emails": ["brak@brak.pl", "nie@podano.pl", "test@test.pl", "a@a.pl", "klient@sklep.pl"],
        "phones": ["000000000", "123456789", "111111111", "999999999"],
        "store_phones": world.ref.stores["store_phone"].tolist(),
    }
    planted["consent_violations"] = [
        dict(v, person_id=world.people["person_id"].iat[v["person"]])
        for v in planted_marketing["consent_violations"]
    ]
    for v in planted["consent_violations"]:
        v.pop("person", None)
    planted["duplicate_coupon_recipients"] = planted_marketing["duplicate_coupons"]
    planted["duplicate_coupon_households"] = planted_marketing["duplicate_coupon_households"]
    (out / "planted.json").write_text(json.dumps(planted, indent=1, ensure_ascii=False, default=str))
    (out / "kpis.json").write_text(
        json.dumps(true_kpis(orders, r, world, consents), indent=1, ensure_ascii=False)
    )


IDENTITY_CASES = ("fuzzy_only", "name_variant", "two_addresses", "family_card")


def identity_cases(r, world) -> pd.DataFrame:
    """The records of the people identity matching finds hard (docs/truth.md): one row per (case, record),
    records named as the warehouse names them (`loyalty_member` + member id, `webshop_customer` + account
    id, `webshop_order` + order id)."""
    people = world.people
    pid = people["person_id"].to_numpy()
    member = people["member_id"].to_numpy()
    account = people["customer_id"].to_numpy().astype(str)
    parts = []

    def add(case: str, persons: np.ndarray, record_type: str, record_id: np.ndarray) -> None:
        parts.append(
            pd.DataFrame(
                {
                    "case": case,
                    "person_id": pid[persons],
                    "record_type": record_type,
                    "record_id": np.asarray(record_id, dtype=object),
                }
            )
        )

    for case, flag in (("fuzzy_only", "is_fuzzy_only"), ("name_variant", "is_name_variant")):
        who = np.flatnonzero(people[flag].to_numpy())
        add(case, who, "loyalty_member", member[who])
        add(case, who, "webshop_customer", account[who])
    second = r.second_address_orders
    who = np.unique(second["person"].to_numpy()).astype(np.int64)
    add("two_addresses", who, "webshop_customer", account[who])
    add(
        "two_addresses",
        second["person"].to_numpy().astype(np.int64),
        "webshop_order",
        second["order_id"].to_numpy().astype(np.int64).astype(str),
    )
    card_of = people["family_card_of"].to_numpy()
    pair = np.flatnonzero(card_of >= 0)
    who = np.concatenate([card_of[pair], pair])
    add("family_card", who, "loyalty_member", member[who])
    frame = pd.concat(parts, ignore_index=True)
    frame["case"] = pd.Categorical(frame["case"], categories=IDENTITY_CASES, ordered=True)
    frame = frame.sort_values(["case", "person_id", "record_type", "record_id"], kind="stable")
    frame["case"] = frame["case"].astype(str)
    return frame.reset_index(drop=True)


def true_kpis(orders: pd.DataFrame, r, world, consents: pd.DataFrame) -> dict:
    online = orders[orders["source_system"] == "webshop"]
    surveys = r.truth["survey_responses"]
    nps = surveys[surveys["survey_type"] == "NPS"]["score"]
    tickets = r.truth["tickets"]
    csat = tickets[tickets["csat"] > 0]["csat"]
    per_person = orders.groupby("person_id").agg(n=("order_id", "size"), channels=("channel", "nunique"))
    multi = per_person[per_person["channels"] >= 2]
    single = per_person[per_person["channels"] == 1]
    msgs = r.truth["marketing_messages"]
    coupons = msgs[msgs["coupon_code"].notna()].groupby(["person_id", "coupon_code"])["channel"].nunique()

    def kpi(value, definition):
        return {"value": value if not isinstance(value, float) else round(value, 6), "definition": definition}

    frame = _order_times(orders, r)
    r.last_order_t = frame["t"].max() if len(frame) else 0
    touches = _interactions(r, world)
    tied = touches.pop("is_tied").to_numpy()
    starts = _journey_starts(frame, touches)
    seen = frame["is_identifiable"].to_numpy()
    starts_seen = frame["channel"].to_numpy().astype(object)
    starts_seen[seen] = _journey_starts(frame[seen].reset_index(drop=True), touches[tied])
    journey = (
        "for every order (web/app orders and store SALE receipts), the start channel is the channel of the "
        "buyer's first interaction in the 30 days before the order (inclusive) and after their previous order "
        "(exclusive), ties broken by channel name; interactions are web/app sessions (by platform, at their "
        "first event; a session's purchase event is a step of its own, about its order), abandoned checkouts "
        "(web), ad clicks (ads), message opens and clicks (email / sms / push), tickets (call_center / chat / "
        "email / social), survey answers (email), till receipts (store); left out: message sends, deliveries, "
        "bounces and unsubscribes, and interactions about another order (pick-ups, returns, tickets, surveys "
        "and till sales refer to an order; a web order is no interaction); with no interaction the start "
        "channel is the ordering channel"
    )
    identifiable = (
        " Identifiable variant: what a warehouse with perfect stitching can see - only orders and interactions "
        "whose records tie them to the person count (docs/truth.md): a till receipt that shows no identifier of "
        "its own (none, a placeholder, or a family card or phone several people share) and that no ticket, survey "
        "or return receipt names with one starts in the store and is nobody's previous order; a web or app visit "
        "counts only when it logged in, placed an order, or came from a browser or device that did; an SMS to a "
        "shared family phone and a push to a device never tied to the person are not seen."
    )
    tk = world.t.get("ticket")
    sessions = r.session_frame
    cart = sessions["purpose"].isin(["cart", "abandon", "purchase"]).to_numpy()
    bought = (sessions["order"] >= 0).to_numpy()
    retention = "; ".join(
        [
            "cohort = local (Europe/Warsaw) month of the person's first order; retained in month n = ordered in the "
            "calendar month cohort + n; rate = retained / cohort size, for n = 0 up to the month of the last day with "
            "data (latest order or session, local)",
            "groups: all, multichannel (ordered through 2+ of web, app, store over the whole period), single_channel",
        ]
    )

    return {
        "orders": kpi(len(orders), "web/app orders (distinct webshop order ids) plus store SALE receipts"),
        "customers": kpi(int(orders["person_id"].nunique()), "distinct people with at least one order"),
        "anonymous_orders": kpi(
            int((~orders["is_identifiable"].astype(bool)).sum()),
            "store SALE receipts that nothing ties to their buyer: no card, phone or real e-mail of their own "
            "(a family card or phone shared by several people does not say who), and no ticket, survey or return "
            "receipt naming them with one",
        ),
        "click_and_collect_share": kpi(
            float((online["fulfilment_type"] == "click_and_collect").mean()),
            "click & collect web/app orders / all web/app orders",
        ),
        "aov_pln": kpi(
            float(orders["total_pln"].mean()),
            "mean order value over all orders (web/app total_price, store receipt sum of line totals)",
        ),
        "aov_pln_by_channel": {
            c: round(float(g["total_pln"].mean()), 4) for c, g in orders.groupby("channel")
        },
        "repeat_rate": kpi(float((per_person["n"] >= 2).mean()), "customers with 2+ orders / customers"),
        "repeat_rate_multichannel": kpi(
            float((multi["n"] >= 2).mean()) if len(multi) else 0.0,
            "repeat rate of customers who ordered through 2+ of web, app, store",
        ),
        "repeat_rate_single_channel": kpi(
            float((single["n"] >= 2).mean()) if len(single) else 0.0,
            "repeat rate of customers who ordered through one channel",
        ),
        "multichannel_customer_share": kpi(
            float(len(multi) / max(len(per_person), 1)),
            "customers ordering through 2+ of web, app, store / customers",
        ),
        "orders_per_customer_multichannel": kpi(
            float(multi["n"].mean()) if len(multi) else 0.0, "mean orders per multichannel customer"
        ),
        "orders_per_customer_single_channel": kpi(
            float(single["n"].mean()) if len(single) else 0.0, "mean orders per single-channel customer"
        ),
        "nps": kpi(
            float(((nps >= 9).mean() - (nps <= 6).mean()) * 100) if len(nps) else 0.0,
            "% promoters (9-10) - % detractors (0-6) over NPS responses",
        ),
        "csat_avg": kpi(
            float(csat.mean()) if len(csat) else 0.0, "mean CSAT score (1-5) of solved tickets that have one"
        ),
        "duplicate_coupon_recipients": kpi(
            int((coupons > 1).sum()),
            "(person, coupon) pairs where the coupon reached the person through 2+ channels",
        ),
        "price_inconsistencies": kpi(
            len(r.planted["price_inconsistencies"]), "(day, sku) with a different web price"
        ),
        "stock_mismatches": kpi(
            len(r.planted["stock_mismatches"]), "(snapshot, sku, store) where web shop and ERP stock differ"
        ),
        "consent_withdrawals": kpi(
            int((consents["withdrawn"] < np.iinfo(np.int64).max).sum()),
            "consents withdrawn during the period: one per person, channel and purpose, counted once however "
            "many systems recorded it (an unsubscribe click is in the marketing platform and the CRM ledger)",
        ),
        "consent_grants": kpi(
            len(consents),
            "consents given (one per person, channel and purpose; most before the period began)",
        ),
        "cross_channel_conversion_share": kpi(
            _share(starts, frame),
            "orders whose start channel differs from the ordering channel / all orders; " + journey,
        ),
        "cross_channel_conversion_by_start_and_purchase_channel": kpi(
            _by_start(starts, frame),
            "orders by (start channel, purchase channel), with their share of the purchase "
            "channel's orders (kpi_cross_channel_conversion); " + journey,
        ),
        "cross_channel_conversion_share_identifiable": kpi(
            _share(starts_seen, frame), "cross_channel_conversion_share;" + identifiable
        ),
        "cross_channel_conversion_by_start_and_purchase_channel_identifiable": kpi(
            _by_start(starts_seen, frame),
            "cross_channel_conversion_by_start_and_purchase_channel;" + identifiable,
        ),
        "retention_by_cohort": kpi(_retention(frame, r), "{group: {cohort month: {n: rate}}}; " + retention),
        "retention_by_cohort_identifiable": kpi(
            _retention(frame[seen], r),
            "retention_by_cohort over identifiable orders only (anonymous till "
            "receipts belong to nobody; a person whose orders are all anonymous "
            "is in no cohort)",
        ),
        "first_contact_resolution_rate": kpi(
            float(((tk["solved"] < world.horizon) & (tk["contacts"] == 1)).mean()) if len(tk) else 0.0,
            "tickets solved (within the period) with one contact / tickets opened in the period",
        ),
        "session_conversion_rate": kpi(
            float(bought.mean()) if len(bought) else 0.0,
            "web and app sessions that placed an order / sessions",
        ),
        "cart_abandonment_rate": kpi(
            float((cart & ~bought).sum() / max(int(cart.sum()), 1)),
            "sessions with an add-to-cart that placed no order / sessions with an add-to-cart",
        ),
    }


def _order_times(orders: pd.DataFrame, r) -> pd.DataFrame:
    """Every order with its key (`<source_system>:<order_id>`, as interactions refer to it), person index and
    time in seconds since the period start."""
    at = pd.to_datetime(orders["placed_at"], utc=True)
    seconds = ((at - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy().astype(
        np.int64
    ) - r.epoch
    return pd.DataFrame(
        {
            "key": (orders["source_system"] + ":" + orders["order_id"].astype(str)).to_numpy(),
            "person": pd.Index(r.person_id).get_indexer(orders["person_id"]),
            "t": seconds,
            "channel": orders["channel"].to_numpy(),
            "is_identifiable": orders["is_identifiable"].astype(bool).to_numpy(),
        }
    )


def _interactions(r, world) -> pd.DataFrame:
    """The person's own interactions: person, time, channel and the order they are about (`ref`, or None)."""
    w = world

    def part(person, t, channel, ref=None, tied=True) -> pd.DataFrame:
        n = len(person)
        return pd.DataFrame(
            {
                "person": np.asarray(person, np.int64),
                "t": np.asarray(t, np.int64),
                "channel": np.broadcast_to(np.asarray(channel, dtype=object), n),
                "ref": np.broadcast_to(np.asarray(ref, dtype=object), n)
                if ref is not None
                else np.full(n, None, dtype=object),
                "is_tied": np.broadcast_to(np.asarray(tied, dtype=bool), n),
            }
        )

    def refs(kind, ref) -> np.ndarray:
        kind, ref = np.asarray(kind), np.asarray(ref)
        web = np.char.add("webshop:", (ref + WEBSHOP_ORDER_BASE).astype(str))
        pos = np.char.add("pos:", r.receipt_id_of.reindex(ref).fillna("?").to_numpy().astype(str))
        return np.where(kind == "webshop", web, pos).astype(object)

    s = r.session_frame
    # which sessions the exports tie to their person (World._session_ties), in the renderer's order
    ties = w.session_ties.sort_values(["t", "session"], kind="stable")
    if not np.array_equal(ties["t"].to_numpy(), s["t"].to_numpy()):
        raise RuntimeError("truth: the sessions' ties do not line up with the rendered sessions")
    tied = ties["is_tied"].to_numpy()
    bought = (s["order"] >= 0).to_numpy()
    parts = [
        part(s["person"], s["t"], s["platform"].to_numpy(), tied=tied),
        part(
            s["person"][bought],
            s["t_last"][bought],
            s["platform"].to_numpy()[bought],
            refs(np.full(int(bought.sum()), "webshop"), s["order"].to_numpy()[bought]),
            tied=tied[bought],
        ),
    ]
    co = w.t.get("checkout")
    if len(co):
        # by the account or the e-mail it shows (nothing else on it names the buyer)
        shown = np.isin(co["checkout"].to_numpy() + CHECKOUT_BASE, _checkouts_showing_buyer(r))
        parts.append(part(co["person"], co["t"], "web", tied=shown))
    ac = w.t.get("ad_click")
    if len(ac):
        # as the session the click opened
        parts.append(part(ac["person"], ac["t"], "ads", tied=np.isin(ac["click"].to_numpy(), w.tied_clicks)))
    mt = r.message_touches
    mp, mch = mt["person"].to_numpy(), mt["channel"].to_numpy()
    # an e-mail goes to the person's own address; an SMS to their phone, shared with the family for some; a
    # push to their (first) app device, which only a session logging in from it ties to them
    device = np.where(w.n_devices[mp] > 0, w.device_base[mp], -1)
    message_tied = np.select(
        [mch == "sms", mch == "push"],
        [~w.people["is_shared_phone"].to_numpy()[mp], np.isin(device, w.known_devices) & (device >= 0)],
        default=True,
    )
    parts.append(part(mp, mt["t"], mch, tied=message_tied))
    tk = w.t.get("ticket")
    if len(tk):
        chan = pd.Series(tk["channel"]).replace(TICKET_CHANNELS).to_numpy()
        parts.append(part(tk["person"], tk["t"], chan, refs(tk["ref_kind"], tk["ref"])))
    sv = w.t.get("survey")
    sv = sv[sv["t"] < w.horizon] if len(sv) else sv
    if len(sv):
        parts.append(part(sv["person"], sv["t"], "email", refs(sv["ref_kind"], sv["ref"])))
    rc = w.t.get("receipt")
    if len(rc):
        sale = rc["kind"].to_numpy() == "SALE"
        order, orig = rc["order"].to_numpy(), rc["orig_receipt"].to_numpy()
        kind = np.where(sale | (orig >= 0), "pos", "webshop")
        ref = np.where(sale, rc["receipt"].to_numpy(), np.where(orig >= 0, orig, order))
        parts.append(part(rc["person"], rc["t"], "store", refs(kind, ref)))
    return pd.concat(parts, ignore_index=True)


def _identifiable_orders(orders: pd.DataFrame, r, world) -> np.ndarray:
    """Per order of orders.csv: a warehouse can tie it to its buyer. Web and app orders always name their
    buyer (an e-mail). A till SALE receipt does when it shows an identifier of the buyer's own - the loyalty
    card, unless a family card two members share; a phone that is not a placeholder or a store's number,
    unless a family phone several people share; a real e-mail - or when a ticket or a survey names it (they
    carry their author's e-mail or phone), or a RETURN receipt naming it shows such an identifier."""
    pos = (orders["source_system"] == "pos").to_numpy()
    out = np.ones(len(orders), dtype=bool)
    if not pos.any():
        return out
    people = world.people
    person = pd.Series(np.arange(len(people)), index=people["person_id"].to_numpy())
    card_of = people["family_card_of"].to_numpy()
    shared_card = card_of >= 0
    shared_card[card_of[shared_card]] = True
    shared_phone = people["is_shared_phone"].to_numpy()
    shown = _till_identifiers(r, world)
    returns = r.truth["returns_pos"]
    buyer = pd.concat(
        [
            orders.loc[pos, ["order_id", "person_id"]],
            returns[["return_id", "person_id"]].rename(columns={"return_id": "order_id"}),
        ]
    ).drop_duplicates("order_id")
    shown = shown.merge(buyer, left_on="receipt_id", right_on="order_id", how="inner")
    who = person.reindex(shown["person_id"]).to_numpy()
    own = (
        (shown["has_card"].to_numpy() & ~shared_card[who])
        | (shown["has_phone"].to_numpy() & ~shared_phone[who])
        | shown["has_email"].to_numpy()
    )
    # a return receipt speaks for the sale it names
    tied = set(shown.loc[own, "sale_id"])
    for about in (world.t.get("ticket"), world.t.get("survey")):
        if len(about):
            written = about[about["t"] < world.horizon]  # answers after the period are never written
            named = written.loc[written["ref_kind"] == "pos", "ref"].to_numpy()
            tied |= set(r.receipt_id_of.reindex(named).dropna())
    return np.where(pos, orders["order_id"].isin(tied).to_numpy(), out)


def _checkouts_showing_buyer(r) -> np.ndarray:
    """The ids of the abandoned checkouts that show their buyer's account or e-mail, read back from the web
    shop export just written (whether the e-mail was typed is drawn as it is rendered)."""
    r.writer.flush()
    files = [str(f) for f in sorted((r.landing / "webshop" / "checkouts").glob("*.json"))]
    if not files:
        return np.array([], dtype=np.int64)
    with duckdb.connect() as con:
        con.execute("set threads = 1")
        ids = con.execute(
            """
            select id from (
                select unnest(checkouts, recursive := true)
                from read_json($1, columns = {checkouts: 'struct(id bigint, customer_id bigint, email varchar)[]'})
            )
            where customer_id is not null or coalesce(trim(email), '') <> ''
            """,
            [files],
        ).fetchnumpy()["id"]
    return np.asarray(ids, dtype=np.int64)


def _till_identifiers(r, world) -> pd.DataFrame:
    """What each till receipt (SALE and RETURN) shows of its customer: `has_card`, `has_phone` (not a
    placeholder, not a store's number), `has_email` (not a placeholder), and the sale it is about
    (`sale_id`: the receipt itself, or the receipt a RETURN names). Read back from the till export just
    written: which identifier a receipt shows is drawn as it is rendered."""
    r.writer.flush()
    files = [str(f) for f in sorted((r.landing / "pos").rglob("*.csv")) if not f.stem.endswith("_resend")]
    if not files:
        return pd.DataFrame(columns=["receipt_id", "sale_id", "has_card", "has_phone", "has_email"])
    # placeholders and the stores' own numbers, by their last nine digits
    typed = PLACEHOLDER_PHONES + [str(x) for x in world.ref.stores["store_phone"]]
    not_phones = sorted({"".join(ch for ch in x if ch.isdigit())[-9:] for x in typed})
    # files by their header (files written before the export gained the e-mail column have none): one
    # reader per layout, which reads its files one after another (unioning by name would open them all)
    layouts: dict[str, list[str]] = {}
    for f in files:
        with open(f, encoding="utf-8") as fh:
            layouts.setdefault(fh.readline(), []).append(f)
    frames = [_till_batch(group, not_phones) for group in layouts.values()]
    frame = pd.concat(frames, ignore_index=True)
    if len(frames) > 1:  # a receipt's lines are in one file; this holds even if they were not
        frame = frame.groupby("receipt_id", as_index=False, sort=False).agg(
            sale_id=("sale_id", "first"),
            has_card=("has_card", "any"),
            has_phone=("has_phone", "any"),
            has_email=("has_email", "any"),
        )
    return frame


def _till_batch(files: list[str], not_phones: list[str]) -> pd.DataFrame:
    """`_till_identifiers` of till files that share one header."""
    with duckdb.connect() as con:
        con.execute("set threads = 1")
        till = con.read_csv(files, delimiter=";", header=True, all_varchar=True)
        email = "customer_email" if "customer_email" in till.columns else "null"
        con.register("till", till)
        frame = con.execute(
            f"""
            with receipts as (
                select
                    receipt_id,
                    coalesce(original_receipt_id, receipt_id) as sale_id,
                    trim(loyalty_card) as card,
                    regexp_replace(coalesce(customer_phone, ''), '[^0-9]', '', 'g') as phone,
                    lower(trim({email})) as email
                from till
                where receipt_id is not null and transaction_type in ('SALE', 'RETURN')
            )
            select
                receipt_id,
                any_value(sale_id) as sale_id,
                bool_or(coalesce(card, '') <> '') as has_card,
                bool_or(length(phone) >= 9 and right(phone, 9) not in (select unnest($1))) as has_phone,
                bool_or(coalesce(email, '') <> '' and email not in (select unnest($2))) as has_email
            from receipts
            group by receipt_id
            """,
            [not_phones, PLACEHOLDER_EMAILS],
        ).df()
    return frame


def _journey_starts(orders: pd.DataFrame, touches: pd.DataFrame) -> np.ndarray:
    """The start channel of each order (kpi_order_journeys' definition, over the true interactions)."""
    n = len(orders)
    if n == 0:
        return np.array([], dtype=object)
    o = orders.assign(row=np.arange(n)).sort_values(["person", "t", "key"], kind="stable")
    prev = o.groupby("person")["t"].shift()
    o["lo"] = np.maximum(o["t"] - LOOKBACK, prev.fillna(-np.inf) + 1).astype(np.int64)
    # interactions about no order: the earliest at or after `lo`, per person (ties: the first channel by name)
    free = touches[touches["ref"].isna()].sort_values(["person", "t", "channel"], kind="stable")
    free = free.drop_duplicates(["person", "t"]).rename(columns={"t": "step_t"})[
        ["person", "step_t", "channel"]
    ]
    first = pd.merge_asof(
        o.sort_values("lo", kind="stable"),
        free.sort_values("step_t", kind="stable"),
        left_on="lo",
        right_on="step_t",
        by="person",
        direction="forward",
        suffixes=("", "_step"),
    )
    first = first[first["step_t"] < first["t"]][["row", "step_t", "channel_step"]]
    # interactions about this very order (its own purchase event)
    own = touches[touches["ref"].notna()].merge(
        o[["key", "row", "t", "lo"]], left_on="ref", right_on="key", suffixes=("_step", "")
    )
    own = own[(own["t_step"] >= own["lo"]) & (own["t_step"] < own["t"])]
    own = own.rename(columns={"t_step": "step_t", "channel": "channel_step"})[
        ["row", "step_t", "channel_step"]
    ]
    steps = pd.concat([first, own], ignore_index=True).sort_values(
        ["row", "step_t", "channel_step"], kind="stable"
    )
    steps = steps.drop_duplicates("row")
    start = orders["channel"].to_numpy().astype(object).copy()
    start[steps["row"].to_numpy()] = steps["channel_step"].to_numpy()
    return start


def _share(starts: np.ndarray, orders: pd.DataFrame) -> float:
    return float((starts != orders["channel"].to_numpy()).mean()) if len(orders) else 0.0


def _by_start(starts: np.ndarray, orders: pd.DataFrame) -> list[dict]:
    frame = pd.DataFrame({"start_channel": starts, "purchase_channel": orders["channel"].to_numpy()})
    counts = (
        frame.value_counts().rename("orders").reset_index().sort_values(["purchase_channel", "start_channel"])
    )
    total = counts.groupby("purchase_channel")["orders"].transform("sum")
    return [
        {
            "start_channel": a,
            "purchase_channel": b,
            "orders": int(c),
            "share_of_purchase_channel_orders": round(float(s), 6),
        }
        for a, b, c, s in zip(
            counts["start_channel"],
            counts["purchase_channel"],
            counts["orders"],
            counts["orders"] / total,
            strict=True,
        )
    ]


def _months(seconds: np.ndarray, r) -> np.ndarray:
    """Local (Europe/Warsaw) calendar month of period times, as year * 12 + month - 1."""
    local = pd.to_datetime(np.asarray(seconds, np.int64) + r.epoch, unit="s", utc=True).tz_convert(
        "Europe/Warsaw"
    )
    return np.asarray(local.year * 12 + local.month - 1, dtype=np.int64)


def _retention(orders: pd.DataFrame, r) -> dict:
    """{group: {cohort "YYYY-MM": {n: rate}}} (kpi_cohort_retention's definition)."""
    # up to the month of the last day with data (an order or a session), as customer_segments' as_of_date
    last = int(
        _months(np.array([max(int(r.last_order_t), int(r.session_frame["t"].to_numpy().max(initial=0)))]), r)[
            0
        ]
    )
    om = pd.DataFrame({"person": orders["person"].to_numpy(), "month": _months(orders["t"].to_numpy(), r)})
    channels = orders.groupby("person")["channel"].nunique()
    om = om.drop_duplicates()
    om["cohort"] = om.groupby("person")["month"].transform("min")
    om["n"] = om["month"] - om["cohort"]
    multi = om["person"].map(channels).to_numpy() >= 2
    out = {}
    for group in GROUPS:
        g = om if group == "all" else om[multi] if group == "multichannel" else om[~multi]
        size = g[g["n"] == 0].groupby("cohort").size()
        kept = g.groupby(["cohort", "n"]).size()
        out[group] = {
            f"{c // 12}-{c % 12 + 1:02d}": {
                str(k): round(float(kept.get((c, k), 0) / size[c]), 6) for k in range(last - c + 1)
            }
            for c in size.index
        }
    return out
