"""The people of the demo world: who they are, how they shop, and the identifiers they carry.

Everything is an array over people (vectorised); identifiers are made unique by construction so that
two strangers only share a value where the world says so (a family phone, a placeholder).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from omni.generate.reference import (
    CITIES,
    EMAIL_DOMAINS,
    FEMALE_FIRST,
    LAST_NAMES,
    MALE_FIRST,
    Reference,
    ascii_fold,
    ean13_check_digit,
)

SEGMENTS = np.array(["store_only", "online_only", "omni", "browser"])
SEGMENT_SHARE = np.array([0.30, 0.25, 0.35, 0.10])
# per segment: P(web shop account), P(app user), P(loyalty member), purchase journeys a year (mean)
SEGMENT_TRAITS = {
    "store_only": (0.05, 0.05, 0.55, 3.0),
    "online_only": (0.90, 0.30, 0.10, 2.6),
    "omni": (0.80, 0.45, 0.70, 4.2),
    "browser": (0.30, 0.20, 0.10, 0.4),
}


def hex_ids(rng: np.random.Generator, n: int, width: int = 16) -> pd.Series:
    values = rng.integers(0, 2**62, n, dtype=np.int64)
    return pd.Series(values).map(lambda v: f"{v:0{width}x}"[-width:])


def unique_mobiles(
    rng: np.random.Generator, n: int, lo: int = 500_000_000, hi: int = 800_000_000
) -> np.ndarray:
    """n distinct 9-digit Polish mobile numbers drawn from [lo, hi)."""
    phones = rng.integers(lo, hi, n, dtype=np.int64)
    for _ in range(20):
        _, first = np.unique(phones, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        phones[dup] = rng.integers(lo, hi, int(dup.sum()), dtype=np.int64)
    return phones


def build_people(rng: np.random.Generator, n: int, ref: Reference) -> pd.DataFrame:
    idx = np.arange(n)
    female = rng.random(n) < 0.52
    first_m = rng.integers(0, len(MALE_FIRST), n)
    first_f = rng.integers(0, len(FEMALE_FIRST), n)
    last_i = rng.integers(0, len(LAST_NAMES), n)
    first = np.where(
        female, np.array(FEMALE_FIRST, dtype=object)[first_f], np.array(MALE_FIRST, dtype=object)[first_m]
    )
    last = np.where(
        female,
        np.array([f for _, f in LAST_NAMES], dtype=object)[last_i],
        np.array([m for m, _ in LAST_NAMES], dtype=object)[last_i],
    )

    # households of 1-4; about half of the multi-person ones share one phone number
    sizes = rng.choice([1, 1, 1, 1, 2, 2, 3, 4], size=n)
    household = np.repeat(np.arange(n), sizes)[:n]
    # households live in one city
    city_of_household = rng.choice(len(CITIES), size=n, p=ref.city_weights)
    city = city_of_household[household]
    seg_i = rng.choice(4, size=n, p=SEGMENT_SHARE)
    segment = SEGMENTS[seg_i]
    traits = np.array([SEGMENT_TRAITS[s] for s in SEGMENTS])
    p_account, p_app, p_member, rate = (traits[seg_i, k] for k in range(4))
    has_account = rng.random(n) < p_account
    is_app_user = rng.random(n) < p_app
    is_member = rng.random(n) < p_member
    # a buying rate per person (gamma around the segment mean): a few heavy buyers, many light ones
    purchase_rate = rate * rng.gamma(1.6, 1 / 1.6, n)

    fold = pd.Series(first).map(ascii_fold).str.lower()
    lfold = pd.Series(last).map(ascii_fold).str.lower()
    style = rng.integers(0, 3, n)
    number = pd.Series(idx + 11).astype(str)
    local = np.select(
        [style == 0, style == 1],
        [fold + "." + lfold + number, fold + lfold + number],
        default=fold.str[0] + "." + lfold + number,
    )
    domain = np.array(EMAIL_DOMAINS, dtype=object)[rng.integers(0, len(EMAIL_DOMAINS), n)]
    email = pd.Series(local) + "@" + pd.Series(domain)
    # a second address for some (an old work or alias mailbox)
    has_email2 = rng.random(n) < 0.10
    email2 = (
        fold
        + "_"
        + lfold
        + "."
        + number
        + "@"
        + pd.Series(np.array(["wp.pl", "onet.pl", "poczta.fm"], dtype=object)[rng.integers(0, 3, n)])
    ).where(has_email2, None)

    phone = unique_mobiles(rng, n)
    household_head = np.r_[0, np.flatnonzero(np.diff(household)) + 1]
    head_of = household_head[np.searchsorted(household_head, idx, side="right") - 1]
    multi = np.bincount(household)[household] > 1
    shares = multi & (rng.random(n) < 0.5) & (rng.random(n)[household] < 0.6)
    family_phone = np.where(shares, phone[head_of], phone)
    is_shared_phone = shares | (multi & np.isin(idx, head_of[shares]))
    # some people change their number during the period
    changes_phone = rng.random(n) < 0.04
    new_phone = unique_mobiles(rng, n, 800_000_000, 900_000_000)  # a range of its own: no clash with `phone`

    stores = ref.stores
    store_city = stores["city_index"].to_numpy()
    # home store: a store in the person's city if there is one, else a random one
    home_store = np.empty(n, dtype=object)
    store_ids = stores["store_id"].to_numpy()
    for ci in np.unique(city):
        mask = city == ci
        candidates = store_ids[store_city == ci]
        if len(candidates) == 0:
            candidates = store_ids
        home_store[mask] = candidates[rng.integers(0, len(candidates), int(mask.sum()))]

    customer_id = np.where(has_account, 100_000 + np.cumsum(has_account), -1)
    member_no = np.where(is_member, np.cumsum(is_member), -1)
    first12 = 299_000_000_000 + np.maximum(member_no, 0) * 7
    card = first12 * 10 + ean13_check_digit(first12)
    # when accounts and memberships began: most before the period (seconds before its start, < 0),
    # the rest during it (the activity model sets those at the person's first activity)
    joined_during = rng.random(n) < 0.3
    joined_at = -rng.integers(30, 1500, n) * 86400 + rng.integers(0, 86400, n)
    return pd.DataFrame(
        {
            "person_id": pd.Series(idx + 1).map(lambda i: f"P{i:07d}"),
            "first_name": first,
            "last_name": last,
            "gender": np.where(female, "F", "M"),
            "birth_year": rng.integers(1950, 2007, n),
            "city_index": city,
            "city": np.array([c[0] for c in CITIES], dtype=object)[city],
            "postal_code": pd.Series(np.array([c[2] for c in CITIES], dtype=object)[city])
            + "-"
            + pd.Series(rng.integers(100, 999, n)).astype(str),
            "household_id": pd.Series(household + 1).map(lambda i: f"H{i:07d}"),
            "segment": segment,
            "has_account": has_account,
            "is_app_user": is_app_user,
            "is_member": is_member,
            "purchase_rate": purchase_rate,
            "email": email,
            "email2": email2,
            "phone": phone,
            "family_phone": family_phone,
            "is_shared_phone": is_shared_phone,
            "changes_phone": changes_phone,
            "new_phone": new_phone,
            "home_store": home_store,
            "customer_id": customer_id,
            "member_id": np.where(is_member, pd.Series(member_no).map(lambda i: f"M{i:07d}"), None),
            "card_number": np.where(is_member, pd.Series(card).astype(str), None),
            "joined_at": joined_at,
            "joined_during": joined_during,
            "accepts_marketing": rng.random(n) < 0.6,
        }
    )


# --- messy renderings of identifiers --------------------------------------------------------------


def _text(values) -> pa.Array:
    """Text as Arrow (pandas' missing values become nulls)."""
    if isinstance(values, pa.Array):
        return values
    series = pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values
    return pa.array(series.astype("string"), pa.string())


def _series(values: pa.Array) -> pd.Series:
    """Arrow text as a pandas string Series (missing values are <NA>)."""
    return pd.Series(pd.array(values, dtype="string"))


def messy_emails(rng: np.random.Generator, emails: pd.Series, p_messy: float) -> pd.Series:
    """Render e-mails as people type them: capitals, stray spaces, Gmail dots and +tags."""
    e = _text(emails)
    n = len(e)
    r = rng.random(n)
    messy = rng.random(n) < p_messy
    parts = pc.extract_regex(e, r"^(?P<local>[^@]*)@(?P<domain>[^@]*)")
    local, domain = parts.field("local"), parts.field("domain")
    gmail = pc.fill_null(pc.equal(domain, "gmail.com"), False).to_numpy(zero_copy_only=False)
    caps = pc.binary_join_element_wise(pc.utf8_title(local), pc.utf8_title(domain), "@")
    caps = pc.binary_join_element_wise(caps, " ", "")
    nodots = pc.binary_join_element_wise(pc.replace_substring(local, ".", ""), domain, "@")
    tagged = pc.binary_join_element_wise(local, domain, "+promo@")
    # which rendering each row gets: 0 as it is, 1 caps, 2 no dots, 3 tagged, 4 upper, 5 leading space
    kind = np.select(
        [
            messy & (r < 0.35),
            messy & (r >= 0.35) & (r < 0.55) & gmail,
            messy & (r >= 0.55) & (r < 0.75) & gmail,
            messy & (r >= 0.75) & (r < 0.85),
            messy & (r >= 0.85),
        ],
        [1, 2, 3, 4, 5],
        default=0,
    )
    out = pc.choose(
        pa.array(kind.astype(np.int8)),
        e,
        caps,
        nodots,
        tagged,
        pc.utf8_upper(e),
        pc.binary_join_element_wise(" ", e, ""),
    )
    return _series(pc.if_else(pc.is_null(e), pa.nulls(n, pa.string()), out))


PHONE_FORMATS = 6


def _phone_text(phones: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """National numbers as text, and which are real (positive, not missing)."""
    values = pd.to_numeric(pd.Series(phones, dtype=object), errors="coerce").to_numpy(dtype=float)
    valid = ~np.isnan(values) & (values > 0)
    text = pa.array(np.where(valid, values, 0).astype(np.int64)).cast(pa.string())
    return text, valid


def messy_phones(rng: np.random.Generator, phones: np.ndarray) -> pd.Series:
    """Render 9-digit national numbers in the formats tills, forms and agents produce."""
    s, valid = _phone_text(phones)
    a, b, c = (pc.utf8_slice_codeunits(s, i, i + 3) for i in (0, 3, 6))
    fmt = rng.integers(0, PHONE_FORMATS, len(s))
    spaced = pc.binary_join_element_wise(a, b, c, " ")
    out = pc.choose(
        pa.array(fmt.astype(np.int8)),
        pc.binary_join_element_wise("+48 ", spaced, ""),
        pc.binary_join_element_wise(a, b, c, "-"),
        pc.binary_join_element_wise("0048", s, ""),
        s,
        pc.binary_join_element_wise("(+48) ", spaced, ""),
        pc.binary_join_element_wise("+48", s, ""),
    )
    return _series(pc.if_else(pa.array(valid), out, pa.nulls(len(s), pa.string())))


def e164(phones: np.ndarray) -> pd.Series:
    s, valid = _phone_text(phones)
    return _series(
        pc.if_else(pa.array(valid), pc.binary_join_element_wise("+48", s, ""), pa.nulls(len(s), pa.string()))
    )
