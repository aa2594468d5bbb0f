"""`omni build`: materialise the Dagster asset graph in-process, the same job the UI and schedule run.

When a build fails it says what broke, on one screen: every failed step; under a failed blocking check
the expectation, the column, how many rows failed and a few examples (personal values masked); under a
failed dbt build every failed or errored dbt node, read from the run_results.json of its invocation, with
a failing test's model, column, failing rows and examples queried read-only in the warehouse; and which
steps did not run because of them.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from omni.checks import DbtArtifacts, Evaluation, Explainer, dbt_node_lines, evaluation, find_invocation
from omni.instance import ensure_dagster_home
from omni.settings import Paths

MAX_ITEMS = 8  # failures detailed (checks, dbt nodes); the rest are counted
MAX_NAMES = 4  # names listed on a one-line summary (skipped steps, warnings)


@dataclass
class BuildResult:
    success: bool
    seconds: float
    run_id: str
    failed_steps: list[str] = field(default_factory=list)
    materialized: int = 0
    log: str = ""
    checks_failed: list[str] = field(default_factory=list)
    checks_warned: list[str] = field(default_factory=list)
    skipped_steps: list[str] = field(default_factory=list)
    report: list[str] = field(default_factory=list)  # what broke, as printed


class SelectionError(ValueError):
    """An asset selection that is not valid or matches nothing of this warehouse's graph."""


def build(
    paths: Paths,
    echo: Callable[[str], None] | None = None,
    select: str | None = None,
    full_refresh: bool = False,
) -> BuildResult:
    """Run the build job: the incremental one, or with `full_refresh` the one that rebuilds every dbt model
    from all the data (docs/incremental.md). `select`: only these assets (and their checks), in Dagster's
    asset selection syntax as `dagster asset materialize --select` takes it (`key:"raw_helpdesk/tickets"+`,
    `group:staging`, `tag:...`); what they read must have been built before."""
    echo = echo or (lambda msg: print(msg, file=sys.stderr))
    paths.export_env()
    from omni.pseudonymisation import load_key

    # the key dbt's plugin will read: a production deployment without one stops here, before any step
    load_key(paths.data_dir)
    ensure_dagster_home(paths)
    paths.landing.mkdir(parents=True, exist_ok=True)

    from dagster import DagsterInstance

    from dagster_project.defs.dbt.project import prepare_manifest
    from omni.config import load_config

    config = load_config(paths.data_dir)
    # the definitions read the dbt manifest: parsed first for this warehouse and these vars
    prepare_manifest(config.dbt_vars())
    from dagster_project.definitions import make_definitions
    from dagster_project.defs.automation import BUILD_JOB_NAME, FULL_REFRESH_JOB_NAME

    # the graph of this data directory's retailer (the sources it has), not of the one first imported
    defs = make_definitions(paths, config)

    job = defs.resolve_job_def(FULL_REFRESH_JOB_NAME if full_refresh else BUILD_JOB_NAME)
    asset_selection = _selected_keys(defs, select) if select else None
    started = time.perf_counter()
    # the terminal gets one line per step (the step_progress logger, on stderr); what the tools print
    # (dbt's log lines, which dagster-dbt echoes on stdout) goes to a log file of the data directory
    paths.logs.mkdir(parents=True, exist_ok=True)
    log = paths.logs / f"build-{time.strftime('%Y%m%dT%H%M%S')}.log"
    with (
        DagsterInstance.get() as instance,
        log.open("w", encoding="utf-8") as out,
        contextlib.redirect_stdout(out),
    ):
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"step_progress": {}}},
            asset_selection=asset_selection,
        )
        try:
            plan = _plan(instance, result.dagster_run)
        except Exception:  # without the plan, the steps not run are not listed
            plan = None
    seconds = time.perf_counter() - started
    events = list(result.all_events)
    materialized = sum(1 for e in events if e.event_type_value == "ASSET_MATERIALIZATION")
    try:
        outcome = explain_run(events, plan, paths.warehouse, run_id=result.run_id)
    except Exception as error:  # the explanation must never hide the failure: the bare step errors
        outcome = RunOutcome(
            step_summaries={
                e.step_key: _innermost_message(e.event_specific_data.error)
                for e in events
                if e.event_type_value == "STEP_FAILURE"
            }
        )
        outcome.failed = {
            step: [f"(no detail: {type(error).__name__}: {error})"] for step in outcome.step_summaries
        }
    report = (
        outcome.report(result.run_id, seconds, str(log)) if not result.success or outcome.has_news else []
    )
    for line in report:
        echo(line)
    return BuildResult(
        success=result.success,
        seconds=seconds,
        run_id=result.run_id,
        failed_steps=[f"{step}: {summary}" for step, summary in outcome.step_summaries.items()],
        materialized=materialized,
        log=str(log),
        checks_failed=[f"{e.asset}:{e.check}" for e in outcome.evaluations if e.outcome == "failed"],
        checks_warned=[f"{e.asset}:{e.check}" for e in outcome.evaluations if e.outcome == "warned"],
        skipped_steps=outcome.skipped,
        report=report,
    )


