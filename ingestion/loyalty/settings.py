"""Landing contract of the loyalty programme's CRM exports: members and consent events."""

from ingestion.common import Column as C
from ingestion.common import Table, one_of

MEMBERS = Table(
    name="members",
    description="Loyalty members, one version per export in which the member enrolled or changed.",
    glob="members/members_*.csv",
    format="csv",
    primary_key=("member_id",),
    columns=(
        C("member_id", required=True),
        C("card_number", required=True),
        C("email"),
        C("phone"),
        C("first_name"),
        C("last_name"),
        C("birth_date", "date"),
        C("street"),  # address line: street, house and flat number
        C("postal_code"),
        C("city"),
        C("country"),  # ISO 3166-1 alpha-2
        C("home_store_id"),
        C("enrolled_at", "timestamp", required=True),
        C("updated_at", "timestamp", required=True),
        C("status"),
    ),
    checks=(one_of("status", ("active", "closed")),),
)

CONSENT_EVENTS = Table(
    name="consent_events",
    description="Every consent given or withdrawn, per contact, channel and purpose.",
    glob="consents/consent_events_*.csv",
    format="csv",
    primary_key=("consent_event_id",),
    columns=(
        C("consent_event_id", required=True),
        C("member_id"),
        C("email"),
        C("phone"),
        C("channel", required=True),
        C("purpose", required=True),
        C("status", required=True),
        C("source"),
        C("event_at", "timestamp", required=True),
    ),
    checks=(
        one_of("channel", ("email", "sms", "push", "phone")),
        one_of("purpose", ("marketing", "profiling")),
        one_of("status", ("granted", "withdrawn")),
    ),
)

TABLES = (MEMBERS, CONSENT_EVENTS)
