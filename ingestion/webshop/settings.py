"""Landing contract of the web shop export (Shopify-like JSON, one document per entity and day)."""

from ingestion.common import Column as C
from ingestion.common import Table, one_of

CHANNELS = ("web", "app")
FULFILMENT_TYPES = ("home_delivery", "click_and_collect", "parcel_locker")

CUSTOMERS = Table(
    name="customers",
    description="Web shop accounts, one version per export in which the account was created or changed.",
    glob="customers/customers_*.json",
    format="json",
    root="customers",
    primary_key=("id",),
    columns=(
        C("id", "integer", required=True),
        C("email", required=True),
        C("phone"),
        C("first_name"),
        C("last_name"),
        C("birth_date", "date"),  # platforms that collect a birthday
        C("accepts_marketing", "boolean"),
        C("created_at", "timestamp", required=True),
        C("updated_at", "timestamp", required=True),
        C("default_address__address1", path="default_address.address1"),
        C("default_address__city", path="default_address.city"),
        C("default_address__zip", path="default_address.zip"),
        C("default_address__country_code", path="default_address.country_code"),
    ),
)

ORDERS = Table(
    name="orders",
    description="Web and app orders, one version per export in which the order was created or changed.",
    glob="orders/orders_*.json",
    format="json",
    root="orders",
    primary_key=("id",),
    columns=(
        C("id", "integer", required=True),
        C("name"),
        C("customer_id", "integer"),
        C("email"),
        C("phone"),
        C("source_name", required=True),
        C("created_at", "timestamp", required=True),
        C("updated_at", "timestamp", required=True),
        C("currency"),
        C("subtotal_price", "number"),
        C("total_discounts", "number"),
        C("shipping_price", "number"),
        C("total_price", "number", required=True),
        C("discount_code"),
        C("fulfilment_type", required=True),
        C("pickup_store_id"),
        C("parcel_locker_id"),
        C("shipping_address__first_name", path="shipping_address.first_name"),
        C("shipping_address__last_name", path="shipping_address.last_name"),
        C("shipping_address__address1", path="shipping_address.address1"),
        C("shipping_address__city", path="shipping_address.city"),
        C("shipping_address__zip", path="shipping_address.zip"),
        C("shipping_address__country_code", path="shipping_address.country_code"),
        C("financial_status"),
        C("fulfillment_status"),
        C("landing_site"),
    ),
    checks=(
        one_of("source_name", CHANNELS),
        one_of("fulfilment_type", FULFILMENT_TYPES),
        ("negative total_price", "total_price >= 0"),
    ),
)

ORDER_LINES = Table(
    name="order_lines",
    description="Lines of web and app orders (the `line_items` of each exported order version).",
    glob=ORDERS.glob,
    format="json",
    root="orders",
    child_list="line_items",
    parent_key=("order_id", "id"),
    primary_key=("order_id", "id"),
    columns=(
        C("order_id", "integer", required=True),
        C("id", "integer", required=True),
        C("sku", required=True),
        C("quantity", "integer", required=True),
        C("price", "number"),
        C("total_discount", "number"),
    ),
    checks=(("quantity must be positive", "quantity > 0"),),
)

ABANDONED_CHECKOUTS = Table(
    name="abandoned_checkouts",
    description="Checkouts started and not completed.",
    glob="checkouts/abandoned_checkouts_*.json",
    format="json",
    root="checkouts",
    primary_key=("id",),
    columns=(
        C("id", "integer", required=True),
        C("customer_id", "integer"),
        C("email"),
        C("source_name"),
        C("created_at", "timestamp", required=True),
        C("updated_at", "timestamp", required=True),
        C("total_price", "number"),
    ),
    checks=(one_of("source_name", CHANNELS),),
)

ABANDONED_CHECKOUT_LINES = Table(
    name="abandoned_checkout_lines",
    description="Lines of abandoned checkouts.",
    glob=ABANDONED_CHECKOUTS.glob,
    format="json",
    root="checkouts",
    child_list="line_items",
    parent_key=("checkout_id", "id"),
    primary_key=("checkout_id", "sku"),
    columns=(
        C("checkout_id", "integer", required=True),
        C("sku", required=True),
        C("quantity", "integer", required=True),
        C("price", "number"),
    ),
    checks=(("quantity must be positive", "quantity > 0"),),
)

RETURNS = Table(
    name="returns",
    description="Returns sent back by courier or parcel locker (store returns are in the POS export).",
    glob="returns/returns_*.json",
    format="json",
    root="returns",
    primary_key=("id",),
    columns=(
        C("id", "integer", required=True),
        C("order_id", "integer", required=True),
        C("created_at", "timestamp", required=True),
        C("return_method"),
        C("refund_amount", "number"),
        C("reason"),
    ),
    checks=(one_of("return_method", ("courier", "parcel_locker")),),
)

RETURN_LINES = Table(
    name="return_lines",
    description="Lines of courier and parcel-locker returns.",
    glob=RETURNS.glob,
    format="json",
    root="returns",
    child_list="lines",
    parent_key=("return_id", "id"),
    primary_key=("return_id", "sku"),
    columns=(
        C("return_id", "integer", required=True),
        C("sku", required=True),
        C("quantity", "integer", required=True),
    ),
    checks=(("quantity must be positive", "quantity > 0"),),
)

TABLES = (
    CUSTOMERS,
    ORDERS,
    ORDER_LINES,
    ABANDONED_CHECKOUTS,
    ABANDONED_CHECKOUT_LINES,
    RETURNS,
    RETURN_LINES,
)
