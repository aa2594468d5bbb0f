"""Vectorised helpers: random streams, id strings, formatting, grouping, file sinks."""

from __future__ import annotations

import shutil
import zlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MIN_MS = 60_000
STR = pa.string()


# ---- random streams ---------------------------------------------------------------------------
def rng_for(seed: int, *parts: str | int) -> np.random.Generator:
    """An independent, reproducible stream for one component (and optionally one day)."""
    key = [int(seed) % (2**63)]
    for part in parts:
        key.append(zlib.crc32(part.encode()) if isinstance(part, str) else int(part))
    return np.random.default_rng(np.random.SeedSequence(key))


def choice_w(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """`n` indices drawn with the given (unnormalised) weights."""
    w = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(w)
    if n == 0 or cdf[-1] <= 0:
        return np.zeros(n, dtype=np.int64)
    idx = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    return np.minimum(idx, len(w) - 1).astype(np.int64)


def pick(rng: np.random.Generator, n: int, items: list, weights: list | None = None) -> np.ndarray:
    """Indices into `items`, uniform or weighted."""
    if weights is None:
        return rng.integers(0, len(items), n)
    return choice_w(rng, n, np.asarray(weights, dtype=np.float64))


# ---- grouping -------------------------------------------------------------------------------
def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For parents with `counts` children: (parent index, position within parent) per child."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    pos = np.arange(parent.size, dtype=np.int64) - starts[parent]
    return parent, pos


def rank_within(sorted_keys: np.ndarray) -> np.ndarray:
    """0-based rank of each element within its run of equal keys (keys already sorted)."""
    n = sorted_keys.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    starts = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    return np.arange(n, dtype=np.int64) - starts[group]


def first_of_group(sorted_keys: np.ndarray) -> np.ndarray:
    n = sorted_keys.size
    new = np.ones(n, dtype=bool)
    if n:
        new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    return new


# ---- strings --------------------------------------------------------------------------------
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_HEX_PAIRS = np.array([[_HEX[i >> 4], _HEX[i & 15]] for i in range(256)], dtype=np.uint8)


def _fixed(buf: np.ndarray) -> pa.Array:
    """(n, k) uint8 ASCII matrix -> string array."""
    n, k = buf.shape
    if n == 0:
        return pa.array([], STR)
    raw = np.ascontiguousarray(buf).view(f"S{k}").ravel()
    return pa.array(raw, type=pa.binary(k)).cast(pa.binary()).cast(STR)


def uuid_strings(rng: np.random.Generator, n: int, upper: bool = False) -> pa.Array:
    """Random version-4 UUID strings."""
    b = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    h = _HEX_PAIRS[b].reshape(n, 32)
    if upper:
        h = np.where(h >= ord("a"), h - 32, h).astype(np.uint8)
    dash = np.full((n, 1), ord("-"), dtype=np.uint8)
    out = np.concatenate([h[:, :8], dash, h[:, 8:12], dash, h[:, 12:16], dash, h[:, 16:20], dash, h[:, 20:]], axis=1)
    return _fixed(out)


def hex_strings(rng: np.random.Generator, n: int, nbytes: int) -> pa.Array:
    b = np.frombuffer(rng.bytes(nbytes * n), dtype=np.uint8).reshape(n, nbytes)
    return _fixed(_HEX_PAIRS[b].reshape(n, 2 * nbytes))


def token_strings(rng: np.random.Generator, n: int, length: int, alphabet: str) -> pa.Array:
    alpha = np.frombuffer(alphabet.encode("ascii"), dtype=np.uint8)
    idx = rng.integers(0, alpha.size, size=(n, length))
    return _fixed(alpha[idx])


def ints_str(values: np.ndarray, width: int = 0) -> pa.Array:
    s = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), STR)
    return pc.utf8_lpad(s, width=width, padding="0") if width else s


