"""marts.fct_order_lines: every order line of every channel, one row each (public mart).

Blocking: product and basket reporting read it; a broken line must not reach the published marts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    MD5_KEY,
    TableSuite,
    at_most,
    id_format,
    in_window,
    key,
    not_null,
    suite,
    table_shape,
)
from expectations.marts_fct_orders import FULFILMENT_TYPES, ORDERING_CHANNELS

if TYPE_CHECKING:
    import great_expectations as gx

    from omni.config import RetailerConfig

NAME = "marts_fct_order_lines"
COLUMNS = (
    "order_line_key",
    "order_key",
    "order_id",
    "source_system",
    "order_line_id",
    "line_no",
    "sku",
    "quantity",
    "unit_price_pln",
    "discount_pln",
    "line_total_pln",
    "customer_key",
    "ordering_channel",
    "fulfilment_type",
    "store_id",
    "placed_at",
    "placed_date",
)


def build_suite(config: RetailerConfig) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    return suite(
        NAME,
        table_shape(COLUMNS),
        key("order_line_key", MD5_KEY),
        not_null(
            "order_key",
            "order_id",
            "source_system",
            "order_line_id",
            "sku",
            "quantity",
            "line_total_pln",
            "ordering_channel",
            "placed_at",
            "placed_date",
        ),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_system", "order_line_id"]),
        gxe.ExpectColumnValuesToMatchRegex(column="order_key", regex=MD5_KEY),
        gxe.ExpectColumnValuesToMatchRegex(column="customer_key", regex=MD5_KEY),
        id_format(config, "sku", "sku"),
        id_format(config, "store_id", "store_id"),
        gxe.ExpectColumnValuesToBeInSet(column="source_system", value_set=["webshop", "pos"]),
        gxe.ExpectColumnValuesToBeInSet(column="ordering_channel", value_set=ORDERING_CHANNELS),
        gxe.ExpectColumnValuesToBeInSet(column="fulfilment_type", value_set=FULFILMENT_TYPES),
        gxe.ExpectColumnValuesToBeBetween(column="line_no", min_value=1, max_value=500),
        # lines of sales only (returns are in fct_returns): quantities and amounts are never negative
        at_most("quantity", config.plausibility.max_line_quantity, minimum=1),
        at_most("unit_price_pln", config.plausibility.max_order_amount),
        at_most("discount_pln", config.plausibility.max_order_amount),
        at_most("line_total_pln", config.plausibility.max_order_amount),
        in_window("placed_at", config),
        in_window("placed_date", config),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("marts", "fct_order_lines"),
    relation="marts.fct_order_lines",
    columns=COLUMNS,
    blocking=True,
    description="Order lines of every channel: keys, SKUs, channels, non-negative quantities and amounts, dates.",
    build=build_suite,
)
