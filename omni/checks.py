"""`omni checks`: the asset check evaluations of a build run, as the Dagster UI shows them, on the terminal.

Reads the run history of the data directory's Dagster instance (the newest run by default) and sums up
every check by kind: what passed, what warned (findings) and what failed (errors). Under every check that
did not pass it says what broke: the expectation, the column, how many rows and a few example values
(personal values masked), from the check's metadata and, for dbt tests, dbt's artifacts of the run.
`omni build` prints the same detail when a build fails (omni/build.py).
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omni.instance import ensure_dagster_home
from omni.settings import Paths, dbt_target_dir

# check name -> kind; anything else is a dbt test (dagster-dbt turns every dbt test into a check)
KINDS = {
    "load_accounting": "ingestion",
    "quarantine": "ingestion",
    "dbt_source_freshness": "freshness",
    "cases_found": "findings",
    "no_personal_data": "privacy",
}
KIND_ORDER = ["ingestion", "freshness", "dbt test", "great expectations", "findings", "privacy"]
# metadata too long for a line (lists, samples) or only needed for the detail lines below a check
SKIPPED_METADATA = {
    "failures",
    "sample",
    "reasons",
    "where",
    "failed_expectations",
    "dagster_dbt/manifest",
    "dagster_dbt/dbt_project",
    "dagster_dbt/select",
    "dagster_dbt/exclude",
    "unique_id",
    "invocation_id",
    "Execution Duration",
    "error",
}
# what a check of a kind expects, said once (the GX suites and dbt tests name their own expectations)
EXPECTS = {
    "load_accounting": "rows read = rows loaded + rows quarantined, per landing file",
    "quarantine": "no row set aside by the landing contract",
    "cases_found": "no case found",
    "no_personal_data": "no e-mail address or phone number in a published table",
    "dbt_source_freshness": "the source was loaded recently enough (dbt source freshness)",
}
EXAMPLES = 3  # example rows or values per failure
EXPECTATIONS_SHOWN = 4  # failed expectations listed per Great Expectations suite
WIDTH = 150  # a detail line is cut to this width
QUERY_SECONDS = 10  # an example query that takes longer is given up

# column names that hold personal values wherever they appear (raw tables carry no dbt classification)
PERSONAL_NAME = re.compile(r"e_?mail|phone|first_name|last_name|full_name|street|address|card", re.IGNORECASE)
# an e-mail address; a phone number as people write it (+48 601 234 567, 0048 601-234-567, 601234567)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?:\(?(?:\+|00)\d{1,3}\)?[ -]?)?\d{3}[ -]?\d{3}[ -]?\d{3,4}(?![0-9A-Za-z])"
)
# columns of machine-made ids: their digits are not a phone number
IDENTIFIER = re.compile(r"(_id|_key|_no|^id|^key)$|^n_records$", re.IGNORECASE)
# dbt's generic tests rename the tested column in the rows they return
GENERIC_TEST_COLUMNS = {"unique_field", "value_field", "from_field", "to_field", "field"}


@dataclass
class Evaluation:
    asset: str
    check: str
    passed: bool
    severity: str
    metadata: dict[str, object] = field(default_factory=dict)
    details: dict[str, object] = field(default_factory=dict)  # every metadata entry, lists and samples too
    step: str | None = None

    @property
    def kind(self) -> str:
        if self.check.startswith("gx_"):
            return "great expectations"
        return KINDS.get(self.check, "dbt test")

    @property
    def outcome(self) -> str:
        return "passed" if self.passed else ("warned" if self.severity == "WARN" else "failed")

    @property
    def name(self) -> str:
        return f"{self.asset} : {self.check}"


def evaluations(paths: Paths, run_id: str | None = None) -> tuple[str, list[Evaluation]]:
    """The check evaluations of `run_id` (default: the newest run) and the run's id."""
    from dagster import DagsterEventType, DagsterInstance

    ensure_dagster_home(paths)
    with DagsterInstance.get() as instance:
        if run_id is None:
            runs = instance.get_runs(limit=1)
            if not runs:
                raise RuntimeError(f"no runs in {paths.dagster_home}: run `omni build` first")
            run_id = runs[0].run_id
        records = instance.get_records_for_run(
            run_id=run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000
        ).records
    return run_id, [
        evaluation(
            record.event_log_entry.dagster_event.event_specific_data, step=record.event_log_entry.step_key
        )
        for record in records
    ]


