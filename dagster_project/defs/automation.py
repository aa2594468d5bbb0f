"""The jobs that build everything, the daily schedule, and the sensor that reacts to new files.

`build_warehouse` is the incremental build (docs/incremental.md): dbt's incremental models process only
what is new or changed since their last run. `full_refresh_warehouse` rebuilds every model from all the
data; it is started by hand (`omni build --full-refresh`, or the Launchpad), never on a schedule. Each
run carries the tag `omni/refresh` (`incremental` or `full`), shown in the Dagster UI's run list.
"""

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
FULL_REFRESH_JOB_NAME = "full_refresh_warehouse"
REFRESH_TAG = "omni/refresh"

_everything = AssetSelection.all() - AssetSelection.groups("landing")

build_warehouse = define_asset_job(
    BUILD_JOB_NAME,
    selection=_everything,
    tags={REFRESH_TAG: "incremental"},
    description="Load every channel's new landing files, then build staging and marts incrementally (only "
    "new and changed records) with their checks.",
)

full_refresh_warehouse = define_asset_job(
    FULL_REFRESH_JOB_NAME,
    selection=_everything,
    tags={REFRESH_TAG: "full"},
    description="Load new landing files, then rebuild every dbt model from all the data (dbt --full-refresh): "
    "after a change of the models or of the retailer's configuration, or to check the incremental tables.",
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
