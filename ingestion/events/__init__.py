"""Web and app clickstream: page and product views, carts, checkouts, logins, app and push opens.

Landing contract: `settings.py` here and docs/landing.md. Run on its own: `python -m ingestion events`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.common import file_drop_resource
from ingestion.events.settings import TABLES


@dlt.source(name="events", max_table_nesting=0)
def events(landing_dir: str = dlt.config.value) -> Sequence[DltResource]:
    """Web and app clickstream: page and product views, carts, checkouts, logins, app and push opens."""
    return [file_drop_resource("events", table, landing_dir) for table in TABLES]
