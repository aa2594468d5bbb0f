"""Landing contracts: what a source's files must hold, and the SQL that types and checks them.

A contract describes one raw table: where its files are, their format, every column with its type and
whether it is required, and row rules. `docs/landing.md` is the human-readable side of the same
contracts; `tests/test_ingestion.py` keeps the two in step.

Reading is done by DuckDB over every value as text, then cast with TRY_CAST: a value that does not
parse never fails a load, it puts its row in quarantine with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# contract type -> DuckDB type of the raw column
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMPTZ",  # ISO 8601 in UTC
    "local_timestamp": "TIMESTAMP",  # wall-clock time of a store, no offset
    "date": "DATE",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    required: bool = False
    path: str | None = None  # JSON: dotted path inside the record (default: the name)

    def __post_init__(self) -> None:
        if self.type not in DUCKDB_TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")

    @property
    def json_path(self) -> tuple[str, ...]:
        return tuple((self.path or self.name).split("."))


@dataclass(frozen=True)
class Table:
    """One raw table fed by a family of landing files."""

    name: str
    glob: str  # relative to landing/<source>/
    format: str  # csv | jsonl | json
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    description: str = ""
    # json documents: the key holding the record list, e.g. {"orders": [...]}
    root: str | None = None
    # json child tables: the list inside each parent record, and (child column, parent field) keys
    child_list: str | None = None
    parent_key: tuple[str, str] | None = None
    # csv dialect
    delimiter: str = ","
    decimal_comma: bool = False
    # rules on typed columns: (reason, SQL condition that must hold) for a rule on the row, or
    # (reason, condition, column) for a rule on one column's value (`one_of`): a broken rule on an
    # optional column only NULLs that value (and records a finding), on a required one it quarantines
    checks: tuple[tuple[str, str] | tuple[str, str, str], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.format not in ("csv", "jsonl", "json"):
            raise ValueError(f"table {self.name}: unknown format {self.format!r}")
        names = [c.name for c in self.columns]
        missing = [k for k in self.primary_key if k not in names]
        if missing:
            raise ValueError(f"table {self.name}: primary key columns {missing} are not columns")

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def rules(self) -> list[tuple[str, str, str | None]]:
        """Every rule as (reason, SQL condition, the one column it judges or None for a row rule)."""
        return [(rule[0], rule[1], rule[2] if len(rule) > 2 else None) for rule in self.checks]


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def cast_expr(col: Column, text: str, decimal_comma: bool = False) -> str:
    """SQL that turns the text value `text` into the column's type, NULL where it does not parse."""
    if col.type == "string":
        return text
    if col.type == "number" and decimal_comma:
        return f"TRY_CAST(replace({text}, ',', '.') AS DOUBLE)"
    if col.type == "local_timestamp":
        return f"TRY_STRPTIME({text}, '%Y-%m-%d %H:%M:%S')"
    if col.type == "boolean":
        return f"TRY_CAST(lower({text}) AS BOOLEAN)"
    return f"TRY_CAST({text} AS {DUCKDB_TYPES[col.type]})"


def json_struct_type(columns: tuple[Column, ...]) -> str:
    """A from_json() structure that reads every column path as text."""
    tree: dict = {}
    for col in columns:
        node = tree
        *parents, leaf = col.json_path
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = "VARCHAR"

    def render(node: dict) -> str:
        inner = ", ".join(
            f"{_json_key(k)}: {render(v) if isinstance(v, dict) else _json_key(v)}" for k, v in node.items()
        )
        return "{" + inner + "}"

    return render(tree)


