"""The dbt project as Dagster sees it. Kept apart from @dbt_assets so the manifest can be prepared
first (the definitions factory calls `prepare_if_dev` for `dagster dev`; `omni build` and the tests call
`prepare_manifest`). Importing this module reads dbt_project.yml only: nothing of dbt/target."""

import hashlib
import json
import os
import re
import shutil
import time
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.compat import DBT_PYTHON_VERSION
from packaging import version

from omni.settings import (
    DBT_EXECUTABLE,
    DBT_PROJECT_DIR,
    SPARK_DBT_EXECUTABLE,
    dbt_target_dir,
    engine_from_env,
)

# the target folder follows DBT_TARGET_PATH as dbt and dagster-dbt do (omni/settings.py: dbt_target_dir)
dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=dbt_target_dir()
)


class DbtResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource, running this environment's dbt (DBT_EXECUTABLE; on Spark
    `omni-spark-dbt`, dbt's command line inside the warehouse's Spark session).

    dagster-dbt learns which dbt it drives (dbt Core or dbt Fusion) by running `dbt --version` once per
    resource, that is once per dbt command of a build; that command also asks PyPI for the newest
    release (a network call at run time) and costs 3 to 4 seconds each time. The executable is the
    dbt-core installed next to dagster-dbt, so its version is the installed package's.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return DBT_PYTHON_VERSION


def dbt_resource(engine: str | None = None) -> DbtResource:
    """The dbt of `engine` (default OMNI_ENGINE's); its profile target is the engine (dbt/profiles.yml)."""
    engine = engine or engine_from_env()
    return DbtResource(
        project_dir=dbt_project,
        dbt_executable=SPARK_DBT_EXECUTABLE if engine == "spark" else DBT_EXECUTABLE,
        target=engine,
    )


PARSE_CACHES_KEPT = 8


def vars_args(dbt_vars: dict | None) -> list[str]:
    """`--vars` for the retailer's configuration, written the same way by every dbt command of a build
    (dbt keeps its partial-parse cache only while the vars stay the same)."""
    return ["--vars", json.dumps(dict(dbt_vars), sort_keys=True)] if dbt_vars else []


def prepare_manifest(dbt_vars: dict | None = None) -> None:
    """Parse the dbt project (manifest.json) unless it is already there, newer than the sources and
    parsed for this warehouse and these `--vars` (the retailer's configuration: a build passes the same
    ones, and dbt parses everything again when vars change).

    dbt keeps its partial-parse cache (target/partial_parse.msgpack) only for the profile it was parsed
    with, and the profile holds the warehouse path; dagster-dbt hands that cache to every dbt command of a
    run. Parsing once for the warehouse a build writes lets each of those commands parse in a second or
    two instead of parsing the whole project again. The caches of the last few warehouses are kept
    (target/partial_parse/), so going back to one of them is a partial parse, not a full one; dbt itself
    still checks that a cache fits before it uses it.
    """
    manifest = dbt_project.manifest_path
    stamp = manifest.parent / "partial_parse.warehouse"
    warehouse = os.environ.get("OMNI_WAREHOUSE_PATH", "")
    args = vars_args(dbt_vars)
    warehouse += "\n" + " ".join(args)  # what the stamp and the cache are keyed on
    parsed_for_this_warehouse = stamp.exists() and stamp.read_text() == warehouse
    if manifest.exists() and parsed_for_this_warehouse:
        newest = max(
            p.stat().st_mtime
            for p in DBT_PROJECT_DIR.rglob("*")
            if p.suffix in {".sql", ".yml", ".csv"} and "target" not in p.parts
        )
        if manifest.stat().st_mtime >= newest:
            return
    current = manifest.parent / "partial_parse.msgpack"
    cached = _parse_cache(warehouse)
    if cached.exists() and not parsed_for_this_warehouse:
        shutil.copyfile(cached, current)
    dbt_resource().cli(["parse", "--quiet", *args], target_path=dbt_project.target_path).wait()
    stamp.write_text(warehouse)
    if current.exists():
        cached.parent.mkdir(exist_ok=True)
        shutil.copyfile(current, cached)
        for old in sorted(cached.parent.glob("*.msgpack"), key=lambda p: p.stat().st_mtime)[
            :-PARSE_CACHES_KEPT
        ]:
            old.unlink(missing_ok=True)


def _parse_cache(warehouse: str) -> Path:
    key = hashlib.sha256(warehouse.encode()).hexdigest()[:16]
    return dbt_project.manifest_path.parent / "partial_parse" / f"{key}.msgpack"


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
    folders = sorted(
        (p for p in target.iterdir() if p.is_dir() and INVOCATION_DIR.match(p.name)),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    cutoff = time.time() - min_age_hours * 3600
    removed = 0
    for folder in folders[keep:]:
        if folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed
