"""Landing contract of the helpdesk export (Zendesk-like JSON, tickets created or updated per day)."""

from ingestion.common import Column as C
from ingestion.common import Table, one_of

TICKETS = Table(
    name="tickets",
    description="Customer service tickets from chat, phone, e-mail and Messenger, one version per export.",
    glob="tickets/tickets_*.json",
    format="json",
    root="tickets",
    primary_key=("id",),
    columns=(
        C("id", "integer", required=True),
        C("via_channel", required=True),
        C("requester__email", path="requester.email"),
        C("requester__phone", path="requester.phone"),
        C("requester__name", path="requester.name"),
        C("subject"),
        C("order_id"),
        C("status"),
        C("created_at", "timestamp", required=True),
        C("first_response_at", "timestamp"),
        C("solved_at", "timestamp"),
        C("updated_at", "timestamp", required=True),
        C("contacts", "integer"),
        C("satisfaction__score", "integer", path="satisfaction.score"),
        C("tags"),
    ),
    checks=(
        one_of("via_channel", ("chat", "phone", "email", "messenger")),
        one_of("status", ("new", "open", "solved", "closed")),
        (
            "CSAT score out of 1-5",
            "satisfaction__score IS NULL OR satisfaction__score BETWEEN 1 AND 5",
            "satisfaction__score",
        ),
    ),
)

TABLES = (TICKETS,)
