"""Web shop platform export: accounts, orders with lines, abandoned checkouts, courier returns.

Landing contract: `settings.py` here and docs/landing.md. Run on its own: `python -m ingestion webshop`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.common import file_drop_resource
from ingestion.webshop.settings import TABLES


@dlt.source(name="webshop", max_table_nesting=0)
def webshop(landing_dir: str = dlt.config.value) -> Sequence[DltResource]:
    """Web shop platform export: accounts, orders with lines, abandoned checkouts, courier returns."""
    return [file_drop_resource("webshop", table, landing_dir) for table in TABLES]
