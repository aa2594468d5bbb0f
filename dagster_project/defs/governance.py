"""Erasure requests applied to every arrival: before any load, landing files are cleaned of the people
who asked to be forgotten (omni/erasure.py), so a later build never brings them back."""

# no `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time
from dagster import AssetExecutionContext, MaterializeResult, asset

from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.translators import ERASURE_ASSET_KEY
from omni.erasure import load_tokens, scrub_landing


@asset(
    key=ERASURE_ASSET_KEY,
    group_name="governance",
    description="Applies remembered erasure requests (keyed hashes only) to landing files that arrived since "
    "the last run; every dlt load waits for it.",
)
def erasure_requests(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    paths = warehouse.paths
    tokens = load_tokens(paths)
    result = scrub_landing(paths, tokens, only_new=True)
    if result["records_removed"]:
        context.log.info(
            f"removed {result['records_removed']} records of erased people from "
            f"{result['files_rewritten']} landing files"
        )
    return MaterializeResult(metadata={"remembered_tokens": len(tokens), **result})
