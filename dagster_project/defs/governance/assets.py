"""Erasure requests applied to every arrival: before any load, landing files are cleaned of the people
who asked to be forgotten (omni/erasure.py), so a later build never brings them back. After a build that
follows an erasure, the warehouse file is compacted (its free blocks still hold the deleted rows) and
the publications made before the erasure are deleted."""

# no `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.translators import ERASURE_ASSET_KEY
from omni.erasure import complete_erasures, load_tokens, scrub_landing


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


@asset(
    key=["governance", "erasure_compaction"],
    deps=[AssetKey(["published", "marts"])],
    group_name="governance",
    pool=WAREHOUSE_POOL,  # rewrites the warehouse file: nothing else may touch it meanwhile
    description="After a build that follows an erasure (omni forget): rewrites the warehouse into a fresh file, "
    "swapped in atomically, so that no freed block keeps the erased rows, and deletes the publications made "
    "before the erasure. Does nothing when no erasure is pending.",
)
def erasure_compaction(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    done = complete_erasures(warehouse.paths)
    if done is None:
        return MaterializeResult(metadata={"pending_requests": 0})
    compaction = done["warehouse_compacted"]
    context.log.info(
        f"completed {len(done['requests'])} erasure request(s): warehouse rewritten "
        f"({compaction['bytes_before']:,} -> {compaction['bytes_after']:,} bytes), "
        f"{done['publications_removed']} older publication(s) deleted"
    )
    return MaterializeResult(
        metadata={
            "pending_requests": len(done["requests"]),
            "bytes_before": compaction["bytes_before"],
            "bytes_after": compaction["bytes_after"],
            "seconds": compaction["seconds"],
            "publications_removed": done["publications_removed"],
            "requests": MetadataValue.json(done["requests"]),
        }
    )
