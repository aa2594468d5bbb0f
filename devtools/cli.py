"""Developer commands: the demo world generator, the demo, the benchmarks and the demo REST API.

They are the group `omni-dev` (`omni-dev generate ...`) and, looked up by name only when asked for,
commands of `omni` as well (`omni generate`, `omni demo`, `omni bench`, `omni serve-demo-api`): the
product's command line never imports this module, this module builds on the product's.
"""

from __future__ import annotations

import time

import click

from omni.cli import _echo, build_warehouse, data_dir_option, run_main
from omni.settings import Paths

SIZES = ("xs", "s", "m", "l")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def commands() -> None:
    """Developer tooling of the omnichannel warehouse: demo world, benchmarks, demo REST API."""


@commands.command()
@click.option(
    "--size",
    type=click.Choice(SIZES),
    default="s",
    show_default=True,
    help="xs ~300 people (tests), s ~20k (demo), m ~200k, l ~1M.",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--append-days",
    type=click.IntRange(min=1),
    default=None,
    help="Continue the world already in the data directory by N export days after its last one "
    "(new activity of the same people, late events, a login that links two profiles, a corrected "
    "re-export) and write truth/ again over everything; --size and --seed come from truth/world.json.",
)
@data_dir_option
def generate(paths: Paths, size: str, seed: int, append_days: int | None) -> None:
    """Write a synthetic omnichannel retailer into landing/ and its answer key into truth/, or continue
    the one in the data directory by whole export days (--append-days)."""
    if append_days is not None:
        stats = _append(paths, append_days)
        _echo(
            f"appended {append_days} day(s) to size {stats.size} seed {stats.seed}: "
            f"{sum(stats.rows_by_source.values()):,} rows in {stats.files:,} files, {stats.seconds:.1f}s"
        )
        _echo(f"  landing: {paths.landing}\n  truth:   {paths.truth}")
        return
    stats = _generate(paths, size, seed)
    _echo(
        f"generated size {size} seed {seed}: {stats.persons:,} people, "
        f"{sum(stats.rows_by_source.values()):,} rows in {stats.files:,} files, {stats.seconds:.1f}s"
    )
    _echo(f"  landing: {paths.landing}\n  truth:   {paths.truth}")


def _append(paths: Paths, days: int):
    from devtools.generate.append import NoWorldError, append_days

    started = time.perf_counter()

    def progress(message: str) -> None:
        _echo(f"  [{time.perf_counter() - started:6.1f}s] {message}")

    try:
        return append_days(paths.data_dir, days, progress=progress)
    except NoWorldError as exc:
        raise click.ClickException(str(exc)) from exc


def _generate(paths: Paths, size: str, seed: int):
    from devtools.generate import generate as run_generate

    started = time.perf_counter()

    def progress(message: str) -> None:
        _echo(f"  [{time.perf_counter() - started:6.1f}s] {message}")

    return run_generate(paths.data_dir, size=size, seed=seed, progress=progress)


@commands.command()
@click.option("--size", type=click.Choice(SIZES), default="s", show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--regenerate/--keep", default=False, help="Write a new demo world even if landing/ already holds one."
)
@data_dir_option
def demo(paths: Paths, size: str, seed: int, regenerate: bool) -> None:
    """Generate the demo world (unless present), build everything and say where the results are."""
    if regenerate or not (paths.landing.exists() and any(paths.landing.iterdir())):
        _generate(paths, size, seed)
    else:
        _echo(f"using the existing demo world in {paths.landing} (--regenerate for a new one)")
    build_warehouse(paths)
    _echo("")
    _echo(f"warehouse (DuckDB): {paths.warehouse}")
    _echo("  marts:   schema `marts`; staging: schema `staging`; raw: schemas `raw_<source>`")
    _echo(
        f"  try:     .venv/bin/python -c \"import duckdb; print(duckdb.connect('{paths.warehouse}', "
        "read_only=True).sql('from marts.fct_orders limit 5'))\""
    )
    _echo(
        f"published: {paths.outputs / 'published' / 'marts.duckdb'} (read-only copy for BI) and "
        f"{paths.outputs / 'published' / 'parquet'}/"
    )
    _echo(f"report:    {paths.outputs / 'report' / 'index.html'}")
    _echo(f"identity:  omni evaluate --data-dir {paths.data_dir}  (stitching scored against truth/)")
    _echo("UI:        make dev  (Dagster, lineage graph and checks)")


