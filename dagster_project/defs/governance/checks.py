"""The consistency checks the marketing team asked for and the consent violations of past sends, as
asset checks on their governance marts, each with its figures as metadata."""

# no `from __future__ import annotations` here: Dagster reads the `context` annotation at definition time
from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource

CONSISTENCY = {
    "consistency_duplicate_coupons": (
        "The same coupon sent to one customer through two or more channels (newsletter code again by SMS).",
        "select campaign_id, duplicate_recipients from marts.consistency_duplicate_coupons_by_campaign "
        "order by duplicate_recipients desc limit 20",
    ),
    "consistency_duplicate_coupons_households": (
        "The same coupon sent to one household through two or more channels (a parent's e-mail and the "
        "family phone's SMS).",
        "select coupon_code, count(*) as households from marts.consistency_duplicate_coupons_households "
        "group by coupon_code order by households desc limit 20",
    ),
    "consistency_price_differences": (
        "The same product on the same day at a different price or promotion in different channels.",
        "select price_date::varchar, sku, difference_kind from marts.consistency_price_differences "
        "order by price_date limit 20",
    ),
    "consistency_stock_mismatches": (
        "Stock of the same product, location and day that the web shop and the ERP report differently.",
        "select snapshot_date::varchar, sku, location_id, difference from marts.consistency_stock_mismatches "
        "order by snapshot_date limit 20",
    ),
    "consent_violations": (
        "Marketing messages sent to a customer who had withdrawn consent for the channel before the send.",
        "select campaign_id, channel, count(*) as sends, max(hours_after_withdrawal) as max_hours_after "
        "from marts.consent_violations group by all order by sends desc limit 20",
    ),
}


@multi_asset_check(
    name="consistency_checks",
    specs=[
        AssetCheckSpec("cases_found", asset=AssetKey(["marts", name]), description=desc)
        for name, (desc, _) in CONSISTENCY.items()
    ],
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def consistency_checks(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[AssetCheckResult]:
    """Warn (not block) when inconsistencies or consent violations exist: they are findings about the
    channels' systems for the business to act on, not faults of the warehouse's data."""
    with warehouse.connect() as con:
        selected = {key.asset_key for key in context.selected_asset_check_keys}
        for name, (_, sample_sql) in CONSISTENCY.items():
            if AssetKey(["marts", name]) not in selected:
                continue
            count = con.execute(f"select count(*) from marts.{name}").fetchone()[0]
            sample = con.execute(sample_sql).fetchall()
            yield AssetCheckResult(
                asset_key=AssetKey(["marts", name]),
                check_name="cases_found",
                passed=count == 0,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "cases": count,
                    "sample": MetadataValue.md(
                        "\n".join("- " + " | ".join(str(v) for v in row) for row in sample) or "none"
                    ),
                },
            )
