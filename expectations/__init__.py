"""Great Expectations suites, built in code, one module per table: the raw layer as loaded and the
public marts. Each module declares a TableSuite (`SUITE`); runner.py validates it, and
dagster_project/defs/gx/checks.py runs every suite as an asset check."""

from __future__ import annotations

import importlib

SUITE_MODULES = (
    "raw_pos_receipt_lines",
    "raw_webshop_orders",
    "raw_loyalty_members",
    "raw_helpdesk_tickets",
    "raw_marketing_message_events",
    "marts_fct_orders",
    "marts_fct_order_lines",
    "marts_dim_customers",
    "marts_fct_touchpoints",
    "marts_customer_identity_map",
)


def all_suites() -> list:
    """Every TableSuite, in the order above."""
    return [importlib.import_module(f"{__name__}.{module}").SUITE for module in SUITE_MODULES]
