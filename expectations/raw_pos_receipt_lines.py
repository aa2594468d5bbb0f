"""raw_pos.receipt_lines: the store tills' receipt lines as loaded, the receipt header on every line.

Blocking: till receipts are the store's sales, returns and click & collect pick-ups; a till export
with broken keys, signs or amounts would flow into revenue, identity stitching and every store KPI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    MAX_AMOUNT_PLN,
    MAX_QUANTITY,
    RECEIPT_ID,
    SKU,
    STORE_ID,
    TableSuite,
    col,
    in_window,
    not_null,
    suite,
    table_shape,
    where,
)
from ingestion.pos.settings import TRANSACTION_TYPES

if TYPE_CHECKING:
    import great_expectations as gx

NAME = "raw_pos_receipt_lines"
COLUMNS = (
    "receipt_id", "line_no", "store_id", "receipt_datetime", "transaction_type", "sku", "quantity",
    "unit_price", "discount", "line_total", "payment_method", "original_order_id", "original_receipt_id",
)
PAYMENT_METHODS = ["card", "cash", "blik", "voucher", "online"]


def build_suite() -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    sale, pickup, refund = (col("transaction_type") == kind for kind in ("SALE", "PICKUP", "RETURN"))
    return suite(
        NAME,
        table_shape(COLUMNS),
        not_null("receipt_id", "line_no", "store_id", "receipt_datetime", "transaction_type", "sku", "quantity",
                 "unit_price", "line_total"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["receipt_id", "line_no"]),
        gxe.ExpectColumnValuesToMatchRegex(column="receipt_id", regex=RECEIPT_ID),
        gxe.ExpectColumnValuesToMatchRegex(column="store_id", regex=STORE_ID),
        gxe.ExpectColumnValuesToMatchRegex(column="sku", regex=SKU),
        gxe.ExpectColumnValuesToBeInSet(column="transaction_type", value_set=list(TRANSACTION_TYPES)),
        gxe.ExpectColumnValuesToBeInSet(column="payment_method", value_set=PAYMENT_METHODS),
        in_window("receipt_datetime"),  # the till's local wall-clock time
        gxe.ExpectColumnValuesToBeBetween(column="line_no", min_value=1, max_value=500),
        # goods leave the store on a sale or pick-up (quantity > 0) and come back on a return (< 0)
        gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=1, max_value=MAX_QUANTITY,
                                          **where(col("transaction_type") != "RETURN")),
        gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=-MAX_QUANTITY, max_value=-1, **where(refund)),
        gxe.ExpectColumnValuesToBeBetween(column="unit_price", min_value=0, max_value=MAX_AMOUNT_PLN),
        gxe.ExpectColumnValuesToBeBetween(column="discount", min_value=0, max_value=MAX_AMOUNT_PLN),
        # a sale is paid at the till, a return refunded (negative), a pick-up was paid online (zero)
        gxe.ExpectColumnValuesToBeBetween(column="line_total", min_value=0, max_value=MAX_AMOUNT_PLN, **where(sale)),
        gxe.ExpectColumnValuesToBeBetween(column="line_total", min_value=-MAX_AMOUNT_PLN, max_value=0, **where(refund)),
        gxe.ExpectColumnValuesToBeBetween(column="line_total", min_value=0, max_value=0, **where(pickup)),
        gxe.ExpectColumnValuesToBeInSet(column="payment_method", value_set=["online"], **where(pickup)),
        # a pick-up collects a web order; a return names the order or receipt it takes back
        gxe.ExpectColumnValuesToNotBeNull(column="original_order_id", **where(pickup)),
        gxe.ExpectColumnValuesToNotBeNull(
            column="original_order_id", **where(refund & col("original_receipt_id").is_null())),
        gxe.ExpectColumnValuesToMatchRegex(column="original_receipt_id", regex=RECEIPT_ID),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("raw_pos", "receipt_lines"),
    relation="raw_pos.receipt_lines",
    columns=COLUMNS,
    blocking=True,
    description="Till receipt lines: keys, SALE/RETURN/PICKUP quantity signs and amounts, formats, dates.",
    build=build_suite,
)