def _selected_keys(defs, select: str) -> list:
    """The asset keys `select` names in the graph of `defs` (SelectionError when it names none)."""
    from dagster import AssetSelection

    try:
        keys = AssetSelection.from_string(select).resolve(defs.resolve_asset_graph())
    except Exception as error:
        raise SelectionError(f"asset selection {select!r} is not valid: {error}") from error
    if not keys:
        raise SelectionError(f"asset selection {select!r} matches no asset of this warehouse")
    return sorted(keys, key=lambda k: k.to_user_string())


def _plan(instance, run) -> dict[str, list[str]]:
    """Step key -> the step keys it takes inputs from, in the order of the run's execution plan."""
    snapshot = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    return {
        step.key: sorted({k for i in step.inputs for k in i.upstream_step_keys}) for step in snapshot.steps
    }


@dataclass
class RunOutcome:
    """What a build run did wrong: the failed steps with their detail lines, the checks, the skipped steps."""

    failed: dict[str, list[str]] = field(default_factory=dict)  # step -> detail lines
    step_summaries: dict[str, str] = field(default_factory=dict)  # step -> one line
    evaluations: list[Evaluation] = field(default_factory=list)
    other_failed_checks: list[list[str]] = field(default_factory=list)  # failed checks of steps that passed
    skipped: list[str] = field(default_factory=list)
    skipped_because: dict[tuple[str, ...], list[str]] = field(default_factory=dict)  # failed steps -> skipped
    hidden: int = 0  # failures counted but not detailed

    @property
    def has_news(self) -> bool:
        return bool(self.failed or self.other_failed_checks or self.warned)

    @property
    def warned(self) -> list[Evaluation]:
        return [e for e in self.evaluations if e.outcome == "warned"]

    def report(self, run_id: str, seconds: float, log: str) -> list[str]:
        lines = []
        if self.failed:
            lines.append(
                f"build failed after {seconds:.0f}s (run {run_id}): {len(self.failed)} step(s) failed"
                + (f", {len(self.skipped)} not run" if self.skipped else "")
            )
        for step, details in self.failed.items():
            lines.append(f"FAILED step {step}: {self.step_summaries[step]}")
            lines += [f"  {line}" for line in details]
        if self.other_failed_checks:
            lines.append(f"checks failed (not blocking): {len(self.other_failed_checks)}")
            for block in self.other_failed_checks:
                lines += [f"  {line}" for line in block]
        if self.hidden:
            lines.append(
                f"  ... and {self.hidden} more failures (omni checks --run-id {run_id}; the UI: omni dev)"
            )
        for causes, steps in self.skipped_because.items():
            lines.append(f"NOT RUN {len(steps)} step(s), because {', '.join(causes)} failed: {_names(steps)}")
        if self.warned:
            lines.append(
                f"warnings (findings, not blocking): {_names([e.name for e in self.warned])}"
                f"  (detail: omni checks --run-id {run_id})"
            )
        if self.failed:
            lines.append(f"tool output (dbt, dlt): {log}")
        return lines