def evaluation(data, step: str | None = None) -> Evaluation:
    """An Evaluation from the data of an ASSET_CHECK_EVALUATION event (AssetCheckEvaluation)."""
    details = {k: getattr(v, "value", v) for k, v in data.metadata.items()}
    return Evaluation(
        asset=data.asset_key.to_user_string(),
        check=data.check_name,
        passed=data.passed,
        severity=data.severity.value,
        metadata={k: v for k, v in details.items() if k not in SKIPPED_METADATA},
        details=details,
        step=step,
    )


def _figures(metadata: dict[str, object]) -> str:
    shown = [
        f"{k}={v}" for k, v in metadata.items() if isinstance(v, (int, float, str)) and len(str(v)) <= 60
    ]
    return ", ".join(shown)


def format_summary(
    run_id: str, found: list[Evaluation], show_passed: bool = False, paths: Paths | None = None
) -> str:
    """The table of checks by kind, then every failed and warned check with what broke (with `paths`,
    failing rows of dbt tests are looked up in the warehouse as it is now), then the passed ones if asked."""
    by_kind: dict[str, list[Evaluation]] = defaultdict(list)
    for evaluation in found:
        by_kind[evaluation.kind].append(evaluation)
    lines = [
        f"asset checks of run {run_id}: {len(found)} evaluations",
        "",
        f"{'kind':<20}{'checks':>8}{'passed':>8}{'warned':>8}{'failed':>8}",
    ]
    for kind in sorted(by_kind, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER)):
        items = by_kind[kind]
        counts = {o: sum(e.outcome == o for e in items) for o in ("passed", "warned", "failed")}
        lines.append(
            f"{kind:<20}{len(items):>8}{counts['passed']:>8}{counts['warned']:>8}{counts['failed']:>8}"
        )
    explainer = Explainer(warehouse=paths.warehouse if paths else None, run_id=run_id, live_examples=True)
    for outcome in ("failed", "warned", *(("passed",) if show_passed else ())):
        listed = sorted((e for e in found if e.outcome == outcome), key=lambda e: (e.kind, e.asset, e.check))
        if listed:
            lines += ["", f"{outcome}:"]
            for e in listed:
                lines.append(f"  [{e.kind}] {e.name}  {_figures(e.metadata)}".rstrip())
                if outcome != "passed":
                    lines += [f"      {line}" for line in explainer.explain(e)]
    return "\n".join(lines)


# --- what broke, in a few lines ------------------------------------------------------------------------


