"""marts.dim_customers: the golden record, one row per known customer (public mart).

Blocking: every customer report, segment and audience reads it; an over-merged or corrupted profile
must not be published."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

from expectations.common import (
    MD5_KEY,
    TableSuite,
    at_most,
    finding,
    id_format,
    in_window,
    key,
    not_before,
    not_null,
    postal_code,
    suite,
    table_shape,
)
from omni.settings import DBT_PROJECT_DIR

if TYPE_CHECKING:
    import great_expectations as gx

    from omni.config import RetailerConfig

NAME = "marts_dim_customers"
COLUMNS = (
    "customer_key",
    "first_seen_at",
    "last_seen_at",
    "record_count",
    "channel_count",
    "is_multichannel_buyer",
    "has_webshop_account",
    "is_loyalty_member",
    "email_count",
    "phone_count",
    "loyalty_card_count",
    "postal_code",
    "preferred_store_id",
    "birth_year",
    "loyalty_enrolled_at",
    "order_count",
    "web_order_count",
    "app_order_count",
    "store_order_count",
    "revenue_pln",
    "first_order_at",
    "last_order_at",
)
# channels_used draws from: web, app, store, chat, phone, email, messenger
CHANNELS_SEEN = 7


def profile_limits() -> dict[str, int]:
    """Per-profile limits of identity stitching (seed identity_identifier_types.max_per_profile)."""
    with (DBT_PROJECT_DIR / "seeds" / "identity_identifier_types.csv").open(newline="") as f:
        return {
            row["identifier_type"]: int(row["max_per_profile"])
            for row in csv.DictReader(f)
            if row["max_per_profile"]
        }


def build_suite(config: RetailerConfig) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    limits = profile_limits()
    return suite(
        NAME,
        table_shape(COLUMNS),
        key("customer_key", MD5_KEY),
        not_null(
            "first_seen_at",
            "last_seen_at",
            "record_count",
            "channel_count",
            "is_multichannel_buyer",
            "has_webshop_account",
            "is_loyalty_member",
            "order_count",
            "revenue_pln",
        ),
        gxe.ExpectColumnValuesToBeBetween(column="record_count", min_value=1),
        # 0: a customer known only from consents and the messages sent to them (an SMS subscriber who
        # never shopped or got in touch) was seen in no channel
        gxe.ExpectColumnValuesToBeBetween(column="channel_count", min_value=0, max_value=CHANNELS_SEEN),
        # stitching refuses a merge beyond these: a profile above them is an over-merge
        gxe.ExpectColumnValuesToBeBetween(
            column="email_count", min_value=0, max_value=limits.get("email", 3)
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="phone_count", min_value=0, max_value=limits.get("phone", 3)
        ),
        gxe.ExpectColumnValuesToBeBetween(
            column="loyalty_card_count", min_value=0, max_value=limits.get("loyalty_card", 2)
        ),
        gxe.ExpectColumnValuesToBeBetween(column="order_count", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="web_order_count", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="app_order_count", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="store_order_count", min_value=0),
        at_most("revenue_pln", None),
        finding(
            gxe.ExpectColumnValuesToBeBetween(
                column="birth_year", min_value=config.plausibility.min_birth_year
            )
        ),
        id_format(config, "store_id", "preferred_store_id"),
        postal_code(config, "postal_code"),
        in_window("first_seen_at", config),
        in_window("last_seen_at", config),
        in_window("loyalty_enrolled_at", config),
        in_window("first_order_at", config),
        not_before("last_seen_at", "first_seen_at"),
        not_before("last_order_at", "first_order_at"),
        # loyalty enrolment is a record of the customer too
        not_before("loyalty_enrolled_at", "first_seen_at"),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("marts", "dim_customers"),
    relation="marts.dim_customers",
    columns=COLUMNS,
    blocking=True,
    description="Customer golden record: keys, identifier counts within the stitching limits, counts, dates.",
    build=build_suite,
)
