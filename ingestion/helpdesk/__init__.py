"""Customer service helpdesk: tickets from chat, phone, e-mail and Messenger.

Landing contract: `settings.py` here and docs/landing.md. Run on its own: `python -m ingestion helpdesk`.
"""

from collections.abc import Sequence

import dlt
from dlt.extract.resource import DltResource

from ingestion.common import file_drop_resource
from ingestion.helpdesk.settings import TABLES


@dlt.source(name="helpdesk", max_table_nesting=0)
def helpdesk(landing_dir: str = dlt.config.value) -> Sequence[DltResource]:
    """Customer service helpdesk: tickets from chat, phone, e-mail and Messenger."""
    return [file_drop_resource("helpdesk", table, landing_dir) for table in TABLES]
