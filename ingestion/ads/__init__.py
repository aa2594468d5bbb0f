"""Ad platforms: daily spend per campaign and ad clicks with click ids.

Landing contract: `settings.py` here and docs/landing.md. Run on its own: `python -m ingestion ads`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.ads.settings import TABLES
from ingestion.common import file_drop_resource


@dlt.source(name="ads", max_table_nesting=0)
def ads(landing_dir: str = dlt.config.value) -> Sequence[DltResource]:
    """Ad platforms: daily spend per campaign and ad clicks with click ids."""
    return [file_drop_resource("ads", table, landing_dir) for table in TABLES]
