"""dlt resources over file drops: every landing file loaded once, every row loaded or quarantined.

Files are read by DuckDB (not pandas, not Python dicts) and handed to dlt as Arrow tables, the fast
path (see STACK_NOTES.md). Per resource, dlt state remembers each loaded file and its content hash:
a file already loaded is skipped, a re-delivered copy of a loaded file (same bytes, another name) is
recorded as a duplicate and adds nothing. The state is committed with the load package, so a load
that dies half-way is read again in full by the next run.

Each resource writes three tables: its own raw table, `_quarantine` (rows and files that broke the
contract, with the reason) and `_load_audit` (per file: rows read, loaded and quarantined).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dlt
import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.common.contract import Table, json_struct_type, quote, sql_string, typed_select

QUARANTINE_TABLE = "_quarantine"
AUDIT_TABLE = "_load_audit"
FINDINGS_TABLE = "_findings"
QUARANTINE_COLUMNS = ("_source_file", "_record", "_reason")
# one row per optional value that broke the contract: the row loaded, the value as NULL
FINDINGS_SCHEMA = pa.schema(
    [
        ("_source_file", pa.string()),
        ("_row_key", pa.string()),
        ("column_name", pa.string()),
        ("value", pa.string()),
        ("reason", pa.string()),
    ]
)
# files read by one DuckDB query; bounded so that one batch's Arrow table stays small
BATCH_BYTES = 256 * 1024 * 1024


# errors that come from a file's content (not from our SQL): the file is quarantined, the load goes on
DATA_ERRORS = (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.IOException)


class ContractError(Exception):
    """A landing file breaks the contract in a way that must stop its source (a missing column)."""


class CorruptFileError(Exception):
    """A landing file that cannot be read at all; it is quarantined whole."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # keep rows in file order: the raw layer must be reproducible
    con.execute("SET preserve_insertion_order = true")
    return con


def _file_list(paths: list[Path]) -> str:
    return "[" + ", ".join(sql_string(str(p)) for p in paths) + "]"


def csv_header(path: Path, table: Table) -> list[str]:
    """The header of a CSV file, checked against the contract."""
    try:
        with path.open("r", encoding="utf-8", newline="") as fh:
            first = fh.readline()
    except UnicodeDecodeError as exc:
        raise CorruptFileError(f"not UTF-8 text ({exc.reason})") from exc
    header = [h.strip().strip('"') for h in first.rstrip("\r\n").split(table.delimiter)]
    known = {c.name for c in table.columns}
    if not known.intersection(header):
        raise CorruptFileError(
            f"header has none of the contract's columns (delimiter {table.delimiter!r} expected)"
        )
    missing = [c for c in table.required if c not in header]
    if missing:
        raise ContractError(
            f"{path.name}: required column(s) {', '.join(missing)} missing from the header; "
            f"the source is not loaded until the export is fixed (see docs/landing.md)"
        )
    return header


