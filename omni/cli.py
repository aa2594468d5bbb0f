"""`omni`: the command line of the omnichannel warehouse.

Every command takes `--data-dir` (env OMNI_DATA_DIR, default ./data). Errors are one line on stderr
and exit code 1; set OMNI_DEBUG=1 for the traceback.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import time
from collections.abc import Callable

import click

from omni.settings import DEFAULT_DATA_DIR, DEFAULT_ENGINE, ENGINE_ENV, ENGINES, Paths

# developer commands, defined in devtools.cli and imported by name only when one of them is asked for:
# the product's import graph never reaches the developer tooling (docs/architecture.md)
DEV_COMMANDS_MODULE = "devtools.cli"
DEV_COMMANDS = ("generate", "demo", "bench", "serve-demo-api")


def _echo(message: str) -> None:
    click.echo(message, err=True)


def data_dir_option(command: Callable) -> Callable:
    """`--data-dir`, resolved into a Paths object passed as `paths`."""

    @click.option(
        "--data-dir",
        envvar="OMNI_DATA_DIR",
        default=DEFAULT_DATA_DIR,
        show_default=True,
        type=click.Path(file_okay=False),
        help="Where landing/, truth/, the warehouse and outputs live (env OMNI_DATA_DIR).",
    )
    @click.option(
        "--engine",
        envvar=ENGINE_ENV,
        type=click.Choice(ENGINES, case_sensitive=False),
        default=DEFAULT_ENGINE,
        show_default=True,
        help="The engine that builds the warehouse: DuckDB (one file) or Spark (a lake of Parquet files, local "
        "or a cluster: docs/scale-out.md). Env OMNI_ENGINE.",
    )
    @functools.wraps(command)
    def wrapper(data_dir: str, engine: str, **kwargs):
        paths = Paths.from_env(data_dir, engine)
        paths.export_env()
        return command(paths=paths, **kwargs)

    return wrapper


class OmniGroup(click.Group):
    """The product's commands, and the developer commands of `devtools.cli`, loaded on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *DEV_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in DEV_COMMANDS:
            return super().get_command(ctx, cmd_name)
        try:
            module = importlib.import_module(DEV_COMMANDS_MODULE)
        except ModuleNotFoundError as error:
            raise click.ClickException(
                f"`omni {cmd_name}` is a developer command and the developer tooling ({DEV_COMMANDS_MODULE}) "
                f"is not installed: {error}"
            ) from error
        return module.commands.get_command(ctx, cmd_name)


@click.group(cls=OmniGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="omnichannel-warehouse")
def cli() -> None:
    """Omnichannel customer data warehouse: dlt -> DuckDB -> dbt, orchestrated by Dagster."""


@cli.command()
@click.option("--source", "sources", multiple=True, help="Source to load (repeatable); all by default.")
@data_dir_option
def ingest(paths: Paths, sources: tuple[str, ...]) -> None:
    """Load landing files into the raw layer with dlt, without Dagster (on Spark: the lake's Parquet)."""
    from ingestion import SOURCE_NAMES
    from ingestion.pipeline import run_source

    names = sources or SOURCE_NAMES
    for name in names:
        started = time.perf_counter()
        info = run_source(name, paths.landing, paths.warehouse, paths.dlt_pipelines, paths.lake_destination)
        rows = info.pipeline.last_trace.last_normalize_info.row_counts if info.pipeline.last_trace else {}
        loaded = sum(v for k, v in rows.items() if not k.startswith("_dlt"))
        _echo(f"  {name}: {loaded:,} rows in {time.perf_counter() - started:.1f}s")
    if paths.engine == "spark":
        from omni import lake_catalog

        lake_catalog.refresh_raw(paths, names)


