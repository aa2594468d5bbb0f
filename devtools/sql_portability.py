"""Count the DuckDB-only SQL constructs of the dbt project, per kind and per model.

The warehouse runs on DuckDB; this script measures how far its SQL is from running on another engine
(Spark, Postgres, Snowflake). It scans the SQL of dbt/models/**/*.sql and of the macros (macros named
`duckdb__*` are the DuckDB implementations of dispatched macros, so they are not counted), and the
contract `data_type` values of dbt/models/**/*.yml.

    .venv/bin/python devtools/sql_portability.py            # a table and the totals
    .venv/bin/python devtools/sql_portability.py --json     # the same figures as JSON

`scan()` returns the figures for tests.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"

_I = re.IGNORECASE
# kind -> pattern of one occurrence in SQL (comments removed)
KINDS: dict[str, re.Pattern[str]] = {
    "filter_where": re.compile(r"\bfilter\s*\(\s*where\b", _I),
    "md5_surrogate_key": re.compile(r"\bmd5\s*\(", _I),
    "arg_min_max": re.compile(r"\barg_(?:min|max)(?:_null)?\s*\(", _I),
    "list_functions": re.compile(r"(?<!\{\{ )\blist(?:_\w+)?\s*\(|\barray_agg\s*\(", _I),
    "list_comprehension": re.compile(r"\[[^\[\]]*\bfor\s+\w+\s+in\b", _I),
    "timezone": re.compile(r"\btimezone\s*\(", _I),
    "date_diff_part": re.compile(r"(?<!\.)\bdate_?diff\s*\(\s*'", _I),
    "strftime_strptime": re.compile(r"\bstr[fp]time\s*\(", _I),
    "double_colon_cast": re.compile(r"::"),
    "regexp_duckdb": re.compile(
        r"\bregexp_(?:matches|full_match|extract_all|split_to_array)\s*\(|,\s*'g'\s*\)|\bsimilar\s+to\b", _I
    ),
    "string_agg": re.compile(r"\bstring_agg\s*\(", _I),
    "select_exclude": re.compile(r"\bexclude\s*\(", _I),
    "group_by_all": re.compile(r"\bgroup\s+by\s+all\b", _I),
    "qualify": re.compile(r"\bqualify\b", _I),
    "union_by_name": re.compile(r"\bunion\s+(?:all\s+)?by\s+name\b", _I),
    "generate_series_unnest": re.compile(r"\b(?:generate_series|unnest)\s*\(", _I),
    "try_cast": re.compile(r"\btry_cast\s*\(", _I),
    "interval_functions": re.compile(r"\b(?:to_(?:days|hours|minutes|seconds)|epoch(?:_ms)?)\s*\(", _I),
    "other_duckdb_functions": re.compile(r"\b(?:strip_accents|struct_pack|starts_with|contains)\s*\(", _I),
}

# contract types every target engine we aim at spells the same (Spark, Postgres, Snowflake, DuckDB)
PORTABLE_TYPES = re.compile(
    r"^(?:string|bigint|integer|int|smallint|double|float|boolean|date|timestamp|decimal\(\d+,\s*\d+\))$", _I
)

_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_LINE_COMMENT = re.compile(r"--[^\n]*")
_MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(.*?\{%-?\s*endmacro\s*-?%\}", re.S)


def _strip_comments(sql: str) -> str:
    return _LINE_COMMENT.sub("", _JINJA_COMMENT.sub("", sql))


def count_constructs(sql: str) -> Counter[str]:
    """Occurrences of each DuckDB-only kind in a piece of SQL."""
    text = _strip_comments(sql)
    return Counter({kind: n for kind, pattern in KINDS.items() if (n := len(pattern.findall(text)))})


def _macro_sql(sql: str) -> str:
    """The macros of a macro file minus the `duckdb__*` implementations."""
    text = _strip_comments(sql)
    return _MACRO.sub(lambda m: "" if m.group(1).startswith("duckdb__") else m.group(0), text)


@dataclass
class Report:
    models: dict[str, Counter[str]] = field(default_factory=dict)  # every SQL model, even clean ones
    macros: dict[str, Counter[str]] = field(default_factory=dict)  # macro files with constructs
    contract_types: Counter[str] = field(default_factory=Counter)  # non-portable data_type -> columns
    contract_models: Counter[str] = field(default_factory=Counter)  # model -> non-portable columns

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.models.values():
            total.update(counts)
        return total

    def as_dict(self) -> dict:
        totals = self.totals()
        return {
            "models": {name: dict(c) for name, c in sorted(self.models.items()) if c},
            "macros": {name: dict(c) for name, c in sorted(self.macros.items()) if c},
            "totals_by_kind": dict(sorted(totals.items())),
            "constructs": sum(totals.values()),
            "models_with_constructs": sum(1 for c in self.models.values() if c),
            "model_count": len(self.models),
            "macro_constructs": sum(sum(c.values()) for c in self.macros.values()),
            "contract_types_not_portable": dict(self.contract_types.most_common()),
            "contract_types_not_portable_total": sum(self.contract_types.values()),
            "contract_models": dict(sorted(self.contract_models.items())),
        }


def scan(dbt_dir: Path = DBT_DIR) -> Report:
    report = Report()
    for path in sorted((dbt_dir / "models").rglob("*.sql")):
        report.models[path.stem] = count_constructs(path.read_text())
    for path in sorted((dbt_dir / "macros").rglob("*.sql")):
        counts = count_constructs(_macro_sql(path.read_text()))
        if counts:
            report.macros[str(path.relative_to(dbt_dir))] = counts
    for path in sorted((dbt_dir / "models").rglob("*.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for model in doc.get("models") or []:
            for column in model.get("columns") or []:
                data_type = str(column.get("data_type") or "").strip()
                # a type spelled per engine ({{ ... if target.type == 'spark' else ... }}) is portable
                per_engine = "target.type" in data_type
                if data_type and not per_engine and not PORTABLE_TYPES.match(data_type.replace(" ", "")):
                    report.contract_types[data_type.lower()] += 1
                    report.contract_models[model["name"]] += 1
    return report


def render(report: Report) -> str:
    kinds = [k for k in KINDS if report.totals()[k] or any(c[k] for c in report.macros.values())]
    short = {k: k[:10] for k in kinds}
    lines = []
    header = f"{'model':<50}" + "".join(f"{short[k]:>11}" for k in kinds) + f"{'total':>7}"
    lines.append(header)
    lines.append("-" * len(header))
    for name, counts in sorted(report.models.items()):
        if counts:
            cells = "".join(f"{counts[k] or '':>11}" for k in kinds)
            lines.append(f"{name:<50}{cells}{sum(counts.values()):>7}")
    for name, counts in sorted(report.macros.items()):
        cells = "".join(f"{counts[k] or '':>11}" for k in kinds)
        lines.append(f"{name:<50}{cells}{sum(counts.values()):>7}")
    lines.append("")
    lines.append("kind totals (models):")
    totals = report.totals()
    for k in KINDS:
        lines.append(f"  {k:<26}{totals[k]:>5}")
    d = report.as_dict()
    lines.append("")
    lines.append("contract data_type values not portable:")
    for t, n in report.contract_types.most_common():
        lines.append(f"  {t:<26}{n:>5}")
    lines.append("")
    lines.append(
        f"{d['constructs']} constructs in {d['models_with_constructs']} of {d['model_count']} models"
        f" (+ {d['macro_constructs']} in macros)"
    )
    lines.append(f"{d['contract_types_not_portable_total']} contract types not portable")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--dbt-dir", type=Path, default=DBT_DIR, help="the dbt project (default: dbt/)")
    args = parser.parse_args(argv)
    report = scan(args.dbt_dir)
    print(json.dumps(report.as_dict(), indent=2) if args.json else render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
