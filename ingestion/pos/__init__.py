"""Store till exports: sales, returns and click & collect pick-ups, one CSV per store and day.

Landing contract: `settings.py` here and docs/landing.md. Run on its own: `python -m ingestion pos`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.common import file_drop_resource
from ingestion.pos.settings import TABLES


@dlt.source(name="pos", max_table_nesting=0)
def pos(landing_dir: str = dlt.config.value) -> Sequence[DltResource]:
    """Store till exports: sales, returns and click & collect pick-ups, one CSV per store and day."""
    return [file_drop_resource("pos", table, landing_dir) for table in TABLES]
