"""The dbt-duckdb plugin of the warehouse (dbt/profiles.yml `plugins`): registers the SQL functions
`omni_pseudonym(value)` and `omni_pseudonym_key_id()` on dbt's DuckDB connection.

`omni_pseudonym` is HMAC-SHA256 of a text under the pseudonymisation key (omni/pseudonymisation.py),
NULL for NULL. The key is read here when dbt opens the warehouse, from OMNI_PSEUDONYMISATION_KEY or
the installation's key file beside the warehouse (`<data-dir>/secrets/`), so it never passes through
dbt's Jinja: no compiled SQL, artifact or log of dbt holds it. The function exists only on dbt's
connection: models that call it (macro `pseudonymize`) must be tables, never views, which another
connection would read. `omni_pseudonym_key_id()` names the key in force (omni.pseudonymisation.key_id,
not the key): a table that keeps pseudonyms from one run to the next (int_identity__pseudonyms) stores it
beside them and computes them again under a new key.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from omni.pseudonymisation import key_id, load_key, pseudonym

FUNCTION = "omni_pseudonym"
KEY_ID_FUNCTION = "omni_pseudonym_key_id"


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        # the warehouse's folder is the data directory (omni/settings.py: <data-dir>/warehouse.duckdb)
        key = load_key(Path(self.creds.path).resolve().parent)

        def keyed(values: pa.Array) -> pa.Array:
            return pa.array(
                [None if v is None else pseudonym(key, v) for v in values.to_pylist()], type=pa.string()
            )

        conn.create_function(FUNCTION, keyed, ["VARCHAR"], "VARCHAR", type="arrow")
        named = key_id(key)
        conn.create_function(KEY_ID_FUNCTION, lambda: named, [], "VARCHAR", side_effects=False)
