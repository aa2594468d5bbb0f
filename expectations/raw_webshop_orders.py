"""raw_webshop.orders: web and app orders as loaded, one row per exported version of an order.

Blocking: orders are online revenue and the strongest identity links (account, e-mail, order ref);
a broken export must not reach the marts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    MAX_AMOUNT_PLN,
    STORE_ID,
    TableSuite,
    col,
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

NAME = "raw_webshop_orders"
COLUMNS = (
    "id", "name", "source_name", "created_at", "updated_at", "currency", "subtotal_price", "total_discounts",
    "shipping_price", "total_price", "fulfilment_type", "pickup_store_id", "parcel_locker_id",
    "financial_status", "fulfillment_status",
)
# the shop platform's vocabularies (Shopify-like), with the click & collect status of this shop
FINANCIAL_STATUSES = ["pending", "authorized", "paid", "partially_paid", "partially_refunded", "refunded", "voided"]
FULFILLMENT_STATUSES = ["unfulfilled", "partial", "fulfilled", "picked_up", "restocked"]
PARCEL_LOCKER_ID = r"^[A-Z]{3}\d{2}[A-Z]$"  # city code, number, locker type (GDA01M)


def build_suite() -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    return suite(
        NAME,
        table_shape(COLUMNS),
        not_null("id", "source_name", "created_at", "updated_at", "total_price", "fulfilment_type"),
        # every export of a changed order adds a version: one row per order and update time
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["id", "updated_at"]),
        gxe.ExpectColumnValuesToBeBetween(column="id", min_value=1),
        gxe.ExpectColumnValuesToMatchRegex(column="name", regex=r"^WS-\d+$"),
        gxe.ExpectColumnValuesToBeInSet(column="source_name", value_set=list(CHANNELS)),
        gxe.ExpectColumnValuesToBeInSet(column="fulfilment_type", value_set=list(FULFILMENT_TYPES)),
        gxe.ExpectColumnValuesToBeInSet(column="financial_status", value_set=FINANCIAL_STATUSES),
        gxe.ExpectColumnValuesToBeInSet(column="fulfillment_status", value_set=FULFILLMENT_STATUSES),
        gxe.ExpectColumnValuesToBeInSet(column="currency", value_set=["PLN"]),
        gxe.ExpectColumnValuesToBeBetween(column="total_price", min_value=0, max_value=MAX_AMOUNT_PLN),
        gxe.ExpectColumnValuesToBeBetween(column="subtotal_price", min_value=0, max_value=MAX_AMOUNT_PLN),
        gxe.ExpectColumnValuesToBeBetween(column="total_discounts", min_value=0, max_value=MAX_AMOUNT_PLN),
        gxe.ExpectColumnValuesToBeBetween(column="shipping_price", min_value=0, max_value=1_000),
        in_window("created_at"),
        in_window("updated_at"),
        not_before("updated_at", "created_at"),
        # click & collect names its store, a parcel-locker delivery its locker
        gxe.ExpectColumnValuesToNotBeNull(column="pickup_store_id", **where(col("fulfilment_type") == "click_and_collect")),
        gxe.ExpectColumnValuesToMatchRegex(column="pickup_store_id", regex=STORE_ID),
        gxe.ExpectColumnValuesToNotBeNull(column="parcel_locker_id", **where(col("fulfilment_type") == "parcel_locker")),
        gxe.ExpectColumnValuesToMatchRegex(column="parcel_locker_id", regex=PARCEL_LOCKER_ID),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("raw_webshop", "orders"),
    relation="raw_webshop.orders",
    columns=COLUMNS,
    blocking=True,
    description="Web shop order versions: keys, channels, fulfilment, statuses, amounts, dates.",
    build=build_suite,
)
