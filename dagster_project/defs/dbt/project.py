"""The dbt project as Dagster sees it. Kept apart from @dbt_assets so the manifest can be prepared
first (`dagster dev` does it through prepare_if_dev; `omni build` and the tests call `prepare`)."""

import os
import re
import shutil
import time
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from omni.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()


def prepare_manifest() -> None:
    """Parse the dbt project (manifest.json) unless it is already there, newer than the sources and
    parsed for this warehouse.

    dbt keeps its partial-parse cache (target/partial_parse.msgpack) only for the profile it was parsed
    with, and the profile holds the warehouse path; dagster-dbt hands that cache to every dbt command of a
    run. Parsing once for the warehouse a build writes lets each of those commands parse in a second or
    two instead of parsing the whole project again.
    """
    manifest = dbt_project.manifest_path
    stamp = manifest.parent / "partial_parse.warehouse"
    warehouse = os.environ.get("OMNI_WAREHOUSE_PATH", "")
    if manifest.exists() and stamp.exists() and stamp.read_text() == warehouse:
        newest = max(p.stat().st_mtime for p in DBT_PROJECT_DIR.rglob("*")
                     if p.suffix in {".sql", ".yml", ".csv"} and "target" not in p.parts)
        if manifest.stat().st_mtime >= newest:
            return
    dbt = DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
    dbt.cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()
    stamp.write_text(warehouse)


# dagster-dbt gives every dbt command its own folder in dbt/target: `<op>-<run id>-<id>` inside a run,
# `<id>` outside one (7 hex characters each)
INVOCATION_DIR = re.compile(r"^(?:\w+-[0-9a-f]{7}-)?[0-9a-f]{7}$")


def prune_invocation_targets(target: Path | None = None, keep: int = 10, min_age_hours: float = 24) -> int:
    """Remove the target folders of old dbt commands (compiled SQL, logs, artifacts: tens of MB each at
    size s, so a daily schedule would fill the disk). Keeps the newest `keep` and any younger than
    `min_age_hours`, so a command still running is never touched. Returns how many were removed."""
    target = target or dbt_project.target_path
    if not target.is_dir():
        return 0
    folders = sorted((p for p in target.iterdir() if p.is_dir() and INVOCATION_DIR.match(p.name)),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    cutoff = time.time() - min_age_hours * 3600
    removed = 0
    for folder in folders[keep:]:
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
