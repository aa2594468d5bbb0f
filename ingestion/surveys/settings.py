"""Landing contract of the NPS and CSAT survey responses."""

from ingestion.common import Column as C
from ingestion.common import Table, one_of

RESPONSES = Table(
    name="responses",
    description="NPS (0-10) and CSAT (1-5) survey answers.",
    glob="responses_*.csv",
    format="csv",
    primary_key=("response_id",),
    columns=(
        C("response_id", required=True),
        C("survey_type", required=True),
        C("email"),
        C("phone"),
        C("score", "integer", required=True),
        C("comment"),
        C("responded_at", "timestamp", required=True),
        C("touchpoint_channel"),
        C("order_id"),
        C("ticket_id"),
    ),
    checks=(
        one_of("survey_type", ("NPS", "CSAT")),
        (
            "score out of the survey's range",
            "CASE survey_type WHEN 'NPS' THEN score BETWEEN 0 AND 10 ELSE score BETWEEN 1 AND 5 END",
        ),
    ),
)

TABLES = (RESPONSES,)
