"""dbt source freshness as Dagster asset checks, one per raw table dbt reads.

The thresholds live where dbt keeps them, in each source's `freshness` config (staging/*/_*__sources.yml);
the load time is the dlt load id (a Unix timestamp) of the newest row. The check runs
`dbt source freshness` once for the selected tables and reads dbt's own verdict from sources.json:
pass -> passed, warn -> failed as a warning, error or runtime error -> failed as an error. Not blocking:
stale data is still correct data, and downstream models should build on what there is.
"""

# no `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time
import json
from collections.abc import Iterator, Mapping
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetsDefinition,
    MetadataValue,
    multi_asset_check,
)
from dagster_dbt import DbtCliResource

from dagster_project.defs.dbt.project import dbt_project, vars_args
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.translators import OmniDbtTranslator

CHECK_NAME = "dbt_source_freshness"

SEVERITY = {"warn": AssetCheckSeverity.WARN}


def _freshness(source: Mapping[str, Any]) -> Mapping[str, Any]:
    """A source's freshness config (top level in older manifests, under `config` in newer ones)."""
    return source.get("freshness") or source.get("config", {}).get("freshness") or {}


def sources_with_freshness(manifest: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Sources of the manifest that declare a warn or error threshold."""
    found = []
    for source in manifest["sources"].values():
        freshness = _freshness(source)
        if any((freshness.get(level) or {}).get("count") for level in ("warn_after", "error_after")):
            found.append(source)
    return sorted(found, key=lambda s: s["unique_id"])


def _criteria(freshness: Mapping[str, Any]) -> str:
    parts = []
    for level in ("warn_after", "error_after"):
        rule = freshness.get(level) or {}
        if rule.get("count"):
            parts.append(f"{level.removesuffix('_after')} after {rule['count']} {rule['period']}(s)")
    return ", ".join(parts)


def freshness_results(
    dbt: DbtCliResource, sources: list[Mapping[str, Any]], dbt_vars: Mapping[str, Any] | None = None
) -> Iterator[AssetCheckResult]:
    """Run `dbt source freshness` for `sources` and turn each table's verdict into a check result.

    `dbt_vars` are the `--vars` of the build's `dbt build`: the same ones, so dbt reuses the build's
    partial-parse cache instead of parsing the whole project again (dbt drops it when vars change)."""
    translator = OmniDbtTranslator()
    selection = [f"source:{s['source_name']}.{s['name']}" for s in sources]
    invocation = dbt.cli(
        ["source", "freshness", "--select", " ".join(selection), *vars_args(dbt_vars)],
        raise_on_error=False,
        manifest=dbt_project.manifest_path,
    )
    invocation.wait()
    sources_json = invocation.target_path / "sources.json"
    results = {}
    if sources_json.exists():
        results = {r["unique_id"]: r for r in json.loads(sources_json.read_text())["results"]}
    error = None if len(results) == len(sources) else invocation.get_error()
    for source in sources:
        key = translator.get_asset_key(source)
        result = results.get(source["unique_id"])
        if result is None:  # dbt stopped before this table (the log says why)
            yield AssetCheckResult(
                asset_key=key,
                check_name=CHECK_NAME,
                passed=False,
                metadata={
                    "status": "no result",
                    "error": MetadataValue.text(
                        str(error)[-2000:] if error else "dbt source freshness returned no result"
                    ),
                },
            )
            continue
        status = result["status"]
        metadata = {
            "status": status,
            "criteria": _criteria(result.get("criteria") or {}),
            "loaded_at_field": source["loaded_at_field"],
        }
        if status == "runtime error":
            metadata["error"] = MetadataValue.text(str(result.get("message") or result.get("error")))
        else:
            metadata["max_loaded_at"] = result["max_loaded_at"]
            metadata["snapshotted_at"] = result["snapshotted_at"]
            metadata["hours_since_load"] = round(result["max_loaded_at_time_ago_in_s"] / 3600, 2)
        yield AssetCheckResult(
            asset_key=key,
            check_name=CHECK_NAME,
            passed=status == "pass",
            severity=SEVERITY.get(status, AssetCheckSeverity.ERROR),
            metadata=metadata,
        )


def empty_tables(warehouse: WarehouseResource, sources: list[Mapping[str, Any]]) -> set[str]:
    """unique_ids of the raw tables among `sources` that hold no row (or do not exist)."""
    empty = set()
    with warehouse.connect() as con:
        present = {
            # views too: the lake's catalog on Spark is views
            (s, t)
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for source in sources:
            schema, table = source["schema"], source["identifier"]
            if (schema, table) not in present or not con.execute(
                f'select exists (select 1 from "{schema}"."{table}")'
            ).fetchone()[0]:
                empty.add(source["unique_id"])
    return empty


def source_freshness_checks(
    sources_on: tuple[str, ...] | None = None, dbt_vars: Mapping[str, Any] | None = None
) -> AssetsDefinition:
    """One freshness check per raw table dbt reads, of the sources that are on (default: all). `dbt_vars`:
    the retailer's `--vars`, as the build's dbt command passes them."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    sources = [
        s for s in sources_with_freshness(manifest) if sources_on is None or s["source_name"] in sources_on
    ]
    translator = OmniDbtTranslator()
    by_key = {}
    specs = []
    for source in sources:
        key = translator.get_asset_key(source)
        by_key[AssetCheckKey(key, CHECK_NAME)] = source
        specs.append(
            AssetCheckSpec(
                CHECK_NAME,
                asset=key,
                description=f"dbt source freshness of {source['source_name']}.{source['name']}: "
                f"{_criteria(_freshness(source))} since the newest dlt load.",
            )
        )

    @multi_asset_check(name="dbt_source_freshness", specs=specs, can_subset=True, pool=WAREHOUSE_POOL)
    def dbt_source_freshness(
        context: AssetCheckExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ) -> Iterator[AssetCheckResult]:
        selected = [by_key[k] for k in sorted(context.selected_asset_check_keys, key=str) if k in by_key]
        # a table no file has fed yet has no load time: a warning that says so, not dbt's error
        empty = empty_tables(warehouse, selected)
        for source in selected:
            if source["unique_id"] in empty:
                yield AssetCheckResult(
                    asset_key=translator.get_asset_key(source),
                    check_name=CHECK_NAME,
                    passed=False,
                    severity=AssetCheckSeverity.WARN,
                    metadata={
                        "status": "no rows loaded",
                        "rows": 0,
                        "criteria": _criteria(_freshness(source)),
                    },
                )
        yield from freshness_results(dbt, [s for s in selected if s["unique_id"] not in empty], dbt_vars)

    return dbt_source_freshness
