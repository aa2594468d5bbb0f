"""marts.fct_order_lines: every order line of every channel, one row each (public mart).

Blocking: product and basket reporting read it; a broken line must not reach the published marts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    MAX_AMOUNT_PLN,
    MAX_QUANTITY,
    MD5_KEY,
    SKU,
    STORE_ID,
    TableSuite,
    in_window,
    key,
    not_null,
    suite,
    table_shape,
)
from expectations.marts_fct_orders import FULFILMENT_TYPES, ORDERING_CHANNELS

if TYPE_CHECKING:
    import great_expectations as gx

NAME = "marts_fct_order_lines"
COLUMNS = (
    "order_line_key", "order_key", "order_id", "source_system", "order_line_id", "line_no", "sku", "quantity",
    "unit_price_pln", "discount_pln", "line_total_pln", "customer_key", "ordering_channel", "fulfilment_type",
    "store_id", "placed_at", "placed_date",
)


def build_suite() -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    return suite(
        NAME,
        table_shape(COLUMNS),
        key("order_line_key", MD5_KEY),
        not_null("order_key", "order_id", "source_system", "order_line_id", "sku", "quantity", "line_total_pln",
                 "ordering_channel", "placed_at", "placed_date"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_system", "order_line_id"]),
        gxe.ExpectColumnValuesToMatchRegex(column="order_key", regex=MD5_KEY),
        gxe.ExpectColumnValuesToMatchRegex(column="customer_key", regex=MD5_KEY),
        gxe.ExpectColumnValuesToMatchRegex(column="sku", regex=SKU),
        gxe.ExpectColumnValuesToMatchRegex(column="store_id", regex=STORE_ID),
        gxe.ExpectColumnValuesToBeInSet(column="source_system", value_set=["webshop", "pos"]),
        gxe.ExpectColumnValuesToBeInSet(column="ordering_channel", value_set=ORDERING_CHANNELS),
        gxe.ExpectColumnValuesToBeInSet(column="fulfilment_type", value_set=FULFILMENT_TYPES),
        gxe.ExpectColumnValuesToBeBetween(column="line_no", min_value=1, max_value=500),
        # lines of sales only (returns are in fct_returns): quantities and amounts are never negative
        gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=1, max_value=MAX_QUANTITY),
        gxe.ExpectColumnValuesToBeBetween(column="unit_price_pln", min_value=0, max_value=MAX_AMOUNT_PLN),
        gxe.ExpectColumnValuesToBeBetween(column="discount_pln", min_value=0, max_value=MAX_AMOUNT_PLN),
        gxe.ExpectColumnValuesToBeBetween(column="line_total_pln", min_value=0, max_value=MAX_AMOUNT_PLN),
        in_window("placed_at"),
        in_window("placed_date"),
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
