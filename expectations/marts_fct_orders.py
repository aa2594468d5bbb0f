"""marts.fct_orders: every order of every channel, one row each (public mart).

Blocking: the revenue table of every report; a wrong order must not reach the published marts or
the KPI report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    MD5_KEY,
    TableSuite,
    at_most,
    col,
    id_format,
    in_window,
    key,
    not_null,
    suite,
    table_shape,
    where,
)

if TYPE_CHECKING:
    import great_expectations as gx

    from omni.config import RetailerConfig

NAME = "marts_fct_orders"
COLUMNS = (
    "order_key",
    "order_id",
    "source_system",
    "customer_key",
    "anonymous_id",
    "ordering_channel",
    "fulfilment_type",
    "store_id",
    "placed_at",
    "placed_date",
    "order_total_pln",
    "discount_pln",
    "shipping_pln",
    "item_count",
)
ORDERING_CHANNELS = ["web", "app", "store"]
FULFILMENT_TYPES = ["home_delivery", "click_and_collect", "parcel_locker", "in_store"]


def build_suite(config: RetailerConfig) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    return suite(
        NAME,
        table_shape(COLUMNS),
        key("order_key", MD5_KEY),
        not_null(
            "order_id",
            "source_system",
            "ordering_channel",
            "fulfilment_type",
            "placed_at",
            "placed_date",
            "order_total_pln",
            "item_count",
        ),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_system", "order_id"]),
        gxe.ExpectColumnValuesToBeInSet(column="source_system", value_set=["webshop", "pos"]),
        gxe.ExpectColumnValuesToBeInSet(column="ordering_channel", value_set=ORDERING_CHANNELS),
        gxe.ExpectColumnValuesToBeInSet(column="fulfilment_type", value_set=FULFILMENT_TYPES),
        # the tills sell in the store; the web shop takes web and app orders, never fulfilled at a till
        gxe.ExpectColumnValuesToBeInSet(
            column="ordering_channel", value_set=["store"], **where(col("source_system") == "pos")
        ),
        gxe.ExpectColumnValuesToBeInSet(
            column="fulfilment_type", value_set=["in_store"], **where(col("ordering_channel") == "store")
        ),
        gxe.ExpectColumnValuesToNotBeInSet(
            column="fulfilment_type", value_set=["in_store"], **where(col("ordering_channel") != "store")
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="store_id", **where(col("fulfilment_type").is_in(["in_store", "click_and_collect"]))
        ),
        id_format(config, "store_id", "store_id"),
        gxe.ExpectColumnValuesToMatchRegex(column="customer_key", regex=MD5_KEY),
        gxe.ExpectColumnValuesToMatchRegex(column="anonymous_id", regex=MD5_KEY),
        # SALE receipts and web orders only: returns and refunds live in fct_returns, so nothing is negative
        at_most("order_total_pln", config.plausibility.max_order_amount),
        at_most("discount_pln", config.plausibility.max_order_amount),
        at_most("shipping_pln", config.plausibility.max_shipping_amount),
        at_most("item_count", None, minimum=1),
        in_window("placed_at", config),
        in_window("placed_date", config),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("marts", "fct_orders"),
    relation="marts.fct_orders",
    columns=COLUMNS,
    blocking=True,
    description="Orders of every channel: keys, channel/fulfilment vocabulary and consistency, amounts, dates.",
    build=build_suite,
)
