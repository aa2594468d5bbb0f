"""Build and run the dlt pipeline of one source: landing files -> DuckDB schema `raw_<source>`, or, for
the Spark engine, Parquet files in the lake (`lake_raw`: ingestion/lake.py).

Used by `python -m ingestion`, `omni ingest` and the Dagster assets alike, so every path loads the
same way. Every run gets fresh source and pipeline objects (dagster-dlt mutates a source's schema).
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import dlt
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource

from ingestion import SOURCE_NAMES
from ingestion.common.raw_tables import ensure_raw_tables

# Arrow tables loaded as Parquet: the fast path (insert_values is ~10x slower, STACK_NOTES.md)
LOADER_FILE_FORMAT = "parquet"

log = logging.getLogger(__name__)


def dataset_name(source_name: str) -> str:
    return f"raw_{source_name}"


def make_source(source_name: str, landing_dir: str | Path, **options) -> DltSource:
    """A fresh source object; `options` override its configuration (e.g. `api_base_url`)."""
    if source_name not in SOURCE_NAMES:
        raise ValueError(f"unknown source {source_name!r}; known: {', '.join(SOURCE_NAMES)}")
    module = importlib.import_module(f"ingestion.{source_name}")
    return getattr(module, source_name)(landing_dir=str(landing_dir), **options)


class _AppendOnTheLake(logging.Filter):
    """dlt's filesystem destination warns, for every table of every load, that it appends where a resource
    asks to merge: on the lake that is the design (its readers keep each file's newest load,
    ingestion/lake.py), so the warning says nothing to act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Falling back to `append`")


_APPEND_ON_THE_LAKE = _AppendOnTheLake()


def make_pipeline(
    source_name: str,
    warehouse_path: str | Path,
    pipelines_dir: str | Path,
    lake_raw: str | Path | None = None,
) -> dlt.Pipeline:
    """The source's pipeline to the DuckDB warehouse, or with `lake_raw` to the lake's filesystem (a
    pipeline of its own: its state, the files it loaded, is kept with its destination)."""
    if lake_raw is not None:
        # the same filter object: added once, however many pipelines
        logging.getLogger("dlt").addFilter(_APPEND_ON_THE_LAKE)
        return dlt.pipeline(
            pipeline_name=f"omni_{source_name}_lake",
            destination=dlt.destinations.filesystem(bucket_url=str(lake_raw)),
            dataset_name=dataset_name(source_name),
            pipelines_dir=str(pipelines_dir),
            progress=None,
        )
    return dlt.pipeline(
        pipeline_name=f"omni_{source_name}",
        destination=dlt.destinations.duckdb(str(warehouse_path)),
        dataset_name=dataset_name(source_name),
        pipelines_dir=str(pipelines_dir),
        progress=None,
    )


def run_source(
    source_name: str,
    landing_dir: str | Path,
    warehouse_path: str | Path,
    pipelines_dir: str | Path,
    lake_raw: str | Path | None = None,
    **options,
) -> LoadInfo:
    pipeline = make_pipeline(source_name, warehouse_path, pipelines_dir, lake_raw)
    if pipeline.has_pending_data:
        # A package left by a run that died is not resumed: dlt copies into the staging dataset at least
        # once, and a copy job killed after DuckDB committed it, before dlt recorded it, runs again and
        # every staged row is merged twice. So, as dagster-dlt does before every run, the local pipeline
        # is dropped; state comes back from the warehouse's last completed load, the package's files are
        # read again, and the merge on their file replaces whatever the dead run wrote.
        log.warning(
            "%s: dropping a load package left by an interrupted run; its files are read again",
            pipeline.pipeline_name,
        )
        pipeline.drop()
    source = make_source(source_name, landing_dir, **options)
    info = pipeline.run(source, loader_file_format=LOADER_FILE_FORMAT)
    info.raise_on_failed_jobs()
    # a table no file has fed yet exists all the same, empty and typed by the contract (in the lake its
    # readers take the contract's columns: ingestion/lake.py)
    if lake_raw is None:
        ensure_raw_tables(warehouse_path, [source_name])
    return info
