"""PIM / ERP reference data: products, stores, parcel lockers, prices per channel, stock.

Landing contract: `settings.py` here and docs/landing.md. Run on its own: `python -m ingestion reference`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.common import file_drop_resource
from ingestion.reference.settings import TABLES


@dlt.source(name="reference", max_table_nesting=0)
def reference(landing_dir: str = dlt.config.value) -> Sequence[DltResource]:
    """PIM / ERP reference data: products, stores, parcel lockers, prices per channel, stock."""
    return [file_drop_resource("reference", table, landing_dir) for table in TABLES]
