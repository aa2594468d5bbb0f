"""marts.fct_touchpoints: every interaction of every channel, one row per source record (public mart).

Not blocking: touchpoints feed journeys and attribution, which tolerate a few odd rows, and the
table is the largest mart; a failure is a finding (a WARN) for the analysts, while orders and
customers are still published."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    MD5_KEY,
    TableSuite,
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

NAME = "marts_fct_touchpoints"
COLUMNS = (
    "touchpoint_key",
    "touchpoint_at",
    "touchpoint_date",
    "channel",
    "touchpoint_type",
    "source_system",
    "source_record_type",
    "source_record_id",
    "order_key",
    "store_id",
    "sku",
    "customer_key",
    "anonymous_id",
)
CHANNELS = ["web", "app", "store", "email", "sms", "push", "ads", "call_center", "chat", "social"]
TOUCHPOINT_TYPES = [
    "page_view",
    "product_view",
    "search",
    "login",
    "add_to_cart",
    "begin_checkout",
    "purchase",
    "app_open",
    "push_open",
    "message_send",
    "message_delivery",
    "message_open",
    "message_click",
    "message_bounce",
    "message_unsubscribe",
    "ad_click",
    "ticket_opened",
    "survey_response",
    "checkout_abandoned",
    "store_purchase",
    "store_pickup",
    "store_return",
    "order_placed",
]
SOURCE_SYSTEMS = ["events", "marketing", "ads", "helpdesk", "surveys", "webshop", "pos"]
SOURCE_RECORD_TYPES = [
    "web_event",
    "marketing_message_event",
    "ad_click",
    "helpdesk_ticket",
    "survey_response",
    "webshop_checkout",
    "pos_receipt",
    "webshop_order",
]
# the channels each kind of record can be in (fct_touchpoints' channel rules)
CHANNELS_OF = {
    "web_event": ["web", "app"],
    "marketing_message_event": ["email", "sms", "push"],
    "ad_click": ["ads"],
    "helpdesk_ticket": ["call_center", "chat", "email", "social"],
    "survey_response": ["email"],
    "webshop_checkout": ["web", "app"],
    "pos_receipt": ["store"],
    "webshop_order": ["web", "app"],
}


def build_suite(config: RetailerConfig) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    return suite(
        NAME,
        table_shape(COLUMNS),
        key("touchpoint_key", MD5_KEY),
        not_null(
            "touchpoint_at",
            "touchpoint_date",
            "channel",
            "touchpoint_type",
            "source_system",
            "source_record_type",
            "source_record_id",
        ),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_record_type", "source_record_id"]),
        gxe.ExpectColumnValuesToBeInSet(column="channel", value_set=CHANNELS),
        gxe.ExpectColumnValuesToBeInSet(column="touchpoint_type", value_set=TOUCHPOINT_TYPES),
        gxe.ExpectColumnValuesToBeInSet(column="source_system", value_set=SOURCE_SYSTEMS),
        gxe.ExpectColumnValuesToBeInSet(column="source_record_type", value_set=SOURCE_RECORD_TYPES),
        # (one in-set check per kind: GX checks column pairs row by row in Python, 10x slower)
        [
            gxe.ExpectColumnValuesToBeInSet(
                column="channel", value_set=channels, **where(col("source_record_type") == record_type)
            )
            for record_type, channels in CHANNELS_OF.items()
        ],
        gxe.ExpectColumnValuesToMatchRegex(column="customer_key", regex=MD5_KEY),
        gxe.ExpectColumnValuesToMatchRegex(column="anonymous_id", regex=MD5_KEY),
        gxe.ExpectColumnValuesToMatchRegex(column="order_key", regex=MD5_KEY),
        id_format(config, "store_id", "store_id"),
        id_format(config, "sku", "sku"),
        in_window("touchpoint_at", config),
        in_window("touchpoint_date", config),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("marts", "fct_touchpoints"),
    relation="marts.fct_touchpoints",
    columns=COLUMNS,
    blocking=False,
    description="Touchpoints: keys, channel/type/source vocabularies, channel per record type, id formats, dates.",
    build=build_suite,
)
