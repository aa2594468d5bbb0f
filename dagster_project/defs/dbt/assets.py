"""dbt models, seeds and tests as Dagster assets and asset checks (dbt tests -> checks)."""

import hashlib
import importlib.util
import json
import re
from pathlib import Path

from dagster import AssetExecutionContext, AssetsDefinition
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.automation import REFRESH_TAG
from dagster_project.defs.dbt.project import dbt_project, prune_invocation_targets, vars_args
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.translators import OmniDbtTranslator
from ingestion import SOURCE_NAMES
from ingestion.common.raw_tables import ensure_raw_tables
from omni import lake_catalog
from omni.config import RUN_POLICY_VARS, RetailerConfig
from omni.erasure import pending_erasures


def build_dbt_assets(config: RetailerConfig) -> AssetsDefinition:
    """The dbt project as assets. The raw tables of sources that are off are not in the graph; the
    build creates them empty (and any table a source that is on has not fed yet), so every staging
    model and mart builds, empty where its channel is missing."""

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=OmniDbtTranslator(sources_off=config.sources_off),
        pool=WAREHOUSE_POOL,
    )
    def omnichannel_dbt(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        # on Spark, omni-spark-dbt registers the lake's tables, those no file has fed yet typed by the contract
        created = [] if warehouse.on_spark else ensure_raw_tables(warehouse.paths.warehouse, SOURCE_NAMES)
        if created:
            context.log.info(
                f"created empty raw tables (no data yet, or the source is off): {', '.join(created)}"
            )
        # the settings dbt reads, and the code of the incremental models: a change of either rebuilds all
        settings = {
            **config.dbt_vars(),
            **incremental_model_code(json.loads(dbt_project.manifest_path.read_text())),
        }
        full, why = refresh_mode(
            context.run.tags.get(REFRESH_TAG),
            pending_erasures(warehouse.paths),
            _has_run_before(warehouse),
            settings_changed=changed_settings(warehouse, settings),
        )
        context.log.info(f"dbt build, {'full refresh' if full else 'incremental'}: {why}")
        if full and context.run.tags.get(REFRESH_TAG) != "full":
            # the UI's run list shows that this incremental run rebuilt everything
            context.instance.add_run_tags(context.run_id, {REFRESH_TAG: "full"})
        # unit tests check the models' code, not the data: they run in CI (`make test`) and from the shell,
        # not in every build of the warehouse, as dbt advises for production runs
        args = ["build", "--exclude-resource-type", "unit_test", *vars_args(config.dbt_vars())]
        yield from dbt.cli([*args, "--full-refresh"] if full else args, context=context).stream()
        if warehouse.on_spark:
            # the tables dbt built, for the readers outside dbt (omni/lake_catalog.py), and the raw tables
            # again should files have been loaded outside this graph
            lake_catalog.refresh(warehouse.paths, manifest=dbt_project.manifest_path)
        record_settings(warehouse, settings)
        prune_invocation_targets()

    return omnichannel_dbt


def refresh_mode(
    tag: str | None,
    pending_erasures: list[str],
    has_run_before: bool = True,
    settings_changed: list[str] | None = None,
) -> tuple[bool, str]:
    """Whether the dbt build rebuilds every model, and why. A pending erasure always does: rows deleted from
    an incremental table would leave their bytes in the warehouse file's blocks, a rebuild leaves none. So
    does a change of the settings dbt reads (a source turned off, another match threshold): the rows built
    under the old settings would stay beside the new ones. The same on either engine (on Spark the
    incremental models overwrite the partitions a run touches: docs/scale-out.md)."""
    if not has_run_before:
        return True, "the first build of this warehouse builds every model from all the data"
    if settings_changed:
        code = [name.removeprefix(CODE_PREFIX) for name in settings_changed if name.startswith(CODE_PREFIX)]
        other = [name for name in settings_changed if not name.startswith(CODE_PREFIX)]
        reasons = []
        if other:
            reasons.append(f"the settings changed since the last build ({', '.join(other)})")
        if code:
            listed = ", ".join(code[:8]) + (f" and {len(code) - 8} more" if len(code) > 8 else "")
            reasons.append(f"the code of incremental models changed since the last build ({listed})")
        return True, "; ".join(reasons) + ": every model is rebuilt"
    if pending_erasures:
        return (
            True,
            f"{len(pending_erasures)} erasure request(s) pending: every model is rebuilt without the person",
        )
    if tag == "full":
        return True, "a full refresh was asked for"
    return False, "incremental models process the records that are new or changed since their last run"


SETTINGS_TABLE = "meta.build_settings"
# the key of an incremental model's code among the settings a build keeps
CODE_PREFIX = "code of "


def incremental_model_code(manifest: dict) -> dict[str, str]:
    """A hash of what decides the rows of each incremental model, keyed `code of <model>`: its file, its
    unique key and hooks, its contract's constraints, and the project's macros it calls (directly, in its
    hooks, or through other macros), and for a Python model the modules of the `omni` package it imports
    (and those they import).
    An incremental model keeps the rows its earlier runs wrote; once its code changed they may be rows the
    new code would not write (or lack a column it adds), so the build compares these hashes with those of
    the last successful build like the settings, and rebuilds every model when one differs."""
    project = manifest.get("metadata", {}).get("project_name")
    macros = {
        unique_id: macro
        for unique_id, macro in manifest.get("macros", {}).items()
        if project is None or macro.get("package_name") == project
    }
    code: dict[str, str] = {}
    for node in manifest["nodes"].values():
        config = node.get("config") or {}
        if node.get("resource_type") != "model" or config.get("materialized") != "incremental":
            continue
        hooks = json.dumps([config.get("pre-hook"), config.get("post-hook")], sort_keys=True, default=str)
        # dbt lists the macros of the model's hooks among those it depends on
        pending = [*node.get("depends_on", {}).get("macros", [])]
        seen: set[str] = set()
        while pending:
            unique_id = pending.pop()
            if unique_id in seen or unique_id not in macros:
                continue
            seen.add(unique_id)
            pending += macros[unique_id].get("depends_on", {}).get("macros", [])
        digest = hashlib.sha256(node.get("checksum", {}).get("checksum", "").encode())
        digest.update(json.dumps([config.get("unique_key"), hooks]).encode())
        # the constraints of its contract are in the table's DDL, which only a rebuild changes
        constraints = {
            name: column["constraints"]
            for name, column in sorted((node.get("columns") or {}).items())
            if column.get("constraints")
        }
        if node.get("constraints") or constraints:
            digest.update(json.dumps([node.get("constraints"), constraints], sort_keys=True).encode())
        for unique_id in sorted(seen):
            digest.update(macros[unique_id].get("macro_sql", "").encode())
        if node.get("language") == "python":
            for source in _imported_sources(node.get("raw_code", "")):
                digest.update(source.encode())
        code[f"{CODE_PREFIX}{node['name']}"] = digest.hexdigest()[:16]
    return code


def _imported_sources(code: str) -> list[str]:
    """The source of every module of this project's `omni` package a Python model imports, and of those
    they import in turn, in a stable order."""
    sources: dict[str, str] = {}
    pending = [code]
    while pending:
        for name in re.findall(r"^\s*(?:from|import)\s+(omni(?:\.\w+)*)", pending.pop(), flags=re.M):
            if name in sources:
                continue
            spec = importlib.util.find_spec(name)
            origin = Path(spec.origin) if spec is not None and spec.origin else None
            sources[name] = origin.read_text() if origin is not None and origin.exists() else ""
            pending.append(sources[name])
    return [sources[name] for name in sorted(sources)]


def changed_settings(warehouse: WarehouseResource, settings: dict[str, object]) -> list[str]:
    """The names of the dbt settings that differ from those of the last successful build (none when no build
    recorded its settings yet), leaving out those of when work is done (RUN_POLICY_VARS)."""
    if not warehouse.paths.warehouse.exists():
        return []
    with warehouse.connect() as con:
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'meta' "
            "and table_name = 'build_settings'"
        ).fetchone()[0]
        if not found:
            return []
        row = con.execute(
            f"select settings from {SETTINGS_TABLE} order by recorded_at desc limit 1"
        ).fetchone()
    if row is None:
        return []
    before = json.loads(row[0])
    return sorted(
        k
        for k in set(before) | set(settings)
        if k not in RUN_POLICY_VARS and before.get(k) != _plain(settings.get(k))
    )


def record_settings(warehouse: WarehouseResource, settings: dict[str, object]) -> None:
    """Keeps the settings of a successful build, for the next one to compare with."""
    with warehouse.connect(read_only=False) as con:
        con.execute("create schema if not exists meta")
        con.execute(
            f"create table if not exists {SETTINGS_TABLE} (settings varchar not null, recorded_at timestamp not null)"
        )
        con.execute(
            f"insert into {SETTINGS_TABLE} values (?, current_timestamp::timestamp)",
            [json.dumps(settings, sort_keys=True)],
        )


def _plain(value: object) -> object:
    """A setting as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def _has_run_before(warehouse: WarehouseResource) -> bool:
    """Whether dbt's incremental models were built in this warehouse before (their table of runs exists)."""
    if not warehouse.paths.warehouse.exists():
        return False
    with warehouse.connect() as con:
        return bool(
            con.execute(
                "select count(*) from information_schema.tables where table_schema = 'meta' "
                "and table_name = 'incremental_runs'"
            ).fetchone()[0]
        )
