"""The web shop's REST API (Shopify-like) as a dlt `rest_api` configuration.

Pages are linked by the `Link: rel="next"` header; `updated_at_min` carries dlt's incremental cursor so
a run asks only for what changed since the last one.
"""

from __future__ import annotations

from collections.abc import Sequence

from dlt.extract.resource import DltResource
from dlt.sources.rest_api import RESTAPIConfig

from ingestion.common import Table
from ingestion.common.rest import contract_api_resources

API_VERSION = "2024-01"
PAGE_SIZE = 250
# raw table -> API endpoint it comes from
ENDPOINT_OF = {
    "customers": "customers",
    "orders": "orders",
    "order_lines": "orders",
    "abandoned_checkouts": "checkouts",
    "abandoned_checkout_lines": "checkouts",
    "returns": "returns",
    "return_lines": "returns",
}
CURSOR_OF = {"returns": "created_at"}


def api_config(base_url: str, api_token: str | None) -> RESTAPIConfig:
    client: dict = {
        "base_url": base_url.rstrip("/") + f"/admin/api/{API_VERSION}/",
        "paginator": {"type": "header_link"},
    }
    if api_token:
        client["auth"] = {
            "type": "api_key",
            "name": "X-Shopify-Access-Token",
            "api_key": api_token,
            "location": "header",
        }
    return {
        "client": client,
        "resource_defaults": {"write_disposition": "append"},
        "resources": [
            {
                "name": endpoint,
                "endpoint": {
                    "path": f"{endpoint}.json",
                    "data_selector": endpoint,
                    "params": {"limit": PAGE_SIZE},
                    "incremental": {
                        "start_param": "updated_at_min",
                        "cursor_path": CURSOR_OF.get(endpoint, "updated_at"),
                        "initial_value": "1970-01-01T00:00:00Z",
                    },
                },
            }
            for endpoint in sorted(set(ENDPOINT_OF.values()))
        ],
    }


def api_resources(base_url: str, api_token: str | None, tables: Sequence[Table]) -> list[DltResource]:
    return contract_api_resources(api_config(base_url, api_token), tables, ENDPOINT_OF)