def text_relation(
    table: Table, paths: list[Path], extra_columns: tuple[str, ...] = (), header: frozenset[str] = frozenset()
) -> str:
    """SQL giving every contract column as text plus `_source_file`, `_record`, `_parse_error`.

    For CSV, `header` is the union of the files' headers: a contract column absent from every file
    of the batch (an optional column added in a later schema version) is read as NULL.
    """
    files = _file_list(paths)
    if table.format == "csv":
        select = ", ".join(
            [
                quote(c.name) if c.name in header else f"NULL::VARCHAR AS {quote(c.name)}"
                for c in table.columns
            ]
            + [quote(x) for x in extra_columns]
        )
        return f"""(
            SELECT {select}, filename AS _source_file, NULL::VARCHAR AS _record,
                   NULL::VARCHAR AS _parse_error
            FROM read_csv({files}, delim={sql_string(table.delimiter)}, header = true,
                          all_varchar = true, filename = true,
                          ignore_errors = true, store_rejects = true,
                          rejects_table = '_rejects', rejects_scan = '_reject_scans')
        )"""
    struct = json_struct_type(table.columns)
    extras_sql = "".join(
        f", {_json_field(src, x)} AS {quote(x)}"
        for src, x in (("line" if table.format == "jsonl" else "rec", x) for x in extra_columns)
    )
    if table.format == "jsonl":
        return f"""(
            SELECT {_flatten(table.columns, "j")}{extras_sql}, _source_file, line AS _record,
                   CASE WHEN NOT ok THEN 'malformed JSON line' END AS _parse_error
            FROM (
                SELECT filename AS _source_file, line, json_valid(line) AS ok,
                       from_json(CASE WHEN json_valid(line) THEN line END, {sql_string(struct)}) AS j
                FROM read_csv({files}, columns = {{'line': 'VARCHAR'}}, delim = '\\x1e', quote = '',
                              escape = '', header = false, filename = true)
                WHERE line IS NOT NULL AND trim(line) <> ''
            )
        )"""
    # json documents: {"<root>": [record, ...]}
    docs = f"""
        SELECT filename AS _source_file, unnest(from_json({quote(table.root)}, '["JSON"]')) AS rec
        FROM read_json({files}, columns = {{{sql_string(table.root)}: 'JSON'}}, filename = true,
                       format = 'auto', maximum_object_size = 134217728)
    """
    if table.child_list is None:
        return f"""(
            SELECT {_flatten(table.columns, "j")}{extras_sql}, _source_file, rec::VARCHAR AS _record,
                   NULL::VARCHAR AS _parse_error
            FROM (SELECT *, from_json(rec, {sql_string(struct)}) AS j FROM ({docs}))
        )"""
    child_col, parent_field = table.parent_key
    item_cols = tuple(c for c in table.columns if c.name != child_col)
    item_struct = json_struct_type(item_cols)
    list_path = sql_string("$." + table.child_list)
    parent_path = sql_string("$." + parent_field)
    return f"""(
        SELECT {quote(child_col)}, {_flatten(item_cols, "j")}, _source_file,
               item::VARCHAR AS _record, NULL::VARCHAR AS _parse_error
        FROM (
            SELECT *, from_json(item, {sql_string(item_struct)}) AS j
            FROM (
                SELECT _source_file, rec ->> {parent_path} AS {quote(child_col)},
                       unnest(from_json(rec -> {list_path}, '["JSON"]')) AS item
                FROM ({docs})
            )
        )
    )"""


def _json_field(source: str, key: str) -> str:
    """A top-level JSON field as text (objects and lists as JSON text)."""
    return f"CASE WHEN json_valid({source}) THEN {source} ->> {sql_string('$.' + json_key_path(key))} END"


