"""Score identity stitching against the generator's answer key (`truth/`).

Reads the built warehouse (read-only) and `truth/`; the pipeline itself never reads `truth/`.

- Pairwise precision and recall: for a set of records (orders; touchpoints; all), the pairs of records
  put under one `customer_key` versus the pairs that belong to one person.
- Recall is given twice: over all records, and over *linkable* records, the fair one. Two records are
  linkable when a chain of clean values joins them: values the data carries (our extraction and
  normalisation, `int_identity__observations`) that belong to a single person in truth and are not
  planted placeholders. An oracle that knew which values are clean would link exactly those; it would
  not link a family phone, a placeholder, or a browser that never logged in.
- Over-merged clusters: customer_keys holding records of two or more people, with the values that
  bridge them classified as placeholder, shared (a family phone) or other.
- Anonymous records: records left without a customer_key, and how many of them the oracle could have
  linked to a known person.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from omni.identity.stitch import components
from omni.settings import Paths

ORDER_TYPES = ("webshop_order", "pos_sale")
PERSON_LEVEL = ("customer_id", "member_id", "loyalty_card", "email", "phone")


@dataclass(frozen=True)
class PairScore:
    records: int
    predicted_pairs: int
    true_pairs: int
    linkable_pairs: int
    correct_pairs: int
    correct_linkable_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def recall_linkable(self) -> float:
        return self.correct_linkable_pairs / self.linkable_pairs if self.linkable_pairs else 1.0

    def as_dict(self) -> dict:
        return {
            **self.__dict__,
            "precision": round(self.precision, 5),
            "recall": round(self.recall, 5),
            "recall_linkable": round(self.recall_linkable, 5),
        }


def evaluate(paths: Paths) -> dict:
    if not paths.warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {paths.warehouse}: run `omni build` first")
    if not (paths.truth / "persons.csv").exists():
        raise FileNotFoundError(f"no answer key in {paths.truth}: evaluate works on generated worlds only")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"ATTACH '{paths.warehouse}' AS wh (READ_ONLY)")
    _load_truth(con, paths.truth)
    _label_records(con)
    _oracle(con)
    _mark_shared_only(con)
    scores = {
        "orders": _pairs(con, "record_group = 'order'"),
        "touchpoints": _pairs(con, "record_group = 'touchpoint'"),
        "all_records": _pairs(con, "true"),
    }
    # the same, leaving out records whose only trace of a person is a value several people share
    # (a family phone typed at a till): no rule can tell whose they are
    separable = {
        k: _pairs(con, f"({w}) and not only_shared").as_dict()
        for k, w in (("orders", "record_group = 'order'"), ("touchpoints", "record_group = 'touchpoint'"))
    }
    result = {
        "pairwise": {k: v.as_dict() for k, v in scores.items()},
        "stages": _stages(con),
        "cases": _cases(con, paths.truth),
        "pairwise_separable": separable,
        "shared_only_records": con.execute("select count(*) from labelled where only_shared").fetchone()[0],
        "over_merged": _over_merged(con),
        "anonymous": _anonymous(con),
        "coverage": dict(
            zip(
                ("truth_records", "found_in_warehouse"),
                con.execute(
                    "select count(*), count(customer_key) + count(anonymous_id) from truth_records "
                    "left join labelled using (record_type, record_id)"
                ).fetchone(),
                strict=True,
            )
        ),
    }
    con.close()
    return result


def _stages(con: duckdb.DuckDBPyConnection) -> dict:
    """Precision and recall of each stage over all records: the deterministic profiles alone (the first
    stage), the links the probabilistic stage added (pairs of records it put together that the first
    stage had apart; recall over the true pairs the first stage left apart), and the profiles of both
    (`overall`, the customer_key)."""

    def pairs(group_by: str, where: str = "customer_key is not null") -> int:
        return int(
            con.execute(f"""
            select coalesce(sum(n * (n - 1) / 2), 0) from (
                select count(*) as n from labelled where {where} group by {group_by})
        """).fetchone()[0]
        )

    true_pairs = pairs("person_id", "true")
    det = {
        "predicted_pairs": pairs("deterministic_component"),
        "correct_pairs": pairs("deterministic_component, person_id"),
    }
    overall = {"predicted_pairs": pairs("customer_key"), "correct_pairs": pairs("customer_key, person_id")}
    added = {
        "predicted_pairs": overall["predicted_pairs"] - det["predicted_pairs"],
        "correct_pairs": overall["correct_pairs"] - det["correct_pairs"],
    }
    # the second stage's recall is over the true pairs the first stage left apart
    missed = true_pairs - det["correct_pairs"]
    out = {}
    for name, s, base in (
        ("deterministic", det, true_pairs),
        ("probabilistic", added, missed),
        ("overall", overall, true_pairs),
    ):
        out[name] = {
            **s,
            "precision": round(s["correct_pairs"] / s["predicted_pairs"], 5) if s["predicted_pairs"] else 1.0,
            "recall": round(s["correct_pairs"] / base, 5) if base else 1.0,
        }
    out["true_pairs"] = true_pairs
    return out


def _cases(con: duckdb.DuckDBPyConnection, truth: Path) -> dict:
    """Recall over the pairs of records the answer key names per case (truth/identity_cases.csv): for
    each person of a case, every pair of their records listed there, linked when one customer_key holds
    both. `fuzzy_only`: records only fuzzy evidence can link (a till enrolment without e-mail or phone
    and the web account); `name_variant`: records sharing an exact identifier, with a typo or a
    diminutive in the first name."""
    path = truth / "identity_cases.csv"
    if not path.exists():
        return {}
    rows = con.execute(f"""
        with cases as (
            select "case" as kind, person_id, record_type, record_id
            from read_csv('{path}', header = true, all_varchar = true)
        ),
        keyed as (
            select cases.kind, cases.person_id, cases.record_type, cases.record_id,
                   labelled.customer_key, labelled.deterministic_component
            from cases
            left join labelled using (record_type, record_id)
        )
        select
            a.kind,
            count(*) as pairs,
            count(*) filter (where a.customer_key = b.customer_key) as linked,
            count(*) filter (where a.deterministic_component = b.deterministic_component) as linked_deterministically,
            count(*) filter (where a.customer_key is null or b.customer_key is null) as without_customer_key
        from keyed as a
        inner join keyed as b
            on a.kind = b.kind and a.person_id = b.person_id
            and (a.record_type, a.record_id) < (b.record_type, b.record_id)
        group by a.kind
        order by a.kind
    """).fetchall()
    return {
        kind: {
            "pairs": n,
            "linked": linked,
            "linked_deterministically": det,
            "without_customer_key": missing,
            "recall": round(linked / n, 5) if n else 1.0,
        }
        for kind, n, linked, det, missing in rows
    }


def _load_truth(con: duckdb.DuckDBPyConnection, truth: Path) -> None:
    def csv(name: str) -> str:
        return f"read_csv('{truth / name}', header = true, all_varchar = true)"

    con.execute(f"""
        create table truth_records as
        select 'webshop_order' as record_type, order_id as record_id, person_id, 'order' as record_group
            from {csv("orders.csv")} where source_system = 'webshop'
        union all select 'pos_receipt', order_id, person_id, 'order' from {csv("orders.csv")} where source_system = 'pos'
        union all select 'pos_receipt', return_id, person_id, 'touchpoint' from {csv("returns.csv")} where source_system = 'pos'
        union all select 'pos_receipt', receipt_id, person_id, 'touchpoint' from {csv("pickups.csv")}
        union all select 'webshop_checkout', checkout_id, person_id, 'touchpoint' from {csv("checkouts.csv")}
        union all select 'webshop_customer', customer_id, person_id, 'account' from {csv("webshop_customers.csv")}
        union all select 'loyalty_member', member_id, person_id, 'account' from {csv("loyalty_members.csv")}
        union all select 'consent_event', consent_event_id, person_id, 'touchpoint' from {csv("consent_events.csv")}
        union all select 'marketing_message', message_id, person_id, 'touchpoint' from {csv("marketing_messages.csv")}
        union all select 'helpdesk_ticket', ticket_id, person_id, 'touchpoint' from {csv("tickets.csv")}
        union all select 'survey_response', response_id, person_id, 'touchpoint' from {csv("survey_responses.csv")}
        union all
        select 'web_session', events.session_id, mode(truth.person_id), 'touchpoint'
        from wh.staging.stg_events__events as events
        inner join {csv("events.csv")} as truth using (event_id)
        group by events.session_id
    """)
    con.execute(f"create table truth_identifiers as select * from {csv('identifiers.csv')}")
    planted = json.loads((truth / "planted.json").read_text())
    values = planted.get("placeholder_values", {})
    rows = [("email", v.strip().lower()) for v in values.get("emails", [])] + [
        ("phone", _e164(v)) for v in values.get("phones", []) + values.get("store_phones", [])
    ]
    con.execute("create table planted_placeholders (identifier_type varchar, identifier_value varchar)")
    if rows:
        con.executemany("insert into planted_placeholders values (?, ?)", rows)


def _e164(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "+" + digits if len(digits) == 11 and digits.startswith("48") else "+48" + digits[-9:]


def _label_records(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        create table labelled as
        select
            map.entity_type as record_type,
            map.entity_id as record_id,
            map.customer_key,
            map.anonymous_id,
            components.deterministic_component,
            truth.person_id,
            truth.record_group
        from wh.marts.customer_identity_map as map
        inner join truth_records as truth
            on truth.record_type = map.entity_type and truth.record_id = map.entity_id
        inner join wh.intermediate.int_identity__record_nodes as nodes
            on nodes.record_type = map.entity_type and nodes.record_id = map.entity_id
        inner join wh.intermediate.int_identity__components as components
            on components.node_id = nodes.record_node
        where map.entity_kind = 'record'
    """)


