"""`omni checks`: the asset check evaluations of a build run, as the Dagster UI shows them, on the terminal.

Reads the run history of the data directory's Dagster instance (the newest run by default) and sums up
every check by kind: what passed, what warned (findings) and what failed (errors), with the figures each
check recorded as metadata for the ones that did not pass.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from omni.instance import ensure_dagster_home
from omni.settings import Paths

# check name -> kind; anything else is a dbt test (dagster-dbt turns every dbt test into a check)
KINDS = {
    "load_accounting": "ingestion",
    "quarantine": "ingestion",
    "dbt_source_freshness": "freshness",
    "cases_found": "findings",
    "no_personal_data": "privacy",
}
KIND_ORDER = ["ingestion", "freshness", "dbt test", "great expectations", "findings", "privacy"]
# metadata too long for a line (lists, samples) is left to the UI
SKIPPED_METADATA = {"failures", "sample", "reasons", "failed_expectations", "dagster_dbt/manifest",
                    "dagster_dbt/dbt_project", "dagster_dbt/select", "dagster_dbt/exclude"}


@dataclass
class Evaluation:
    asset: str
    check: str
    passed: bool
    severity: str
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        if self.check.startswith("gx_"):
            return "great expectations"
        return KINDS.get(self.check, "dbt test")

    @property
    def outcome(self) -> str:
        return "passed" if self.passed else ("warned" if self.severity == "WARN" else "failed")


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
            run_id=run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION, limit=100_000).records
    return run_id, [evaluation(record.event_log_entry.dagster_event.event_specific_data) for record in records]


def evaluation(data) -> Evaluation:
    """An Evaluation from the data of an ASSET_CHECK_EVALUATION event (AssetCheckEvaluation)."""
    return Evaluation(
        asset=data.asset_key.to_user_string(), check=data.check_name, passed=data.passed,
        severity=data.severity.value,
        metadata={k: getattr(v, "value", v) for k, v in data.metadata.items() if k not in SKIPPED_METADATA})


def _figures(metadata: dict[str, object]) -> str:
    shown = [f"{k}={v}" for k, v in metadata.items() if isinstance(v, (int, float, str)) and len(str(v)) <= 60]
    return ", ".join(shown)


def format_summary(run_id: str, found: list[Evaluation], show_passed: bool = False) -> str:
    by_kind: dict[str, list[Evaluation]] = defaultdict(list)
    for evaluation in found:
        by_kind[evaluation.kind].append(evaluation)
    lines = [f"asset checks of run {run_id}: {len(found)} evaluations", "",
             f"{'kind':<20}{'checks':>8}{'passed':>8}{'warned':>8}{'failed':>8}"]
    for kind in sorted(by_kind, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER)):
        items = by_kind[kind]
        counts = {o: sum(e.outcome == o for e in items) for o in ("passed", "warned", "failed")}
        lines.append(f"{kind:<20}{len(items):>8}{counts['passed']:>8}{counts['warned']:>8}{counts['failed']:>8}")
    for outcome in ("failed", "warned", *(("passed",) if show_passed else ())):
        listed = sorted((e for e in found if e.outcome == outcome), key=lambda e: (e.kind, e.asset, e.check))
        if listed:
            lines += ["", f"{outcome}:"]
            lines += [f"  [{e.kind}] {e.asset} : {e.check}  {_figures(e.metadata)}".rstrip() for e in listed]
    return "\n".join(lines)
