"""Landing contract of the PIM / ERP reference data: products, stores, lockers, prices, stock."""

from ingestion.common import Column as C
from ingestion.common import Table, one_of

PRODUCTS = Table(
    name="products",
    description="Product master data from the PIM.",
    glob="products*.json",
    format="json",
    root="products",
    primary_key=("sku",),
    columns=(
        C("sku", required=True),
        C("name"),
        C("category"),
        C("brand"),
        C("base_price_pln", "number"),
        C("vat_rate", "number"),
        C("ean"),
        C("active", "boolean"),
    ),
)

STORES = Table(
    name="stores",
    description="Stores with their location.",
    glob="stores*.csv",
    format="csv",
    primary_key=("store_id",),
    columns=(
        C("store_id", required=True),
        C("name"),
        C("city"),
        C("address"),
        C("postal_code"),
        C("region"),
        C("store_type"),
        C("store_phone"),
        C("opened_at", "date"),
        C("latitude", "number"),
        C("longitude", "number"),
    ),
)

PARCEL_LOCKERS = Table(
    name="parcel_lockers",
    description="Parcel lockers used for delivery and returns.",
    glob="parcel_lockers*.csv",
    format="csv",
    primary_key=("locker_id",),
    columns=(C("locker_id", required=True), C("city"), C("postal_code")),
)

PRICES = Table(
    name="prices",
    description="Price and promotion of every product per sales channel and day.",
    glob="prices/prices_*.csv",
    format="csv",
    primary_key=("price_date", "sku", "channel"),
    columns=(
        C("price_date", "date", required=True),
        C("sku", required=True),
        C("channel", required=True),
        C("price_pln", "number", required=True),
        C("promo_id"),
        C("promo_price_pln", "number"),
    ),
    checks=(one_of("channel", ("web", "app", "store")), ("negative price", "price_pln >= 0")),
)

STOCK_LEVELS = Table(
    name="stock_levels",
    description="Weekly stock snapshots per product and location, from the ERP and as the web shop shows it.",
    glob="stock/stock_*.csv",
    format="csv",
    primary_key=("snapshot_date", "sku", "location_id", "system"),
    columns=(
        C("snapshot_date", "date", required=True),
        C("sku", required=True),
        C("location_id", required=True),
        C("system", required=True),
        C("quantity_on_hand", "integer"),
    ),
    checks=(one_of("system", ("erp", "webshop")),),
)

TABLES = (PRODUCTS, STORES, PARCEL_LOCKERS, PRICES, STOCK_LEVELS)
