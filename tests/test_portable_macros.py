"""The portable macros (dbt/macros/portable.sql, columns.sql) on each engine: every trap where DuckDB and Spark
differ, checked against the truth computed in Python, on DuckDB always and on a local Spark session when
the Spark extra and Java are there (docs/scale-out.md, "What differs").

The macros are rendered as dbt renders them for each engine (omni/dbt_macros.py, with dbt's own
cross-database macros of the installed adapters), then run on inline rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import duckdb
import pytest

from omni.dbt_macros import MacroError, render_macros
from omni.settings import DBT_PROJECT_DIR
from omni.text import damerau_levenshtein

MACRO_FILES = [DBT_PROJECT_DIR / "macros" / "portable.sql", DBT_PROJECT_DIR / "macros" / "columns.sql"]
UTC = dt.UTC


@dataclass(frozen=True)
class Case:
    """`sql(m, h)`: a query from the macros `m` of an engine and its helpers `h`; `expected`: its rows, in
    order (queries order their rows)."""

    name: str
    sql: Callable[[dict, dict], str]
    expected: list[tuple]


def _values(rows: str, columns: str) -> str:
    """Inline rows both engines read."""
    return f"(values {rows}) as t({columns})"


def _later_instant(zone: str, wall_clock: dt.datetime) -> int:
    """Microseconds since the epoch of the wall clock read in `zone`: of an hour that occurs twice, the later
    instant (fold=1); of an hour skipped, in the offset before the change (fold=0 of a time that does not
    exist)."""
    zone_info = ZoneInfo(zone)
    later = wall_clock.replace(tzinfo=zone_info, fold=1)
    exists = later.astimezone(UTC).astimezone(zone_info).replace(tzinfo=None) == wall_clock
    local = later if exists else wall_clock.replace(tzinfo=zone_info, fold=0)
    return round(local.timestamp() * 1_000_000)


def _micros(instant: dt.datetime) -> int:
    return round(instant.timestamp() * 1_000_000)


def _round_like_duckdb(value: float) -> Decimal:
    """A double to the cent by its exact binary value, half away from zero (what DuckDB's cast does)."""
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _stable_id(*values: str | None) -> int:
    text = ":".join("<null>" if v is None else v for v in values)
    return int(hashlib.md5(text.encode()).hexdigest()[:15], 16)


def _without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


WARSAW = "Europe/Warsaw"
# Lord Howe Island sets its clocks back by half an hour
LORD_HOWE = "Australia/Lord_Howe"
WALL_CLOCKS = [
    (WARSAW, dt.datetime(2026, 10, 25, 2, 30)),  # occurs twice: 00:30 and 01:30 UTC
    (WARSAW, dt.datetime(2026, 10, 25, 1, 59)),  # before the overlap
    (WARSAW, dt.datetime(2026, 10, 25, 3, 0)),  # after it
    (WARSAW, dt.datetime(2026, 3, 29, 2, 30)),  # skipped when the clock goes forward
    (WARSAW, dt.datetime(2026, 7, 1, 12, 0)),  # summer
    (LORD_HOWE, dt.datetime(2026, 4, 5, 1, 45)),  # occurs twice, 30 minutes apart
    ("UTC", dt.datetime(2026, 1, 1, 0, 0)),
]
AMOUNTS = [31.485, 2.675, 1.005, 0.125, -0.125, -2.675, 0.0, 12345.6749, 1e-9, 99.995]
ACCENTED = ["Zażółć gęślą jaźń", "Ångström Ærø", "São Tomé", "Øresund Ǆ", "ĳsselmeer ŉ", "plain"]

CASES = [
    # regular expressions: Spark's regexp_replace takes a 4th argument as a position ('g' gives null) and
    # groups as $1; a backslash in a literal is itself on both (spark.sql.parser.escapedStringLiterals)
    Case(
        "regex_replace_all",
        lambda m, h: (
            "select "
            + ", ".join(
                [
                    m["regex_replace_all"]("'a-b--c'", "-", ""),
                    m["regex_replace_all"]("'a1b22c333'", r"\d+", "#"),
                    m["regex_replace_all"]("'2026-12-06'", "([0-9]{4})-([0-9]{2})-([0-9]{2})", r"\3.\2.\1"),
                    m["regex_replace_all"]("cast(null as string)", "a", "b"),
                ]
            )
        ),
        [("abc", "a#b#c#", "06.12.2026", None)],
    ),
    Case(
        "regex_replace_first",
        lambda m, h: (
            "select "
            + m["regex_replace_first"]("'  x  '", r"^\s+", "")
            + ", "
            + m["regex_replace_first"]("'007'", "^0+", "")
        ),
        [("x  ", "7")],
    ),
    Case(
        "regex_matches and regex_full_match",
        lambda m, h: (
            "select "
            + ", ".join(
                [
                    m["regex_matches"]("'abc123'", "'[0-9]+'"),
                    m["regex_matches"]("'abc'", "'[0-9]'"),
                    m["regex_full_match"]("'abc123'", "[a-z]+"),
                    m["regex_full_match"]("'abc123'", "[a-z]+[0-9]+"),
                    m["regex_full_match"]("'a|b'", "a|b"),
                    m["regex_matches"]("'a.b@x.pl'", r"'^[^@\s]+@[^@\s]+\.[a-z]{2,}$'"),
                ]
            )
        ),
        [(True, False, False, True, False, True)],
    ),
    # ordered aggregates: Spark has none (and dbt's listagg drops ORDER BY there); nulls sort last in
    # either direction, as DuckDB's default
    Case(
        "first_ordered, last_ordered",
        lambda m, h: (
            "select g, "
            + ", ".join(
                [
                    m["first_ordered"]("v", "k"),
                    m["last_ordered"]("v", "k"),
                    m["first_ordered"]("v", "k desc"),
                    m["first_ordered"]("v", "k nulls first"),
                    m["first_ordered"]("v", "k2, k desc"),
                ]
            )
            + " from "
            + _values(
                "(1, 'a', 2, 1), (1, 'b', 1, 1), (1, 'c', null, 0), (1, null, 3, 1), (2, 'z', null, 0)",
                "g, v, k, k2",
            )
            + " group by g order by g"
        ),
        [(1, "b", "c", None, "c", "c"), (2, "z", "z", "z", "z", "z")],
    ),
    Case(
        "string_agg_ordered",
        lambda m, h: (
            "select g, "
            + m["string_agg_ordered"]("v", " > ", "k desc")
            + ", "
            + m["string_agg_ordered"]("v", ",", "v", distinct=True)
            + " from "
            + _values("(1, 'b', 1), (1, 'a', 2), (1, null, 3), (1, 'b', 0), (2, null, 1)", "g, v, k")
            + " group by g order by g"
        ),
        [(1, "a > b > b", "a,b"), (2, None, None)],
    ),
    Case(
        "aggregate_list",
        lambda m, h: (
            "select g, "
            + m["aggregate_list"]("v", order_by="k desc")
            + ", "
            + m["aggregate_list"]("v", order_by="v", distinct=True)
            + ", "
            + m["aggregate_list"]("v", order_by="k", where="k > 1")
            + " from "
            + _values("(1, 'b', 1), (1, 'a', 2), (1, 'c', 3), (1, 'a', 4)", "g, v, k")
            + " group by g"
        ),
        [(1, ["a", "c", "a", "b"], ["a", "b", "c"], ["a", "c", "a"])],
    ),
    Case(
        "first_by, last_by",
        lambda m, h: (
            "select "
            + ", ".join(
                [
                    m["first_by"]("v", "k"),
                    m["last_by"]("v", "k"),
                    m["first_by"]("v", ["k2", "k"]),
                    m["last_by"]("v", ["k2", "k"]),
                ]
            )
            + " from "
            + _values("('a', 2, 1), ('b', 1, 2), (null, 0, 0), ('d', 9, 0), ('e', null, 5)", "v, k, k2")
        ),
        [("b", "d", "d", "e")],
    ),
    # time zones: a wall clock of the hour a clock is set back is read at its later instant on both
    Case(
        "instant_of_wall_clock",
        lambda m, h: (
            " union all ".join(
                f"select {i}, "
                + h["micros"](
                    m["instant_of_wall_clock"](zone, f"cast('{clock:%Y-%m-%d %H:%M:%S}' as timestamp)")
                )
                for i, (zone, clock) in enumerate(WALL_CLOCKS)
            )
            + " order by 1"
        ),
        [(i, _later_instant(zone, clock)) for i, (zone, clock) in enumerate(WALL_CLOCKS)],
    ),
    Case(
        "wall_clock_at",
        lambda m, h: (
            " union all ".join(
                f"select {i}, cast({m['wall_clock_at'](zone, h['instant'](f'{instant:%Y-%m-%d %H:%M:%S}+00:00'))} as string)"
                for i, (zone, instant) in enumerate(
                    [
                        (WARSAW, dt.datetime(2026, 10, 25, 0, 30)),
                        (WARSAW, dt.datetime(2026, 10, 25, 1, 30)),
                        (WARSAW, dt.datetime(2026, 3, 29, 1, 0)),
                        (LORD_HOWE, dt.datetime(2026, 4, 4, 14, 50)),
                    ]
                )
            )
            + " order by 1"
        ),
        [
            (0, "2026-10-25 02:30:00"),
            (1, "2026-10-25 02:30:00"),
            (2, "2026-03-29 03:00:00"),
            (3, "2026-04-05 01:50:00"),
        ],
    ),
    Case(
        "date_difference across a change of the clock",
        lambda m, h: (
            "select "
            + ", ".join(
                m["date_difference"](
                    part, h["instant"]("2026-10-24 23:00:00+00:00"), h["instant"]("2026-10-25 23:00:00+00:00")
                )
                for part in ["second", "hour", "day"]
            )
        ),
        [(86_400, 24, 1)],
    ),
    Case(
        "iso_day_of_week, intervals",
        lambda m, h: (
            "select "
            + ", ".join(
                [
                    m["iso_day_of_week"]("cast('2026-12-06' as date)"),
                    m["iso_day_of_week"]("cast('2026-12-07' as date)"),
                    "cast(cast('2026-01-31' as date) + " + m["interval_months"]("1") + " as date)",
                    "cast(cast('2026-02-27' as date) + " + m["interval_days"]("2") + " as date)",
                ]
            )
        ),
        [(7, 1, dt.date(2026, 2, 28), dt.date(2026, 3, 1))],
    ),
    # lists: no list literals on Spark, nulls left out of joins (arrays are 1-based in element_at on Spark:
    # first_ordered / last_ordered above)
    Case(
        "lists",
        lambda m, h: (
            "select "
            + ", ".join(
                [
                    m["join_list"](m["array_of"](["'a'", "null", "'c'"]), "-"),
                    m["count_parts"]("'a,b,,c'", ","),
                    m["count_distinct_with"](m["array_of"](["'a'", "'b'", "'a'"]), "'c'"),
                    m["count_distinct_with"]("cast(null as " + m["string_array_type"]() + ")", "'c'"),
                    m["count_distinct_with"](m["array_of"](["'a'"]), "null"),
                    m["list_length"](m["array_of"](["1", "2", "3"])),
                    m["series"]("1", "7", "3"),
                ]
            )
        ),
        [
            (
                "a-c",
                4,
                3,
                1,
                1,
                3,
                [1, 4, 7],
            )
        ],
    ),
    Case(
        "unnest_list",
        lambda m, h: (
            "select g, "
            + m["unnest_list"]("l")
            + " as item from (select 1 as g, "
            + m["array_of"](["'x'", "'y'"])
            + " as l union all select 2, cast(null as "
            + m["string_array_type"]()
            + ") union all select 3, cast("
            + m["array_of"]([])
            + " as "
            + m["string_array_type"]()
            + ")) as t order by g, item"
        ),
        [(1, "x"), (1, "y")],
    ),
    # a series of days holds timestamps on DuckDB, dates on Spark: models cast the items
    Case(
        "series of days",
        lambda m, h: (
            "select cast(day as date) from (select "
            + m["unnest_list"](
                m["series"](
                    "cast('2026-02-27' as date)", "cast('2026-03-01' as date)", m["interval_days"]("1")
                )
            )
            + " as day) as days order by 1"
        ),
        [(dt.date(2026, 2, 27),), (dt.date(2026, 2, 28),), (dt.date(2026, 3, 1),)],
    ),
    # keys: the same node ids on both (md5-based), a null column as '<null>'
    Case(
        "stable_id, surrogate_key",
        lambda m, h: (
            "select "
            + m["stable_id"](["'email'", "'ala@x.pl'"])
            + ", "
            + m["stable_id"](["'a'", "null"])
            + ", "
            + m["surrogate_key"](["'a'", "1"])
            + ", "
            + m["surrogate_key"](["'a'", "null"])
        ),
        [
            (
                _stable_id("email", "ala@x.pl"),
                _stable_id("a", None),
                hashlib.md5(b"a:1").hexdigest(),
                None,
            )
        ],
    ),
    # money: Spark's round goes by the shortest decimal spelling (31.485 -> 31.49), DuckDB's cast by the
    # double's binary value (31.48)
    Case(
        "pln",
        lambda m, h: (
            " union all ".join(
                f"select {i}, {m['pln'](f'cast({value!r} as double)')}" for i, value in enumerate(AMOUNTS)
            )
            + f" union all select 100, {m['pln']('cast(31.485 as decimal(10, 3))')} order by 1"
        ),
        [(i, _round_like_duckdb(value)) for i, value in enumerate(AMOUNTS)] + [(100, Decimal("31.49"))],
    ),
    Case(
        "remove_accents",
        lambda m, h: (
            " union all ".join(
                f"select {i}, {m['remove_accents'](repr(text))}" for i, text in enumerate(ACCENTED)
            )
            + " order by 1"
        ),
        [(i, _without_accents(text)) for i, text in enumerate(ACCENTED)],
    ),
    Case(
        "edit_distance",
        lambda m, h: (
            "select "
            + ", ".join(
                m["edit_distance"](repr(a), repr(b))
                for a, b in [("kowalski", "kowlaski"), ("anna", "hanna"), ("ca", "abc"), ("", "abc")]
            )
        ),
        [
            tuple(
                damerau_levenshtein(a, b)
                for a, b in [("kowalski", "kowlaski"), ("anna", "hanna"), ("ca", "abc"), ("", "abc")]
            )
        ],
    ),
    # a bad cast: null with try_cast on both (dbt-spark turns ANSI mode off, DuckDB's cast would fail)
    Case(
        "try_cast",
        lambda m, h: "select try_cast('12a' as integer), try_cast('12' as integer)",
        [(None, 12)],
    ),
]


def _rows(rows: list) -> list[tuple]:
    return [tuple(list(v) if isinstance(v, list | tuple) else v for v in row) for row in rows]


class _Engine:
    def __init__(self, name: str, run: Callable[[str], list[tuple]], helpers: dict, session=None) -> None:
        self.name = name
        self.run = run
        self.session = session
        self.macros = render_macros(name, MACRO_FILES)
        self.helpers = {
            **helpers,
            # `text` (ISO, with an offset) as an instant
            "instant": lambda text: f"cast('{text}' as {self.macros['instant_type']().strip()})",
        }

    def query(self, case: Case) -> list[tuple]:
        sql = case.sql(self.macros, self.helpers)
        try:
            return _rows(self.run(sql))
        except Exception as err:  # the SQL in the failure, for whoever reads it
            raise AssertionError(f"{case.name} on {self.name} failed: {err}\n{sql}") from err


@pytest.fixture(scope="module")
def duckdb_engine():
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    yield _Engine(
        "duckdb", lambda sql: con.execute(sql).fetchall(), {"micros": lambda e: f"epoch_us({e})"}, session=con
    )
    con.close()


@pytest.fixture(scope="module")
def spark_engine(tmp_path_factory):
    from tests.test_spark import _spark_missing

    missing = _spark_missing()
    if missing:
        pytest.skip(missing)
    from pyspark.sql import SparkSession

    from omni.settings import Paths
    from omni.spark import register_text_functions, spark_conf

    paths = Paths.from_env(tmp_path_factory.mktemp("spark_macros") / "data")
    builder = SparkSession.builder.master("local[1]").appName("portable-macros")
    for key, value in spark_conf(paths).items():
        if key.startswith("spark.sql.") or key.startswith("spark.ui."):
            builder = builder.config(key, value)
    # as dbt-spark runs every statement of the warehouse
    spark = builder.config("spark.sql.ansi.enabled", "false").getOrCreate()
    register_text_functions(spark)
    yield _Engine(
        "spark",
        lambda sql: [tuple(row) for row in spark.sql(sql).collect()],
        {"micros": lambda e: f"unix_micros({e})"},
        session=spark,
    )
    spark.stop()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_on_duckdb(case, duckdb_engine):
    assert duckdb_engine.query(case) == case.expected


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_on_spark(case, spark_engine):
    assert spark_engine.query(case) == case.expected


def test_an_unanchored_first_replacement_is_refused_where_it_would_replace_every_match():
    spark = render_macros("spark", MACRO_FILES)
    with pytest.raises(MacroError, match="must be anchored"):
        spark["regex_replace_first"]("v", "a", "b")
    assert render_macros("duckdb", MACRO_FILES)["regex_replace_first"]("v", "a", "b").strip() == (
        "regexp_replace(v, 'a', 'b')"
    )


# --- the relation API the Python models use (omni/spark_relations.py) ----------------------------------------
ORDERS = "(1, 'a', 10.5), (2, 'b', null), (3, 'a', 0.25), (4, null, 7.0)"
CUSTOMERS = "(1, 'x', 'PL'), (2, 'y', 'DE'), (3, 'x', 'PL'), (5, 'z', 'CZ')"


def _relation_answers(session) -> dict:
    """What each relation method the models call gives, on a session of either engine (DuckDB's connection,
    or SessionRelations over Spark)."""
    orders = session.sql(f"select * from {_values(ORDERS, 'k, g, v')}")
    customers = session.sql(f"select * from {_values(CUSTOMERS, 'k, segment, country')}")
    return {
        "columns": orders.columns,
        "project": orders.project("k, v * 2 as double_v").order("k").fetchall(),
        "filter": orders.filter("v > 1").order("k desc").fetchall(),
        "distinct": orders.project("g").distinct().order("g nulls first").fetchall(),
        "join on a column": orders.join(customers.project("k, segment"), "k")
        .project("k, g, segment")
        .order("k")
        .fetchall(),
        "join on two columns": customers.join(
            session.sql(f"select k, country, segment as s from {_values(CUSTOMERS, 'k, segment, country')}"),
            "k, country",
        )
        .project("k, s")
        .order("k")
        .fetchall(),
        "left join": orders.join(customers.project("k, country"), "k", how="left")
        .project("k, country")
        .order("k")
        .fetchall(),
        "arrow": orders.order("k").fetch_arrow_table().to_pylist(),
        "pandas": orders.order("k").df()["g"].tolist(),
    }


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_the_python_models_relations_answer_on_spark_as_on_duckdb(duckdb_engine, spark_engine):
    from omni.spark_relations import SessionRelations

    on_duckdb = _relation_answers(duckdb_engine.session)
    assert on_duckdb["join on a column"] == [(1, "a", "x"), (2, "b", "y"), (3, "a", "x")]
    assert on_duckdb["left join"] == [(1, "PL"), (2, "DE"), (3, "PL"), (4, None)]
    spark = SessionRelations(spark_engine.session, omni_batch=7)
    assert _relation_answers(spark) == on_duckdb
    # a statement with parameters, as models record their runs
    spark.execute("create table relation_runs (batch bigint, mode string) using parquet")
    spark.execute("insert into relation_runs values (?, ?)", [7, "full"])
    assert spark.sql("select * from relation_runs").fetchall() == [(7, "full")]
