"""Test set-up: every test works in temporary data directories, never in ./data."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from tests.shared import MadeOnce

# Definitions read OMNI_DATA_DIR when imported: point it at a scratch directory before any import.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="omni-tests-"))
# removed when the test process ends (a killed process leaves it behind)
atexit.register(shutil.rmtree, _SESSION_DIR, ignore_errors=True)
os.environ["OMNI_DATA_DIR"] = str(_SESSION_DIR / "data")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")
# dbt's target folder (manifest, partial-parse cache, each dbt command's artifacts) of this test process:
# processes that build at once never read a manifest another one is writing
os.environ["DBT_TARGET_PATH"] = str(_SESSION_DIR / "dbt-target")
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


@pytest.fixture(scope="session")
def default_defs(dbt_manifest):
    """The Dagster definitions as Dagster's loader makes them for a data directory with no configuration
    (every source on): loaded for the session's own scratch directory, whichever data directory a build
    in this process last pointed the environment at (a build exports its paths for dbt and Dagster)."""
    from dagster_project.definitions import load_definitions
    from tests.support import environment

    # loading exports the data directory's paths: both are put back afterwards
    with environment(OMNI_DATA_DIR=str(_SESSION_DIR / "data"), OMNI_WAREHOUSE_PATH=""):
        return load_definitions()


@pytest.fixture(scope="session")
def made_once(tmp_path_factory) -> MadeOnce:
    """The folder every test process of this session shares (tests/shared.py)."""
    base = tmp_path_factory.getbasetemp()
    # under xdist each process has its own basetemp (popen-gwN) in the session's folder
    return MadeOnce((base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared")


class Generated:
    """xs worlds as the generator writes them (landing files, truth/, omni.toml) with their pseudonymisation
    key (tests/support.py: generate_xs), one per seed, generated once per session and shared by every test
    process: read them, never write into them (copy a world to change it). Seeds asked for together are
    generated in parallel, one process per core."""

    def __init__(self, made: MadeOnce) -> None:
        self.made = made

    def __call__(self, seed: int) -> Path:
        return self.many([seed])[seed]

    def many(self, seeds) -> dict[int, Path]:
        from tests.support import generate_xs

        seeds = list(dict.fromkeys(seeds))
        if len(seeds) > 1:
            self.made.make_free_ones([f"generated-{s}" for s in seeds], _generate_side_by_side)
        return {s: self.made.get(f"generated-{s}", lambda folder, s=s: generate_xs(folder, s)) for s in seeds}


def _generate_side_by_side(items: list[tuple[str, Path]]) -> dict[str, Path]:
    from tests.support import generate_xs

    seeds = [int(name.removeprefix("generated-")) for name, _ in items]
    # spawned, not forked: the test process holds threads (DuckDB, Dagster) a fork would copy
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(len(items), os.cpu_count() or 1), mp_context=context) as pool:
        folders = list(pool.map(generate_xs, [folder for _, folder in items], seeds))
    return {name: folder for (name, _), folder in zip(items, folders, strict=True)}


@pytest.fixture(scope="session")
def generated(made_once) -> Generated:
    return Generated(made_once)


def _build_world(generated: Generated, seed: int, folder: Path):
    """Generate (or copy the generated) xs world of `seed` into `folder` and build it through the job."""
    from omni.build import build
    from omni.settings import Paths

    paths = Paths.from_env(folder)
    shutil.copytree(generated(seed), paths.data_dir, dirs_exist_ok=True)
    result = build(paths, echo=lambda _msg: None)
    assert result.success, f"build of world {seed} failed: {result.failed_steps}"
    assert not result.checks_failed, result.checks_failed
    return paths


@pytest.fixture(scope="session")
def xs_world(made_once, dbt_manifest, generated):
    """xs worlds generated and built through the Dagster job, one per seed, built once per session and
    shared by every module (and every test process) that asks for the same seed: read them, never write
    into them. While another process builds the world asked for, this one builds the other shared seed."""

    def build_many(items: list[tuple[str, Path]]) -> dict[str, object]:
        return {
            name: _build_world(generated, int(name.removeprefix("world-")), folder) for name, folder in items
        }

    def world(seed: int):
        name = f"world-{seed}"
        if not made_once.is_made(name):
            # generated side by side first; then this world, or, while another process builds it, the
            # next one no process is building yet
            generated.many(BUILT_SEEDS)
            made_once.make_free_ones([name, *(f"world-{s}" for s in BUILT_SEEDS)], build_many, limit=1)
        return made_once.get(name, lambda folder: _build_world(generated, seed, folder))

    return world


@pytest.fixture(scope="session")
def late_world(xs_world, made_once):
    """A copy of world 8 rebuilt once with late arrivals (see tests/late_arrivals.py), shared by every test
    process."""
    from tests.late_arrivals import arrive_late

    return made_once.get("late-world", lambda folder: arrive_late(xs_world(8), folder / "data"))
