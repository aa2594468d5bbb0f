"""Customer service helpdesk: tickets from chat, phone, e-mail and Messenger.

Read from landing files by default, or from the REST API when `api_base_url` is configured
(`[sources.helpdesk] api_base_url` in .dlt/config.toml, or SOURCES__HELPDESK__API_BASE_URL); the token,
if the API needs one, is a secret (`api_token`). Landing contract: `settings.py` and docs/landing.md.
Run on its own: `python -m ingestion helpdesk`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.common import file_drop_resource
from ingestion.helpdesk.api import api_resources
from ingestion.helpdesk.settings import TABLES


@dlt.source(name="helpdesk", max_table_nesting=0)
def helpdesk(
    landing_dir: str = dlt.config.value,
    api_base_url: str | None = None,
    api_token: str | None = dlt.secrets.value,
) -> Sequence[DltResource]:
    """Customer service helpdesk: tickets from chat, phone, e-mail and Messenger."""
    if api_base_url:
        return api_resources(api_base_url, api_token, TABLES)
    return [file_drop_resource("helpdesk", table, landing_dir) for table in TABLES]
