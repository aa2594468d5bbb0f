"""Probabilistic matching: the second stage of identity stitching.

Deterministic stitching (omni.identity.stitch) links records that share a strong identifier. People who
share none (a loyalty member enrolled at a till with a name, a birth date and an address, who later
opened a web account with an e-mail) stay two profiles. This stage compares the records that carry a
person's particulars (web shop accounts and loyalty members) on what the channels deliver: first name
(its `name_key`: diminutives and typos resolved), last name, birth date, street, postal code, city,
e-mail and phone, with Splink (Fellegi-Sunter; the same model runs on DuckDB here and on Spark).

The model:
- priors (`PRIORS`): m and u probabilities per comparison level, documented below. They are the
  starting point of training and the model used as it is when the data is too small to train
  (fewer than `MatchSettings.min_records_to_train` records).
- training on the build's own data: u probabilities from random pairs (`estimate_u_using_random_sampling`,
  seeded), the prior probability that two records match from deterministic rules whose recall is
  assumed, m probabilities by expectation maximisation in two sessions blocked on different fields
  (each session cannot learn the fields it blocks on; the other session does).
- prediction over pairs of records that belong to different profiles, found by blocking rules on
  combinations that survive one typo (postal code with first or last name, birth date with either
  name, last name with city).

Pairs at or above `match_probability` may merge their profiles; pairs from `review_probability` up go to
review. Whether a pair merges is decided later (int_identity__components): never two profiles holding
two accounts, two memberships or two cards, and an analyst's decision wins over the model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb
import pyarrow as pa

# the columns of the records handed to `match` (int_identity__match_records)
RECORD_COLUMNS = (
    "unique_id",
    "component",
    "record_kind",
    "first_name",
    "last_name",
    "birth_date",
    "street",
    "postal_code",
    "city",
    "email_local",
    "email",
    "phone",
)
COMPARED = ("first_name", "last_name", "birth_date", "address", "email", "phone")

# m / u per level, from the strongest level to "anything else" (the null level has none). m: how often
# the level is seen for two records of one person; u: for two records of different people.
PRIORS = {
    # exact name_key (diminutives and the typos stitching recognised are exact already); Jaro-Winkler
    # >= 0.92 (a typo it did not); >= 0.8; else: a different first name is strong evidence of two people
    "first_name": ([0.90, 0.06, 0.02, 0.02], [0.02, 0.002, 0.02, 0.958]),
    # last names: the same, with term frequencies (a Nowak agrees with many Nowaks by chance)
    "last_name": ([0.88, 0.07, 0.03, 0.02], [0.002, 0.001, 0.01, 0.987]),
    # exact; one character different (a typed digit); within a month; within a year; else
    "birth_date": ([0.90, 0.05, 0.02, 0.01, 0.02], [0.00005, 0.0005, 0.0005, 0.015, 0.984]),
    # one comparison for the whole address (street, postal code and city are not independent evidence):
    # street and postal code the same; postal code the same and the street missing on a side; postal code
    # the same, the street not (a neighbour, a second address); the same city; else (moved)
    "address": ([0.70, 0.10, 0.05, 0.05, 0.10], [0.0001, 0.0005, 0.001, 0.05, 0.9484]),
    # exact; same local part (another domain); else
    "email": ([0.6, 0.2, 0.2], [0.00001, 0.0001, 0.99989]),
    "phone": ([0.7, 0.3], [0.00001, 0.99999]),
}
# the prior probability that two records picked at random belong to one person, before training; an
# estimate above MAX_MATCH_PROBABILITY (a handful of records) is not used
PRIOR_MATCH_PROBABILITY = 1e-4
MAX_MATCH_PROBABILITY = 0.5


@dataclass(frozen=True)
class MatchSettings:
    match_probability: float = 0.99
    review_probability: float = 0.80
    min_records_to_train: int = 1_000
    max_pairs_for_u: float = 2e6
    seed: int = 42
    threads: int | None = None

    def __post_init__(self) -> None:
        if not 0 < self.review_probability <= self.match_probability <= 1:
            raise ValueError(
                "identity matching needs 0 < review_probability <= match_probability <= 1, got "
                f"review {self.review_probability}, match {self.match_probability}"
            )


def _comparisons(priors: dict[str, tuple[list[float], list[float]]]):
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    comparisons = {
        "first_name": cl.JaroWinklerAtThresholds("first_name", [0.92, 0.8]),
        "last_name": cl.JaroWinklerAtThresholds("last_name", [0.92, 0.8]).configure(
            term_frequency_adjustments=True
        ),
        "birth_date": cl.DateOfBirthComparison(
            "birth_date",
            input_is_string=False,
            datetime_thresholds=[1, 1],
            datetime_metrics=["month", "year"],
        ),
        "address": cl.CustomComparison(
            output_column_name="address",
            comparison_levels=[
                cll.CustomLevel("postal_code_l is null or postal_code_r is null").configure(
                    is_null_level=True
                ),
                cll.CustomLevel(
                    "postal_code_l = postal_code_r and street_l = street_r", "same street and postal code"
                ),
                cll.CustomLevel(
                    "postal_code_l = postal_code_r and (street_l is null or street_r is null)",
                    "same postal code, street missing on a side",
                ),
                cll.CustomLevel("postal_code_l = postal_code_r", "same postal code, another street"),
                cll.CustomLevel("city_l = city_r", "same city, another postal code"),
                cll.ElseLevel(),
            ],
        ),
        "email": cl.CustomComparison(
            output_column_name="email",
            comparison_levels=[
                cll.NullLevel("email"),
                cll.ExactMatchLevel("email"),
                cll.ExactMatchLevel("email_local"),
                cll.ElseLevel(),
            ],
        ),
        "phone": cl.ExactMatch("phone"),
    }
    return [
        comparisons[name].configure(m_probabilities=priors[name][0], u_probabilities=priors[name][1])
        for name in COMPARED
    ]


# pairs worth comparing: each rule survives a typo in the fields it does not use; pairs inside one
# deterministic profile are linked already, and two accounts or two memberships are never one person
_DIFFERENT = "l.component <> r.component and l.record_kind <> r.record_kind"
PREDICTION_BLOCKS = (
    ("postal_code", "first_name"),
    ("postal_code", "last_name"),
    ("birth_date", "first_name"),
    ("birth_date", "last_name"),
    ("last_name", "city"),
)
# EM sessions: pairs with one birth date (twins aside, household members never share one) teach the
# names and the address; pairs with one first and last name teach the birth date and the address. Neither
# blocks on an address: pairs of one household would pass for one person there
TRAINING_BLOCKS = (("birth_date",), ("first_name", "last_name"))


def _block(fields: tuple[str, ...], extra: str | None = None) -> str:
    rule = " and ".join(f"l.{f} = r.{f}" for f in fields)
    return f"{rule} and {extra}" if extra else rule


def _linker(records: pa.Table, priors: dict, match_probability: float, settings: MatchSettings):
    from splink import DuckDBAPI, Linker, SettingsCreator

    # Splink warns of every level a training session could not see; the model table says what was trained
    logging.getLogger("splink").setLevel(logging.ERROR)
    con = duckdb.connect()
    if settings.threads:
        con.execute(f"set threads = {int(settings.threads)}")
    con.execute("set enable_progress_bar = false")
    con.register("match_records_arrow", records.select(list(RECORD_COLUMNS)))
    con.execute("create table match_records as select * from match_records_arrow")
    con.unregister("match_records_arrow")
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=_comparisons(priors),
        blocking_rules_to_generate_predictions=[_block(b, _DIFFERENT) for b in PREDICTION_BLOCKS],
        probability_two_random_records_match=match_probability,
        # needed for the comparison levels (gamma_*); `predict` drops the values themselves
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(DuckDBAPI(connection=con).register("match_records"), creator, log_level=logging.ERROR)
    return con, linker


def train(records: pa.Table, settings: MatchSettings | None = None) -> pa.Table:
    """The model for `records` (columns RECORD_COLUMNS): the priors, trained on the records when there
    are enough of them. The prior probability that two records match is always estimated from the data
    (it depends on how many records there are, not on the kind of retailer). One row per comparison
    level (see `parameters`)."""
    settings = settings or MatchSettings()
    con, linker = _linker(records, PRIORS, PRIOR_MATCH_PROBABILITY, settings)
    n = records.num_rows
    notes = [_estimate_match_probability(linker)]
    trained = n >= settings.min_records_to_train
    if trained:
        notes.append(_train(linker, settings))
    else:
        notes.append(f"{n} records, fewer than {settings.min_records_to_train}: m and u are the priors")
    table = parameters(linker, trained=trained, notes="; ".join(n for n in notes if n), records=n)
    con.close()
    return table


def _estimate_match_probability(linker) -> str:
    """Splink's estimate from rules whose recall is assumed: the same name and birth date, the same
    e-mail, the same phone. With no such pair in the data the prior stays."""
    try:
        linker.training.estimate_probability_two_random_records_match(
            [
                "l.first_name = r.first_name and l.last_name = r.last_name and l.birth_date = r.birth_date",
                "l.email = r.email",
                "l.phone = r.phone",
            ],
            recall=0.8,
        )
    except Exception as exc:  # no pair meets the rules (a handful of records)
        return f"prior match probability kept ({type(exc).__name__})"
    settings_obj = linker._settings_obj  # Splink keeps the estimate here (training.py sets it so)
    estimate = settings_obj._probability_two_random_records_match
    if not 0 < estimate <= MAX_MATCH_PROBABILITY:
        # a handful of records where most pairs meet the rules: not an estimate of anything
        settings_obj._probability_two_random_records_match = PRIOR_MATCH_PROBABILITY
        return f"prior match probability kept (the estimate {estimate:.3g} is not plausible)"
    return ""


def predict(records: pa.Table, model: pa.Table, settings: MatchSettings | None = None) -> pa.Table:
    """Pairs of `records` at or above `review_probability` under `model` (a table of `train`)."""
    settings = settings or MatchSettings()
    rows = model.to_pylist()
    priors = {
        name: (
            [r["m_probability"] for r in rows if r["comparison"] == name],
            [r["u_probability"] for r in rows if r["comparison"] == name],
        )
        for name in COMPARED
    }
    prior = rows[0]["probability_two_random_records_match"]
    if not prior or not 0 < prior <= MAX_MATCH_PROBABILITY:
        prior = PRIOR_MATCH_PROBABILITY
    con, linker = _linker(records, priors, prior, settings)
    predictions = linker.inference.predict(threshold_match_probability=settings.review_probability)
    # the pair, its score and the level each field reached: no personal value leaves this function
    kept = ["unique_id_l", "unique_id_r", "match_probability", "match_weight"] + [
        f"gamma_{c}" for c in COMPARED
    ]
    pairs = (
        predictions.as_duckdbpyrelation().project(", ".join(kept)).order("unique_id_l, unique_id_r").arrow()
    )
    if isinstance(pairs, pa.RecordBatchReader):
        pairs = pairs.read_all()
    con.close()
    return pairs


def _train(linker, settings: MatchSettings) -> str:
    from splink import block_on

    notes = []
    linker.training.estimate_u_using_random_sampling(max_pairs=settings.max_pairs_for_u, seed=settings.seed)
    for fields in TRAINING_BLOCKS:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*fields), estimate_without_term_frequencies=True
            )
        except Exception as exc:  # an EM session that finds no pairs keeps the priors of its fields
            notes.append(f"EM blocked on {', '.join(fields)} did not run ({type(exc).__name__}: {exc})")
    return "; ".join(notes) or "u by random sampling, m by EM in 2 sessions"


def parameters(linker, *, trained: bool, notes: str, records: int) -> pa.Table:
    """The model as a table: one row per comparison level (the null level has no parameters) with
    its m, u and Bayes factor, in the order of COMPARED and of the levels."""
    model = linker.misc.save_model_to_json()
    lam = model.get("probability_two_random_records_match")
    rows = []
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [x for x in comparison["comparison_levels"] if not x.get("is_null_level")]
        for i, level in enumerate(levels):
            m, u = level.get("m_probability"), level.get("u_probability")
            rows.append(
                {
                    "comparison": name,
                    "level": i,
                    # Splink's comparison vector value of the level in the pairs (gamma_<comparison>)
                    "gamma": len(levels) - 1 - i,
                    "level_label": level.get("label_for_charts"),
                    "sql_condition": level.get("sql_condition"),
                    "m_probability": m,
                    "u_probability": u,
                    "bayes_factor": (m / u) if m and u else None,
                    "probability_two_random_records_match": lam,
                    "trained": trained,
                    "records": records,
                    "notes": notes,
                }
            )
    return pa.Table.from_pylist(rows)


@dataclass(frozen=True)
class Merged:
    component: dict[int, int]  # deterministic component -> final component (only those that changed)
    probability: dict[int, float]  # deterministic component -> probability of the link that joined it
    refused: list[tuple[int, int, str]]  # (component a, component b, why) of links not merged


def merge_profiles(
    links: list[tuple[int, int, float | None]],
    exclusive: dict[int, dict[str, set[str]]],
    cannot_link: list[tuple[int, int]] = (),
) -> Merged:
    """Merge deterministic profiles along accepted links, strongest first (an analyst's acceptance,
    probability None, before any model score; then by probability).

    A link is refused when the merged profile would hold two different values of a type in `exclusive`
    (component -> type -> values: two accounts, two memberships, two cards), or would put together two
    profiles an analyst said are different people (`cannot_link`). Deterministic: the same links give
    the same profiles. The final component of a group is its smallest deterministic component.
    """
    parent: dict[int, int] = {}
    members: dict[int, set[int]] = {}
    held: dict[int, dict[str, set[str]]] = {}
    apart: dict[int, set[int]] = {}
    for a, b in cannot_link:
        apart.setdefault(a, set()).add(b)
        apart.setdefault(b, set()).add(a)

    def find(x: int) -> int:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    probability: dict[int, float] = {}
    refused: list[tuple[int, int, str]] = []
    order = sorted(links, key=lambda link: (link[2] is not None, -(link[2] or 0.0), link[0], link[1]))
    for a, b, p in order:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        group_a, group_b = members.get(ra, {ra}), members.get(rb, {rb})
        values_a, values_b = held.get(ra, exclusive.get(ra, {})), held.get(rb, exclusive.get(rb, {}))
        clash = sorted(t for t in values_a.keys() & values_b.keys() if len(values_a[t] | values_b[t]) > 1)
        if clash:
            refused.append((a, b, f"the profile would hold two {clash[0]} values"))
            continue
        if any(apart.get(c, set()) & group_b for c in group_a):
            refused.append((a, b, "an analyst rejected a link between these profiles"))
            continue
        root, other = (ra, rb) if ra < rb else (rb, ra)
        parent[other] = root
        for c in members.get(other, {other}):
            probability.setdefault(c, p if p is not None else 1.0)
        members[root] = group_a | group_b
        merged = {t: set(v) for t, v in values_a.items()}
        for t, v in values_b.items():
            merged.setdefault(t, set()).update(v)
        held[root] = merged
        members.pop(other, None)
        held.pop(other, None)
    component = {c: root for root, group in members.items() for c in group if c != root}
    return Merged(component=component, probability=probability, refused=refused)
