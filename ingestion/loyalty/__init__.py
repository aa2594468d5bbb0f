"""Loyalty programme CRM: member register and the consent ledger.

Landing contract: `settings.py` here and docs/landing.md. Run on its own: `python -m ingestion loyalty`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.common import file_drop_resource
from ingestion.loyalty.settings import TABLES


@dlt.source(name="loyalty", max_table_nesting=0)
def loyalty(landing_dir: str = dlt.config.value) -> Sequence[DltResource]:
    """Loyalty programme CRM: member register and the consent ledger."""
    return [file_drop_resource("loyalty", table, landing_dir) for table in TABLES]
