"""Landing contract of the store tills' daily exports (CSV per store, `;`, decimal comma)."""

from ingestion.common import Column as C
from ingestion.common import Table, one_of

TRANSACTION_TYPES = ("SALE", "RETURN", "PICKUP")

RECEIPT_LINES = Table(
    name="receipt_lines",
    description="Receipt lines of every store till, one row per line with the receipt header repeated.",
    glob="*/pos_*.csv",
    format="csv",
    delimiter=";",
    decimal_comma=True,
    primary_key=("receipt_id", "line_no"),
    columns=(
        C("receipt_id", required=True),
        C("store_id", required=True),
        C("register_no"),
        C("cashier_id"),
        C("receipt_datetime", "local_timestamp", required=True),
        C("transaction_type", required=True),
        C("loyalty_card"),
        C("customer_phone"),
        C("line_no", "integer", required=True),
        C("sku", required=True),
        C("quantity", "integer", required=True),
        C("unit_price", "number"),
        C("discount", "number"),
        C("line_total", "number"),
        C("payment_method"),
        C("coupon_code"),
        C("original_order_id"),
        C("original_receipt_id"),
        C("customer_email"),
    ),
    checks=(
        one_of("transaction_type", TRANSACTION_TYPES),
        (
            "quantity sign does not match transaction_type",
            "CASE transaction_type WHEN 'RETURN' THEN quantity < 0 ELSE quantity > 0 END",
        ),
    ),
)

TABLES = (RECEIPT_LINES,)
