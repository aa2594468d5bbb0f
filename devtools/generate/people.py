"""The people of the demo world: who they are, how they shop, and the identifiers they carry.

Everything is an array over people (vectorised); identifiers are made unique by construction so that
two strangers only share a value where the world says so (a family phone, a placeholder).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from devtools.generate.reference import (
    CITIES,
    DIMINUTIVES,
    EMAIL_DOMAINS,
    FEMALE_FIRST,
    HOME_STREETS,
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
            # households share their address: the postal code of the household's head
            "postal_code": pd.Series(np.array([c[2] for c in CITIES], dtype=object)[city])
            + "-"
            + pd.Series(rng.integers(100, 999, n)[household]).astype(str),
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


# --- the people identity matching finds hard ---------------------------------------------------------

# shares of the planted identity cases (truth/identity_cases.csv, docs/truth.md)
FUZZY_ONLY_SHARE = 0.08  # of people with a web account and a loyalty membership: enrolled at a till
NAME_VARIANT_SHARE = 0.06  # of the same: account under a diminutive or a typo, e-mail shared
FAMILY_CARD_SHARE = 0.15  # of households with two or more loyalty members: one card, two members
TWO_ADDRESSES_SHARE = 0.05  # of web shoppers with home deliveries: some parcels go to a second address
WEB_BIRTH_DATE_SHARE = 0.5  # web accounts that hold a birthday
# letters a typo puts in a name (lower case: typos land after the capital)
TYPO_LETTERS = "aąbcćdeęfghijklłmnńoóprsśtuwyzźż"


def pick_share(rng: np.random.Generator, candidates: np.ndarray, share: float) -> np.ndarray:
    """About `share` of `candidates` (at least one when there are any), without replacement, sorted."""
    if len(candidates) == 0:
        return candidates
    k = max(1, round(share * len(candidates)))
    return np.sort(rng.choice(candidates, size=k, replace=False))


def name_typo(rng: np.random.Generator, name: str) -> str:
    """One slip of the keyboard after the first letter: a letter dropped, doubled, swapped with the
    next one or replaced by another."""
    for _ in range(20):
        chars = list(name)
        kind = int(rng.integers(0, 4)) if len(chars) >= 3 else 1
        i = int(rng.integers(1, len(chars)))
        if kind == 0:
            del chars[i]
        elif kind == 1:
            chars.insert(i, chars[i])
        elif kind == 2:
            j = min(i, len(chars) - 2)
            chars[j], chars[j + 1] = chars[j + 1], chars[j]
        else:
            chars[i] = TYPO_LETTERS[int(rng.integers(0, len(TYPO_LETTERS)))]
        out = "".join(chars)
        if out != name:
            return out
    return name + name[-1]


def street_addresses(
    prefix: np.ndarray, street: np.ndarray, house: np.ndarray, flat: np.ndarray
) -> np.ndarray:
    """`ul. Kwiatowa 12/3`: prefix, street name, house number and, where there is one (> 0), the flat."""
    text = (
        pd.Series(prefix, dtype=object)
        + " "
        + pd.Series(street, dtype=object)
        + " "
        + pd.Series(house).astype(str)
        + pd.Series(np.where(flat > 0, "/" + pd.Series(flat).astype(str), ""), dtype=object)
    )
    return text.to_numpy(dtype=object)


def add_identity_traits(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    """What record linkage without a shared identifier needs, and the people it finds hard.

    Adds per person: a street address (one per household, as the postal code and city), a full birth
    date, a second address (work, family; used for some parcels of a few web shoppers), whether the web
    account holds the birthday, the names as the loyalty record and the web account spell them, and
    the planted cases (truth/identity_cases.csv):
    - `is_fuzzy_only`: enrolled at a till with no e-mail and no phone, name often mistyped: only the
      name, birth date and address tie the membership to the web account;
    - `is_name_variant`: the web account under a diminutive (Kasia for Katarzyna) or a one-letter typo
      of the member's first name, the e-mail shared by both records;
    - `family_card_of`: the person whose loyalty card this member's record carries (a family card), or -1.
    Drawn from a stream of its own: the rest of the world is unchanged by it."""
    n = len(people)
    idx = np.arange(n)
    household = pd.factorize(people["household_id"])[0]
    n_households = int(household.max()) + 1 if n else 0
    prefixes = np.array([p for p, _ in HOME_STREETS], dtype=object)
    names = np.array([s for _, s in HOME_STREETS], dtype=object)

    def addresses(k: int) -> np.ndarray:
        street = rng.integers(0, len(HOME_STREETS), k)
        house = np.minimum(1 + rng.geometric(1 / 25, k), 250)
        flat = np.where(rng.random(k) < 0.55, rng.integers(1, 90, k), 0)
        return street_addresses(prefixes[street], names[street], house, flat)

    home = addresses(n_households)[household]
    # a second address: at work in the same city, or at family's elsewhere
    city_w = np.array([c[1] for c in CITIES], dtype=float)
    elsewhere = rng.random(n) < 0.5
    other_city = np.where(
        elsewhere, rng.choice(len(CITIES), size=n, p=city_w / city_w.sum()), people["city_index"]
    )
    second = addresses(n)
    second_postal = (
        pd.Series(np.array([c[2] for c in CITIES], dtype=object)[other_city])
        + "-"
        + pd.Series(rng.integers(100, 999, n)).astype(str)
    ).to_numpy(dtype=object)
    birth_date = (
        people["birth_year"].astype(str)
        + "-"
        + pd.Series(1 + idx % 12).astype(str).str.zfill(2)
        + "-"
        + pd.Series(1 + idx % 28).astype(str).str.zfill(2)
    ).to_numpy(dtype=object)
    has_account = people["has_account"].to_numpy()
    is_member = people["is_member"].to_numpy()
    web_birth_date = has_account & (rng.random(n) < WEB_BIRTH_DATE_SHARE)
    street_missing = rng.random(n) < 0.04

    # family cards: in some households two members, one card (the first member's)
    card = people["card_number"].to_numpy().copy()
    family_card_of = np.full(n, -1, dtype=np.int64)
    members = np.flatnonzero(is_member)
    counts = np.bincount(household[members], minlength=n_households)
    chosen = pick_share(rng, np.flatnonzero(counts >= 2), FAMILY_CARD_SHARE)
    if len(chosen):
        first_at = np.searchsorted(household[members], chosen)  # members are in household order
        first, second_member = members[first_at], members[first_at + 1]
        family_card_of[second_member] = first
        card[second_member] = card[first]
    in_family_card = np.zeros(n, dtype=bool)
    in_family_card[family_card_of[family_card_of >= 0]] = True
    in_family_card[family_card_of >= 0] = True

    both = has_account & is_member & ~in_family_card
    fuzzy = np.zeros(n, dtype=bool)
    fuzzy[pick_share(rng, np.flatnonzero(both), FUZZY_ONLY_SHARE)] = True
    variant = np.zeros(n, dtype=bool)
    variant[pick_share(rng, np.flatnonzero(both & ~fuzzy), NAME_VARIANT_SHARE)] = True

    first_name = people["first_name"].to_numpy(dtype=object)
    last_name = people["last_name"].to_numpy(dtype=object)
    member_first, member_last = first_name.copy(), last_name.copy()
    for i in np.flatnonzero(fuzzy):
        # typed at the till: a typo in a good part of them, Polish letters dropped by some tills
        if rng.random() < 0.6:
            if rng.random() < 0.5:
                member_first[i] = name_typo(rng, member_first[i])
            else:
                member_last[i] = name_typo(rng, member_last[i])
        if rng.random() < 0.35:
            member_first[i], member_last[i] = ascii_fold(member_first[i]), ascii_fold(member_last[i])
    street_missing[fuzzy] = rng.random(int(fuzzy.sum())) < 0.2
    web_first = first_name.copy()
    for i in np.flatnonzero(variant):
        forms = DIMINUTIVES.get(first_name[i], ())
        if forms and rng.random() < 0.8:
            web_first[i] = forms[int(rng.integers(0, len(forms)))]
        else:
            web_first[i] = name_typo(rng, first_name[i])
    return people.assign(
        street_address=home,
        birth_date=birth_date,
        web_birth_date=web_birth_date,
        member_first_name=member_first,
        member_last_name=member_last,
        member_street_missing=street_missing,
        web_first_name=web_first,
        second_street_address=second,
        second_postal_code=second_postal,
        second_city=np.array([c[0] for c in CITIES], dtype=object)[other_city],
        card_number=np.where(is_member, card, None),
        family_card_of=family_card_of,
        is_fuzzy_only=fuzzy,
        is_name_variant=variant,
    )


def messy_streets(rng: np.random.Generator, streets, p_messy: float) -> pd.Series:
    """Render street addresses as people and clerks type them: capitals, no `ul.`, `ulica` written
    out, ` m. 3` for the flat."""
    s = _text(streets)
    n = len(s)
    r = rng.random(n)
    messy = rng.random(n) < p_messy
    spelled = s
    for short, long in (("ul.", "ulica"), ("al.", "Aleja"), ("pl.", "plac"), ("os.", "osiedle")):
        spelled = pc.replace_substring_regex(spelled, "^" + short.replace(".", "\\.") + " ", long + " ")
    kind = np.select(
        [messy & (r < 0.25), messy & (r < 0.6), messy & (r < 0.75), messy], [1, 2, 3, 4], default=0
    )
    out = pc.choose(
        pa.array(kind.astype(np.int8)),
        s,
        pc.utf8_upper(s),
        pc.replace_substring_regex(s, r"^(ul|al|pl|os)\. ", ""),
        spelled,
        pc.replace_substring_regex(s, r"/(\d+)$", r" m. \1"),
    )
    return _series(out)


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
