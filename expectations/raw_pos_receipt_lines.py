"""raw_pos.receipt_lines: the store tills' receipt lines as loaded, the receipt header on every line.

Blocking on keys: a receipt line missing its key or loaded twice would double or lose revenue, and
flow into identity stitching and every store KPI. Signs, amounts, formats and dates are findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    TableSuite,
    at_most,
    col,
    finding,
    id_format,
    in_window,
    not_null,
    suite,
    table_shape,
    where,
)
from ingestion.pos.settings import TRANSACTION_TYPES

if TYPE_CHECKING:
    import great_expectations as gx

    from omni.config import RetailerConfig

NAME = "raw_pos_receipt_lines"
COLUMNS = (
    "receipt_id",
    "line_no",
    "store_id",
    "receipt_datetime",
    "transaction_type",
    "sku",
    "quantity",
    "unit_price",
    "discount",
    "line_total",
    "payment_method",
    "original_order_id",
    "original_receipt_id",
)
PAYMENT_METHODS = ["card", "cash", "blik", "voucher", "online"]


def build_suite(config: RetailerConfig) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    sale, pickup, refund = (col("transaction_type") == kind for kind in ("SALE", "PICKUP", "RETURN"))
    bounds = config.plausibility
    most = bounds.max_order_amount
    return suite(
        NAME,
        table_shape(COLUMNS),
        not_null(
            "receipt_id", "line_no", "store_id", "receipt_datetime", "transaction_type", "sku", "quantity"
        ),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["receipt_id", "line_no"]),
        gxe.ExpectColumnValuesToBeInSet(column="transaction_type", value_set=list(TRANSACTION_TYPES)),
        finding(
            id_format(config, "receipt_id", "receipt_id"),
            id_format(config, "store_id", "store_id"),
            id_format(config, "sku", "sku"),
            id_format(config, "receipt_id", "original_receipt_id"),
            gxe.ExpectColumnValuesToBeInSet(column="payment_method", value_set=PAYMENT_METHODS),
            in_window("receipt_datetime", config),  # the till's local wall-clock time
            gxe.ExpectColumnValuesToBeBetween(column="line_no", min_value=1),
            # goods leave the store on a sale or pick-up (quantity > 0) and come back on a return (< 0)
            gxe.ExpectColumnValuesToBeBetween(
                column="quantity",
                min_value=1,
                max_value=bounds.max_line_quantity,
                **where(col("transaction_type") != "RETURN"),
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="quantity",
                min_value=-bounds.max_line_quantity if bounds.max_line_quantity else None,
                max_value=-1,
                **where(refund),
            ),
            at_most("unit_price", most),
            at_most("discount", most),
            # a sale is paid at the till, a return refunded (negative), a pick-up was paid online (zero)
            at_most("line_total", most, **where(sale)),
            gxe.ExpectColumnValuesToBeBetween(
                column="line_total", min_value=-most if most else None, max_value=0, **where(refund)
            ),
            gxe.ExpectColumnValuesToBeBetween(column="line_total", min_value=0, max_value=0, **where(pickup)),
            gxe.ExpectColumnValuesToBeInSet(column="payment_method", value_set=["online"], **where(pickup)),
            # a pick-up collects a web order; a return names the order or receipt it takes back
            gxe.ExpectColumnValuesToNotBeNull(column="original_order_id", **where(pickup)),
            gxe.ExpectColumnValuesToNotBeNull(
                column="original_order_id", **where(refund & col("original_receipt_id").is_null())
            ),
        ),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("raw_pos", "receipt_lines"),
    relation="raw_pos.receipt_lines",
    columns=COLUMNS,
    blocking=True,
    description="Till receipt lines: keys (blocking); SALE/RETURN/PICKUP quantity signs and amounts, formats, "
    "dates (findings).",
    build=build_suite,
)
