"""Text functions the warehouse's SQL needs where an engine lacks them (Spark: omni/spark.py registers
them in the session; DuckDB has them built in)."""

from __future__ import annotations


def damerau_levenshtein(a: str | None, b: str | None) -> int | None:
    """The Damerau-Levenshtein distance of `a` and `b`: the fewest insertions, deletions, substitutions
    and transpositions of two adjacent characters that turn one into the other, unrestricted (a
    transposed pair may be edited again: "ca" -> "abc" is 2), as DuckDB's damerau_levenshtein. Null when
    either is null."""
    if a is None or b is None:
        return None
    infinity = len(a) + len(b)
    last_row_of: dict[str, int] = {}
    # (len(a) + 2) x (len(b) + 2) table, the first row and column holding the sentinel
    table = [[infinity] * (len(b) + 2) for _ in range(len(a) + 2)]
    for i in range(len(a) + 1):
        table[i + 1][1] = i
    for j in range(len(b) + 1):
        table[1][j + 1] = j
    for i in range(1, len(a) + 1):
        last_match_column = 0
        for j in range(1, len(b) + 1):
            k = last_row_of.get(b[j - 1], 0)
            m = last_match_column
            cost = 1
            if a[i - 1] == b[j - 1]:
                cost = 0
                last_match_column = j
            table[i + 1][j + 1] = min(
                table[i][j] + cost,  # substitution (or match)
                table[i + 1][j] + 1,  # insertion
                table[i][j + 1] + 1,  # deletion
                table[k][m] + (i - k - 1) + 1 + (j - m - 1),  # transposition
            )
        last_row_of[a[i - 1]] = i
    return table[len(a) + 1][len(b) + 1]
