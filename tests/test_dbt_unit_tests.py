"""The dbt unit tests (fixed inputs, expected outputs per model) check the models' code, not the data: the
warehouse's builds leave them out, as dbt advises for production runs, and they run here, every one of
them, once per suite."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.support import dbt, prepared_manifest

pytestmark = pytest.mark.e2e


def test_every_dbt_unit_test_passes(xs_world, tmp_path):
    # dbt reads the column types of a unit test's inputs from the warehouse: a copy of a built one
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(xs_world(7).warehouse, warehouse)
    shutil.copytree(xs_world(7).data_dir / "secrets", tmp_path / "secrets")
    unit_tests = {node.name for node in prepared_manifest().unit_tests.values()}
    assert len(unit_tests) >= 25

    out = dbt(warehouse, "test", "--select", "test_type:unit")

    assert out.returncode == 0, out.stdout[-4000:]
    # the results hold the project's hooks too (they create the table of incremental runs)
    ran = {name: status for name, status in out.results.items() if not name.startswith("omnichannel-on-run")}
    assert ran == dict.fromkeys(unit_tests, "pass"), out.stdout[-4000:]


def test_the_warehouse_build_leaves_unit_tests_out_and_runs_every_data_test(xs_world):
    """The build's `dbt build` summary line: every data test of the manifest ran, no unit test did."""
    manifest = prepared_manifest()
    data_tests = sum(1 for node in manifest.nodes.values() if node.resource_type == "test")
    log = next(xs_world(7).logs.glob("build-*.log")).read_text()
    (summary,) = [line for line in re.findall(r"^Finished running .*$", log, flags=re.M) if "model" in line]
    assert f" {data_tests} data tests" in summary, summary
    assert "unit test" not in summary, summary
