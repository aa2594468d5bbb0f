"""The answer key: which person every source record belongs to, what was planted, the true KPIs.

The pipeline never reads `truth/`; `omni evaluate` and the tests score the warehouse against it.
Definitions of every KPI are in docs/truth.md.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from omni.generate.people import e164

DAY = 86_400


def _csv(frame: pd.DataFrame, path) -> None:
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    pacsv.write_csv(table, path)


def write_truth(r, world, consents: pd.DataFrame, planted_marketing: dict) -> None:
    out = r.truth_dir
    people = world.people
    persons = people[["person_id", "first_name", "last_name", "gender", "birth_year", "city", "household_id", "segment",
                      "has_account", "is_app_user", "is_member", "is_shared_phone"]].copy()
    persons["email"] = people["email"]
    persons["phone_e164"] = e164(people["phone"].to_numpy()).to_numpy()
    persons["family_phone_e164"] = e164(people["family_phone"].to_numpy()).to_numpy()
    persons["customer_id"] = np.where(people["customer_id"] > 0, people["customer_id"].astype(str), None)
    persons["member_id"] = people["member_id"]
    persons["card_number"] = people["card_number"]

    orders = pd.concat([r.truth["orders_webshop"], r.truth["orders_pos"]], ignore_index=True)
    channels = orders.groupby("person_id")["channel"].nunique()
    n_orders = orders.groupby("person_id").size()
    persons["orders"] = persons["person_id"].map(n_orders).fillna(0).astype(int)
    persons["is_multichannel"] = persons["person_id"].map(channels).fillna(0).astype(int) >= 2
    _csv(persons, out / "persons.csv")
    _csv(orders, out / "orders.csv")
    _csv(pd.concat([r.truth["returns_webshop"], r.truth["returns_pos"]], ignore_index=True), out / "returns.csv")
    for name in ("tickets", "marketing_messages", "survey_responses", "loyalty_members", "webshop_customers",
                 "checkouts", "consent_events", "pickups"):
        if name in r.truth:
            _csv(r.truth[name], out / f"{name}.csv")

    # person-level identifiers (as the generator knows them, not every messy rendering)
    ids = []
    for col, kind in (("email", "email"), ("email2", "email"), ("phone_e164", "phone"), ("customer_id", "customer_id"),
                      ("member_id", "member_id"), ("card_number", "loyalty_card")):
        src = persons if col in persons else people
        vals = src[col]
        ids.append(pd.DataFrame({"person_id": persons["person_id"], "identifier_type": kind, "value": vals}).dropna())
    shared = persons[persons["is_shared_phone"]]
    ids.append(pd.DataFrame({"person_id": shared["person_id"], "identifier_type": "phone", "value": shared["family_phone_e164"]}))
    ident = pd.concat(ids, ignore_index=True).drop_duplicates()
    counts = ident.groupby(["identifier_type", "value"])["person_id"].transform("nunique")
    ident["is_shared"] = counts > 1
    ident["is_placeholder"] = False
    _csv(ident, out / "identifiers.csv")

    planted = dict(r.planted)
    planted["placeholder_values"] = {"emails": ["brak@brak.pl", "nie@podano.pl", "test@test.pl", "a@a.pl", "klient@sklep.pl"],
                                     "phones": ["000000000", "123456789", "111111111", "999999999"],
                                     "store_phones": world.ref.stores["store_phone"].tolist()}
    planted["consent_violations"] = [
        dict(v, person_id=world.people["person_id"].iat[v["person"]]) for v in planted_marketing["consent_violations"]]
    for v in planted["consent_violations"]:
        v.pop("person", None)
    planted["duplicate_coupon_recipients"] = planted_marketing["duplicate_coupons"]
    (out / "planted.json").write_text(json.dumps(planted, indent=1, ensure_ascii=False, default=str))
    (out / "kpis.json").write_text(json.dumps(true_kpis(orders, r, world, consents), indent=1, ensure_ascii=False))


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

    return {
        "orders": kpi(len(orders), "web/app orders (distinct webshop order ids) plus store SALE receipts"),
        "customers": kpi(int(orders["person_id"].nunique()), "distinct people with at least one order"),
        "anonymous_orders": kpi(int((~orders["is_identifiable"].astype(bool)).sum()),
                                "store SALE receipts carrying no identifier (no card, no phone, no real e-mail)"),
        "click_and_collect_share": kpi(float((online["fulfilment_type"] == "click_and_collect").mean()),
                                       "click & collect web/app orders / all web/app orders"),
        "aov_pln": kpi(float(orders["total_pln"].mean()), "mean order value over all orders (web/app total_price, "
                                                          "store receipt sum of line totals)"),
        "aov_pln_by_channel": {c: round(float(g["total_pln"].mean()), 4) for c, g in orders.groupby("channel")},
        "repeat_rate": kpi(float((per_person["n"] >= 2).mean()), "customers with 2+ orders / customers"),
        "repeat_rate_multichannel": kpi(float((multi["n"] >= 2).mean()) if len(multi) else 0.0,
                                        "repeat rate of customers who ordered through 2+ of web, app, store"),
        "repeat_rate_single_channel": kpi(float((single["n"] >= 2).mean()) if len(single) else 0.0,
                                          "repeat rate of customers who ordered through one channel"),
        "multichannel_customer_share": kpi(float(len(multi) / max(len(per_person), 1)),
                                           "customers ordering through 2+ of web, app, store / customers"),
        "orders_per_customer_multichannel": kpi(float(multi["n"].mean()) if len(multi) else 0.0, "mean orders per multichannel customer"),
        "orders_per_customer_single_channel": kpi(float(single["n"].mean()) if len(single) else 0.0,
                                                  "mean orders per single-channel customer"),
        "nps": kpi(float(((nps >= 9).mean() - (nps <= 6).mean()) * 100) if len(nps) else 0.0,
                   "% promoters (9-10) - % detractors (0-6) over NPS responses"),
        "csat_avg": kpi(float(csat.mean()) if len(csat) else 0.0, "mean CSAT score (1-5) of solved tickets that have one"),
        "duplicate_coupon_recipients": kpi(int((coupons > 1).sum()),
                                           "(person, coupon) pairs where the coupon reached the person through 2+ channels"),
        "price_inconsistencies": kpi(len(r.planted["price_inconsistencies"]), "(day, sku) with a different web price"),
        "stock_mismatches": kpi(len(r.planted["stock_mismatches"]), "(snapshot, sku, store) where web shop and ERP stock differ"),
        "consent_withdrawals": kpi(int((consents["withdrawn"] < np.iinfo(np.int64).max).sum()),
                                   "consents withdrawn during the period"),
    }
