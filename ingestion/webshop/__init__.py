"""Web shop platform export: accounts, orders with lines, abandoned checkouts, courier returns.

Read from landing files by default, or from the REST API when `api_base_url` is configured
(`[sources.webshop] api_base_url` in .dlt/config.toml, or SOURCES__WEBSHOP__API_BASE_URL); the token,
if the API needs one, is a secret (`api_token`). Landing contract: `settings.py` and docs/landing.md.
Run on its own: `python -m ingestion webshop`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.common import file_drop_resource
from ingestion.webshop.api import api_resources
from ingestion.webshop.settings import TABLES


@dlt.source(name="webshop", max_table_nesting=0)
def webshop(
    landing_dir: str = dlt.config.value,
    api_base_url: str | None = None,
    api_token: str | None = dlt.secrets.value,
) -> Sequence[DltResource]:
    """Web shop platform export: accounts, orders with lines, abandoned checkouts, courier returns."""
    if api_base_url:
        return api_resources(api_base_url, api_token, TABLES)
    return [file_drop_resource("webshop", table, landing_dir) for table in TABLES]