def json_key_path(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def json_extra_keys(table: Table, paths: list[Path]) -> tuple[str, ...]:
    """Top-level keys of the records that the contract does not know (schema drift: new fields)."""
    if table.child_list is not None:
        return ()  # child tables follow their parent's contract
    known = {c.json_path[0] for c in table.columns}
    files = _file_list(paths)
    if table.format == "jsonl":
        records = f"""SELECT line AS r FROM read_csv({files}, columns = {{'line': 'VARCHAR'}}, delim = '\\x1e',
                       quote = '', escape = '', header = false) WHERE json_valid(line)"""
    else:
        records = f"""SELECT unnest(from_json({quote(table.root)}, '["JSON"]')) AS r
                      FROM read_json({files}, columns = {{{sql_string(table.root)}: 'JSON'}}, format = 'auto',
                                     maximum_object_size = 134217728)"""
    con = _connect()
    try:
        keys = con.execute(
            f"SELECT DISTINCT unnest(json_keys(r)) AS k FROM ({records}) ORDER BY k"
        ).fetchall()
    finally:
        con.close()
    return tuple(k for (k,) in keys if k not in known and not k.startswith("_"))


def _flatten(columns, struct_name: str) -> str:
    """Select each column from its (possibly nested) path in a parsed JSON struct."""
    return ", ".join(
        f"{struct_name}{''.join('[' + sql_string(p) + ']' for p in c.json_path)} AS {quote(c.name)}"
        for c in columns
    )


def read_batch(
    table: Table,
    paths: list[Path],
    extra_columns: tuple[str, ...] = (),
    header: frozenset[str] = frozenset(),
    landing_dir: Path | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Read files into (good rows, quarantined rows). Raises where DuckDB cannot read a file.

    `_source_file` is given relative to `landing_dir` when it is passed. Good rows carry their bad
    optional values NULLed; `read_batch_with_findings` also returns what was NULLed.
    """
    good, bad, _ = read_batch_with_findings(table, paths, extra_columns, header, landing_dir)
    return good, bad


def read_batch_with_findings(
    table: Table,
    paths: list[Path],
    extra_columns: tuple[str, ...] = (),
    header: frozenset[str] = frozenset(),
    landing_dir: Path | None = None,
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Read files into (good rows, quarantined rows, findings): a finding is one optional value of a
    loaded row that broke the contract and was loaded as NULL (FINDINGS_SCHEMA)."""
    con = _connect()
    prefix = f"{landing_dir}/" if landing_dir else ""
    try:
        relation = text_relation(table, paths, extra_columns, header)
        result = con.sql(typed_select(table, relation, extra_columns, prefix)).to_arrow_table()
        rejects = _csv_rejects(con, prefix) if table.format == "csv" else None
    finally:
        con.close()
    if result["_reason"].null_count == result.num_rows:  # the usual case: nothing to set aside
        good, bad = (
            result.drop_columns(["_record", "_reason"]),
            result.slice(0, 0).select(list(QUARANTINE_COLUMNS)),
        )
    else:
        good_mask = pc.is_null(result["_reason"])
        good = result.filter(good_mask).drop_columns(["_record", "_reason"])
        bad = result.filter(pc.invert(good_mask)).select(list(QUARANTINE_COLUMNS))
    if rejects is not None and rejects.num_rows:
        bad = pa.concat_tables([bad, rejects.select(list(QUARANTINE_COLUMNS)).cast(bad.schema)])
    findings = _findings(good)
    return good.drop_columns(["_findings", "_row_key"]), bad, findings


def _findings(good: pa.Table) -> pa.Table:
    """One row per flagged value of the loaded rows (the `_findings` list of each row, flattened)."""
    if good["_findings"].null_count == good.num_rows:
        return FINDINGS_SCHEMA.empty_table()
    flagged = good.filter(pc.is_valid(good["_findings"])).select(["_source_file", "_row_key", "_findings"])
    lists = flagged["_findings"].combine_chunks()
    parents = pc.list_parent_indices(lists)
    items = pc.list_flatten(lists)
    return pa.table(
        {
            "_source_file": flagged["_source_file"].take(parents),
            "_row_key": flagged["_row_key"].take(parents),
            "column_name": pc.struct_field(items, "column_name"),
            "value": pc.struct_field(items, "value"),
            "reason": pc.struct_field(items, "reason"),
        },
        schema=FINDINGS_SCHEMA,
    )


def _csv_rejects(con: duckdb.DuckDBPyConnection, prefix: str = "") -> pa.Table | None:
    """Lines DuckDB's CSV reader could not split into the header's columns."""
    try:
        return con.sql(
            f"""
            SELECT substr(s.file_path, {len(prefix) + 1}) AS _source_file, e.csv_line AS _record,
                   'malformed CSV line ' || e.line || ': ' || e.error_type AS _reason
            FROM _rejects e JOIN _reject_scans s USING (scan_id, file_id)
            ORDER BY s.file_path, e.line
            """
        ).to_arrow_table()
    except duckdb.CatalogException:
        return None


def _relative(path: Path, landing_dir: Path) -> str:
    return path.relative_to(landing_dir).as_posix()


def _batches(files: list[tuple[Path, int]], limit: int = BATCH_BYTES) -> Iterator[list[Path]]:
    batch: list[Path] = []
    size = 0
    for path, nbytes in files:
        if batch and size + nbytes > limit:
            yield batch
            batch, size = [], 0
        batch.append(path)
        size += nbytes
    if batch:
        yield batch


def _count_by_file(table: pa.Table, files: list[str]) -> dict[str, int]:
    if table.num_rows == 0:
        return dict.fromkeys(files, 0)
    counts = table.group_by("_source_file").aggregate([("_source_file", "count")])
    found = dict(
        zip(counts["_source_file"].to_pylist(), counts["_source_file_count"].to_pylist(), strict=True)
    )
    return {f: found.get(f, 0) for f in files}


def _audit_rows(run_at: datetime, table: str, rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"audited_at": run_at, "table_name": table, **r} for r in rows],
        schema=pa.schema(
            [
                ("audited_at", pa.timestamp("us", tz="UTC")),
                ("table_name", pa.string()),
                ("source_file", pa.string()),
                ("content_sha256", pa.string()),
                ("status", pa.string()),
                ("detail", pa.string()),
                ("rows_read", pa.int64()),
                ("rows_loaded", pa.int64()),
                ("rows_quarantined", pa.int64()),
                ("values_flagged", pa.int64()),
            ]
        ),
    )


