"""Fast text for many rows: fixed-width strings built as bytes with numpy, and JSON lines built with
Arrow string kernels, so that no Python object is made per row.

A fixed-width column is an (n, width) uint8 matrix turned into an Arrow string array without a copy
of each value (timestamps, hex ids, zero-padded numbers).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86_400
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_TWO_DIGITS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], dtype=np.uint8)
_EPOCH_DAY = np.datetime64("1970-01-01", "D")
# characters a JSON string cannot hold as they are
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'


def from_matrix(chars: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Rows of a uint8 matrix as an Arrow string array (null where `valid` is false)."""
    n, width = chars.shape
    data = pa.py_buffer(np.ascontiguousarray(chars))
    big = n * width >= 2**31
    offsets = pa.py_buffer(np.arange(0, (n + 1) * width, width, dtype=np.int64 if big else np.int32))
    bitmap = None
    if valid is not None and not valid.all():
        bitmap = pa.py_buffer(np.packbits(np.asarray(valid, dtype=bool), bitorder="little"))
    kind = pa.large_string() if big else pa.string()
    return pa.Array.from_buffers(kind, n, [bitmap, offsets, data])


def template(n: int, text: str) -> np.ndarray:
    """An (n, len(text)) matrix of `text` (ASCII), to fill in."""
    return np.repeat(np.frombuffer(text.encode(), dtype=np.uint8)[None, :], n, axis=0)


def put_digits(chars: np.ndarray, col: int, values: np.ndarray, width: int) -> None:
    """Write non-negative `values` zero-padded to `width` digits at column `col`."""
    v = np.asarray(values, dtype=np.int64).copy()
    for i in range(width - 1, -1, -1):
        chars[:, col + i] = 48 + v % 10
        v //= 10


def numbered_chars(prefix: str, values, width: int) -> np.ndarray:
    """`prefix` + zero-padded number as a matrix, e.g. "MSG000000007" for ("MSG", 7, 9)."""
    values = np.asarray(values, dtype=np.int64)
    chars = template(len(values), prefix + "0" * width)
    put_digits(chars, len(prefix), values, width)
    return chars


def numbered(prefix: str, values, width: int, valid: np.ndarray | None = None) -> pa.Array:
    """`prefix` + zero-padded number, e.g. numbered("MSG", 7, 9) -> "MSG000000007"."""
    return from_matrix(numbered_chars(prefix, values, width), valid)


def hex_matrix(a: np.ndarray, b: np.ndarray, width: int) -> np.ndarray:
    """The last `width` characters of printf('%016x%016x', a, b), as a matrix."""
    n = len(a)
    chars = np.empty((n, 32), dtype=np.uint8)
    for j, v in enumerate((np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64))):
        for i in range(16):
            chars[:, 16 * j + i] = _HEX[((v >> np.uint64(4 * (15 - i))) & np.uint64(15)).astype(np.intp)]
    return chars[:, 32 - width :]


def uuid_matrix(h: np.ndarray) -> np.ndarray:
    """A version-4 style UUID from 32 hex characters: 8-4-4xxx-axxx-12."""
    n = len(h)
    chars = template(n, "00000000-0000-4000-a000-000000000000")
    chars[:, 0:8] = h[:, 0:8]
    chars[:, 9:13] = h[:, 8:12]
    chars[:, 15:18] = h[:, 13:16]
    chars[:, 20:23] = h[:, 17:20]
    chars[:, 24:36] = h[:, 20:32]
    return chars


