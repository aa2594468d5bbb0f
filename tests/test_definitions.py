"""The Dagster definitions load, and form one graph from landing folders through dlt to dbt."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from dagster import AssetKey, Definitions, RunRequest, build_sensor_context

from ingestion import SOURCE_NAMES

pytestmark = pytest.mark.usefixtures("dbt_manifest")


@pytest.fixture(scope="module")
def defs(default_defs) -> Definitions:
    Definitions.validate_loadable(default_defs)
    return default_defs


@pytest.fixture(scope="module")
def graph(defs):
    return defs.resolve_asset_graph()


def _raw_tables() -> set[AssetKey]:
    keys = set()
    for name in SOURCE_NAMES:
        module = __import__(f"ingestion.{name}.settings", fromlist=["TABLES"])
        keys |= {AssetKey([f"raw_{name}", t.name]) for t in module.TABLES}
    return keys


def test_every_raw_table_is_a_dlt_asset_below_its_landing_folder(graph):
    for key in _raw_tables():
        node = graph.get(key)
        assert node.is_materializable, key
        # its landing folder, and the erasure step that cleans new arrivals before any load
        assert node.parent_keys == {
            AssetKey(["landing", key.path[0].removeprefix("raw_")]),
            AssetKey(["governance", "erasure_requests"]),
        }, key


def test_dbt_sources_are_the_dlt_assets(dbt_manifest, graph):
    """No dangling dbt source: each is the very asset dlt materialises (one graph, not two)."""
    manifest = json.loads(Path(dbt_manifest).read_text())
    sources = {AssetKey([s["schema"], s["name"]]) for s in manifest["sources"].values()}
    assert sources == _raw_tables()
    staging_parents = set()
    for key in graph.get_all_asset_keys():
        if key.path[0] == "staging":
            staging_parents |= graph.get(key).parent_keys
    assert _raw_tables() <= staging_parents, "every raw table feeds a staging model"


def test_marts_are_downstream_of_landing(graph):
    marts = [k for k in graph.get_all_asset_keys() if k.path[0] == "marts"]
    assert AssetKey(["marts", "fct_orders"]) in marts
    ancestors = set()
    todo = [AssetKey(["marts", "fct_orders"])]
    while todo:
        key = todo.pop()
        for parent in graph.get(key).parent_keys:
            if parent not in ancestors:
                ancestors.add(parent)
                todo.append(parent)
    assert {AssetKey(["landing", "webshop"]), AssetKey(["landing", "pos"])} <= ancestors


def test_dbt_tests_are_asset_checks(defs, graph):
    checks = {c.asset_key for c in defs.resolve_asset_graph().asset_check_keys}
    assert AssetKey(["marts", "fct_orders"]) in checks
    assert any(k.path[0] == "staging" for k in checks)


def test_publication_follows_every_mart_and_the_report_follows_it(graph):
    published = AssetKey(["published", "marts"])
    marts = {k for k in graph.get_all_asset_keys() if k.path[0] == "marts"}
    assert marts and marts <= graph.get(published).parent_keys
    assert graph.get(AssetKey(["published", "kpi_report"])).parent_keys == {published}


def test_every_writer_takes_the_warehouse_pool(defs):
    from dagster import AssetKey

    from dagster_project.defs.resources import WAREHOUSE_POOL

    # every asset that opens the warehouse file; the report reads only the published copy, the erasure
    # step only landing files
    reads_published_only = {
        AssetKey(["published", "kpi_report"]),
        AssetKey(["governance", "erasure_requests"]),
    }
    for assets_def in defs.resolve_asset_graph().assets_defs:
        if assets_def.is_executable and not set(assets_def.keys) <= reads_published_only:
            assert assets_def.op.pool == WAREHOUSE_POOL, assets_def.node_def.name


def test_schedule_runs_daily_in_warsaw(defs):
    schedule = defs.resolve_schedule_def("daily_build")
    assert schedule.execution_timezone == "Europe/Warsaw"
    assert schedule.cron_schedule == "0 5 * * *"
    assert schedule.job_name == "build_warehouse"


def test_the_schedule_and_the_sensor_run_the_incremental_job_and_a_full_refresh_is_its_own_job(defs):
    incremental = defs.resolve_job_def("build_warehouse")
    full = defs.resolve_job_def("full_refresh_warehouse")
    assert incremental.tags["omni/refresh"] == "incremental"
    assert full.tags["omni/refresh"] == "full"
    # the same assets, only dbt's mode differs
    assert set(incremental.asset_layer.executable_asset_keys) == set(full.asset_layer.executable_asset_keys)
    assert defs.resolve_sensor_def("landing_files_sensor").job_name == "build_warehouse"
    assert {s.job_name for s in defs.schedules} == {"build_warehouse"}


def test_a_pending_erasure_or_the_full_refresh_job_rebuilds_every_model():
    from dagster_project.defs.dbt.assets import refresh_mode

    assert refresh_mode("incremental", [])[0] is False
    assert refresh_mode(None, [])[0] is False
    assert refresh_mode("full", [])[0] is True
    full, why = refresh_mode("incremental", ["request-1"])
    assert full and "1 erasure request(s) pending" in why
    full, why = refresh_mode("incremental", [], has_run_before=False)
    assert full and "first build" in why
    full, why = refresh_mode("incremental", [], settings_changed=["enabled_sources"])
    assert full and "settings changed since the last build (enabled_sources)" in why


def test_the_settings_of_a_build_are_kept_and_a_change_is_named(tmp_path):
    from dagster_project.defs.dbt.assets import changed_settings, record_settings
    from dagster_project.defs.resources import WarehouseResource
    from omni.config import RetailerConfig

    warehouse = WarehouseResource(data_dir=str(tmp_path))
    settings = RetailerConfig().dbt_vars()
    assert changed_settings(warehouse, settings) == []  # no warehouse yet
    record_settings(warehouse, settings)
    assert changed_settings(warehouse, settings) == []
    fewer = RetailerConfig(sources=("webshop", "pos")).dbt_vars()
    assert changed_settings(warehouse, fewer) == ["enabled_sources"]
    record_settings(warehouse, fewer)
    assert changed_settings(warehouse, fewer) == []
    assert changed_settings(warehouse, {**fewer, "identity_match_probability": 0.5}) == [
        "identity_match_probability"
    ]
    # when the CLV models are refitted is not a setting of the results: no rebuild
    assert changed_settings(warehouse, {**fewer, "clv_refit_days": 0}) == []


def test_sensor_starts_a_run_when_files_land(defs, tmp_path, monkeypatch):
    monkeypatch.setenv("OMNI_DATA_DIR", str(tmp_path))
    sensor = defs.resolve_sensor_def("landing_files_sensor")
    landing = tmp_path / "landing" / "pos" / "S01"
    landing.mkdir(parents=True)
    (landing / "pos_S01_2026-05-01.csv").write_text("receipt_id;store_id\n")

    first = sensor.evaluate_tick(build_sensor_context(cursor=None))
    assert len(first.run_requests) == 1
    assert isinstance(first.run_requests[0], RunRequest)
    cursor = first.cursor

    again = sensor.evaluate_tick(build_sensor_context(cursor=cursor))
    assert not again.run_requests
    assert again.skip_message

    (landing / "pos_S01_2026-05-02.csv").write_text("receipt_id;store_id\n")
    later = sensor.evaluate_tick(build_sensor_context(cursor=cursor))
    assert len(later.run_requests) == 1
    assert later.run_requests[0].tags["omni/changed_sources"] == "pos"
    assert os.environ["OMNI_DATA_DIR"] == str(tmp_path)


def test_old_dbt_invocation_folders_are_pruned(tmp_path):
    import time

    from dagster_project.defs.dbt.project import prune_invocation_targets

    day = 24 * 3600
    now = time.time()
    names = [f"omnichannel_dbt-{i:07x}-abcdef{i % 10}" for i in range(14)] + ["1a2b3c4"]
    for age, name in enumerate(names):  # one day older each
        folder = tmp_path / name
        folder.mkdir()
        os.utime(folder, (now - age * day, now - age * day))
    keep_anyway = [tmp_path / "compiled", tmp_path / "manifest.json"]  # dbt's own files are not touched
    keep_anyway[0].mkdir()
    keep_anyway[1].write_text("{}")
    os.utime(keep_anyway[0], (now - 30 * day, now - 30 * day))
    assert prune_invocation_targets(tmp_path, keep=10, min_age_hours=24) == 5
    left = {p.name for p in tmp_path.iterdir()}
    assert left == set(names[:10]) | {"compiled", "manifest.json"}
    # nothing younger than the minimum age goes, however many there are
    assert prune_invocation_targets(tmp_path, keep=2, min_age_hours=24 * 30) == 0


def test_a_change_of_an_incremental_models_code_rebuilds_every_model(tmp_path):
    """The code of each incremental model (its file, key, hooks and constraints, the project's macros it calls) is kept
    with the settings of a build: a change of it, in the model or in a macro it calls through another one,
    is named and rebuilds every model; a macro no incremental model calls changes nothing."""
    import copy
    import json

    from dagster_project.defs.dbt.assets import (
        changed_settings,
        incremental_model_code,
        record_settings,
        refresh_mode,
    )
    from dagster_project.defs.dbt.project import dbt_project
    from dagster_project.defs.resources import WarehouseResource

    manifest = json.loads(dbt_project.manifest_path.read_text())
    code = incremental_model_code(manifest)
    incremental = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    }
    assert {name.removeprefix("code of ") for name in code} == incremental
    assert {
        "customer_identity_map",
        "fct_touchpoints",
        "int_identity__deterministic_components",
    } <= incremental

    # omni_batch is called by every incremental model through batch_column / last_batch / record_incremental_run
    edited = copy.deepcopy(manifest)
    edited["macros"]["macro.omnichannel.omni_batch"]["macro_sql"] += "\n"
    assert set(incremental_model_code(edited)) == set(code)
    assert all(incremental_model_code(edited)[name] != code[name] for name in code)
    # a macro only the identity map's hook calls: only the identity map
    edited = copy.deepcopy(manifest)
    edited["macros"]["macro.omnichannel.delete_vanished_identity_values"]["macro_sql"] += "\n"
    assert [name for name in code if incremental_model_code(edited)[name] != code[name]] == [
        "code of customer_identity_map"
    ]
    # the model's own file
    edited = copy.deepcopy(manifest)
    node = next(n for n in edited["nodes"].values() if n["name"] == "fct_sessions")
    node["checksum"]["checksum"] = "another"
    assert [name for name in code if incremental_model_code(edited)[name] != code[name]] == [
        "code of fct_sessions"
    ]

    # a constraint of its contract (in the table's DDL)
    constrained = copy.deepcopy(manifest)
    node = next(n for n in constrained["nodes"].values() if n["name"] == "attribution_credits")
    node["columns"]["attribution_credit_key"]["constraints"].append({"type": "unique"})
    assert [name for name in code if incremental_model_code(constrained)[name] != code[name]] == [
        "code of attribution_credits"
    ]

    # a Python model: the omni modules it imports, and those they import
    python = copy.deepcopy(manifest)
    node = next(n for n in python["nodes"].values() if n["name"] == "int_identity__deterministic_components")
    assert "from omni.identity.graph import" in node["raw_code"]
    node["raw_code"] = node["raw_code"].replace("from omni.identity.graph import", "from omni.clv import")
    assert [name for name in code if incremental_model_code(python)[name] != code[name]] == [
        "code of int_identity__deterministic_components"
    ]

    warehouse = WarehouseResource(data_dir=str(tmp_path))
    record_settings(warehouse, code)
    assert changed_settings(warehouse, code) == []
    changed = changed_settings(warehouse, incremental_model_code(edited))
    assert changed == ["code of fct_sessions"]
    full, why = refresh_mode("incremental", [], settings_changed=[*changed, "enabled_sources"])
    assert full and why == (
        "the settings changed since the last build (enabled_sources); the code of incremental models "
        "changed since the last build (fct_sessions): every model is rebuilt"
    )
