"""Shared machinery of the file-drop sources: contracts and the dlt resources that load them."""

from ingestion.common.contract import Column, Table
from ingestion.common.filedrop import ContractError, file_drop_resource

__all__ = ["Column", "ContractError", "Table", "file_drop_resource", "one_of"]


def one_of(column: str, values: tuple[str, ...]) -> tuple[str, str, str]:
    """A rule on one column: NULL or one of `values` (a required column breaking it quarantines the row,
    an optional one is NULLed with a finding)."""
    listed = ", ".join("'" + v + "'" for v in values)
    return (
        f"unknown {column} (expected one of {', '.join(values)})",
        f"{column} IS NULL OR {column} IN ({listed})",
        column,
    )