def explain_run(
    events: Iterable,
    plan: dict[str, list[str]] | None,
    warehouse: Path | None,
    run_id: str | None = None,
    max_items: int = MAX_ITEMS,
) -> RunOutcome:
    """A RunOutcome from the Dagster events of a run (and its plan: step -> upstream steps)."""
    events = list(events)
    outcome = RunOutcome()
    started = [e.step_key for e in events if e.event_type_value == "STEP_START"]
    errors = {e.step_key: e.event_specific_data.error for e in events if e.event_type_value == "STEP_FAILURE"}
    outcome.evaluations = [
        evaluation(e.event_specific_data, step=e.step_key)
        for e in events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    explainer = Explainer(warehouse=warehouse, run_id=run_id)
    budget = [max_items]

    def detail(lines: list[str]) -> list[str]:
        if budget[0] <= 0:
            outcome.hidden += 1
            return []
        budget[0] -= 1
        return lines

    for step, error in errors.items():
        failed_checks = [e for e in outcome.evaluations if e.step == step and e.outcome == "failed"]
        message = _messages(error)
        if failed_checks and "asset check" in message:
            outcome.step_summaries[step] = (
                f"blocking check{'s' if len(failed_checks) > 1 else ''} failed: "
                + ", ".join(e.name for e in failed_checks)
            )
            details = []
            for e in failed_checks:
                details += detail(
                    [f"[{e.kind}] {e.name}" + _rows_note(e)] + [f"  {x}" for x in explainer.explain(e)]
                )
            outcome.failed[step] = details
        elif "dbt" in message and ("DagsterDbtCliRuntimeError" in message or "dbt CLI process" in message):
            outcome.step_summaries[step], outcome.failed[step] = _dbt_failure(
                message, run_id, warehouse, failed_checks, explainer, detail
            )
        else:
            outcome.step_summaries[step] = _innermost_message(error)
            outcome.failed[step] = detail(_error_lines(error))
    # failed checks whose step did not fail (not blocking): shown with their detail as well
    for e in outcome.evaluations:
        if e.outcome == "failed" and e.step not in errors:
            block = detail(
                [f"[{e.kind}] {e.name}" + _rows_note(e)] + [f"  {x}" for x in explainer.explain(e)]
            )
            if block:
                outcome.other_failed_checks.append(block)
    # steps that did not start, grouped by the failed steps upstream of them
    if plan and errors:
        done = set(started)
        depth = _depth(plan, set(errors))
        outcome.skipped = sorted(
            (step for step in plan if step not in done), key=lambda step: (depth.get(step, len(plan)), step)
        )
        for step in outcome.skipped:
            causes = tuple(sorted(_failed_upstream(step, plan, set(errors)))) or ("an upstream step",)
            outcome.skipped_because.setdefault(causes, []).append(step)
    return outcome


def _dbt_failure(
    message: str,
    run_id: str | None,
    warehouse: Path | None,
    failed_checks: list[Evaluation],
    explainer: Explainer,
    detail: Callable[[list[str]], list[str]],
) -> tuple[str, list[str]]:
    """A failed dbt step: its failed and errored nodes from the invocation's run_results.json."""
    folder = None
    found = re.search(r"dbt debug log: (\S+?)[\\/]dbt\.log", message)
    if found and Path(found.group(1)).is_dir():
        folder = Path(found.group(1))
    folder = folder or find_invocation(run_id)
    artifacts = DbtArtifacts.load(folder) if folder else None
    if artifacts is None:  # no artifacts: the checks' metadata, or what dagster-dbt parsed from dbt's log
        lines = []
        for e in failed_checks:
            lines += detail([f"[{e.kind}] {e.name}"] + [f"  {x}" for x in explainer.explain(e)])
        parsed = message.split("Errors parsed from dbt logs:", 1)
        if len(parsed) == 2:
            lines += detail(
                [line.strip()[:150] for line in parsed[1].strip().splitlines() if line.strip()][:4]
            )
        summary = (
            f"dbt failed ({len(failed_checks)} test(s) failed)"
            if failed_checks
            else _first(message.split("Errors parsed", 1)[0])
        )
        return summary, lines
    return dbt_failure_lines(artifacts, warehouse, detail)


def dbt_failure_lines(
    artifacts: DbtArtifacts,
    warehouse: Path | None,
    detail: Callable[[list[str]], list[str]] = lambda lines: lines,
) -> tuple[str, list[str]]:
    """What a failed dbt command did wrong, from its artifacts: a one-line count, then for every failed
    or errored node its detail lines (`detail` may cap them), then what dbt skipped because of them."""
    results = list(artifacts.results.values())
    bad = [r for r in results if r.get("status") in ("fail", "error", "runtime error")]
    counts: dict[tuple[str, str], list[str]] = {}
    for r in bad:
        verb = "failed" if r.get("status") == "fail" else "errored"
        counts.setdefault((r["unique_id"].split(".")[0], verb), []).append(r["unique_id"].split(".")[2])
    summary = "dbt build: " + (
        ", ".join(
            f"{len(names)} {_plural(kind, len(names))} {verb}" for (kind, verb), names in counts.items()
        )
        or "no node failed (see the tool output)"
    )
    lines = []
    for r in sorted(bad, key=lambda r: (r["unique_id"].startswith("test."), r["unique_id"])):
        lines += detail(dbt_node_lines(r, artifacts, warehouse))
    skipped = [r["unique_id"] for r in results if r.get("status") == "skipped"]
    if skipped:
        models = [u.split(".")[2] for u in skipped if not u.startswith(("test.", "unit_test."))]
        lines.append(
            f"dbt skipped {len(skipped)} node(s) downstream of the failures ({len(models)} models, "
            f"{len(skipped) - len(models)} tests)" + (f": {_names(models)}" if models else "")
        )
    return summary, lines


def _plural(word: str, count: int) -> str:
    return word if count == 1 else f"{word}s"


def _failed_upstream(step: str, plan: dict[str, list[str]], failed: set[str]) -> set[str]:
    """The failed steps a step depends on, through the steps that did not run."""
    found, seen, todo = set(), set(), list(plan.get(step, []))
    while todo:
        upstream = todo.pop()
        if upstream in seen:
            continue
        seen.add(upstream)
        if upstream in failed:
            found.add(upstream)
        else:
            todo += plan.get(upstream, [])
    return found


def _depth(plan: dict[str, list[str]], failed: set[str]) -> dict[str, int]:
    """How many steps away from a failed step each step is, downstream (the nearest first)."""
    downstream: dict[str, list[str]] = {}
    for step, upstream in plan.items():
        for u in upstream:
            downstream.setdefault(u, []).append(step)
    depth, frontier, level = {}, list(failed), 0
    while frontier:
        level += 1
        frontier = [d for step in frontier for d in downstream.get(step, []) if d not in depth]
        for step in frontier:
            depth.setdefault(step, level)
    return depth


def _rows_note(e: Evaluation) -> str:
    rows, relation = e.details.get("rows_validated"), e.details.get("relation")
    if rows is not None and relation:
        return f"  ({rows} rows of {relation} validated)"
    return ""


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES])
    return shown + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")


def _messages(error) -> str:
    """Every message of an error and its causes, one after the other."""
    parts = []
    while error is not None:
        parts.append(f"{error.cls_name or ''}: {error.message}")
        error = error.cause or getattr(error, "context", None)
    return "\n".join(parts)


def _error_lines(error) -> list[str]:
    """Up to three lines of the innermost error (a load's or a check's exception)."""
    if error is None:
        return []
    while error.cause is not None:
        error = error.cause
    lines = [line.strip() for line in error.message.strip().splitlines() if line.strip()]
    return [line[:150] for line in lines[1:4]]


def _first(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:150] if lines else "error"


def _innermost_message(error) -> str:
    """The message of the innermost cause of a Dagster step error (dlt and dbt wrap theirs)."""
    if error is None:
        return "unknown error"
    while error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name or "error"
