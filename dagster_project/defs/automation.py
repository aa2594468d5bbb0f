"""The job that builds everything, its daily schedule, and the sensor that reacts to new files."""

from __future__ import annotations

import hashlib
import json

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)

from omni.config import load_config
from omni.settings import Paths

BUILD_JOB_NAME = "build_warehouse"

build_warehouse = define_asset_job(
    BUILD_JOB_NAME,
    selection=AssetSelection.all() - AssetSelection.groups("landing"),
    description="Load every channel's new landing files, then build staging, marts and their checks.",
)

daily_build = ScheduleDefinition(
    name="daily_build",
    job=build_warehouse,
    cron_schedule="0 5 * * *",
    execution_timezone="Europe/Warsaw",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Every morning at 05:00 Warsaw time, after the channels' nightly exports.",
)


def landing_fingerprints(paths: Paths) -> dict[str, str]:
    """Per source that is on (omni.toml), a hash of its files' names, sizes and modification times."""
    prints = {}
    for name in load_config(paths.data_dir).sources:
        root = paths.landing / name
        digest = hashlib.sha256()
        if root.exists():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                stat = path.stat()
                digest.update(f"{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        prints[name] = digest.hexdigest()
    return prints


@sensor(
    name="landing_files_sensor",
    job=build_warehouse,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Starts a build when files are added to or changed in landing/.",
)
def landing_files_sensor(context: SensorEvaluationContext):
    prints = landing_fingerprints(Paths.from_env())
    before = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(name for name, fp in prints.items() if before.get(name) != fp)
    context.update_cursor(json.dumps(prints, sort_keys=True))
    if not changed:
        return SkipReason("no new or changed landing files")
    run_key = hashlib.sha256(json.dumps(prints, sort_keys=True).encode()).hexdigest()[:16]
    return RunRequest(run_key=run_key, tags={"omni/changed_sources": ",".join(changed)})
