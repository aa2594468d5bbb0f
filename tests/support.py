"""Small helpers the test modules share."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from omni.settings import Paths


def rows(paths: Paths, sql: str) -> list[tuple]:
    """The rows of `sql` on the warehouse of `paths`, read-only."""
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def generate_xs(folder: Path, seed: int) -> Path:
    """An xs world of `seed` generated into `folder` (a module function: worker processes run it), with
    the pseudonymisation key its builds use: every copy of the world has it, so the same landing files
    built twice (on DuckDB and on Spark, side by side) give the same pseudonyms."""
    from devtools.generate import generate
    from omni.pseudonymisation import load_key

    generate(folder, size="xs", seed=seed)
    load_key(folder)  # made in the world's folder, as a first build would
    return folder


# --- dbt on a prepared manifest -----------------------------------------------------------------------------
# Tests that rebuild a few models on a copy of a warehouse run dbt in this process on a manifest parsed
# once per test process (dbt's programmatic invocation with a pre-loaded manifest): a dbt command
# started from the shell parses the whole project again for every new warehouse path, which costs more
# than the models it then builds. The manifest's relations are named after the warehouse file's stem
# ("warehouse"), so the copies a test builds on must be called warehouse.duckdb. dbt renders a model's
# config when it parses (the Python models read vars through it), so there is a manifest per set of vars.


@dataclass
class DbtOutcome:
    """What a dbt command did: `returncode` 0 when it succeeded, `stdout` its log lines (as the shell
    prints them), `results` dbt's node results (name -> status)."""

    returncode: int
    stdout: str
    results: dict[str, str]

    @property
    def success(self) -> bool:
        return self.returncode == 0


_manifests: dict[str, object] = {}


def _dbt_base(target: Path) -> list[str]:
    from omni.settings import DBT_PROJECT_DIR

    return [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
    ]


@contextmanager
def environment(**values: str):
    """The process environment with `values` set, as it was afterwards (tools that read their paths from
    the environment: dbt's profile, Dagster's loader)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _close_dbt_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a command (its connection
    manager holds one environment per process, for the next command): the test reads the warehouse
    next, read-only, which DuckDB refuses while a read-write connection to the file is open here."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        environment, DuckDBConnectionManager._ENV = DuckDBConnectionManager._ENV, None
    if environment is not None:
        environment.close()


def _vars_key(dbt_vars: dict | str | None) -> str:
    """`--vars` as dbt reads them (YAML), in one canonical form."""
    import yaml

    parsed = yaml.safe_load(dbt_vars) if isinstance(dbt_vars, str) else (dbt_vars or {})
    return json.dumps(parsed, sort_keys=True) if parsed else ""


def prepared_manifest(dbt_vars: dict | str | None = None):
    """The dbt project parsed once per test process and set of vars (for a warehouse named
    warehouse.duckdb). Per set of vars: dbt renders a model's config when it parses the project, and the
    Python models read vars through their config (the phone region, the identity thresholds)."""
    key = _vars_key(dbt_vars)
    if key not in _manifests:
        from dbt.cli.main import dbtRunner

        from omni.settings import dbt_target_dir

        scratch = dbt_target_dir() / "tests-in-process" / str(len(_manifests))
        vars_args = ["--vars", key] if key else []
        with environment(OMNI_WAREHOUSE_PATH=str(scratch / "warehouse.duckdb")):
            parsed = dbtRunner().invoke(["parse", "--quiet", *_dbt_base(scratch), *vars_args])
        assert parsed.success, f"dbt parse failed: {parsed.exception}"
        _manifests[key] = parsed.result
    return _manifests[key]


def dbt(
    warehouse: Path, *args: str, dbt_vars: dict | str | None = None, target: Path | None = None
) -> DbtOutcome:
    """`dbt <args>` against `warehouse` (a file named warehouse.duckdb), on the prepared manifest; its
    artifacts and logs go to `target` (default: a `target` folder beside the warehouse)."""
    from dbt.cli.main import dbtRunner

    assert warehouse.name == "warehouse.duckdb", (
        f"dbt's relations name the file warehouse.duckdb: {warehouse}"
    )
    lines: list[str] = []

    def keep(event) -> None:
        if event.info.level in ("info", "warn", "error") and event.info.msg:
            lines.append(str(event.info.msg))

    variables = _vars_key(dbt_vars)
    command = [
        *args,
        *_dbt_base(target or warehouse.parent / "target"),
        *(["--vars", variables] if variables else []),
    ]
    runner = dbtRunner(manifest=prepared_manifest(variables), callbacks=[keep])
    with environment(OMNI_WAREHOUSE_PATH=str(warehouse)):
        try:
            outcome = runner.invoke(command)
        finally:
            _close_dbt_duckdb()
    if outcome.exception is not None:
        lines.append(f"{type(outcome.exception).__name__}: {outcome.exception}")
    results = {}
    for result in getattr(outcome.result, "results", None) or []:
        results[result.node.name] = str(result.status)
    return DbtOutcome(returncode=0 if outcome.success else 1, stdout="\n".join(lines), results=results)
