"""End to end: generate an xs world, build it through the Dagster job, check raw, staging and marts."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ingestion import SOURCE_NAMES
from omni.settings import Paths
from tests.support import rows

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built_world(xs_world) -> Paths:
    return xs_world(7)


def test_every_raw_table_is_loaded_and_accounted_for(built_world):
    for name in SOURCE_NAMES:
        module = __import__(f"ingestion.{name}.settings", fromlist=["TABLES"])
        for table in module.TABLES:
            (count,) = rows(built_world, f"select count(*) from raw_{name}.{table.name}")[0]
            assert count > 0, f"raw_{name}.{table.name} is empty"
        # every row read from a landing file was loaded or quarantined
        bad = rows(
            built_world,
            f"select source_file from raw_{name}._load_audit "
            "where rows_read <> rows_loaded + rows_quarantined",
        )
        assert bad == [], bad


def planted(paths: Paths) -> dict:
    return json.loads((paths.truth / "planted.json").read_text())


def test_planted_duplicate_files_add_nothing(built_world):
    # each re-delivered file the generator planted is recognised as a duplicate, and nothing else is
    copies = [d["copy"] for d in planted(built_world)["duplicate_files"]]
    assert copies
    for name in SOURCE_NAMES:
        dupes = rows(built_world, f"select count(*) from raw_{name}._load_audit where status = 'duplicate'")
        assert dupes == [(sum(c.startswith(f"{name}/") for c in copies),)], name
    # a receipt line is in raw once, whatever the number of deliveries of its file
    assert rows(
        built_world,
        "select count(*) from (select receipt_id, line_no from raw_pos.receipt_lines "
        "group by all having count(*) > 1)",
    ) == [(0,)]


def test_every_staging_model_is_built(built_world, dbt_manifest):
    manifest = json.loads(Path(dbt_manifest).read_text())
    staging = [
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["schema"] == "staging"
    ]
    assert len(staging) >= 20
    for model in staging:
        (count,) = rows(built_world, f"select count(*) from staging.{model}")[0]
        assert count > 0, f"staging.{model} is empty"


def test_fct_orders_holds_the_true_orders(built_world):
    with (built_world.truth / "orders.csv").open(newline="") as fh:
        truth = {(r["source_system"], r["order_id"]) for r in csv.DictReader(fh)}
    built = set(rows(built_world, "select source_system, order_id from marts.fct_orders"))
    assert built <= truth, f"orders that do not exist: {sorted(built - truth)[:5]}"
    # a planted corrupt till line is one line more on a receipt whose other lines load: no order is lost
    assert truth - built == set(), sorted(truth - built)[:10]
    channels = {r[0] for r in rows(built_world, "select distinct ordering_channel from marts.fct_orders")}
    assert {"web", "store"} <= channels
    fulfilment = {r[0] for r in rows(built_world, "select distinct fulfilment_type from marts.fct_orders")}
    assert {"click_and_collect", "in_store"} <= fulfilment


def test_dagster_shows_the_load_audit_as_metadata(built_world):
    from dagster import AssetKey, DagsterInstance

    from omni.instance import ensure_dagster_home

    ensure_dagster_home(built_world)
    with DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(AssetKey(["raw_pos", "receipt_lines"]))
    metadata = event.asset_materialization.metadata
    read, loaded, quarantined = (metadata[k].value for k in ("rows_read", "rows_loaded", "rows_quarantined"))
    assert read == loaded + quarantined
    truth = planted(built_world)
    # the corrupt till rows and the re-delivered till files the generator planted
    assert quarantined == sum(c["file"].startswith("pos/") for c in truth["corrupt_rows"]) > 0
    assert metadata["files_duplicate"].value == sum(
        d["copy"].startswith("pos/") for d in truth["duplicate_files"]
    )
