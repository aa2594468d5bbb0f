"""Landing contract of the web and app clickstream (Snowplow/GA4-like JSON lines)."""

from ingestion.common import Column as C
from ingestion.common import Table, one_of

EVENT_NAMES = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "begin_checkout",
    "purchase",
    "login",
    "app_open",
    "push_open",
    "store_locator",
)

EVENTS = Table(
    name="events",
    description="Web and app events as the collector received them, late arrivals included.",
    glob="events_*.jsonl",
    format="jsonl",
    primary_key=("event_id",),
    columns=(
        C("event_id", required=True),
        C("event_name", required=True),
        C("event_at", "timestamp", required=True),
        C("received_at", "timestamp"),
        C("platform", required=True),
        C("session_id"),
        C("cookie_id"),
        C("device_id"),
        C("user_id"),
        C("page_url"),
        C("page_referrer"),
        C("product_sku"),
        C("order_id"),
        C("utm_source"),
        C("utm_medium"),
        C("utm_campaign"),
        C("click_id"),
        C("device_category"),
        C("geo_city"),
        C("app_version"),
    ),
    checks=(one_of("event_name", EVENT_NAMES), one_of("platform", ("web", "app"))),
)

TABLES = (EVENTS,)
