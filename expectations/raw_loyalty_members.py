"""raw_loyalty.members: loyalty members as loaded, one row per member and CRM export.

Blocking on keys: members carry the loyalty cards, e-mails and phones that stitch store receipts to
customers, and the consent-bearing profile; a member without its id or card would merge or split
customers. Formats, birth dates, postal codes and dates are findings."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from expectations.common import (
    TableSuite,
    finding,
    id_format,
    in_window,
    not_before,
    not_null,
    postal_code,
    suite,
    table_shape,
)

if TYPE_CHECKING:
    import great_expectations as gx

    from omni.config import RetailerConfig

NAME = "raw_loyalty_members"
COLUMNS = (
    "member_id",
    "card_number",
    "email",
    "birth_date",
    "postal_code",
    "home_store_id",
    "enrolled_at",
    "updated_at",
    "status",
    "_source_file",
)


def build_suite(config: RetailerConfig) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    return suite(
        NAME,
        table_shape(COLUMNS),
        not_null("member_id", "card_number", "enrolled_at", "updated_at"),
        # the CRM re-exports a member whenever it changes (even with an unchanged updated_at, and twice in
        # one day's file when it changed twice that day, rarely with the same timestamp: staging keeps the
        # newest by load and file): one row per member, version and export file, nearly always
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["member_id", "updated_at", "_source_file"], mostly=0.999
        ),
        finding(
            id_format(config, "member_id", "member_id"),
            id_format(config, "loyalty_card", "card_number"),
            gxe.ExpectColumnValuesToNotBeNull(column="status"),
            id_format(config, "store_id", "home_store_id"),
            gxe.ExpectColumnValuesToBeBetween(
                column="birth_date",
                min_value=dt.datetime(config.plausibility.min_birth_year, 1, 1),
                max_value=dt.datetime.combine(dt.date.today(), dt.time()),
            ),
            in_window("enrolled_at", config),
            in_window("updated_at", config),
            not_before("updated_at", "enrolled_at"),
            # typed at the loyalty desk: a few typos are cleaned downstream
            postal_code(config, "postal_code"),
            gxe.ExpectColumnValuesToMatchRegex(column="email", regex=r"@", mostly=0.95),
        ),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("raw_loyalty", "members"),
    relation="raw_loyalty.members",
    columns=COLUMNS,
    blocking=True,
    description="Loyalty member versions: ids and cards (blocking); id formats, status, birth dates, postal "
    "codes, enrolment dates (findings).",
    build=build_suite,
)
