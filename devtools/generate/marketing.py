"""Consent and campaigns: who may be contacted on which channel when, and what the marketing platform sent.

Consent is a set of intervals per person, channel and purpose (granted at sign-up or enrolment, some
withdrawn later, a share of e-mail withdrawals through the unsubscribe link, which the CRM ledger
records again moments later). Campaign audiences are drawn only from people whose consent is current at
the moment each message is sent, except a handful of planted violations that the governance checks must
find. Some coupon newsletters get an SMS twin carrying the same coupon: the "same coupon through two
channels" case.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from devtools.generate.activity import DAY, HOUR, World

NEVER = np.iinfo(np.int64).max
ADS_CAMPAIGNS = ["ADS-G-BRAND", "ADS-G-SHOPPING", "ADS-M-PROSPECTING", "ADS-M-RETARGETING"]
# the CRM ledger records an unsubscribe the marketing platform passes on up to this many seconds later
CRM_SYNC_SECONDS = 300


def first_activity(world: World) -> np.ndarray:
    """Per person, the time of their first recorded activity in the period (or a random time)."""
    first = np.full(world.n, NEVER, dtype=np.int64)
    for kind in ("session", "order", "receipt"):
        frame = world.t.get(kind)
        if len(frame):
            g = frame.groupby("person")["t"].min()
            first[g.index.to_numpy()] = np.minimum(first[g.index.to_numpy()], g.to_numpy())
    missing = first == NEVER
    first[missing] = world.rng.integers(0, world.horizon, int(missing.sum()))
    return first


def build_consents(world: World) -> pd.DataFrame:
    rng, people = world.rng, world.people
    n = world.n
    joined = people["joined_at"].to_numpy().copy()
    during = people["joined_during"].to_numpy()
    joined[during] = first_activity(world)[during]
    world.consent_joined = joined  # when accounts and memberships began (used by the renderer too)
    acct, member, app = world.has_account, world.is_member, world.is_app
    rules = [
        (
            "email",
            "marketing",
            (acct & people["accepts_marketing"].to_numpy()) | (member & (rng.random(n) < 0.7)),
        ),
        ("email", "profiling", member & (rng.random(n) < 0.5)),
        ("sms", "marketing", member & (rng.random(n) < 0.45)),
        ("push", "marketing", app & (rng.random(n) < 0.55)),
    ]
    frames = []
    for channel, purpose, eligible in rules:
        p = np.flatnonzero(eligible)
        granted = joined[p]
        withdraw = rng.random(len(p)) < 0.07
        w_t = np.where(
            withdraw, np.maximum(granted, 0) + rng.integers(DAY, max(world.horizon, 2 * DAY), len(p)), NEVER
        )
        w_t = np.where(w_t >= world.horizon, NEVER, w_t)
        via_link = (channel == "email") & (purpose == "marketing") & (rng.random(len(p)) < 0.4)
        frames.append(
            pd.DataFrame(
                {
                    "person": p,
                    "channel": channel,
                    "purpose": purpose,
                    "granted": granted,
                    "withdrawn": w_t,
                    "grant_source": np.where(
                        member[p] & ~acct[p], "store", np.where(app[p] & (channel == "push"), "app", "web")
                    ),
                    "withdraw_source": np.where(
                        via_link,
                        "unsubscribe_link",
                        np.array(["web", "call_center", "store"], dtype=object)[rng.integers(0, 3, len(p))],
                    ),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def build_campaigns(world: World) -> pd.DataFrame:
    start = world.period_start.astype("datetime64[D]")
    rows = []
    for d in range(world.days):
        day = start + np.timedelta64(d, "D")
        dow = (day.astype(int) + 3) % 7
        t = d * DAY + 8 * HOUR  # 09:00/10:00 Warsaw
        week = int(d // 7) + 1
        if dow == 1 and week % 2 == 1:  # newsletter every other Tuesday
            coupon = f"NEWS{week:02d}" if week % 4 == 1 else None
            rows.append(("email", f"NL-{week:02d}", f"Newsletter {week}", t, coupon, 0.35))
            if coupon:  # the same coupon again by SMS, two days later
                rows.append(("sms", f"SMS-{week:02d}", f"SMS promo {week}", t + 2 * DAY, coupon, 0.30))
        if dow == 3 and week % 4 == 2:
            rows.append(("sms", f"SMS-{week:02d}", f"SMS flash sale {week}", t, None, 0.25))
        if dow == 5:
            rows.append(("push", f"PUSH-{week:02d}", f"Weekend offers {week}", t + 2 * HOUR, None, 0.40))
    frame = pd.DataFrame(rows, columns=["channel", "campaign_id", "name", "t", "coupon", "reach"])
    return frame


def build_messages(
    world: World, consents: pd.DataFrame, campaigns: pd.DataFrame, plant: bool = True
) -> tuple[pd.DataFrame, dict]:
    """Message events (send, delivery, open, click, bounce, unsubscribe) and what was planted (with
    `plant`: a continued day plants no consent violations)."""
    rng = world.rng
    has_email = np.ones(world.n, dtype=bool)
    planted: dict = {"duplicate_coupons": [], "consent_violations": []}
    mk = consents[consents["purpose"] == "marketing"]
    sends = []
    for camp in campaigns.itertuples():
        c = mk[mk["channel"] == camp.channel]
        active = (c["granted"].to_numpy() <= camp.t) & (c["withdrawn"].to_numpy() > camp.t)
        persons = c["person"].to_numpy()[active]
        until = c["withdrawn"].to_numpy()[active]  # one marketing consent per person and channel
        if camp.channel == "sms" and camp.coupon:
            # the SMS twin of a coupon newsletter: mostly people who got the e-mail too
            got_email = sends[-1]["person"].to_numpy() if sends else np.array([], dtype=np.int64)
            overlap = np.isin(persons, got_email)
            pick = (overlap & (rng.random(len(persons)) < 0.5)) | (
                ~overlap & (rng.random(len(persons)) < 0.2)
            )
        else:
            pick = rng.random(len(persons)) < camp.reach
        chosen, chosen_until = persons[pick], until[pick]
        if camp.channel == "email":
            chosen, chosen_until = chosen[has_email[chosen]], chosen_until[has_email[chosen]]
        t = camp.t + rng.integers(0, 40 * 60, len(chosen))
        # a campaign takes up to 40 minutes to go out: consent is checked again when each message is
        # sent, so a withdrawal in those minutes stops it (else it would be a violation nobody planted)
        sent_ok = chosen_until > t
        sends.append(
            pd.DataFrame(
                {
                    "person": chosen[sent_ok],
                    "campaign": camp.campaign_id,
                    "channel": camp.channel,
                    "t": t[sent_ok],
                    "coupon": camp.coupon,
                }
            )
        )
    # triggered messages (abandoned cart, monthly coupon): by e-mail if allowed, else push
    trig = world.t.get("trigger")
    if len(trig):
        tp, tt = trig["person"].to_numpy(), trig["t"].to_numpy()
        ok = {}
        for ch in ("email", "push"):
            c = mk[mk["channel"] == ch]
            frame = pd.DataFrame({"person": tp, "t": tt, "i": np.arange(len(tp))}).merge(c, on="person")
            good = frame[(frame["granted"] <= frame["t"]) & (frame["withdrawn"] > frame["t"])]
            ok[ch] = np.isin(np.arange(len(tp)), good["i"].to_numpy())
        kind = trig["kind"].to_numpy()
        # the monthly coupon mailing goes by e-mail only
        channel = np.where(
            ok["email"], "email", np.where(ok["push"] & (kind != "coupon_mailing"), "push", None)
        )
        m = pd.notna(channel)
        # a journey runs from its message only where the message went out (activity.py)
        visit_t = world.journeys_from_messages(channel, mk)
        sends.append(
            pd.DataFrame(
                {
                    "person": tp[m],
                    "campaign": np.where(kind[m] == "abandoned_cart", "TRG-ABANDONED-CART", "TRG-COUPON"),
                    "channel": channel[m],
                    "t": tt[m],
                    "coupon": trig["coupon"].to_numpy()[m],
                    "visit_t": visit_t[m],
                }
            )
        )
    sent = (
        pd.concat(sends, ignore_index=True)
        if sends
        else pd.DataFrame(columns=["person", "campaign", "channel", "t", "coupon"])
    )
    # planted: a few sends to people who had withdrawn their e-mail consent
    withdrawn = mk[(mk["channel"] == "email") & (mk["withdrawn"] < world.horizon - 5 * DAY)]
    if len(withdrawn) and plant:
        v = withdrawn.sample(n=min(3, len(withdrawn)), random_state=int(rng.integers(2**31)))
        extra = pd.DataFrame(
            {
                "person": v["person"].to_numpy(),
                "campaign": "NL-RESEND",
                "channel": "email",
                "t": v["withdrawn"].to_numpy() + 3 * DAY,
                "coupon": None,
            }
        )
        sent = pd.concat([sent, extra], ignore_index=True)
        planted["consent_violations"] = [
            {"person": int(r.person), "campaign_id": "NL-RESEND", "channel": "email"}
            for r in extra.itertuples()
        ]
    sent = sent.sort_values(["t", "person", "campaign"], kind="stable").reset_index(drop=True)
    sent["message"] = np.arange(len(sent))
    dup = sent[sent["coupon"].notna()].groupby(["person", "coupon"])["channel"].nunique()
    planted["duplicate_coupons"] = int((dup > 1).sum())
    # and per household: the e-mail to one parent and the SMS to the family phone are one household's
    coupons = sent[sent["coupon"].notna()]
    household = world.people["household_id"].to_numpy()[coupons["person"].to_numpy()]
    per_household = coupons.assign(household=household).groupby(["household", "coupon"])["channel"].nunique()
    planted["duplicate_coupon_households"] = int((per_household > 1).sum())

    n = len(sent)
    delivered = rng.random(n) < 0.97
    opened = delivered & np.select(
        [sent["channel"] == "email", sent["channel"] == "push"],
        [rng.random(n) < 0.28, rng.random(n) < 0.12],
        default=False,
    )
    clicked = np.where(
        sent["channel"] == "sms", delivered & (rng.random(n) < 0.04), opened & (rng.random(n) < 0.2)
    )
    t = sent["t"].to_numpy()
    t_open = t + rng.integers(5 * 60, 2 * DAY, n)
    t_click = t_open + rng.integers(10, 30 * 60, n)
    # a message someone came through was delivered, opened (where opens are tracked) and clicked just
    # before the visit it brought
    visit_t = sent["visit_t"].to_numpy(dtype=float) if "visit_t" in sent else np.full(n, np.nan)
    via = ~np.isnan(visit_t)
    delivered |= via
    opened |= via & (sent["channel"] != "sms").to_numpy()
    clicked = clicked | via
    t_click = np.where(via, np.nan_to_num(visit_t).astype(np.int64) - 30, t_click)
    t_open = np.where(via, np.maximum(t + 60, np.minimum(t_open, t_click - 60)), t_open)
    sent = sent.drop(columns="visit_t", errors="ignore")
    # each event as (row of `sent`, kind, time); the frame is assembled once, in order
    kinds = ["send", "delivery", "bounce", "open", "click", "unsubscribe"]
    events = [
        (np.arange(n), 0, t),
        (np.flatnonzero(delivered), 1, t[delivered] + rng.integers(1, 120, int(delivered.sum()))),
        (np.flatnonzero(~delivered), 2, t[~delivered] + 30),
        (np.flatnonzero(opened), 3, t_open[opened]),
        (
            np.flatnonzero(clicked),
            4,
            np.where(sent["channel"].to_numpy() == "sms", t + 600, t_click)[clicked],
        ),
    ]
    # unsubscribes through the link: at the withdrawal time, on the last e-mail received before it
    link = mk[
        (mk["channel"] == "email") & (mk["withdraw_source"] == "unsubscribe_link") & (mk["withdrawn"] < NEVER)
    ]
    em = sent[sent["channel"] == "email"][["person", "t", "message"]]
    if len(link) and len(em):
        left = link[["person", "withdrawn"]].rename(columns={"withdrawn": "t"}).sort_values("t")
        last = pd.merge_asof(
            left,
            em.sort_values("t").rename(columns={"t": "sent_t"}),
            left_on="t",
            right_on="sent_t",
            by="person",
            direction="backward",
        ).dropna(subset=["message"])
        events.append((last["message"].to_numpy().astype(np.int64), 5, last["t"].to_numpy()))
        # those without an e-mail to click in withdrew on the web instead
        no_mail = ~link["person"].isin(last["person"])
        consents.loc[link.index[no_mail.to_numpy()], "withdraw_source"] = "web"
        # the platform tells the CRM, whose ledger records the same withdrawal a few seconds to minutes
        # after the click: `withdrawn` becomes the CRM's moment (the ledger's row), the click keeps the
        # moment consent ended (audiences were checked against it)
        clicked_in = link.index[~no_mail.to_numpy()]
        consents.loc[clicked_in, "withdrawn"] += rng.integers(1, CRM_SYNC_SECONDS + 1, len(clicked_in))
    rows = np.concatenate([e[0] for e in events])  # `message` is the row of `sent`
    times = np.concatenate([e[2] for e in events]).astype(np.int64)
    kind = np.concatenate([np.full(len(e[0]), e[1]) for e in events])
    by_name = np.argsort(np.argsort(kinds))  # event types sort by name
    order = np.lexsort((np.arange(len(rows)), by_name[kind], rows, times))
    # the text columns hold a handful of values each (campaigns, channels, coupons, event types): as
    # categories the frame, the largest of the world (about 24 rows per person), is a fraction of its size
    for col in ("campaign", "channel", "coupon"):
        sent[col] = sent[col].astype("category")
    out = sent.iloc[rows[order]].reset_index(drop=True)
    out["t"] = times[order]
    out["event_type"] = pd.Categorical.from_codes(kind[order], categories=kinds)
    planted["n_messages"] = int(n)
    return out, planted