def _stamped(time_column: str, run_at: datetime, table: str, columns: dict[str, pa.ChunkedArray]) -> pa.Table:
    """Rows of `_quarantine` or `_findings`: when and for which raw table, then `columns`."""
    n = len(next(iter(columns.values())))
    return pa.table(
        {
            time_column: pa.array([run_at] * n, pa.timestamp("us", tz="UTC")),
            "table_name": pa.array([table] * n, pa.string()),
            **columns,
        }
    )


def _quarantine_rows(run_at: datetime, table: str, bad: pa.Table) -> pa.Table:
    return _stamped(
        "quarantined_at",
        run_at,
        table,
        {"source_file": bad["_source_file"], "record": bad["_record"], "reason": bad["_reason"]},
    )


def _finding_rows(run_at: datetime, table: str, findings: pa.Table) -> pa.Table:
    return _stamped(
        "found_at",
        run_at,
        table,
        {
            "source_file": findings["_source_file"],
            "row_key": findings["_row_key"],
            "column_name": findings["column_name"],
            "value": findings["value"],
            "reason": findings["reason"],
        },
    )


# Every table is written with `merge` / `delete-insert` on the file (or API page) its rows came from:
# loading a file again replaces its rows instead of adding them. Together with the file registry in
# dlt state this makes a load that was killed half-way (after DuckDB committed some tables, before
# dlt recorded it) safe to run again: every row ends up in raw exactly once.
def _keys_not_null(rows: pa.Table, keys: list[str]) -> pa.Table:
    """Merge keys are NOT NULL in dlt's schema; say so in the Arrow schema too."""
    fields = [f.with_nullable(False) if f.name in keys else f for f in rows.schema]
    return rows.cast(pa.schema(fields, metadata=rows.schema.metadata))


def _merged(table_name: str, rows: pa.Table, keys: list[str], columns: list[dict] | None = None):
    """`rows` bound for `table_name`, merged (delete-insert) on `keys`."""
    hints = dlt.mark.make_hints(
        table_name=table_name,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        merge_key=keys,
        columns=columns or [],
    )
    return dlt.mark.with_hints(_keys_not_null(rows, keys), hints, create_table_variant=True)


def raw_rows(table: Table, rows: pa.Table):
    # store wall-clock times stay naive: dlt would otherwise take them for UTC
    local = [
        {"name": c.name, "data_type": "timestamp", "timezone": False}
        for c in table.columns
        if c.type == "local_timestamp"
    ]
    return _merged(table.name, rows, ["_source_file"], local)


def finding_rows(rows: pa.Table):
    return _merged(FINDINGS_TABLE, rows, ["table_name", "source_file"])


def quarantine_rows(rows: pa.Table):
    return _merged(QUARANTINE_TABLE, rows, ["table_name", "source_file"])


def audit_rows(rows: pa.Table):
    return _merged(AUDIT_TABLE, rows, ["table_name", "source_file"])


