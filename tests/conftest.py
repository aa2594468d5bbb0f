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

ARTIFACTS = Path(os.environ.get("OMNI_TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    from dagster_project.defs.dbt.project import dbt_project, prepare_manifest

    prepare_manifest()
    return dbt_project.manifest_path
