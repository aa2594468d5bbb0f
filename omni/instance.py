"""The Dagster instance of a data directory: run history, and the pool that serialises DuckDB writers."""

from __future__ import annotations

import os

from omni.settings import Paths

DAGSTER_YAML = """\
# Written by omni for this data directory. The pool limit makes every step that touches the DuckDB
# warehouse file (dlt loads, dbt builds, checks) wait for the one before it: DuckDB has one writer.
concurrency:
  pools:
    default_limit: 1
telemetry:
  enabled: false
"""


def ensure_dagster_home(paths: Paths) -> None:
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