def file_drop_resource(source_name: str, table: Table, landing_dir: str | Path):
    """A dlt resource loading `table` from `landing/<source_name>/<table.glob>`."""
    root = Path(landing_dir).resolve() / source_name

    @dlt.resource(name=table.name)
    def load_files() -> Iterator[pa.Table]:
        state = dlt.current.resource_state()
        seen: dict[str, str] = state.setdefault("files", {})
        known_hashes = {sha: name for name, sha in seen.items()}
        run_at = datetime.now(UTC)
        landing = root.parent
        todo: list[tuple[Path, int]] = []
        audit: list[dict] = []
        for path in sorted(root.glob(table.glob)):
            if not path.is_file():
                continue
            rel = _relative(path, landing)
            sha = file_sha256(path)
            if seen.get(rel) == sha:
                continue  # loaded by an earlier run
            if sha in known_hashes:
                audit.append(_audit(rel, sha, "duplicate", f"same content as {known_hashes[sha]}"))
                seen[rel] = sha
                continue
            known_hashes[sha] = rel
            todo.append((path, path.stat().st_size))
            seen[rel] = sha

        hashes = {_relative(p, landing): seen[_relative(p, landing)] for p, _ in todo}
        for batch in _batches(todo):
            for good, bad, findings, statuses in _read_with_fallback(table, batch, landing):
                files = [_relative(p, landing) for p in batch if _relative(p, landing) in statuses]
                loaded = _count_by_file(good, files)
                quarantined = _count_by_file(bad, files)
                flagged = _count_by_file(findings, files)
                for rel in files:
                    status, detail = statuses[rel]
                    audit.append(
                        _audit(
                            rel,
                            hashes[rel],
                            status,
                            detail,
                            loaded[rel] + quarantined[rel],
                            loaded[rel],
                            quarantined[rel],
                            flagged[rel],
                        )
                    )
                if good.num_rows:
                    yield raw_rows(table, good)
                if bad.num_rows:
                    yield quarantine_rows(_quarantine_rows(run_at, table.name, bad))
                if findings.num_rows:
                    yield finding_rows(_finding_rows(run_at, table.name, findings))
        if audit:
            yield audit_rows(_audit_rows(run_at, table.name, audit))

    load_files.__doc__ = table.description or None
    return load_files


def _audit(
    rel: str,
    sha: str,
    status: str,
    detail: str | None = None,
    read: int = 0,
    loaded: int = 0,
    quarantined: int = 0,
    flagged: int = 0,
) -> dict:
    return {
        "source_file": rel,
        "content_sha256": sha,
        "status": status,
        "detail": detail,
        "rows_read": read,
        "rows_loaded": loaded,
        "rows_quarantined": quarantined,
        "values_flagged": flagged,
    }


def _read_with_fallback(
    table: Table, batch: list[Path], landing: Path
) -> Iterator[tuple[pa.Table, pa.Table, dict[str, tuple[str, str | None]]]]:
    """Read a batch in one query; if a file in it is unreadable, read file by file to name it.

    CSV files are read in groups of identical headers (a schema version each).
    Yields (good rows, quarantined rows, findings, {relative file: (status, detail)}). A corrupt file
    becomes one quarantine row (record NULL, the reason) and status `corrupt`, a file of another
    shape (a JSON document without the contract's root key) one with status `unrecognised`; a file
    with no rows is `empty`; a missing required column raises ContractError, failing the source.
    """
    headers: dict[Path, list[str]] = {}
    corrupt: dict[Path, str] = {}
    empty = [p for p in batch if p.stat().st_size == 0]
    if empty:
        yield (
            pa.table({"_source_file": pa.array([], pa.string())}),
            _whole_file_rows([]),
            FINDINGS_SCHEMA.empty_table(),
            {_relative(p, landing): ("empty", "the file is empty (0 bytes)") for p in empty},
        )
    batch = [p for p in batch if p not in empty]
    if table.format == "csv":
        for path in batch:
            try:
                headers[path] = csv_header(path, table)
            except CorruptFileError as exc:
                corrupt[path] = str(exc)
    readable = [p for p in batch if p not in corrupt]
    for path, reason in corrupt.items():
        yield _corrupt_file(path, reason, landing)
    if not readable:
        return
    groups: dict[tuple[str, ...], list[Path]] = {}
    for path in readable:
        groups.setdefault(tuple(headers.get(path, ())), []).append(path)
    for group in groups.values():
        try:
            yield _read_group(table, group, headers, landing)
        except DATA_ERRORS:
            for path in group:
                try:
                    yield _read_group(table, [path], headers, landing)
                except DATA_ERRORS as exc:
                    yield _corrupt_file(path, _first_line(exc), landing)


def _read_group(table: Table, paths: list[Path], headers: dict[Path, list[str]], landing: Path):
    header = frozenset(h for p in paths for h in headers.get(p, []))
    if table.format == "csv":
        extra = tuple(sorted(header - {c.name for c in table.columns}))
    else:
        extra = json_extra_keys(table, paths)
    good, bad, findings = read_batch_with_findings(table, paths, extra, header, landing)
    statuses = {_relative(p, landing): ("loaded", None) for p in paths}
    rels = list(statuses)
    counts = _count_by_file(good, rels)
    quarantined = _count_by_file(bad, rels)
    unrecognised = []
    for path in paths:
        rel = _relative(path, landing)
        if counts[rel] or quarantined[rel]:
            continue
        status, detail = _diagnose_rowless(
            table, path
        )  # a file that gave no rows: empty, or of another shape?
        statuses[rel] = (status, detail)
        if status == "unrecognised":
            unrecognised.append((rel, f"unrecognised file: {detail}"))
    if unrecognised:
        bad = pa.concat_tables([bad, _whole_file_rows(unrecognised).cast(bad.schema)])
    return good, bad, findings, statuses


