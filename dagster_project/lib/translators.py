"""Asset keys across the dlt -> dbt seam, in one place.

A raw table is `raw_<source>/<table>` whether dlt loads it or dbt reads it as a source, so the two
halves form one lineage graph. dbt models are keyed `<schema>/<model>` (`staging/...`, `marts/...`).
Landing folders are external assets `landing/<source>` upstream of the raw tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings
from dagster_dlt import DagsterDltTranslator
from dagster_dlt.translator import DltResourceTranslatorData

RAW_GROUP = "raw"


def raw_asset_key(schema: str, table: str) -> AssetKey:
    return AssetKey([schema, table])


def landing_asset_key(source_name: str) -> AssetKey:
    return AssetKey(["landing", source_name])


# applies erasure requests to landing files before any load (dagster_project/defs/governance/assets.py)
ERASURE_ASSET_KEY = AssetKey(["governance", "erasure_requests"])


class OmniDltTranslator(DagsterDltTranslator):
    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        source_name = data.pipeline.dataset_name.removeprefix("raw_")
        return spec.replace_attributes(
            key=raw_asset_key(data.pipeline.dataset_name, data.resource.name),
            deps=[landing_asset_key(source_name), ERASURE_ASSET_KEY],
            group_name=RAW_GROUP,
            description=data.resource.__doc__ or spec.description,
        )


class OmniDbtTranslator(DagsterDbtTranslator):
    """`sources_off`: channel sources the retailer does not have (omni.toml). Their raw tables are not
    assets of the graph: staging models read them as the empty tables the build creates."""

    def __init__(self, sources_off: tuple[str, ...] = ()) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))
        self.schemas_off = frozenset(f"raw_{name}" for name in sources_off)

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if not self.schemas_off or not any(dep.asset_key.path[0] in self.schemas_off for dep in spec.deps):
            return spec
        return spec.replace_attributes(
            deps=[dep for dep in spec.deps if dep.asset_key.path[0] not in self.schemas_off]
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return raw_asset_key(dbt_resource_props["schema"], dbt_resource_props["name"])
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return RAW_GROUP
        fqn = dbt_resource_props.get("fqn", [])
        # models/<layer>/...: the layer is the group (staging, intermediate, marts); seeds their own
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)
