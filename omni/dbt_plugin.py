"""The dbt-duckdb plugin of the warehouse (dbt/profiles.yml `plugins`): registers the SQL function
`omni_pseudonym(value)` on dbt's DuckDB connection.

`omni_pseudonym` is HMAC-SHA256 of a text under the pseudonymisation key (omni/pseudonymisation.py),
NULL for NULL. The key is read here when dbt opens the warehouse, from OMNI_PSEUDONYMISATION_KEY or
the installation's key file beside the warehouse (`<data-dir>/secrets/`), so it never passes through
dbt's Jinja: no compiled SQL, artifact or log of dbt holds it. The function exists only on dbt's
connection: models that call it (macro `pseudonymize`) must be tables, never views, which another
connection would read.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from omni.pseudonymisation import load_key, pseudonym

FUNCTION = "omni_pseudonym"


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        # the warehouse's folder is the data directory (omni/settings.py: <data-dir>/warehouse.duckdb)
        key = load_key(Path(self.creds.path).resolve().parent)

        def keyed(values: pa.Array) -> pa.Array:
            return pa.array(
                [None if v is None else pseudonym(key, v) for v in values.to_pylist()], type=pa.string()
            )

        conn.create_function(FUNCTION, keyed, ["VARCHAR"], "VARCHAR", type="arrow")