def _json_key(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def typed_select(
    table: Table, text_relation: str, extra_columns: tuple[str, ...] = (), strip_prefix: str = ""
) -> str:
    """SQL over `text_relation`: every contract column as text, plus `_source_file`, `_record` (the
    row as it arrived, or NULL where the reader has no text for it) and `_parse_error`.

    Returns every typed column, the columns not in the contract (`extra_columns`, as text),
    `_source_file` (without `strip_prefix`), `_reason` (NULL for a good row; otherwise every rule it
    breaks, `; `-separated), for quarantined rows only `_record`, and for loaded rows with a bad
    optional value `_findings` (a list of {column, value, reason}) and `_row_key`.

    What quarantines a row: a missing or unparseable **required** value, a malformed line, a broken row
    rule (`Table.checks` whose column is required, or that has no single column). What only flags a
    field: an unparseable optional value or a broken rule on an optional column; the field is NULL,
    the row loads, and the finding keeps the value as it arrived. Rules read typed columns. A cheap
    flag finds bad rows first; reasons are spelled out only for those.
    """
    required = {c.name for c in table.columns if c.required}
    row_rules = [
        (reason, cond) for reason, cond, column in table.rules if column is None or column in required
    ]
    field_rules = [
        (reason, cond, column)
        for reason, cond, column in table.rules
        if column is not None and column not in required
    ]
    text_cols = [f"{quote(c.name)} AS {quote('t__' + c.name)}" for c in table.columns]
    typed = [f"{cast_expr(c, quote(c.name), table.decimal_comma)} AS {quote(c.name)}" for c in table.columns]
    flags, problems = ["_parse_error IS NOT NULL"], []
    field_flags, field_issues = [], []
    for c in table.columns:
        text, value = quote("t__" + c.name), quote(c.name)
        if c.required:
            missing = f"({text} IS NULL OR trim({text}) = '')"
            flags.append(missing)
            problems.append(f"CASE WHEN {missing} THEN 'missing {c.name}' END")
        if c.type != "string":
            unparseable = f"({value} IS NULL AND {text} IS NOT NULL AND trim({text}) <> '')"
            reason = f"unparseable {c.name} ({c.type})"
            if c.required:
                flags.append(unparseable)
                problems.append(f"CASE WHEN {unparseable} THEN {sql_string(reason)} END")
            else:
                field_flags.append(unparseable)
                field_issues.append(f"CASE WHEN {unparseable} THEN {_issue(c.name, text, reason)} END")
    for reason, condition in row_rules:
        broken = f"(NOT coalesce(({condition}), true))"
        flags.append(broken)
        problems.append(f"CASE WHEN {broken} THEN {sql_string(reason)} END")
    nulled: dict[str, list[str]] = {}
    for reason, condition, column in field_rules:
        broken = f"(NOT coalesce(({condition}), true))"
        field_flags.append(broken)
        field_issues.append(f"CASE WHEN {broken} THEN {_issue(column, quote('t__' + column), reason)} END")
        nulled.setdefault(column, []).append(broken)
    rules = f"concat_ws('; ', {', '.join(problems)})" if problems else "NULL"
    extras = [quote(x) for x in extra_columns]
    as_json = ", ".join(f"{sql_string(c.name)}, {quote('t__' + c.name)}" for c in table.columns)
    keep = [
        f"CASE WHEN {' OR '.join(nulled[c.name])} THEN NULL ELSE {quote(c.name)} END AS {quote(c.name)}"
        if c.name in nulled
        else quote(c.name)
        for c in table.columns
    ] + extras
    source_file = (
        f"CASE WHEN starts_with(_source_file, {sql_string(strip_prefix)}) "
        f"THEN substr(_source_file, {len(strip_prefix) + 1}) ELSE _source_file END"
        if strip_prefix
        else "_source_file"
    )
    row_key = (
        "concat_ws(', ', "
        + ", ".join(f"{sql_string(k + '=')} || coalesce({quote('t__' + k)}, '')" for k in table.primary_key)
        + ")"
    )
    findings = (
        f"CASE WHEN NOT _bad AND ({' OR '.join(field_flags)}) "
        f"THEN list_filter([{', '.join(field_issues)}], lambda x: x IS NOT NULL) END"
        if field_flags
        else f"NULL::{FINDINGS_TYPE}"
    )
    return f"""
        WITH typed AS (
            SELECT {", ".join(typed + text_cols + extras)}, _source_file, _record, _parse_error
            FROM {text_relation}
        ),
        flagged AS (
            SELECT *, ({" OR ".join(flags)}) AS _bad FROM typed
        )
        SELECT {", ".join(keep)}, {source_file} AS _source_file,
               CASE WHEN _bad THEN coalesce(_parse_error, {rules}) END AS _reason,
               CASE WHEN _bad THEN coalesce(_record, json_object({as_json})::VARCHAR) END AS _record,
               {findings} AS _findings,
               CASE WHEN NOT _bad AND ({" OR ".join(field_flags) or "false"}) THEN {row_key} END AS _row_key
        FROM flagged
    """


FINDINGS_TYPE = "STRUCT(column_name VARCHAR, value VARCHAR, reason VARCHAR)[]"


def _issue(column: str, text: str, reason: str) -> str:
    return (
        f"struct_pack(column_name := {sql_string(column)}, value := {text}, reason := {sql_string(reason)})"
    )
