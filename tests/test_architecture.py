"""The one-way architecture (docs/architecture.md) holds: import-linter's contracts of pyproject.toml
pass on the tree, and fail on a copy of the tree into which an upward import has been put."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("omni", "dagster_project", "ingestion", "expectations", "devtools")
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on the packages found from `cwd` (the copy's before the installed tree)."""
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout, result.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    """The Python packages and pyproject.toml of the repository, copied (sources only)."""
    root = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _append_import(module: Path, statement: str) -> str:
    original = module.read_text()
    module.write_text(original + f"\n{statement}\n")
    return original


@pytest.mark.parametrize(
    ("importer", "statement", "contract", "chain", "kept"),
    [
        # a governance primitive that runs the platform: the erasure library importing the definitions
        (
            "omni/erasure.py",
            "import dagster_project.definitions",
            "One-way layers",
            "omni.erasure -> dagster_project.definitions",
            "1 kept, 1 broken",
        ),
        # the configuration importing a library above it
        (
            "omni/settings.py",
            "import omni.publish",
            "One-way layers",
            "omni.settings -> omni.publish",
            "1 kept, 1 broken",
        ),
        # the Dagster definitions reaching up to the command line
        (
            "dagster_project/defs/dlt/assets.py",
            "import omni.build",
            "One-way layers",
            "dagster_project.defs.dlt.assets -> omni.build",
            "1 kept, 1 broken",
        ),
        # the product importing the demo world generator
        (
            "ingestion/pipeline.py",
            "import devtools.generate",
            "The product never imports the developer tooling",
            "ingestion.pipeline -> devtools.generate",
            "0 kept, 2 broken",  # devtools is also the top layer
        ),
    ],
)
@pytest.mark.xdist_group("tree-copy")
def test_an_upward_import_breaks_a_contract(tree_copy, importer, statement, contract, chain, kept):
    module = tree_copy / importer
    original = _append_import(module, statement)
    try:
        result = lint_imports(tree_copy)
    finally:
        module.write_text(original)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract} BROKEN" in result.stdout, result.stdout
    assert chain in result.stdout, result.stdout
    assert f"Contracts: {kept}." in result.stdout, result.stdout


@pytest.mark.xdist_group("tree-copy")
def test_the_copy_itself_keeps_every_contract(tree_copy):
    """The copy the upward imports are put into passes as it is (what breaks it is the import alone)."""
    result = lint_imports(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