@cli.command()
@click.option(
    "--landing",
    "landing_dir",
    default=None,
    type=click.Path(file_okay=False, exists=True),
    help="The landing folder to read (default: the data directory's landing/).",
)
@data_dir_option
def validate(paths: Paths, landing_dir: str | None) -> None:
    """Read landing files against the contract without building: per source and file, what would load, be
    quarantined or flagged, and why. Exits 1 when something would stop a build."""
    from pathlib import Path

    from ingestion.validate import format_report, validate_landing
    from omni.config import load_config

    config = load_config(paths.data_dir)
    landing = Path(landing_dir) if landing_dir else paths.landing
    where = f" ({config.path})" if config.path else " (no omni.toml: every source on)"
    _echo(f"validating {landing} for sources {', '.join(config.sources)}{where}")
    report = validate_landing(landing, config.sources)
    click.echo(format_report(report))
    if report.stops:
        raise click.ClickException(f"{len(report.stops)} problem(s) would stop the build: {report.stops[0]}")


@cli.command()
@data_dir_option
@click.option(
    "--select",
    default=None,
    help="Only these assets and their checks, in Dagster's asset selection syntax, e.g. "
    "'key:\"raw_helpdesk/tickets\"+' or 'group:staging' (what they read must have been built before).",
)
@click.option(
    "--full-refresh",
    is_flag=True,
    default=False,
    help="Rebuild every dbt model from all the data (the full_refresh_warehouse job) instead of processing "
    "only new and changed records: after a change of the models or of omni.toml (docs/incremental.md).",
)
def build(paths: Paths, select: str | None, full_refresh: bool) -> None:
    """Materialise the whole asset graph (dlt loads, dbt models and tests) as Dagster would: incrementally,
    or everything again with --full-refresh."""
    build_warehouse(paths, select=select, full_refresh=full_refresh)


def build_warehouse(paths: Paths, select: str | None = None, full_refresh: bool = False) -> None:
    """Run the build job and say what it did; a failed build raises a ClickException saying what broke."""
    from omni.build import SelectionError
    from omni.build import build as run_build

    where = f"in {paths.warehouse}" if paths.engine == "duckdb" else f"on {paths.engine}, in {paths.lake}"
    _echo(
        f"building the warehouse {where}"
        + (" (full refresh)" if full_refresh else "")
        + (f" (only {select})" if select else "")
    )
    # run_build prints what broke (failed steps and checks with their expectation, column, failing rows
    # and examples, the steps not run) and the checks that warned
    try:
        result = run_build(paths, echo=_echo, select=select, full_refresh=full_refresh)
    except SelectionError as error:
        raise click.ClickException(str(error)) from error
    if not result.success:
        steps = [step.split(":", 1)[0] for step in result.failed_steps]
        raise click.ClickException(
            f"build failed: {len(steps)} step(s) failed ({', '.join(steps) or '?'}), see above (run "
            f"{result.run_id}; every event: omni dev)"
        )
    _echo(f"built: {result.materialized} assets materialised in {result.seconds:.1f}s (run {result.run_id})")
    _echo(f"  tool output (dbt, dlt): {result.log}")


@cli.command()
@data_dir_option
def publish(paths: Paths) -> None:
    """Publish the marts for BI (read-only DuckDB file and Parquet; `omni build` does it after a build)."""
    from omni.erasure import pending_erasures
    from omni.publish import incremental_keys
    from omni.publish import publish as run_publish
    from omni.settings import dbt_target_dir

    manifest = dbt_target_dir() / "manifest.json"  # the incremental marts' keys, to patch what changed
    keys = incremental_keys(manifest) if manifest.exists() else {}
    publication = run_publish(paths, fresh=bool(pending_erasures(paths)), keys=keys)
    _echo(
        f"published {len(publication.tables)} tables ({sum(publication.tables.values()):,} rows) "
        f"as version {publication.version}"
        + (
            f" ({len(publication.written)} written, the others unchanged since {publication.previous})"
            if publication.previous
            else ""
        )
    )
    _echo(f"  DuckDB:  {paths.outputs / 'published' / 'marts.duckdb'}")
    _echo(f"  Parquet: {paths.outputs / 'published' / 'parquet'}")


@cli.command()
@data_dir_option
def report(paths: Paths) -> None:
    """Render the HTML KPI dashboard from the published marts."""
    from omni.report import render

    _echo(f"report: {render(paths)}")


