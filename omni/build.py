"""`omni build`: materialise the Dagster asset graph in-process, the same job the UI and schedule run."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from omni.checks import evaluation
from omni.instance import ensure_dagster_home
from omni.settings import Paths


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


def build(paths: Paths, echo: Callable[[str], None] | None = None) -> BuildResult:
    echo = echo or (lambda msg: print(msg, file=sys.stderr))
    paths.export_env()
    ensure_dagster_home(paths)
    paths.landing.mkdir(parents=True, exist_ok=True)

    from dagster import DagsterInstance

    from dagster_project.defs.dbt.project import prepare_manifest

    prepare_manifest()
    from dagster_project.definitions import defs
    from dagster_project.defs.automation import BUILD_JOB_NAME

    job = defs.resolve_job_def(BUILD_JOB_NAME)
    started = time.perf_counter()
    # the terminal gets one line per step (the step_progress logger, on stderr); what the tools print
    # (dbt's log lines, which dagster-dbt echoes on stdout) goes to a log file of the data directory
    paths.logs.mkdir(parents=True, exist_ok=True)
    log = paths.logs / f"build-{time.strftime('%Y%m%dT%H%M%S')}.log"
    with DagsterInstance.get() as instance, log.open("w", encoding="utf-8") as out, contextlib.redirect_stdout(out):
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"step_progress": {}}}
        )
    failures = {
        e.step_key: _innermost_message(e.event_specific_data.error)
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE"
    }
    materialized = sum(1 for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION")
    evaluations = [evaluation(e.event_specific_data) for e in result.all_events
                   if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    checks_failed = [f"{e.asset}:{e.check}" for e in evaluations if e.outcome == "failed"]
    checks_warned = [f"{e.asset}:{e.check}" for e in evaluations if e.outcome == "warned"]
    return BuildResult(
        success=result.success,
        seconds=time.perf_counter() - started,
        run_id=result.run_id,
        failed_steps=[f"{step}: {message}" for step, message in failures.items()],
        materialized=materialized,
        log=str(log),
        checks_failed=checks_failed,
        checks_warned=checks_warned,
    )


def _innermost_message(error) -> str:
    """The message of the innermost cause of a Dagster step error (dlt and dbt wrap theirs)."""
    if error is None:
        return "unknown error"
    while error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[0] if error.message.strip() else error.cls_name or "error"
