"""raw_webshop.orders: web and app orders as loaded, one row per exported version of an order.

Blocking on keys: orders are online revenue and the strongest identity links (account, e-mail, order
ref); a version missing its key or loaded twice must not reach the marts. Vocabularies of the shop
platform, amounts, formats and dates are findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    TableSuite,
    at_most,
    col,
    finding,
    id_format,
    in_window,
    not_before,
    not_null,
    suite,
    table_shape,
    where,
)
from ingestion.webshop.settings import CHANNELS, FULFILMENT_TYPES

if TYPE_CHECKING:
    import great_expectations as gx

    from omni.config import RetailerConfig

NAME = "raw_webshop_orders"
COLUMNS = (
    "id",
    "name",
    "source_name",
    "created_at",
    "updated_at",
    "currency",
    "subtotal_price",
    "total_discounts",
    "shipping_price",
    "total_price",
    "fulfilment_type",
    "pickup_store_id",
    "parcel_locker_id",
    "financial_status",
    "fulfillment_status",
)
# the shop platform's vocabularies (Shopify-like), with the click & collect status of this shop
FINANCIAL_STATUSES = [
    "pending",
    "authorized",
    "paid",
    "partially_paid",
    "partially_refunded",
    "refunded",
    "voided",
]
FULFILLMENT_STATUSES = ["unfulfilled", "partial", "fulfilled", "picked_up", "restocked"]


def build_suite(config: RetailerConfig) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    bounds = config.plausibility
    return suite(
        NAME,
        table_shape(COLUMNS),
        not_null("id", "source_name", "created_at", "updated_at", "total_price", "fulfilment_type"),
        # every export of a changed order adds a version: one row per order and update time
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["id", "updated_at"]),
        gxe.ExpectColumnValuesToBeInSet(column="source_name", value_set=list(CHANNELS)),
        gxe.ExpectColumnValuesToBeInSet(column="fulfilment_type", value_set=list(FULFILMENT_TYPES)),
        finding(
            id_format(config, "order_name", "name"),
            gxe.ExpectColumnValuesToBeInSet(column="financial_status", value_set=FINANCIAL_STATUSES),
            gxe.ExpectColumnValuesToBeInSet(column="fulfillment_status", value_set=FULFILLMENT_STATUSES),
            gxe.ExpectColumnValuesToBeInSet(column="currency", value_set=[config.currency]),
            at_most("total_price", bounds.max_order_amount),
            at_most("subtotal_price", bounds.max_order_amount),
            at_most("total_discounts", bounds.max_order_amount),
            at_most("shipping_price", bounds.max_shipping_amount),
            in_window("created_at", config),
            in_window("updated_at", config),
            not_before("updated_at", "created_at"),
            # click & collect names its store, a parcel-locker delivery its locker
            gxe.ExpectColumnValuesToNotBeNull(
                column="pickup_store_id", **where(col("fulfilment_type") == "click_and_collect")
            ),
            id_format(config, "store_id", "pickup_store_id"),
            gxe.ExpectColumnValuesToNotBeNull(
                column="parcel_locker_id", **where(col("fulfilment_type") == "parcel_locker")
            ),
            id_format(config, "parcel_locker_id", "parcel_locker_id"),
        ),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("raw_webshop", "orders"),
    relation="raw_webshop.orders",
    columns=COLUMNS,
    blocking=True,
    description="Web shop order versions: keys, channels, fulfilment (blocking); statuses, currency, amounts, "
    "formats, dates (findings).",
    build=build_suite,
)