def _oracle(con: duckdb.DuckDBPyConnection) -> None:
    """Components a perfect stitcher could find: records joined by values of one true person."""
    con.execute("""
        create table obs as
        select o.record_type, o.record_id, o.identifier_type, o.identifier_value, l.person_id
        from wh.intermediate.int_identity__observations as o
        left join labelled as l using (record_type, record_id)
        where o.identifier_type <> 'first_name'
    """)
    con.execute("""
        create table clean_values as
        select identifier_type, identifier_value,
               bool_or(identifier_type in ('customer_id', 'member_id', 'loyalty_card', 'email', 'phone')) as is_person_level
        from obs
        anti join planted_placeholders using (identifier_type, identifier_value)
        group by identifier_type, identifier_value
        having count(distinct person_id) = 1
    """)
    con.execute("""
        create table oracle_nodes as
        select row_number() over (order by record_type, record_id) - 1 as node, record_type, record_id
        from labelled
    """)
    n_records = con.execute("select count(*) from oracle_nodes").fetchone()[0]
    edges = con.execute(f"""
        with v as (
            select identifier_type, identifier_value,
                   {n_records} + row_number() over (order by identifier_type, identifier_value) - 1 as node
            from clean_values
        )
        select n.node as src, v.node as dst
        from obs
        inner join v using (identifier_type, identifier_value)
        inner join oracle_nodes as n using (record_type, record_id)
    """).fetchnumpy()
    n_values = con.execute("select count(*) from clean_values").fetchone()[0]
    labels = components(n_records + n_values, edges["src"].astype(np.int64), edges["dst"].astype(np.int64))
    # a component counts as linkable only if it reaches a person-level value (else it stays anonymous)
    known = (
        con.execute(f"""
        with v as (
            select is_person_level, {n_records} + row_number() over (order by identifier_type, identifier_value) - 1 as node
            from clean_values
        )
        select node from v where is_person_level
    """)
        .fetchnumpy()["node"]
        .astype(np.int64)
    )
    known_component = np.zeros(int(labels.max()) + 1 if len(labels) else 0, dtype=bool)
    known_component[labels[known]] = True
    record_labels = labels[:n_records]
    oracle = np.where(known_component[record_labels], record_labels, -1 - np.arange(n_records))
    con.execute("create table oracle_labels (node bigint, oracle_component bigint)")
    con.register("oracle_frame", {"node": np.arange(n_records, dtype=np.int64), "oracle_component": oracle})
    con.execute("insert into oracle_labels select * from oracle_frame")
    con.execute("""
        create or replace table labelled as
        select labelled.*, oracle_labels.oracle_component
        from labelled
        inner join oracle_nodes using (record_type, record_id)
        inner join oracle_labels using (node)
    """)


