"""Test set-up: every test works in temporary data directories, never in ./data."""

from __future__ import annotations

import os
import sys
import tempfile
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
def xs_world(tmp_path_factory, dbt_manifest):
    """xs worlds generated and built through the Dagster job, one per seed, shared by every test module
    that asks for the same seed (a build takes most of a minute)."""
    from omni.build import build
    from omni.generate import generate
    from omni.settings import Paths

    built: dict[int, Paths] = {}

    def world(seed: int):
        if seed not in built:
            paths = Paths.from_env(tmp_path_factory.mktemp(f"world-{seed}"))
            generate(paths.data_dir, size="xs", seed=seed)
            result = build(paths, echo=lambda _msg: None)
            assert result.success, f"build failed: {result.failed_steps}"
            assert not result.checks_failed, result.checks_failed
            built[seed] = paths
        return built[seed]

    return world


@pytest.fixture(scope="session")
def late_world(xs_world, tmp_path_factory):
    """A copy of world 9 rebuilt once with late arrivals (see tests/late_arrivals.py)."""
    from tests.late_arrivals import arrive_late

    return arrive_late(xs_world(9), tmp_path_factory.mktemp("late") / "data")