class Explainer:
    """Detail lines for a check that did not pass: the expectation, the column, the failing row count and
    examples, masked where personal. dbt tests are looked up in dbt's artifacts of the run (the
    invocation's target folder) and their failing rows queried read-only in the warehouse."""

    def __init__(
        self,
        warehouse: Path | None = None,
        run_id: str | None = None,
        artifacts: DbtArtifacts | None = None,
        live_examples: bool = False,
    ) -> None:
        self.warehouse = warehouse
        self.run_id = run_id
        self.live_examples = live_examples  # examples queried after the fact: say so
        self._artifacts: dict[str, DbtArtifacts | None] = {}
        if artifacts is not None:
            self._artifacts[artifacts.invocation_id or ""] = artifacts

    def explain(self, e: Evaluation) -> list[str]:
        try:
            if e.kind == "great expectations":
                return self._gx(e)
            if e.kind == "dbt test":
                return self._dbt_test(e)
            return self._custom(e)
        except Exception as error:  # a report must never hide the failure it reports
            return [f"(no detail: {type(error).__name__}: {error})"[:WIDTH]]

    # Great Expectations suites (dagster_project/defs/gx/checks.py): `failures` JSON with what was observed
    def _gx(self, e: Evaluation) -> list[str]:
        if e.details.get("error"):
            return [f"error: {e.details['error']}"[:WIDTH]]
        failures = e.details.get("failures") or []
        if isinstance(failures, str):
            failures = json.loads(failures)
        rows = e.details.get("rows_validated")
        lines = [line for f in failures[:EXPECTATIONS_SHOWN] for line in expectation_lines(f, rows)]
        if len(failures) > EXPECTATIONS_SHOWN:
            lines.append(f"and {len(failures) - EXPECTATIONS_SHOWN} more failed expectations")
        return lines

    # dbt tests (dagster-dbt): failed row count and unique_id in the metadata, the rest in dbt's artifacts
    def _dbt_test(self, e: Evaluation) -> list[str]:
        unique_id = str(e.details.get("unique_id") or "")
        artifacts = self.artifacts(str(e.details.get("invocation_id") or ""))
        result = artifacts.results.get(unique_id) if artifacts else None
        count = e.details.get("dagster_dbt/failed_row_count")
        if result is None:
            result = {"unique_id": unique_id, "status": e.details.get("status"), "failures": count}
        elif result.get("failures") is None:
            result = {**result, "failures": count}
        return dbt_test_lines(result, artifacts, self.warehouse, live=self.live_examples, name=False)

    def artifacts(self, invocation_id: str) -> DbtArtifacts | None:
        if invocation_id not in self._artifacts:
            directory = find_invocation(self.run_id, invocation_id or None)
            self._artifacts[invocation_id] = DbtArtifacts.load(directory) if directory else None
        return self._artifacts[invocation_id]

    # the project's own checks (dagster_project/defs/: dlt/checks.py, dbt/freshness.py, governance/checks.py, publication/assets.py)
    def _custom(self, e: Evaluation) -> list[str]:
        lines = [f"expects: {EXPECTS[e.check]}"] if e.check in EXPECTS else []
        if e.check == "load_accounting":
            lines.append(f"{e.details.get('files_not_balanced')} file(s) not balanced")
            lines += self._unbalanced_files(e.asset)
        for key, label in (("reasons", ""), ("sample", "e.g. "), ("where", "")):
            text = e.details.get(key)
            if isinstance(text, str) and text.strip() and text.strip() != "none":
                entries = [line.removeprefix("- ").strip() for line in text.strip().splitlines()]
                lines += [f"  {label}{mask_text(entry)}"[:WIDTH] for entry in entries[:EXAMPLES]]
                if len(entries) > EXAMPLES:
                    lines.append(f"and {len(entries) - EXAMPLES} more")
        if e.details.get("error"):
            lines.append(f"error: {str(e.details['error']).strip().splitlines()[0]}"[:WIDTH])
        return lines

    def _unbalanced_files(self, asset: str) -> list[str]:
        """The landing files whose rows do not add up, from the load audit of the raw dataset."""
        dataset, _, table = asset.partition("/")
        if not self.warehouse or not re.fullmatch(r"\w+", dataset):
            return []
        rows = query(
            self.warehouse,
            f"""
            select source_file, rows_read, rows_loaded, rows_quarantined from {dataset}._load_audit
            where table_name = '{table.replace("'", "''")}' and rows_read <> rows_loaded + rows_quarantined
            order by source_file""",
        )
        return [f"  e.g. {format_row(row)}"[:WIDTH] for row in (rows or [])[:EXAMPLES]]


def expectation_lines(failure: dict[str, Any], rows: object = None) -> list[str]:
    """A failed expectation as `expect_column_values_to_be_in_set(channel; value_set=[...]): 2 of 230 rows
    fail (0.9%)` and a line of up to 3 distinct unexpected values (masked where personal)."""
    args = {
        k: v
        for k, v in (failure.get("arguments") or {}).items()
        if k not in ("column_list", "column_A", "column_B", "row_condition", "result_format")
    }
    shown = "; ".join(f"{k}={_short(v, 40)}" for k, v in args.items())
    where = (failure.get("arguments") or {}).get("row_condition")
    column = str(failure.get("column") or "")
    head = (
        f"{failure.get('expectation')}({column or 'table'}{'; ' + shown if shown else ''})"
        f"{f' where {where}' if where else ''}"
    )
    o = failure.get("observed") or {}
    columns = [c for c in column.split(",") if c]
    personal = {c for c in columns if PERSONAL_NAME.search(c)}
    examples: list[str] = []
    if "exception" in o:
        found = f"error: {o['exception']}"
    elif o.get("unexpected_count") is not None:
        total = o.get("element_count", rows)
        found = (
            f"{o['unexpected_count']} {'of ' + str(total) + ' ' if total is not None else ''}rows fail"
            f" ({o.get('unexpected_percent') or 0:.2g}%)"
        )
        for example in _distinct(o.get("unexpected_examples") or [])[:EXAMPLES]:
            if isinstance(example, dict):  # a row of a multi-column expectation, in the expectation's order
                order = sorted(example, key=lambda c: columns.index(c) if c in columns else len(columns))
                examples.append(format_row({c: example[c] for c in order}, personal))
            else:
                examples.append(format_value(example, column in personal, bool(IDENTIFIER.search(column))))
    else:
        found = f"observed {_short(o.get('observed_value'), 60)}"
        if o.get("details"):
            found += f" {_short(o['details'], 60)}"
    lines = [mask_text(f"{head}: {found}")[:WIDTH]]
    if examples:
        lines.append(f"  e.g. {' | '.join(examples)}"[:WIDTH])
    return lines