def cat(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and literal strings (null if any part is null)."""
    return pc.binary_join_element_wise(*parts, "")


def take(pool: pa.Array, idx: np.ndarray) -> pa.Array:
    """pool[idx] with idx < 0 giving null."""
    idx = np.asarray(idx, dtype=np.int64)
    mask = idx < 0
    if mask.any():
        return pc.take(pool, pa.array(np.where(mask, 0, idx), mask=mask))
    return pc.take(pool, pa.array(idx))


def where_null(mask: np.ndarray, values: pa.Array) -> pa.Array:
    """values, with null where mask is true."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return values
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


def cents_str(cents: np.ndarray, sep: str = ",") -> pa.Array:
    """Money in cents -> '12,99' (decimal comma by default), '-3,50' for negatives."""
    c = np.asarray(cents, dtype=np.int64)
    a = np.abs(c)
    whole = pc.cast(pa.array(a // 100), STR)
    frac = pc.utf8_lpad(pc.cast(pa.array(a % 100), STR), width=2, padding="0")
    sign = pc.if_else(pa.array(c < 0), "-", "")
    return cat(sign, whole, sep, frac)


def ts_iso_ms(ms: np.ndarray) -> pa.Array:
    """Epoch milliseconds (UTC) -> '2026-05-01T10:11:12.345Z'; negative -> null."""
    ms = np.asarray(ms, dtype=np.int64)
    arr = pa.array(ms, type=pa.timestamp("ms"), mask=ms < 0)
    return pc.strftime(arr, format="%Y-%m-%dT%H:%M:%SZ")


def ts_iso_s(ms: np.ndarray) -> pa.Array:
    """Epoch milliseconds (UTC) -> '2026-05-01T10:11:12Z' (seconds); negative -> null."""
    ms = np.asarray(ms, dtype=np.int64)
    arr = pa.array(ms // 1000, type=pa.timestamp("s"), mask=ms < 0)
    return pc.strftime(arr, format="%Y-%m-%dT%H:%M:%SZ")


def ts_local(ms: np.ndarray) -> pa.Array:
    """Local wall-clock milliseconds -> '2026-05-01 14:23:11'."""
    ms = np.asarray(ms, dtype=np.int64)
    return pc.strftime(pa.array(ms // 1000, type=pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S")


def date_str(ms: np.ndarray) -> pa.Array:
    ms = np.asarray(ms, dtype=np.int64)
    return pc.strftime(pa.array(ms // 1000, type=pa.timestamp("s"), mask=ms < 0), format="%Y-%m-%d")


def ean13_check(digits12: np.ndarray) -> np.ndarray:
    """Check digits for an (n, 12) array of digits."""
    w = np.tile([1, 3], 6)
    s = (digits12 * w).sum(axis=1)
    return (10 - s % 10) % 10


def digits_str(digits: np.ndarray) -> pa.Array:
    return _fixed((digits + ord("0")).astype(np.uint8))


# ---- calendar -------------------------------------------------------------------------------
def epoch_ms(d: date) -> int:
    return int((datetime(d.year, d.month, d.day) - datetime(1970, 1, 1)).total_seconds() * 1000)


def last_sunday(year: int, month: int) -> date:
    d = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return d - timedelta(days=(d.weekday() + 1) % 7)


def warsaw_offset_hours(d: date) -> int:
    """UTC offset of Europe/Warsaw on a day (EU rule: summer time from the last Sunday of March to
    the last Sunday of October)."""
    return 2 if last_sunday(d.year, 3) <= d < last_sunday(d.year, 10) else 1


# ---- output ---------------------------------------------------------------------------------
class Sink:
    """Writes landing and truth files, counting rows per source and files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rows: dict[str, int] = {}
        self.files = 0
        self._con = duckdb.connect()
        self._con.execute("SET threads = 2")
        self._con.execute("SET preserve_insertion_order = true")

    def _path(self, rel: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def count(self, source: str | None, rows: int) -> None:
        if source:
            self.rows[source] = self.rows.get(source, 0) + rows

    def csv(self, rel: str, table: pa.Table, source: str | None, rows: int | None = None,
            delimiter: str = ",", quoting: str = "none") -> Path:
        path = self._path(rel)
        pacsv.write_csv(table, path, pacsv.WriteOptions(delimiter=delimiter, quoting_style=quoting,
                                                        quoting_header="none", batch_size=8192))
        self.files += 1
        self.count(source, table.num_rows if rows is None else rows)
        return path

    def jsonl(self, rel: str, table: pa.Table, source: str | None, rows: int | None = None) -> Path:
        path = self._path(rel)
        self._con.register("_jsonl_rows", table)
        try:
            self._con.execute(f"COPY _jsonl_rows TO '{path}' (FORMAT json)")
        finally:
            self._con.unregister("_jsonl_rows")
        self.files += 1
        self.count(source, table.num_rows if rows is None else rows)
        return path

    def text(self, rel: str, text: str, source: str | None, rows: int) -> Path:
        path = self._path(rel)
        path.write_bytes(text.encode("utf-8"))
        self.files += 1
        self.count(source, rows)
        return path

    def resend(self, rel: str, rel_copy: str) -> None:
        """Deliver a file a second time under another name (same bytes); its rows are not counted."""
        shutil.copyfile(self.root / rel, self._path(rel_copy))
        self.files += 1

    def sql(self, query: str, **tables: pa.Table) -> duckdb.DuckDBPyRelation:
        for name, t in tables.items():
            self._con.register(name, t)
        return self._con.sql(query)

    def unregister(self, *names: str) -> None:
        for name in names:
            self._con.unregister(name)

    def close(self) -> None:
        self._con.close()


Progress = Callable[[str], None]
