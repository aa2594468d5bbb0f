"""Test set-up: every test works in temporary data directories, never in ./data."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

# Definitions read OMNI_DATA_DIR when imported: point it at a scratch directory before any import.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="omni-tests-"))
os.environ["OMNI_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DLT_PROJECT_DIR", str(Path(__file__).resolve().parent.parent))
# as `omni` does: this environment's tools (dbt) are found even when the virtualenv is not activated
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

# the seeds of the built worlds the modules share (xs_world): two, so numbers are checked on two worlds
BUILT_SEEDS = (7, 8)

ARTIFACTS = Path(
    os.environ.get("OMNI_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts")
)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    from dagster_project.defs.dbt.project import dbt_project, prepare_manifest

    prepare_manifest()
    return dbt_project.manifest_path


class Generated:
    """xs worlds as the generator writes them (landing files, truth/, omni.toml), one per seed, generated
    once per session and shared: read them, never write into them (copy a world to change it). Seeds asked
    for together are generated in parallel, one process per core."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made: dict[int, Path] = {}

    def __call__(self, seed: int) -> Path:
        return self.many([seed])[seed]

    def many(self, seeds) -> dict[int, Path]:
        from tests.support import generate_xs

        todo = [s for s in dict.fromkeys(seeds) if s not in self.made]
        if len(todo) == 1:
            self.made[todo[0]] = generate_xs(self.root / str(todo[0]), todo[0])
        elif todo:
            # spawned, not forked: the test process holds threads (DuckDB, Dagster) a fork would copy
            context = multiprocessing.get_context("spawn")
            workers = min(len(todo), os.cpu_count() or 1)
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                folders = pool.map(generate_xs, [self.root / str(s) for s in todo], todo)
                self.made.update(zip(todo, folders, strict=True))
        return {s: self.made[s] for s in seeds}


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Generated:
    return Generated(tmp_path_factory.mktemp("generated"))


@pytest.fixture(scope="session")
def xs_world(tmp_path_factory, dbt_manifest, generated):
    """xs worlds generated and built through the Dagster job, one per seed, shared by every test module
    that asks for the same seed (a build takes most of a minute)."""
    from omni.build import build
    from omni.settings import Paths

    built: dict[int, Paths] = {}

    def world(seed: int):
        if seed not in built:
            paths = Paths.from_env(tmp_path_factory.mktemp(f"world-{seed}"))
            # the generator's output for the seed, copied: the build writes into its data directory (the
            # seeds the modules build are generated side by side the first time)
            shutil.copytree(generated.many([seed, *BUILT_SEEDS])[seed], paths.data_dir, dirs_exist_ok=True)
            result = build(paths, echo=lambda _msg: None)
            assert result.success, f"build failed: {result.failed_steps}"
            assert not result.checks_failed, result.checks_failed
            built[seed] = paths
        return built[seed]

    return world


@pytest.fixture(scope="session")
def late_world(xs_world, tmp_path_factory):
    """A copy of world 8 rebuilt once with late arrivals (see tests/late_arrivals.py)."""
    from tests.late_arrivals import arrive_late

    return arrive_late(xs_world(8), tmp_path_factory.mktemp("late") / "data")
