"""REST API variants of file-drop tables: dlt's declarative `rest_api` source does the requests,
pagination and incremental cursor; the contract transformer types and checks every page."""

from __future__ import annotations

from collections.abc import Sequence

from dlt.extract.resource import DltResource
from dlt.sources.rest_api import RESTAPIConfig, rest_api_resources

from ingestion.common.contract import Table
from ingestion.common.filedrop import contract_transformer


def contract_api_resources(
    config: RESTAPIConfig, tables: Sequence[Table], endpoint_of: dict[str, str]
) -> list[DltResource]:
    """One resource per raw table: the `rest_api` resource named `<endpoint>__for__<table>` piped into
    the table's contract transformer. Tables sharing an endpoint (orders and order_lines) each keep
    their own incremental cursor."""
    templates = {r["name"]: r for r in config["resources"]}
    resources = []
    for table in tables:
        template = dict(templates[endpoint_of[table.name]])
        template["name"] = f"{template['name']}__for__{table.name}"
        resources.append(template)
    built = {r.name: r for r in rest_api_resources({**config, "resources": resources})}
    return [built[f"{endpoint_of[t.name]}__for__{t.name}"] | contract_transformer(t) for t in tables]