def _mark_shared_only(con: duckdb.DuckDBPyConnection) -> None:
    """A record is `only_shared` when, in the group of records references join it to (an order or
    receipt reference, a cookie: values that name no person), the person-level values carried are all
    shared by several people or placeholders. A return that points at a till receipt carrying only the
    family phone says no more about whose it is than the receipt itself."""
    con.execute(f"""
        create or replace table reference_edges as
        with value_nodes as (
            select identifier_type, identifier_value,
                   (select count(*) from oracle_nodes)
                   + row_number() over (order by identifier_type, identifier_value) - 1 as node
            from (select distinct identifier_type, identifier_value from obs
                  where identifier_type not in {PERSON_LEVEL})
        )
        select n.node as src, v.node as dst
        from obs
        inner join value_nodes as v using (identifier_type, identifier_value)
        inner join oracle_nodes as n using (record_type, record_id)
    """)
    n_records = con.execute("select count(*) from oracle_nodes").fetchone()[0]
    n_values = con.execute(
        f"select count(distinct (identifier_type, identifier_value)) from obs where identifier_type not in {PERSON_LEVEL}"
    ).fetchone()[0]
    edges = con.execute("select src, dst from reference_edges").fetchnumpy()
    groups = components(n_records + n_values, edges["src"].astype(np.int64), edges["dst"].astype(np.int64))
    con.register(
        "group_frame", {"node": np.arange(n_records, dtype=np.int64), "reference_group": groups[:n_records]}
    )
    con.execute(f"""
        create or replace table labelled as
        with shared_values as (select distinct value from truth_identifiers where is_shared = 'true'),
        grouped as (
            select labelled.*, group_frame.reference_group
            from labelled
            inner join oracle_nodes using (record_type, record_id)
            inner join group_frame using (node)
        ),
        evidence as (
            select
                g.reference_group,
                bool_or(o.identifier_type in {PERSON_LEVEL}) as has_person_value,
                bool_or(o.identifier_type in {PERSON_LEVEL}
                        and o.identifier_value not in (select value from shared_values)
                        and p.identifier_value is null) as has_own_value
            from grouped as g
            inner join obs as o using (record_type, record_id)
            left join planted_placeholders as p using (identifier_type, identifier_value)
            group by all
        )
        select
            grouped.* exclude (reference_group),
            coalesce(evidence.has_person_value and not evidence.has_own_value, false) as only_shared
        from grouped
        left join evidence using (reference_group)
    """)


