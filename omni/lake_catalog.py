"""The lake as a DuckDB catalog: how everything that reads the warehouse outside dbt reads it on Spark.

On the Spark engine (docs/scale-out.md) the warehouse is files: the raw tables dlt loaded
(`<lake>/raw/raw_<source>/<table>/*.parquet`) and the tables dbt built (`<spark warehouse>/<schema>.db/
<table>/`, Parquet). The readers outside dbt (the Great Expectations suites, the ingestion, freshness and
governance checks, publication, the report, erasure's lookups) are written against DuckDB; on Spark they
read a small DuckDB file, `<lake>/catalog.duckdb` (`Paths.warehouse` of the engine), whose schemas and
names are the warehouse's and whose relations are views over those files:

- `raw_<source>.<table>`: the same exactly-once select the Spark session uses (ingestion/lake.py:
  rows of completed loads, of every file its newest load), over the table's Parquet files; a table no
  file has fed yet is empty and typed by the landing contract;
- `<schema>.<table>` for every table dbt built on Spark (marts, intermediate, meta...): its Parquet files,
  partition folders included, without the bucket an incremental model's table is partitioned by (the
  engine's: dbt/macros/spark_incremental.sql). dbt's views (staging) are Spark SQL, which DuckDB cannot run: they are not
  in the catalog, and no reader outside dbt reads them.

DuckDB reads the files when a view is queried: new files of a table are seen at once; new tables and
columns after a refresh, which the steps that write the lake run: a load refreshes its source's raw
tables (`refresh_raw`), the dbt build the tables it built (`refresh_built`). Tables
of the catalog's own (the build's settings, `meta.build_settings`) are never touched by a refresh.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.lake import (
    FILES_DATASET_PREFIX,
    LOADS_COLUMNS,
    dataset,
    lake_tables,
    loads_location,
    raw_table_sql,
)
from omni.settings import SOURCE_NAMES, Paths
from omni.spark import PARTITION_COLUMN

# Spark SQL types of the lake's tables (ingestion/lake.py) as DuckDB spells them: Spark's `timestamp` is
# an instant, its `timestamp_ntz` a wall clock
_DUCKDB_TYPES = {
    "string": "varchar",
    "bigint": "bigint",
    "double": "double",
    "boolean": "boolean",
    "timestamp": "timestamp with time zone",
    "timestamp_ntz": "timestamp",
    "date": "date",
    "binary": "blob",
}
_DECIMAL = re.compile(r"decimal\(\d+,\s*\d+\)")


@dataclass
class CatalogRefresh:
    """What a refresh found: the raw tables and the dbt tables now in the catalog."""

    raw_tables: list[str] = field(default_factory=list)
    dbt_tables: list[str] = field(default_factory=list)


def duckdb_type(spark_type: str) -> str:
    if _DECIMAL.fullmatch(spark_type):
        return spark_type
    try:
        return _DUCKDB_TYPES[spark_type]
    except KeyError as err:
        raise ValueError(f"lake catalog: no DuckDB type for the Spark type {spark_type!r}") from err


def _literal(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _has_parquet(folder: Path) -> bool:
    return folder.is_dir() and any(folder.rglob("*.parquet"))


def _parquet(folder: Path) -> str:
    # partition folders (key=value) become columns, as Spark reads them
    return f"read_parquet({_literal(folder / '**' / '*.parquet')}, hive_partitioning = true, union_by_name = true)"


def _empty(columns: Iterable[tuple[str, str]]) -> str:
    """A select of no row with `columns` (name, Spark type): a table no file has fed yet."""
    return (
        "select "
        + ", ".join(f'cast(null as {duckdb_type(kind)}) as "{name}"' for name, kind in columns)
        + " where false"
    )


def _raw_files(con: duckdb.DuckDBPyConnection, folder: Path, columns: Iterable[tuple[str, str]]) -> str:
    """A relation of every row of a raw table's files with exactly `columns` (name, Spark type): a column
    no file has yet (or a table without files) is null, as the Spark session's external table reads it."""
    columns = list(columns)
    if not _has_parquet(folder):
        return f"({_empty(columns)})"
    glob = _literal(folder / "**" / "*.parquet")
    present = {
        name for (name,) in con.execute(f"select distinct name from parquet_schema({glob})").fetchall()
    }
    selected = ", ".join(
        f'"{name}"' if name in present else f'cast(null as {duckdb_type(kind)}) as "{name}"'
        for name, kind in columns
    )
    return f"(select {selected} from read_parquet({glob}, union_by_name = true))"


