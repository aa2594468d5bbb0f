"""raw_loyalty.members: loyalty members as loaded, one row per member and CRM export.

Blocking: members carry the loyalty cards, e-mails and phones that stitch store receipts to
customers, and the consent-bearing profile; bad member rows would merge or split customers."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from expectations.common import STORE_ID, TableSuite, in_window, not_before, not_null, suite, table_shape

if TYPE_CHECKING:
    import great_expectations as gx

NAME = "raw_loyalty_members"
COLUMNS = (
    "member_id", "card_number", "email", "birth_date", "postal_code", "home_store_id", "enrolled_at",
    "updated_at", "status", "_source_file",
)


def build_suite() -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    return suite(
        NAME,
        table_shape(COLUMNS),
        not_null("member_id", "card_number", "enrolled_at", "updated_at", "status"),
        # the CRM re-exports a member whenever it changes (even with an unchanged updated_at, and twice in
        # one day's file when it changed twice that day, rarely with the same timestamp: staging keeps the
        # newest by load and file): one row per member, version and export file, nearly always
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["member_id", "updated_at", "_source_file"], mostly=0.999),
        gxe.ExpectColumnValuesToMatchRegex(column="member_id", regex=r"^M\d{7}$"),
        gxe.ExpectColumnValuesToMatchRegex(column="card_number", regex=r"^\d{13}$"),  # EAN-13
        gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["active", "closed"]),
        gxe.ExpectColumnValuesToMatchRegex(column="home_store_id", regex=STORE_ID),
        gxe.ExpectColumnValuesToBeBetween(column="birth_date", min_value=dt.datetime(1900, 1, 1),
                                          max_value=dt.datetime(2015, 12, 31)),
        in_window("enrolled_at"),
        in_window("updated_at"),
        not_before("updated_at", "enrolled_at"),
        # typed at the loyalty desk: a few typos are cleaned downstream, a broken export is not
        gxe.ExpectColumnValuesToMatchRegex(column="postal_code", regex=r"^\d{2}-\d{3}$", mostly=0.95),
        gxe.ExpectColumnValuesToMatchRegex(column="email", regex=r"@", mostly=0.95),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("raw_loyalty", "members"),
    relation="raw_loyalty.members",
    columns=COLUMNS,
    blocking=True,
    description="Loyalty member versions: ids, EAN-13 cards, status, birth dates, enrolment dates.",
    build=build_suite,
)