def _pairs(con: duckdb.DuckDBPyConnection, where: str) -> PairScore:
    def pairs(group_by: str, extra: str = "true") -> int:
        return int(
            con.execute(f"""
            select coalesce(sum(n * (n - 1) / 2), 0) from (
                select count(*) as n from labelled where ({where}) and ({extra}) group by {group_by})
        """).fetchone()[0]
        )

    return PairScore(
        records=con.execute(f"select count(*) from labelled where {where}").fetchone()[0],
        predicted_pairs=pairs("customer_key", "customer_key is not null"),
        true_pairs=pairs("person_id"),
        linkable_pairs=pairs("oracle_component"),
        correct_pairs=pairs("customer_key, person_id", "customer_key is not null"),
        correct_linkable_pairs=pairs("customer_key, oracle_component", "customer_key is not null"),
    )


def _over_merged(con: duckdb.DuckDBPyConnection) -> dict:
    con.execute("""
        create or replace table bad as
        select customer_key, count(distinct person_id) as people, count(*) as records
        from labelled where customer_key is not null
        group by customer_key having count(distinct person_id) > 1
    """)
    clusters = con.execute("select customer_key, people, records from bad").fetchall()
    # the values inside an over-merged cluster that records of several people carry
    bridges = con.execute("""
        with spans as (
            select l.customer_key, o.identifier_type, o.identifier_value
            from labelled as l
            inner join bad using (customer_key)
            inner join obs as o using (record_type, record_id)
            group by all
            having count(distinct l.person_id) > 1
        )
        select
            spans.customer_key,
            case
                when p.identifier_value is not null then 'placeholder'
                when s.value is not null then 'shared'
                else 'other'
            end as cause,
            spans.identifier_type
        from spans
        left join planted_placeholders as p using (identifier_type, identifier_value)
        left join (select distinct identifier_type, value from truth_identifiers where is_shared = 'true') as s
            on s.identifier_type = spans.identifier_type and s.value = spans.identifier_value
    """).fetchall()
    causes: dict[str, set] = {}
    for key, cause, kind in bridges:
        causes.setdefault(key, set()).add(f"{cause}:{kind}")
    only_weak = [k for k, c in causes.items() if all(x.startswith(("placeholder", "shared")) for x in c)]
    # could the data have told them apart? Only if two of the people in the cluster each carry a
    # person-level value of their own there; a household member whose only trace is the family phone
    # typed at a till cannot be separated by any rule
    separable = con.execute("""
        with shared_values as (select distinct value from truth_identifiers where is_shared = 'true'),
        own_evidence as (
            select distinct l.customer_key, l.person_id
            from labelled as l
            inner join bad using (customer_key)
            inner join obs as o using (record_type, record_id)
            where o.identifier_type in ('customer_id', 'member_id', 'loyalty_card', 'email', 'phone')
              and o.identifier_value not in (select value from shared_values)
              and not exists (select 1 from planted_placeholders as p
                              where p.identifier_type = o.identifier_type and p.identifier_value = o.identifier_value)
        )
        select count(*) from (select customer_key from own_evidence group by customer_key having count(*) > 1)
    """).fetchone()[0]
    return {
        "clusters": len(clusters),
        "records_in_them": sum(r for _, _, r in clusters),
        "through_placeholder_or_shared_only": len(only_weak),
        "separable_by_the_data": int(separable),
        "causes": sorted({c for v in causes.values() for c in v}),
    }


