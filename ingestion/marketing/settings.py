"""Landing contract of the e-mail / SMS / push platform: campaigns and message events."""

from ingestion.common import Column as C
from ingestion.common import Table, one_of

CAMPAIGNS = Table(
    name="campaigns",
    description="Campaign list, re-exported whole (the newest export describes every campaign).",
    glob="campaigns*.json",
    format="json",
    root="campaigns",
    primary_key=("campaign_id",),
    columns=(
        C("campaign_id", required=True),
        C("name"),
        C("channel", required=True),
        C("purpose"),
        C("start_date", "date"),
        C("end_date", "date"),
        C("coupon_code"),
        C("utm_campaign"),
        C("ad_platform"),
    ),
    checks=(one_of("channel", ("email", "sms", "push", "ads")),),
)

MESSAGE_EVENTS = Table(
    name="message_events",
    description="Sends, deliveries, opens, clicks, bounces and unsubscribes of campaign messages.",
    glob="events/message_events_*.jsonl",
    format="jsonl",
    primary_key=("event_id",),
    columns=(
        C("event_id", required=True),
        C("event_type", required=True),
        C("event_at", "timestamp", required=True),
        C("campaign_id", required=True),
        C("message_id"),
        C("channel", required=True),
        C("email"),
        C("phone"),
        C("device_id"),
        C("coupon_code"),
        C("url"),
    ),
    checks=(
        one_of("event_type", ("send", "delivery", "open", "click", "bounce", "unsubscribe")),
        one_of("channel", ("email", "sms", "push")),
    ),
)

TABLES = (CAMPAIGNS, MESSAGE_EVENTS)
