"""E-mail / SMS / push platform: campaigns and message events.

Landing contract: `settings.py` here and docs/landing.md. Run on its own: `python -m ingestion marketing`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.common import file_drop_resource
from ingestion.marketing.settings import TABLES


@dlt.source(name="marketing", max_table_nesting=0)
def marketing(landing_dir: str = dlt.config.value) -> Sequence[DltResource]:
    """E-mail / SMS / push platform: campaigns and message events."""
    return [file_drop_resource("marketing", table, landing_dir) for table in TABLES]
