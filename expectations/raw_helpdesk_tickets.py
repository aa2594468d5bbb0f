"""raw_helpdesk.tickets: customer service tickets as loaded, one row per exported ticket version.

Not blocking: tickets are a service touchpoint, not revenue or a strong identity link; a bad export
is a finding (a WARN) for the service team while orders and customers still flow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    TableSuite,
    col,
    finding,
    in_window,
    not_before,
    not_null,
    suite,
    table_shape,
    where,
)

if TYPE_CHECKING:
    import great_expectations as gx

    from omni.config import RetailerConfig

NAME = "raw_helpdesk_tickets"
COLUMNS = (
    "id",
    "via_channel",
    "status",
    "order_id",
    "created_at",
    "first_response_at",
    "solved_at",
    "updated_at",
    "contacts",
    "satisfaction__score",
)


def build_suite(config: RetailerConfig) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    return suite(
        NAME,
        table_shape(COLUMNS),
        not_null("id", "via_channel", "created_at", "updated_at"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["id", "updated_at"]),
        gxe.ExpectColumnValuesToBeInSet(
            column="via_channel", value_set=["chat", "phone", "email", "messenger"]
        ),
        finding(
            gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["new", "open", "solved", "closed"]),
            gxe.ExpectColumnValuesToBeBetween(column="satisfaction__score", min_value=1, max_value=5),  # CSAT
            gxe.ExpectColumnValuesToBeBetween(column="contacts", min_value=1, max_value=100),
            in_window("created_at", config),
            in_window("first_response_at", config),
            in_window("solved_at", config),
            in_window("updated_at", config),
            not_before("first_response_at", "created_at"),
            not_before("solved_at", "created_at"),
            not_before("updated_at", "created_at"),
            gxe.ExpectColumnValuesToNotBeNull(
                column="solved_at", **where(col("status").is_in(["solved", "closed"]))
            ),
        ),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("raw_helpdesk", "tickets"),
    relation="raw_helpdesk.tickets",
    columns=COLUMNS,
    blocking=False,
    description="Helpdesk ticket versions: keys, channels, statuses, CSAT 1-5, response and solve times.",
    build=build_suite,
)
