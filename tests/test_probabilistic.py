"""The probabilistic stage of identity stitching (omni.identity.probabilistic) on its own: the merge rules,
and the Splink model on people who do not look like the demo world's (English names, five-digit zip codes,
typos of their own kind), with the truth known."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from omni.identity.probabilistic import RECORD_COLUMNS, MatchSettings, merge_profiles, predict, train

# --- merging profiles along links -----------------------------------------------------------------


def test_a_link_never_puts_two_accounts_in_one_profile():
    exclusive = {1: {"customer_id": {"100"}}, 2: {"member_id": {"M1"}}, 3: {"customer_id": {"200"}}}
    merged = merge_profiles([(1, 2, 0.999), (2, 3, 0.995)], exclusive)
    assert merged.component == {2: 1}  # 2 joins 1; 3 would bring a second account into it
    assert merged.refused == [(2, 3, "the profile would hold two customer_id values")]
    assert merged.probability == {2: 0.999}


def test_the_same_value_on_both_sides_is_no_clash():
    exclusive = {1: {"loyalty_card": {"C"}}, 2: {"loyalty_card": {"C"}}}
    assert merge_profiles([(1, 2, 0.99)], exclusive).component == {2: 1}


def test_stronger_links_merge_first_and_an_analysts_acceptance_before_any_score():
    exclusive = {1: {"customer_id": {"A"}}, 2: {"customer_id": {"B"}}, 3: {}}
    # 3 could join either account: the stronger link wins, the weaker is refused
    merged = merge_profiles([(2, 3, 0.991), (1, 3, 0.999)], exclusive)
    assert merged.component == {3: 1}
    assert [r[:2] for r in merged.refused] == [(2, 3)]
    # an analyst's acceptance (probability None) outranks the model
    merged = merge_profiles([(2, 3, None), (1, 3, 0.999)], exclusive)
    assert merged.component == {3: 2}
    assert merged.probability == {3: 1.0}


def test_an_analysts_rejection_holds_through_other_links():
    # 1-2 rejected; 1-3 and 3-2 both match: the second merge would put 1 and 2 together
    merged = merge_profiles([(1, 3, 0.999), (2, 3, 0.998)], {}, cannot_link=[(1, 2)])
    assert merged.component == {3: 1}
    assert merged.refused == [(2, 3, "an analyst rejected a link between these profiles")]


def test_merging_is_independent_of_the_order_links_arrive_in():
    links = [(5, 6, 0.995), (1, 5, 0.999), (6, 9, 0.995), (2, 9, 0.993)]
    exclusive = {1: {"member_id": {"M1"}}, 2: {"member_id": {"M2"}}}
    first = merge_profiles(links, exclusive)
    assert merge_profiles(links[::-1], exclusive) == first
    assert first.component == {5: 1, 6: 1, 9: 1}


# --- the model on foreign-shaped people ------------------------------------------------------------

FIRST = [
    "james",
    "mary",
    "robert",
    "patricia",
    "john",
    "jennifer",
    "michael",
    "linda",
    "david",
    "elizabeth",
    "william",
    "barbara",
    "richard",
    "susan",
    "joseph",
    "jessica",
    "thomas",
    "sarah",
    "charles",
    "karen",
    "christopher",
    "lisa",
    "daniel",
    "nancy",
    "matthew",
    "betty",
    "anthony",
    "sandra",
    "mark",
    "margaret",
    "donald",
    "ashley",
    "steven",
    "kimberly",
    "paul",
    "emily",
    "andrew",
    "donna",
    "joshua",
    "michelle",
    "kenneth",
    "carol",
    "kevin",
    "amanda",
    "brian",
    "melissa",
    "george",
    "deborah",
    "timothy",
    "stephanie",
    "ronald",
    "rebecca",
    "edward",
    "sharon",
    "jason",
    "laura",
    "jeffrey",
    "cynthia",
    "ryan",
    "kathleen",
    "jacob",
    "amy",
    "gary",
    "angela",
    "nicholas",
    "shirley",
    "eric",
    "anna",
]
LAST = [
    "smith",
    "johnson",
    "williams",
    "brown",
    "jones",
    "garcia",
    "miller",
    "davis",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "wilson",
    "anderson",
    "thomas",
    "taylor",
    "moore",
    "jackson",
    "martin",
    "lee",
    "perez",
    "thompson",
    "white",
    "harris",
    "sanchez",
    "clark",
    "ramirez",
    "lewis",
    "robinson",
    "walker",
    "young",
    "allen",
    "king",
    "wright",
    "scott",
    "torres",
    "nguyen",
    "hill",
    "flores",
    "green",
    "adams",
    "nelson",
    "baker",
    "hall",
    "rivera",
    "campbell",
    "mitchell",
    "carter",
    "roberts",
    "gomez",
    "phillips",
    "evans",
    "turner",
    "diaz",
    "parker",
    "cruz",
    "edwards",
    "collins",
    "reyes",
    "stewart",
    "morris",
    "morales",
    "murphy",
    "cook",
    "rogers",
    "gutierrez",
    "ortiz",
    "morgan",
    "cooper",
    "peterson",
    "bailey",
    "reed",
    "kelly",
    "howard",
    "ramos",
    "kim",
    "cox",
    "ward",
    "richardson",
    "watson",
    "brooks",
    "chavez",
    "wood",
    "james",
    "bennett",
    "gray",
    "mendoza",
    "ruiz",
    "hughes",
    "price",
    "alvarez",
    "castillo",
    "sanders",
    "patel",
    "myers",
    "long",
    "ross",
    "foster",
    "jimenez",
]
STREETS = [
    "main",
    "oak",
    "pine",
    "maple",
    "cedar",
    "elm",
    "washington",
    "lake",
    "hill",
    "park",
    "view",
    "sunset",
    "river",
    "spring",
    "church",
    "north",
    "south",
]


def _typo(rng: np.random.Generator, word: str) -> str:
    i = int(rng.integers(1, max(2, len(word) - 1)))
    kind = rng.integers(0, 3)
    if kind == 0:  # a dropped letter
        return word[:i] + word[i + 1 :]
    if kind == 1:  # two letters swapped
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :] if i < len(word) else word + "e"
    return word[:i] + "xyz"[int(rng.integers(0, 3))] + word[i + 1 :]  # a wrong letter


def foreign_people(seed: int, n: int = 1500) -> tuple[pa.Table, set[tuple[str, str]]]:
    """n people; each has a web account (e-mail, name, zip, street) and a third of them also a store
    membership with no e-mail or phone, a birth date, and a typo in a name for a third of those. Returns
    the records and the true pairs (account, membership)."""
    rng = np.random.default_rng(seed)
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n)
    zips = np.char.zfill(rng.integers(10_000, 10_400, n).astype(str), 5)  # a few hundred zips: many share
    city = np.array(["springfield", "riverton", "fairview", "madison"])[rng.integers(0, 4, n)]
    street = np.char.add(np.char.add(rng.integers(1, 999, n).astype(str), " "), rng.choice(STREETS, n))
    born = [dt.date(1950, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 20_000, n)]
    has_birth_on_web = rng.random(n) < 0.5
    rows, truth = [], set()
    for i in range(n):
        rows.append(
            {
                "unique_id": f"account:{i}",
                "component": i,
                "record_kind": "account",
                "first_name": first[i],
                "last_name": last[i],
                "birth_date": born[i] if has_birth_on_web[i] else None,
                "street": street[i],
                "postal_code": zips[i],
                "city": city[i],
                "email_local": f"{first[i]}.{last[i]}{i}",
                "email": f"{first[i]}.{last[i]}{i}@mail.example",
                "phone": f"+1555{i:07d}",
            }
        )
        if rng.random() < 1 / 3:
            f, la = first[i], last[i]
            if rng.random() < 1 / 3:
                if rng.random() < 0.5:
                    f = _typo(rng, f)
                else:
                    la = _typo(rng, la)
            rows.append(
                {
                    "unique_id": f"member:{i}",
                    "component": n + i,
                    "record_kind": "membership",
                    "first_name": f,
                    "last_name": la,
                    "birth_date": born[i],
                    "street": street[i] if rng.random() < 0.8 else None,
                    "postal_code": zips[i],
                    "city": city[i],
                    "email_local": None,
                    "email": None,
                    "phone": None,
                }
            )
            truth.add((f"account:{i}", f"member:{i}"))
    table = pa.Table.from_pylist(rows).select(list(RECORD_COLUMNS))
    return table, truth


@pytest.mark.parametrize("seed", [3, 11])
def test_the_model_links_people_who_share_no_identifier(seed):
    records, truth = foreign_people(seed)
    settings = MatchSettings(min_records_to_train=1000)
    model = train(records, settings)
    assert all(model["trained"].to_pylist())
    pairs = predict(records, model, settings).to_pylist()
    found = {
        tuple(sorted((p["unique_id_l"], p["unique_id_r"])))
        for p in pairs
        if p["match_probability"] >= settings.match_probability
    }
    correct = found & truth
    precision, recall = len(correct) / len(found), len(correct) / len(truth)
    assert precision >= 0.99, (precision, sorted(found - truth)[:5])
    assert recall >= 0.85, recall
    # nothing inside one profile, nothing between two accounts, and no personal value in the pairs
    kinds = {r["unique_id"]: r["record_kind"] for r in records.to_pylist()}
    assert all(kinds[p["unique_id_l"]] != kinds[p["unique_id_r"]] for p in pairs)
    assert not {c for c in pa.Table.from_pylist(pairs).column_names if c.endswith(("_l", "_r"))} - {
        "unique_id_l",
        "unique_id_r",
    }


def test_too_few_records_use_the_documented_priors():
    records, _ = foreign_people(5, n=60)
    model = train(records, MatchSettings(min_records_to_train=1000))
    assert not any(model["trained"].to_pylist())
    assert "fewer than 1000" in model["notes"][0].as_py()
    # the priors alone still link an exact name, birth date and address
    pairs = predict(records, model, MatchSettings())
    assert pairs.num_rows > 0


def test_a_retailer_with_no_people_to_compare_still_builds_the_stage():
    """No web shop accounts and no loyalty members (a till-only retailer without a programme): the model
    is the priors and there are no pairs, without an error."""
    records, _ = foreign_people(1, n=3)
    empty = records.slice(0, 0)
    model = train(empty)
    assert not any(model["trained"].to_pylist())
    pairs = predict(empty, model)
    assert pairs.num_rows == 0
    assert "match_probability" in pairs.column_names


def test_a_handful_of_records_does_not_break_the_prior():
    """Two records that meet the deterministic rules are the only pair: Splink's estimate of the prior
    match probability is above 1 there. The prior is kept and prediction runs (a small retailer's first
    build)."""
    records, _ = foreign_people(2, n=6)
    member = [r for r in records.to_pylist() if r["record_kind"] == "membership"][:1]
    account = [
        r
        for r in records.to_pylist()
        if r["unique_id"] == member[0]["unique_id"].replace("member", "account")
    ]
    pair = pa.Table.from_pylist(
        [{**account[0], "birth_date": member[0]["birth_date"]}, {**member[0], "email": account[0]["email"]}]
    ).select(list(RECORD_COLUMNS))
    model = train(pair)
    prior = model["probability_two_random_records_match"][0].as_py()
    assert 0 < prior <= 0.5
    assert predict(pair, model).num_rows == 1