@cli.command()
@click.option("--email", default=None, help="An e-mail of the person.")
@click.option("--phone", default=None, help="A phone number of the person.")
@click.option("--customer-key", default=None, help="The person's customer_key in the marts.")
@click.option("--no-rebuild", is_flag=True, help="Clean landing and raw only; the next build does the rest.")
@data_dir_option
def forget(
    paths: Paths, email: str | None, phone: str | None, customer_key: str | None, no_rebuild: bool
) -> None:
    """Erase a person from every layer and remember the request for data that arrives later."""
    from omni.forget import forget as run_forget

    if sum(x is not None for x in (email, phone, customer_key)) != 1:
        raise click.UsageError("give exactly one of --email, --phone, --customer-key")
    entry = run_forget(
        paths, email=email, phone=phone, customer_key=customer_key, rebuild=not no_rebuild, echo=_echo
    )
    landing = entry["layers"]["landing"]
    _echo(
        f"erasure {entry['request_id']}: {sum(entry['records'].values())} records of {entry['customers']} "
        f"customer(s); landing: {landing['records_removed']} records in {landing['files_rewritten']} files; "
        f"raw: {sum(entry['layers']['raw'].values())} rows; warehouse compaction: "
        f"{entry['layers']['completion']}; logged in {paths.data_dir / 'governance' / 'erasure_log.jsonl'}"
    )


@cli.command()
@click.option("--run-id", default=None, help="The run to read (default: the newest).")
@click.option("--all", "show_passed", is_flag=True, help="List the checks that passed too.")
@data_dir_option
def checks(paths: Paths, run_id: str | None, show_passed: bool) -> None:
    """Sum up the asset checks of a build run: passed, warned, failed, and what broke (expectation, column,
    failing rows, examples)."""
    from omni.checks import evaluations, format_summary

    run_id, found = evaluations(paths, run_id)
    click.echo(format_summary(run_id, found, show_passed=show_passed, paths=paths))


@cli.command()
@data_dir_option
def evaluate(paths: Paths) -> None:
    """Score identity stitching against the generated world's answer key (truth/)."""
    import json

    from omni.identity.evaluate import evaluate as run_evaluate
    from omni.identity.evaluate import format_report

    result = run_evaluate(paths)
    paths.outputs.mkdir(parents=True, exist_ok=True)
    out = paths.outputs / "identity_evaluation.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    click.echo(format_report(result))
    _echo(f"written to {out}")


@cli.command()
@click.option("--port", type=int, default=3000, show_default=True)
@data_dir_option
def dev(paths: Paths, port: int) -> None:
    """Serve the Dagster UI on this project (`dagster dev`), with the data directory's instance."""
    import shutil

    from omni.instance import ensure_dagster_home

    ensure_dagster_home(paths)
    dagster = shutil.which("dagster", path=os.path.dirname(sys.executable)) or "dagster"
    _echo(f"Dagster UI on http://127.0.0.1:{port} (data in {paths.data_dir})")
    os.execv(
        dagster, [dagster, "dev", "-m", "dagster_project.definitions", "-h", "127.0.0.1", "-p", str(port)]
    )


def main() -> None:
    run_main(cli)


def run_main(group: click.Group) -> None:
    """Run a command group with one-line errors (exit code 1) instead of tracebacks."""
    try:
        group.main(standalone_mode=False)
    except click.exceptions.Abort:
        _echo("omni: aborted")
        sys.exit(130)
    except click.ClickException as exc:
        _echo(f"omni: error: {exc.format_message()}")
        sys.exit(exc.exit_code)
    except Exception as exc:  # one clear line, not a traceback
        if os.environ.get("OMNI_DEBUG"):
            raise
        cause = root_cause(exc)
        message = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        _echo(f"omni: error: {message} ({type(cause).__name__}; OMNI_DEBUG=1 for the traceback)")
        sys.exit(1)


def root_cause(exc: BaseException) -> BaseException:
    """The innermost error behind library wrappers (dlt wraps a source's error in two layers)."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


if __name__ == "__main__":
    main()
