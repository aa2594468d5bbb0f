"""The lake: the raw tables as Parquet files on a filesystem, where the Spark engine reads them.

On Spark (docs/scale-out.md) dlt loads the same sources with its `filesystem` destination instead of
DuckDB: `<lake>/raw_<source>/<table>/<load id>.<file id>.parquet`, and dlt's own tables beside them
(`_dlt_loads`, `_dlt_pipeline_state`, `_dlt_version`, as JSON lines). The sources and their resources do
not change; only the destination does.

A filesystem has no `merge`: dlt appends every load's files. The warehouse's exactly-once rule (a file
loaded again replaces its rows, `ingestion/common/filedrop.py`) is kept by the readers instead: the raw
table an engine reads holds, of every merge key (the `_source_file` of a landing file; table and file for
the audit, quarantine and findings tables), the rows of its newest load, and only rows of loads dlt
completed (status 0 in `_dlt_loads`): a load killed half-way left files that no reader sees, and running
it again writes them anew. `raw_table_sql` spells that table for an engine; the Spark engine registers
the files as external tables and the raw tables as views over them (omni/spark.py).

The columns of a table come from dlt's schema of the source (what the loads wrote), completed by the
landing contract for tables no file has fed yet, as `ensure_raw_tables` does on DuckDB: every staging
model reads a typed table, empty where the channel sent nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ingestion.common.filedrop import AUDIT_TABLE, FINDINGS_TABLE, QUARANTINE_TABLE
from ingestion.common.raw_tables import LINEAGE_COLUMNS, contract_tables

LOADS_TABLE = "_dlt_loads"
# dlt's table of loads, as its filesystem destination writes it (JSON lines)
LOADS_COLUMNS = (
    ("load_id", "string"),
    ("schema_name", "string"),
    ("status", "bigint"),
    ("inserted_at", "timestamp"),
    ("schema_version_hash", "string"),
)
# the contract's types (ingestion/common/contract.py) and dlt's data types, as Spark SQL spells them
CONTRACT_TYPES = {
    "string": "string",
    "integer": "bigint",
    "number": "double",
    "boolean": "boolean",
    "timestamp": "timestamp",
    "local_timestamp": "timestamp_ntz",
    "date": "date",
}
DLT_TYPES = {
    "text": "string",
    "bigint": "bigint",
    "double": "double",
    "bool": "boolean",
    "date": "date",
    "json": "string",
    "binary": "binary",
    "time": "string",
}
# the merge keys of the tables every file-drop source writes (filedrop.py: `_merged`)
_FILE_KEYS = ("table_name", "source_file")
BOOKKEEPING_KEYS = {AUDIT_TABLE: _FILE_KEYS, QUARANTINE_TABLE: _FILE_KEYS, FINDINGS_TABLE: _FILE_KEYS}
CONTRACT_KEY = ("_source_file",)


def dataset(source_name: str) -> str:
    return f"raw_{source_name}"


# the schema of a source's file tables in Spark's catalog (the raw tables are views over them)
FILES_DATASET_PREFIX = "lake_"


def files_dataset(source_name: str) -> str:
    return FILES_DATASET_PREFIX + dataset(source_name)


@dataclass(frozen=True)
class LakeTable:
    """One raw table of the lake: where its files are, its columns (name, Spark SQL type) and the key
    whose newest load a reader keeps (none: every row of every completed load)."""

    source: str
    name: str
    columns: tuple[tuple[str, str], ...]
    merge_key: tuple[str, ...]
    location: Path

    @property
    def schema(self) -> str:
        return dataset(self.source)


def _dlt_columns(table: dict) -> tuple[tuple[str, str], ...]:
    columns = []
    for name, column in table.get("columns", {}).items():
        kind = column.get("data_type")
        if kind is None:
            continue  # a column dlt has seen only nulls in: not in the files
        if kind == "timestamp":
            spark_type = "timestamp_ntz" if column.get("timezone") is False else "timestamp"
        elif kind == "decimal":
            precision, scale = column.get("precision") or 38, column.get("scale") or 9
            spark_type = f"decimal({precision},{scale})"
        else:
            spark_type = DLT_TYPES.get(kind, "string")
        columns.append((name, spark_type))
    return tuple(columns)


def _stored_schema(lake_raw: Path, source_name: str) -> dict:
    """The newest dlt schema of a source as its loads stored it in the lake (`_dlt_version`), or {}."""
    versions = lake_raw / dataset(source_name) / "_dlt_version"
    newest: tuple[str, dict] | None = None
    for path in sorted(versions.glob("*.jsonl")) if versions.is_dir() else []:
        for line in path.read_text().splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            stamp = str(row.get("inserted_at", ""))
            if newest is None or stamp >= newest[0]:
                newest = (stamp, json.loads(row["schema"]))
    return newest[1] if newest else {}


def lake_tables(lake_raw: str | Path, source_names: Iterable[str]) -> list[LakeTable]:
    """Every raw table of `source_names` a reader of the lake gets: those dlt loaded (their columns as
    dlt's stored schema has them) and the contract's tables no load has fed yet."""
    lake_raw = Path(lake_raw)
    tables: list[LakeTable] = []
    for source in source_names:
        folder = lake_raw / dataset(source)
        stored = _stored_schema(lake_raw, source).get("tables", {})
        for name, table in sorted(stored.items()):
            if name.startswith("_dlt_") or not _dlt_columns(table):
                continue
            key = tuple(c for c, column in table.get("columns", {}).items() if column.get("merge_key"))
            tables.append(LakeTable(source, name, _dlt_columns(table), key, folder / name))
        for contract in contract_tables(source):
            if contract.name in stored and _dlt_columns(stored[contract.name]):
                continue
            columns = tuple((c.name, CONTRACT_TYPES[c.type]) for c in contract.columns)
            columns += tuple((name, "string") for name, _ in LINEAGE_COLUMNS)
            tables.append(LakeTable(source, contract.name, columns, CONTRACT_KEY, folder / contract.name))
    return tables


def loads_location(lake_raw: str | Path, source_name: str) -> Path:
    return Path(lake_raw) / dataset(source_name) / LOADS_TABLE


def raw_table_sql(table: LakeTable, files: str, loads: str, quote: str = "`") -> str:
    """The select of a raw table over its files (`files`, a relation of every load's rows) and dlt's
    loads (`loads`): rows of completed loads only, and of every merge key the newest load's rows.
    `quote` is the engine's identifier quote (Spark's backtick, DuckDB's double quote)."""

    def q(name: str) -> str:
        return f"{quote}{name}{quote}"

    names = ", ".join(q(name) for name, _ in table.columns)
    completed = f"f.{q('_dlt_load_id')} in (select l.load_id from {loads} l where l.status = 0)"
    if not table.merge_key:
        return f"select {names} from {files} f where {completed}"
    keys = ", ".join(f"f.{q(k)}" for k in table.merge_key)
    return (
        f"select {names} from (select f.*, max(f.{q('_dlt_load_id')}) over (partition by {keys}) as "
        f"_omni_newest from {files} f where {completed}) newest where {q('_dlt_load_id')} = _omni_newest"
    )