# --- dbt artifacts -------------------------------------------------------------------------------------


@dataclass
class DbtArtifacts:
    """manifest.json and run_results.json of one dbt command (dagster-dbt gives each its own folder)."""

    directory: Path | None
    manifest: dict[str, Any]
    results: dict[str, dict[str, Any]]  # unique_id -> result
    invocation_id: str | None = None

    @classmethod
    def load(cls, directory: Path) -> DbtArtifacts | None:
        run_results = directory / "run_results.json"
        if not run_results.exists():
            return None
        data = json.loads(run_results.read_text())
        manifest_path = directory / "manifest.json"
        if not manifest_path.exists():
            manifest_path = dbt_target_path() / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        return cls(
            directory=directory,
            manifest=manifest,
            results={r["unique_id"]: r for r in data.get("results", [])},
            invocation_id=data.get("metadata", {}).get("invocation_id"),
        )

    def node(self, unique_id: str) -> dict[str, Any]:
        for section in ("nodes", "sources", "unit_tests"):
            if unique_id in self.manifest.get(section, {}):
                return self.manifest[section][unique_id]
        return {}

    def tested(self, unique_id: str) -> tuple[str | None, str | None, dict[str, Any]]:
        """(model or source name, column, the tested node) of a dbt test."""
        test = self.node(unique_id)
        parent_id = test.get("attached_node") or next(iter(test.get("depends_on", {}).get("nodes", [])), None)
        parent = self.node(parent_id) if parent_id else {}
        name = parent.get("name")
        if parent.get("resource_type") == "source":
            name = f"{parent.get('source_name')}.{name}"
        column = test.get("column_name") or (test.get("test_metadata") or {}).get("kwargs", {}).get(
            "column_name"
        )
        return name, column, parent


def personal_columns(node: dict[str, Any]) -> set[str]:
    """Columns a dbt model or source classifies `pii: direct` (in meta or config.meta)."""
    found = set()
    for name, column in (node.get("columns") or {}).items():
        meta = {**(column.get("meta") or {}), **((column.get("config") or {}).get("meta") or {})}
        if meta.get("pii") == "direct":
            found.add(name)
    return found


def dbt_target_path() -> Path:
    """dbt's target folder, where dagster-dbt puts every dbt command's own folder."""
    return dbt_target_dir()


def find_invocation(run_id: str | None = None, invocation_id: str | None = None) -> Path | None:
    """The target folder of a dbt command of a Dagster run (`<op>-<run id[:7]>-<id>`), the one with the
    given dbt invocation id if asked."""
    target = dbt_target_path()
    if not target.is_dir():
        return None
    folders = [p for p in target.iterdir() if p.is_dir() and (p / "run_results.json").exists()]
    if run_id:
        folders = [p for p in folders if f"-{run_id[:7]}-" in p.name] or (folders if invocation_id else [])
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for folder in folders:
        if invocation_id is None:
            return folder
        with (folder / "run_results.json").open(encoding="utf-8") as f:
            if invocation_id in f.read(2000):  # the metadata, with the invocation id, comes first
                return folder
    return None


