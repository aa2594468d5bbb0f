"""Incremental runs (docs/incremental.md): a warehouse fed one export day at a time, each day built by the
incremental job, ends with exactly the tables of a full build of the same files.

The world: xs world 7 as generated. The incremental warehouse starts with every file exported before the
last `APPENDED_DAYS` days and its first build; then each remaining day's files arrive (new orders and
sessions, late clickstream events of earlier days, orders exported again with a newer version) and the
incremental job runs. The full build is the suite's shared build of the whole world 7 (the same
pseudonymisation key is used, so pseudonyms compare).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from devtools.fingerprint import differences, fingerprints
from omni.build import build
from omni.instance import ensure_dagster_home
from omni.settings import Paths

SEED = 7
APPENDED_DAYS = 2
EXPORT_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _export_date(path: Path) -> str | None:
    found = EXPORT_DATE.search(path.name)
    return found.group(0) if found else None


def _copy_landing(source: Path, target: Path, keep) -> int:
    """Copy the landing files of `source` whose export date `keep` accepts (None: a file without one)."""
    copied = 0
    for path in sorted((source / "landing").rglob("*")):
        if path.is_file() and keep(_export_date(path)):
            destination = target / "landing" / path.relative_to(source / "landing")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            copied += 1
    return copied


@pytest.fixture(scope="module")
def day_by_day(generated, xs_world, tmp_path_factory):
    world = generated(SEED)
    built = xs_world(SEED)
    days = sorted({d for p in (world / "landing").rglob("*") if p.is_file() and (d := _export_date(p))})
    paths = Paths.from_env(tmp_path_factory.mktemp("incremental") / "data")
    paths.data_dir.mkdir(parents=True)
    shutil.copy2(world / "omni.toml", paths.data_dir / "omni.toml")
    shutil.copytree(built.data_dir / "secrets", paths.data_dir / "secrets")
    first = days[-APPENDED_DAYS - 1]
    assert _copy_landing(world, paths.data_dir, lambda d: d is None or d <= first)
    runs = []
    result = build(paths, echo=lambda _m: None)
    assert result.success, "the first build failed:\n" + "\n".join(result.report)
    runs.append(result)
    for day in days[-APPENDED_DAYS:]:
        assert _copy_landing(world, paths.data_dir, lambda d, day=day: d == day)
        result = build(paths, echo=lambda _m: None)
        assert result.success, f"the build of {day} failed:\n" + "\n".join(result.report)
        runs.append(result)
    return paths, built, runs


@pytest.mark.xdist_group("incremental-days")
def test_every_table_equals_a_full_build_of_the_same_files(day_by_day):
    paths, built, _runs = day_by_day
    incremental, full = fingerprints(paths.warehouse), fingerprints(built.warehouse)
    assert len(full) > 80
    assert differences(incremental, full) == []


@pytest.mark.xdist_group("incremental-days")
def test_each_appended_day_ran_the_incremental_path(day_by_day):
    paths, _built, runs = day_by_day
    ensure_dagster_home(paths)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        modes = con.execute(
            "select model, list(mode order by batch) from meta.incremental_runs group by model"
        ).fetchall()
        late = con.execute(
            "select count(*) from staging.stg_events__events "
            "where _omni_batch > (select min(batch) from meta.incremental_runs) and is_late"
        ).fetchone()[0]
    assert modes and all(m == ["full", *["incremental"] * APPENDED_DAYS] for _model, m in modes), modes
    # the appended days brought late events of earlier days
    assert late > 0
    with DagsterInstance.get() as instance:
        tags = [instance.get_run_by_id(r.run_id).tags["omni/refresh"] for r in runs]
    # the first build of an empty warehouse is a full one, and its run says so
    assert tags == ["full", *["incremental"] * APPENDED_DAYS]


@pytest.fixture(scope="module")
def late_refreshed(late_world, tmp_path_factory):
    """A copy of the late world (world 8 built, then late arrivals built incrementally: a chat that merges
    two guests' profiles, a new requester, a consent withdrawal) rebuilt by the full refresh job."""
    paths = Paths.from_env(tmp_path_factory.mktemp("late-full") / "data")
    shutil.copytree(late_world.paths.data_dir, paths.data_dir, symlinks=True)
    result = build(paths, echo=lambda _m: None, full_refresh=True)
    assert result.success, "the full refresh failed:\n" + "\n".join(result.report)
    return paths, result


@pytest.mark.xdist_group("late-full-refresh")
def test_a_late_link_that_merges_two_profiles_built_incrementally_equals_a_full_refresh(
    late_world, late_refreshed
):
    paths, _result = late_refreshed
    guests = late_world.guests
    # the incremental build merged the younger guest's records into the older guest's key
    moved = [r for r, key in late_world.identity_before.items() if key == guests.newer]
    assert moved and all(late_world.identity_after[r] == guests.older for r in moved)
    assert differences(fingerprints(late_world.paths.warehouse), fingerprints(paths.warehouse)) == []


@pytest.mark.xdist_group("late-full-refresh")
def test_the_full_refresh_job_rebuilt_every_incremental_model(late_refreshed):
    paths, result = late_refreshed
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        last = con.execute(
            "select model, arg_max(mode, batch) from meta.incremental_runs group by model order by model"
        ).fetchall()
    assert len(last) >= 10 and {mode for _model, mode in last} == {"full"}, last
    ensure_dagster_home(paths)
    with DagsterInstance.get() as instance:
        run = instance.get_run_by_id(result.run_id)
    assert run.job_name == "full_refresh_warehouse" and run.tags["omni/refresh"] == "full"
