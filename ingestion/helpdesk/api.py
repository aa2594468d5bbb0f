"""The helpdesk's incremental ticket export (Zendesk-like cursor API) as a dlt `rest_api` configuration.

The first request sends `start_time` (epoch seconds, from dlt's incremental cursor on `updated_at`);
later pages follow `after_cursor` until it is null.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dlt.extract.resource import DltResource
from dlt.sources.rest_api import RESTAPIConfig

from ingestion.common import Table
from ingestion.common.rest import contract_api_resources

PAGE_SIZE = 100
ENDPOINT_OF = {"tickets": "tickets"}


def _epoch(value: str | int) -> int:
    if isinstance(value, int):
        return value
    return int(datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())


def api_config(base_url: str, api_token: str | None) -> RESTAPIConfig:
    client: dict = {
        "base_url": base_url.rstrip("/") + "/api/v2/",
        "paginator": {"type": "cursor", "cursor_path": "after_cursor", "cursor_param": "cursor"},
    }
    if api_token:
        client["auth"] = {"type": "bearer", "token": api_token}
    return {
        "client": client,
        "resource_defaults": {"write_disposition": "append"},
        "resources": [
            {
                "name": "tickets",
                "endpoint": {
                    "path": "incremental/tickets/cursor.json",
                    "data_selector": "tickets",
                    "params": {"per_page": PAGE_SIZE},
                    "incremental": {
                        "start_param": "start_time",
                        "cursor_path": "updated_at",
                        "initial_value": "1970-01-01T00:00:00Z",
                        "convert": _epoch,
                    },
                },
            }
        ],
    }


def api_resources(base_url: str, api_token: str | None, tables: Sequence[Table]) -> list[DltResource]:
    return contract_api_resources(api_config(base_url, api_token), tables, ENDPOINT_OF)