@commands.command("serve-demo-api")
@click.option("--port", type=int, default=8765, show_default=True)
@data_dir_option
def serve_demo_api(paths: Paths, port: int) -> None:
    """Serve landing/webshop and landing/helpdesk as their REST APIs on 127.0.0.1 (for the API path)."""
    from devtools.demo_api import serve

    _echo(f"web shop API: http://127.0.0.1:{port}/admin/api/2024-01/orders.json")
    _echo(f"helpdesk API: http://127.0.0.1:{port}/api/v2/incremental/tickets/cursor.json")
    _echo(
        f"load through them: SOURCES__WEBSHOP__API_BASE_URL=http://127.0.0.1:{port} "
        f"SOURCES__HELPDESK__API_BASE_URL=http://127.0.0.1:{port} omni build"
    )
    serve(paths.landing, port=port)


@commands.command()
@click.option("--sizes", default="xs,s,m", show_default=True, help="World sizes to generate (xs,s,m,l).")
@click.option(
    "--ingest-sizes",
    default="s,m",
    show_default=True,
    help="World sizes to ingest next to DuckDB's native readers ('' to skip).",
)
@click.option(
    "--stitch-sizes",
    default="s,m",
    show_default=True,
    help="World sizes whose identity graph is stitched next to scipy's connected components ('' to skip).",
)
@click.option(
    "--build-sizes",
    default="",
    show_default=True,
    help="World sizes built end to end through the Dagster job, timed per step (e.g. 's'; '' to skip).",
)
@click.option(
    "--incremental-sizes",
    default="",
    show_default=True,
    help="World sizes built in full, then continued by one export day built incrementally: both timed per "
    "step, and their ratio (e.g. 's,m'; '' to skip).",
)
@click.option(
    "--spark-sizes",
    default="",
    show_default=True,
    help="World sizes built on DuckDB and on Spark (local, docs/scale-out.md), timed per step, marts "
    "compared (e.g. 's'; needs `make spark`; '' to skip).",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False),
    default=None,
    help="Scratch directory for generated worlds (default: the system temp dir).",
)
@data_dir_option
def bench(
    paths: Paths,
    sizes: str,
    ingest_sizes: str,
    stitch_sizes: str,
    build_sizes: str,
    incremental_sizes: str,
    spark_sizes: str,
    seed: int,
    workdir: str | None,
) -> None:
    """Print benchmark figures (generation, ingestion, identity stitching, whole builds) and save them as
    JSON."""
    from pathlib import Path

    from devtools.bench import run

    chosen = [s.strip() for s in sizes.split(",") if s.strip()]
    ingest = [s.strip() for s in ingest_sizes.split(",") if s.strip()]
    stitch = [s.strip() for s in stitch_sizes.split(",") if s.strip()]
    builds = [s.strip() for s in build_sizes.split(",") if s.strip()]
    incremental = [s.strip() for s in incremental_sizes.split(",") if s.strip()]
    spark = [s.strip() for s in spark_sizes.split(",") if s.strip()]
    unknown = [s for s in chosen + ingest + stitch + builds + incremental + spark if s not in SIZES]
    if unknown:
        raise click.BadParameter(f"unknown size(s) {', '.join(unknown)}", param_hint="--sizes")
    run(
        chosen,
        seed,
        Path(workdir) if workdir else None,
        paths.outputs / "bench.json",
        echo=click.echo,
        ingest_sizes=ingest,
        stitch_sizes=stitch,
        build_sizes=builds,
        incremental_sizes=incremental,
        spark_sizes=spark,
    )


def main() -> None:
    run_main(commands)


if __name__ == "__main__":
    main()
