"""raw_marketing.message_events: sends, deliveries, opens, clicks, bounces and unsubscribes of the
e-mail, SMS and push platform, as loaded.

Not blocking: message events are engagement, the largest raw table and the noisiest; a bad day of
events is a finding (a WARN) for the marketing team, while orders and customers still flow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    TableSuite,
    col,
    finding,
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

NAME = "raw_marketing_message_events"
COLUMNS = (
    "event_id",
    "event_type",
    "event_at",
    "campaign_id",
    "message_id",
    "channel",
    "email",
    "phone",
    "device_id",
    "url",
)
EVENT_TYPES = ["send", "delivery", "open", "click", "bounce", "unsubscribe"]


def build_suite(config: RetailerConfig) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    return suite(
        NAME,
        table_shape(COLUMNS),
        key("event_id"),
        not_null("event_type", "event_at", "campaign_id", "channel"),
        gxe.ExpectColumnValuesToBeInSet(column="event_type", value_set=EVENT_TYPES),
        gxe.ExpectColumnValuesToBeInSet(column="channel", value_set=["email", "sms", "push"]),
        finding(
            id_format(config, "event_id", "event_id"),
            id_format(config, "campaign_id", "campaign_id"),
            id_format(config, "message_id", "message_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="message_id"),
            in_window("event_at", config),
            # each channel addresses its recipient by its own identifier, which the platform normalises
            gxe.ExpectColumnValuesToNotBeNull(column="email", **where(col("channel") == "email")),
            gxe.ExpectColumnValuesToNotBeNull(column="phone", **where(col("channel") == "sms")),
            gxe.ExpectColumnValuesToNotBeNull(column="device_id", **where(col("channel") == "push")),
            gxe.ExpectColumnValuesToMatchRegex(
                column="phone", regex=r"^\+[1-9]\d{6,14}$"
            ),  # E.164, any country
            id_format(config, "device_id", "device_id"),
            gxe.ExpectColumnValuesToNotBeNull(column="url", **where(col("event_type") == "click")),
        ),
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