def _date_rows(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """YYYY-MM-DD of the distinct days (days since 1970), and each day's row in that table."""
    lo, hi = int(days.min()), int(days.max())
    table = np.datetime_as_string(_EPOCH_DAY + np.arange(lo, hi + 1), unit="D").astype("S10")
    return np.frombuffer(table.tobytes(), dtype=np.uint8).reshape(-1, 10), days - lo


def timestamps(
    epoch_seconds,
    date_sep: str = "T",
    millis: bool = False,
    suffix: str = "Z",
    time: bool = True,
    quote: bool = False,
) -> pa.Array:
    """Seconds since 1970 as `YYYY-MM-DD<sep>HH:MM:SS[.000]<suffix>` (or just the date), optionally in
    double quotes (a JSON string literal)."""
    secs = np.asarray(epoch_seconds, dtype=np.int64)
    n = len(secs)
    text = "0000-00-00" + (date_sep + "00:00:00" + (".000" if millis else "") + suffix if time else "")
    q = 1 if quote else 0
    chars = template(n, '"' * q + text + '"' * q)
    if n == 0:
        return from_matrix(chars)
    days, tod = np.divmod(secs, DAY)
    dates, row = _date_rows(days)
    chars[:, q : q + 10] = dates[row]
    if time:
        at = q + 10 + len(date_sep)
        chars[:, at : at + 2] = _TWO_DIGITS[tod // 3600]
        chars[:, at + 3 : at + 5] = _TWO_DIGITS[tod // 60 % 60]
        chars[:, at + 6 : at + 8] = _TWO_DIGITS[tod % 60]
    return from_matrix(chars)


def zone_offsets(epoch_seconds: np.ndarray, tz: str) -> np.ndarray:
    """Per instant, its offset in seconds from UTC in zone `tz` (offsets change on whole hours)."""
    secs = np.asarray(epoch_seconds, dtype=np.int64)
    hours, where = np.unique(secs // 3600, return_inverse=True)
    utc = pa.array(hours * 3600, pa.timestamp("s", tz="UTC"))
    local = pc.local_timestamp(utc.cast(pa.timestamp("s", tz=tz)))
    offset = local.cast(pa.int64()).to_numpy() - hours * 3600
    return offset[where.ravel()]


# --- JSON lines ------------------------------------------------------------------------------------


def quoted(chars: np.ndarray) -> np.ndarray:
    """A fixed-width matrix with a double quote on each side (a JSON string literal; no escaping needed)."""
    out = np.full((chars.shape[0], chars.shape[1] + 2), 34, dtype=np.uint8)
    out[:, 1:-1] = chars
    return out


def json_literals(values: pa.Array) -> pa.Array:
    """Each value as JSON literal text: a quoted, escaped string, or `null`."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.large_string())
    if pc.any(pc.match_substring_regex(values, _NEEDS_ESCAPE)).as_py():
        values = pc.replace_substring(values, "\\", "\\\\")
        values = pc.replace_substring(values, '"', '\\"')
        for code, esc in ((8, "\\b"), (9, "\\t"), (10, "\\n"), (12, "\\f"), (13, "\\r")):
            values = pc.replace_substring(values, chr(code), esc)
        for code in [c for c in range(32) if c not in (8, 9, 10, 12, 13)]:
            values = pc.replace_substring(values, chr(code), f"\\u{code:04x}")
    quote = pa.scalar('"', pa.large_string())
    return pc.fill_null(
        pc.binary_join_element_wise(quote, values, quote, pa.scalar("", pa.large_string())), "null"
    )


def with_null(literals: pa.Array, last: str = "null") -> pa.Array:
    """JSON literal text with one more entry at the end (`null`), for `pick`."""
    literals = literals.combine_chunks() if isinstance(literals, pa.ChunkedArray) else literals
    literals = literals.cast(pa.large_string())
    return pa.concat_arrays([literals, pa.array([last], pa.large_string())])


def pick(table: pa.Array, index, mask=None) -> pa.Array:
    """table[index], or the table's last entry (`null`, see `with_null`) where `mask` is false."""
    index = np.asarray(index, dtype=np.int64)
    if mask is not None:
        index = np.where(mask, index, len(table) - 1)
    return table.take(pa.array(index))


def object_lines(fields: list[tuple[str | None, pa.Array]]) -> pa.Array:
    """JSON object lines (`{"a":"x","b":null}\\n`) from (key, JSON literal text) pairs, keys in order, as
    DuckDB's JSON writer prints them. A field without a key is a ready-made `,"key":value` fragment (or
    empty: a key some rows lack)."""
    big = pa.large_string()
    parts: list = []
    for i, (name, values) in enumerate(fields):
        literals = (values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values).cast(big)
        if name is not None:
            parts.append(pa.scalar(("{" if i == 0 else ",") + '"' + name + '":', big))
        parts.append(literals)
    parts.append(pa.scalar("}\n", big))
    return pc.binary_join_element_wise(*parts, pa.scalar("", big))


def fragment(fields: list[tuple[str, pa.Array]]) -> pa.Array:
    """`,"key":value` fragments of (key, JSON literal text) pairs, joined per row (a part of an object)."""
    big = pa.large_string()
    parts: list = []
    for name, values in fields:
        parts += [
            pa.scalar(',"' + name + '":', big),
            (values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values).cast(big),
        ]
    return pc.binary_join_element_wise(*parts, pa.scalar("", big))


def line_bounds(lines: pa.Array) -> tuple[memoryview, np.ndarray]:
    """The bytes of a (large) string array and the byte offset where each value starts (plus the end)."""
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    _, offsets, data = lines.buffers()
    starts = np.frombuffer(offsets, dtype=width)[lines.offset : lines.offset + len(lines) + 1].astype(
        np.int64
    )
    return memoryview(data), starts
