"""NPS and CSAT survey responses.

Landing contract: `settings.py` here and docs/landing.md. Run on its own: `python -m ingestion surveys`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.common import file_drop_resource
from ingestion.surveys.settings import TABLES


@dlt.source(name="surveys", max_table_nesting=0)
def surveys(landing_dir: str = dlt.config.value) -> Sequence[DltResource]:
    """NPS and CSAT survey responses."""
    return [file_drop_resource("surveys", table, landing_dir) for table in TABLES]