def _anonymous(con: duckdb.DuckDBPyConnection) -> dict:
    total, anonymous, linkable = con.execute("""
        with sizes as (select oracle_component, count(*) as n from labelled group by oracle_component)
        select
            count(*),
            count(*) filter (where customer_key is null),
            count(*) filter (where customer_key is null and oracle_component >= 0)
        from labelled inner join sizes using (oracle_component)
    """).fetchone()
    return {
        "records": total,
        "without_customer_key": anonymous,
        "of_which_linkable": linkable,
        "truly_anonymous": anonymous - linkable,
    }


def format_report(result: dict) -> str:
    lines = [
        "identity stitching against truth/",
        "",
        f"{'records':<14}{'n':>9}{'precision':>11}{'recall':>9}{'recall (linkable)':>19}",
    ]
    for name, s in result["pairwise"].items():
        lines.append(
            f"{name:<14}{s['records']:>9,}{s['precision']:>11.4f}{s['recall']:>9.4f}{s['recall_linkable']:>19.4f}"
        )
    lines.append(
        f"leaving out the {result['shared_only_records']:,} records whose only trace of a person is a shared "
        "value (a family phone at a till):"
    )
    for name, s in result["pairwise_separable"].items():
        lines.append(
            f"{name:<14}{s['records']:>9,}{s['precision']:>11.4f}{s['recall']:>9.4f}{s['recall_linkable']:>19.4f}"
        )
    st = result["stages"]
    lines += ["", f"{'stage (all records)':<22}{'pairs linked':>14}{'precision':>11}{'recall':>9}"]
    for name in ("deterministic", "probabilistic", "overall"):
        s = st[name]
        lines.append(f"{name:<22}{s['predicted_pairs']:>14,}{s['precision']:>11.4f}{s['recall']:>9.4f}")
    if result["cases"]:
        lines += ["", f"{'case (truth/identity_cases.csv)':<34}{'pairs':>7}{'linked':>8}{'recall':>9}"]
        for kind, c in result["cases"].items():
            lines.append(f"{kind:<34}{c['pairs']:>7,}{c['linked']:>8,}{c['recall']:>9.4f}")
    om = result["over_merged"]
    an = result["anonymous"]
    lines += [
        "",
        f"over-merged clusters: {om['clusters']} ({om['records_in_them']} records); "
        f"through a placeholder or shared value only: {om['through_placeholder_or_shared_only']}; "
        f"separable by the data (both people carry values of their own): {om['separable_by_the_data']}",
        f"records without customer_key: {an['without_customer_key']:,} of {an['records']:,} "
        f"({an['of_which_linkable']:,} could have been linked, {an['truly_anonymous']:,} truly anonymous)",
    ]
    return "\n".join(lines)
