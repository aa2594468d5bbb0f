"""dbt models, seeds and tests as Dagster assets and asset checks (dbt tests -> checks)."""

import json

from dagster import AssetExecutionContext, AssetsDefinition
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.automation import REFRESH_TAG
from dagster_project.defs.dbt.project import dbt_project, prune_invocation_targets, vars_args
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.translators import OmniDbtTranslator
from ingestion import SOURCE_NAMES
from ingestion.common.raw_tables import ensure_raw_tables
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
        created = ensure_raw_tables(warehouse.paths.warehouse, SOURCE_NAMES)
        if created:
            context.log.info(
                f"created empty raw tables (no data yet, or the source is off): {', '.join(created)}"
            )
        settings = config.dbt_vars()
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
    under the old settings would stay beside the new ones."""
    if not has_run_before:
        return True, "the first build of this warehouse builds every model from all the data"
    if settings_changed:
        return (
            True,
            f"the settings changed since the last build ({', '.join(settings_changed)}): every model is rebuilt",
        )
    if pending_erasures:
        return (
            True,
            f"{len(pending_erasures)} erasure request(s) pending: every model is rebuilt without the person",
        )
    if tag == "full":
        return True, "a full refresh was asked for"
    return False, "incremental models process the records that are new or changed since their last run"


SETTINGS_TABLE = "meta.build_settings"


def changed_settings(warehouse: WarehouseResource, settings: dict[str, object]) -> list[str]:
    """The names of the dbt settings that differ from those of the last successful build (none when no build
    recorded its settings yet), leaving out those of when work is done (RUN_POLICY_VARS)."""
    if not warehouse.paths.warehouse.exists():
        return []
    with warehouse.connect() as con:
        found = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'meta' and table_name = 'build_settings'"
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
                "select count(*) from duckdb_tables() where schema_name = 'meta' and table_name = 'incremental_runs'"
            ).fetchone()[0]
        )