def spark_warehouse_tables(warehouse: Path) -> list[tuple[str, str, Path]]:
    """(schema, table, folder) of every table with Parquet files in Spark's warehouse folder (databases
    are `<name>.db` folders); the lake's own file tables (ingestion.lake.files_dataset) are left out."""
    found = []
    for database in sorted(warehouse.glob("*.db")) if warehouse.is_dir() else []:
        schema = database.name.removesuffix(".db")
        if schema.startswith(FILES_DATASET_PREFIX):
            continue
        for folder in sorted(p for p in database.iterdir() if p.is_dir()):
            if _has_parquet(folder):
                found.append((schema, folder.name, folder))
    return found


@contextlib.contextmanager
def _catalog(paths: Paths) -> Iterator[tuple[duckdb.DuckDBPyConnection, set[tuple[str, str]]]]:
    """The catalog file, open for writing, and the tables of its own (which a refresh never replaces)."""
    catalog = dataclasses.replace(
        paths, engine="spark"
    ).warehouse  # the warehouse as the Spark engine reads it
    catalog.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(catalog)) as con:
        own = {
            (schema, name)
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
            ).fetchall()
        }
        yield con, own


def refresh_raw(paths: Paths, source_names: Iterable[str] = SOURCE_NAMES) -> list[str]:
    """(Re)create the views of the raw tables of `source_names` (after their loads); returns their names."""
    sources = list(source_names)
    done = []
    with _catalog(paths) as (con, own):
        for source in sources:
            schema = dataset(source)
            con.execute(f'create schema if not exists "{schema}"')
            loads = loads_location(paths.lake_raw, source)
            if loads.is_dir() and any(loads.glob("*.jsonl")):
                columns = ", ".join(f"'{name}': '{duckdb_type(kind)}'" for name, kind in LOADS_COLUMNS)
                select = f"select * from read_json({_literal(loads / '*.jsonl')}, columns = {{{columns}}})"
            else:
                select = _empty(LOADS_COLUMNS)
            con.execute(f'create or replace view "{schema}"."_dlt_loads" as {select}')
        for table in lake_tables(paths.lake_raw, sources):
            if (table.schema, table.name) in own:
                continue
            files = _raw_files(con, table.location, (*table.columns, ("_dlt_load_id", "string")))
            select = raw_table_sql(table, files, f'"{table.schema}"."_dlt_loads"', quote='"')
            con.execute(f'create or replace view "{table.schema}"."{table.name}" as {select}')
            done.append(f"{table.schema}.{table.name}")
    return done


def refresh_built(paths: Paths, warehouse: Path | None = None, manifest: Path | None = None) -> list[str]:
    """(Re)create the views of the tables dbt built on Spark (after a build); returns their names.
    `warehouse`: Spark's warehouse folder (default the lake's, or OMNI_SPARK_WAREHOUSE as the Spark session
    has it); `manifest`: dbt's, whose descriptions of models and columns become the views' comments (as
    dbt's persist_docs gives the tables on DuckDB, and publication passes them on to BI)."""
    from omni.spark import spark_warehouse_dir

    warehouse = Path(warehouse or spark_warehouse_dir(paths))
    docs = _descriptions(manifest) if manifest is not None and manifest.exists() else {}
    done = []
    with _catalog(paths) as (con, own):
        for schema, name, folder in spark_warehouse_tables(warehouse):
            if (schema, name) in own:
                continue
            con.execute(f'create schema if not exists "{schema}"')
            view = f'"{schema}"."{name}"'
            files = _parquet(folder)
            # the bucket an incremental model's table is partitioned by is the engine's, not the model's
            bucketed = any(folder.glob(f"{PARTITION_COLUMN}=*"))
            columns = f'* exclude ("{PARTITION_COLUMN}")' if bucketed else "*"
            con.execute(f"create or replace view {view} as select {columns} from {files}")
            description, columns = docs.get((schema, name), ("", {}))
            if description:
                con.execute(f"comment on view {view} is {_literal(description)}")
            present = {c for (c,) in con.execute(f"select column_name from (describe {view})").fetchall()}
            for column, text in columns.items():
                if text and column in present:
                    con.execute(f'comment on column {view}."{column}" is {_literal(text)}')
            done.append(f"{schema}.{name}")
    return done


def refresh(paths: Paths, manifest: Path | None = None) -> CatalogRefresh:
    """The whole catalog: the raw tables of every source and the tables dbt built."""
    return CatalogRefresh(raw_tables=refresh_raw(paths), dbt_tables=refresh_built(paths, manifest=manifest))


def _descriptions(manifest: Path) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    """(schema, relation name) -> (the model's description, {column: description}) from dbt's manifest, as
    written (dbt's persist_docs gives them to DuckDB's tables unchanged)."""
    nodes = json.loads(manifest.read_text()).get("nodes", {})
    return {
        (node["schema"], node.get("alias") or node["name"]): (
            node.get("description") or "",
            {name: column.get("description") or "" for name, column in (node.get("columns") or {}).items()},
        )
        for node in nodes.values()
        if node.get("resource_type") in ("model", "seed")
    }