def dbt_test_lines(
    result: dict[str, Any],
    artifacts: DbtArtifacts | None,
    warehouse: Path | None,
    live: bool = False,
    name: bool = True,
) -> list[str]:
    """A failed or warned dbt test: the test, what it expects of which model and column, the failing rows
    and up to 3 distinct ones (queried with the test's compiled SQL, masked where personal)."""
    unique_id = result.get("unique_id", "")
    model, column, parent = artifacts.tested(unique_id) if artifacts else (None, None, {})
    test = artifacts.node(unique_id) if artifacts else {}
    metadata = test.get("test_metadata") or {}
    arguments = ", ".join(
        f"{k}={_short(_unjinja(v), 50)}"
        for k, v in (metadata.get("kwargs") or {}).items()
        if k not in ("column_name", "model")
    )
    kind = (
        f"{metadata.get('name') or 'singular test'}({arguments})"
        if arguments
        else (metadata.get("name") or "singular test")
    )
    where = f"{model}.{column}" if model and column else (model or "?")
    lines = []
    if name:
        test_name = test.get("name") or (unique_id.split(".")[2] if unique_id.count(".") >= 2 else unique_id)
        lines.append(f"test {test_name}"[:WIDTH])
    line = f"{kind} on {where}"
    if result.get("status") == "error":
        return [*lines, f"{line}: error: {first_lines(result.get('message'), 2)}"[:WIDTH]]
    count = result.get("failures")
    line += f": {count} failing row{'s' if count != 1 else ''}" if count is not None else ": failed"
    lines.append(line[:WIDTH])
    sql = result.get("compiled_code") or test.get("compiled_code")
    if sql and warehouse:
        sql = sql.strip().rstrip(";")
        rows = query(warehouse, f"select distinct * from ({sql}\n) as failing limit {EXAMPLES}")
        if rows is None:  # columns that cannot be compared (maps, lists of structs)
            rows = query(warehouse, f"select * from ({sql}\n) as failing limit {EXAMPLES}")
        if rows:
            personal = personal_columns(parent)
            if column in personal or (column and PERSONAL_NAME.search(column)):
                personal |= GENERIC_TEST_COLUMNS | {column}
            label = "e.g. (in the warehouse now) " if live else "e.g. "
            lines.append(("  " + label + " | ".join(format_row(row, personal) for row in rows))[:WIDTH])
    return [lines[0], *(f"  {x}" for x in lines[1:])] if name else lines


def _unjinja(value: object) -> object:
    """`{{ ref('stores') }}` as `ref('stores')`."""
    if isinstance(value, str):
        return re.sub(r"^\{\{\s*(.*?)\s*\}\}$", r"\1", value.strip())
    return value


def dbt_node_lines(result: dict[str, Any], artifacts: DbtArtifacts, warehouse: Path | None) -> list[str]:
    """A dbt node that failed or errored: a test as above; a model, seed or snapshot with its error."""
    unique_id = result.get("unique_id", "")
    resource = unique_id.split(".")[0]
    if resource == "test":
        return dbt_test_lines(result, artifacts, warehouse)
    node = artifacts.node(unique_id)
    label = f"{resource} {node.get('schema', '?')}.{node.get('name') or unique_id.split('.')[-1]}"
    return [f"{label}: {first_lines(result.get('message'), 3)}"[: WIDTH * 2]]


# --- values: read-only queries, masking, short text ---------------------------------------------------


def query(warehouse: Path, sql: str) -> list[dict[str, Any]] | None:
    """Rows of a query as dicts, through a short-lived read-only connection; None when it cannot run
    (a build holds the file, the relation is gone) or takes longer than QUERY_SECONDS."""
    import duckdb

    if not Path(warehouse).exists():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            timer = threading.Timer(QUERY_SECONDS, con.interrupt)
            timer.start()
            try:
                cursor = con.execute(sql)
                names = [d[0] for d in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            finally:
                timer.cancel()
    except Exception:
        return None


def mask_value(value: object) -> str:
    """A personal value with most of it hidden: `a***@***`, `***67`, `K***`."""
    text = str(value)
    if "@" in text:
        return f"{text[:1]}***@***"
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 7 and len(digits) >= len(text) // 2:
        return f"***{digits[-2:]}"
    return f"{text[:1]}***" if text else text


def mask_text(text: str, phones: bool = True) -> str:
    """Anything that looks like an e-mail address or (unless `phones` is false) a phone number, masked."""
    text = EMAIL.sub(lambda m: mask_value(m.group(0)), text)
    return PHONE.sub(lambda m: mask_value(m.group(0)), text) if phones else text


def format_value(value: object, personal: bool = False, identifier: bool = False) -> str:
    """A value for a detail line: masked when personal; an identifier's digits are not taken for a phone."""
    if value is None:
        return "NULL"
    if personal:
        return mask_value(value)
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return _short(mask_text(text, phones=not identifier), 40)  # masked before cut: no half e-mail left


def format_row(row: dict[str, Any], personal: set[str] | None = None) -> str:
    personal = personal or set()
    return ", ".join(
        f"{k}={format_value(v, k in personal or bool(PERSONAL_NAME.search(k)), bool(IDENTIFIER.search(k)))}"
        for k, v in row.items()
    )


def first_lines(message: object, count: int) -> str:
    lines = [line.strip() for line in str(message or "").strip().splitlines() if line.strip()]
    return mask_text(" / ".join(lines[:count])) or "no message"


def _short(value: object, width: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def _distinct(values: list) -> list:
    seen, kept = set(), []
    for value in values:
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept
