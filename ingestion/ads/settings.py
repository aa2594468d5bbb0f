"""Landing contract of the ad platforms' reports: daily spend and clicks."""

from ingestion.common import Column as C
from ingestion.common import Table, one_of

AD_SPEND = Table(
    name="ad_spend",
    description="Daily impressions, clicks and cost per ad platform and campaign.",
    glob="spend/ad_spend_*.csv",
    format="csv",
    primary_key=("date", "platform", "campaign_id"),
    columns=(
        C("date", "date", required=True),
        C("platform", required=True),
        C("account_id"),
        C("campaign_id", required=True),
        C("campaign_name"),
        C("utm_campaign"),
        C("impressions", "integer"),
        C("clicks", "integer"),
        C("cost_pln", "number"),
    ),
    checks=(
        one_of("platform", ("google", "meta")),
        ("negative cost", "cost_pln IS NULL OR cost_pln >= 0", "cost_pln"),
    ),
)

AD_CLICKS = Table(
    name="ad_clicks",
    description="Ad clicks with their click id, as reported by the ad platform.",
    glob="clicks/ad_clicks_*.csv",
    format="csv",
    primary_key=("click_id",),
    columns=(
        C("click_id", required=True),
        C("platform"),
        C("campaign_id"),
        C("clicked_at", "timestamp", required=True),
        C("landing_page"),
    ),
    checks=(one_of("platform", ("google", "meta")),),
)

TABLES = (AD_SPEND, AD_CLICKS)
