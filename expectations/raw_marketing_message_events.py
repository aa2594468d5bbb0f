"""raw_marketing.message_events: sends, deliveries, opens, clicks, bounces and unsubscribes of the
e-mail, SMS and push platform, as loaded.

Not blocking: message events are engagement, the largest raw table and the noisiest; a bad day of
events is a finding (a WARN) for the marketing team, while orders and customers still flow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import UUID, TableSuite, col, in_window, key, not_null, suite, table_shape, where

if TYPE_CHECKING:
    import great_expectations as gx

NAME = "raw_marketing_message_events"
COLUMNS = ("event_id", "event_type", "event_at", "campaign_id", "message_id", "channel", "email", "phone",
           "device_id", "url")
EVENT_TYPES = ["send", "delivery", "open", "click", "bounce", "unsubscribe"]


def build_suite() -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    return suite(
        NAME,
        table_shape(COLUMNS),
        key("event_id", UUID),
        not_null("event_type", "event_at", "campaign_id", "message_id", "channel"),
        gxe.ExpectColumnValuesToBeInSet(column="event_type", value_set=EVENT_TYPES),
        gxe.ExpectColumnValuesToBeInSet(column="channel", value_set=["email", "sms", "push"]),
        gxe.ExpectColumnValuesToMatchRegex(column="campaign_id", regex=r"^[A-Z]+(?:-[A-Z0-9]+)+$"),  # NL-01, TRG-COUPON
        gxe.ExpectColumnValuesToMatchRegex(column="message_id", regex=r"^MSG\d{9}$"),
        in_window("event_at"),
        # each channel addresses its recipient by its own identifier, which the platform normalises
        gxe.ExpectColumnValuesToNotBeNull(column="email", **where(col("channel") == "email")),
        gxe.ExpectColumnValuesToNotBeNull(column="phone", **where(col("channel") == "sms")),
        gxe.ExpectColumnValuesToNotBeNull(column="device_id", **where(col("channel") == "push")),
        gxe.ExpectColumnValuesToMatchRegex(column="phone", regex=r"^\+48\d{9}$"),  # E.164
        gxe.ExpectColumnValuesToMatchRegex(column="device_id", regex=r"^dev-[0-9a-f]{16}$"),
        gxe.ExpectColumnValuesToNotBeNull(column="url", **where(col("event_type") == "click")),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("raw_marketing", "message_events"),
    relation="raw_marketing.message_events",
    columns=COLUMNS,
    blocking=False,
    description="Marketing message events: unique UUIDs, event types, channels and their recipient ids, dates.",
    build=build_suite,
)