def _diagnose_rowless(table: Table, path: Path) -> tuple[str, str]:
    """Why a file gave no rows: `empty` (nothing in it), or `unrecognised` (rows under another shape)."""
    if path.stat().st_size == 0:
        return "empty", "the file is empty (0 bytes)"
    if table.format != "json":
        return "empty", "the file has no rows"
    con = _connect()
    try:
        (keys,) = con.execute(
            "SELECT json_keys(json) FROM read_json_objects(?, format = 'auto', maximum_object_size = 134217728)",
            [str(path)],
        ).fetchone() or ([],)
        if table.root in (keys or []):
            return "empty", f"`{table.root}` holds no records"
    finally:
        con.close()
    found = ", ".join(f"`{k}`" for k in keys) if keys else "no keys"
    return "unrecognised", (
        f"no `{table.root}` key at the top of the document (found {found}); "
        f'the contract expects {{"{table.root}": [...]}} (docs/landing.md)'
    )


def _whole_file_rows(files: list[tuple[str, str]]) -> pa.Table:
    """Quarantine rows standing for whole files (record NULL, the reason)."""
    return pa.table(
        {
            "_source_file": pa.array([rel for rel, _ in files], pa.string()),
            "_record": pa.array([None] * len(files), pa.string()),
            "_reason": pa.array([reason for _, reason in files], pa.string()),
        }
    )


def _corrupt_file(path: Path, reason: str, landing: Path):
    bad = _whole_file_rows([(_relative(path, landing), f"unreadable file: {reason}")])
    empty = pa.table({"_source_file": pa.array([], pa.string())})
    return empty, bad, FINDINGS_SCHEMA.empty_table(), {_relative(path, landing): ("corrupt", reason)}


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:500]


def read_records(table: Table, records: list[dict], label: str) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Type and check records that came from an API page, exactly as if they had come in a file.

    The page is written as the JSON document the file contract describes ({"<root>": [...]}) and
    read by the same DuckDB path; `label` (endpoint and page) stands in for the file name.
    """
    import json
    import tempfile

    with tempfile.TemporaryDirectory(prefix="omni-page-") as tmp:
        page = Path(tmp) / "page.json"
        page.write_text(json.dumps({table.root: records}, ensure_ascii=False), encoding="utf-8")
        good, bad, findings = read_batch_with_findings(table, [page], json_extra_keys(table, [page]))
    relabel = lambda t: t.set_column(  # noqa: E731
        t.schema.get_field_index("_source_file"), "_source_file", pa.array([label] * t.num_rows, pa.string())
    )
    return relabel(good), relabel(bad), relabel(findings)


def contract_transformer(table: Table):
    """A dlt transformer that turns API pages into typed Arrow rows, quarantine rows and audit rows."""

    @dlt.transformer(name=table.name)
    def typed_pages(page: list[dict]) -> Iterator[pa.Table]:
        if not page:
            return
        run_at = datetime.now(UTC)
        state = dlt.current.resource_state()
        state["pages"] = state.get("pages", 0) + 1
        label = f"api:{table.root}/page-{state['pages']}"
        good, bad, findings = read_records(table, list(page), label)
        if good.num_rows:
            yield raw_rows(table, good)
        if bad.num_rows:
            yield quarantine_rows(_quarantine_rows(run_at, table.name, bad))
        if findings.num_rows:
            yield finding_rows(_finding_rows(run_at, table.name, findings))
        audit = _audit(
            label,
            "",
            "loaded",
            None,
            good.num_rows + bad.num_rows,
            good.num_rows,
            bad.num_rows,
            findings.num_rows,
        )
        yield audit_rows(_audit_rows(run_at, table.name, [audit]))

    return typed_pages
