"""marts.customer_identity_map: every source record and identifier value with the profile it belongs
to and the rule that decided it (public mart).

Blocking: besides keys and rules it is a privacy gate; e-mails, phones and card numbers may appear
only as keyed pseudonyms (64 hex characters), so a clear value must never be published."""

from __future__ import annotations

from typing import TYPE_CHECKING

from expectations.common import (
    MD5_KEY,
    PSEUDONYM,
    TableSuite,
    col,
    in_window,
    key,
    not_before,
    not_null,
    suite,
    table_shape,
    where,
)

if TYPE_CHECKING:
    import great_expectations as gx

    from omni.config import RetailerConfig

NAME = "marts_customer_identity_map"
COLUMNS = (
    "identity_map_key",
    "entity_kind",
    "entity_type",
    "entity_id",
    "customer_key",
    "anonymous_id",
    "link_rule",
    "match_probability",
    "first_seen_at",
    "last_seen_at",
    "record_count",
)
RECORD_TYPES = [
    "ad_click",
    "consent_event",
    "helpdesk_ticket",
    "loyalty_member",
    "marketing_message",
    "pos_receipt",
    "survey_response",
    "web_session",
    "webshop_checkout",
    "webshop_customer",
    "webshop_order",
]
IDENTIFIER_TYPES = [
    "click_id",
    "cookie_id",
    "customer_id",
    "device_id",
    "email",
    "loyalty_card",
    "member_id",
    "order_ref",
    "phone",
    "receipt_ref",
    "ticket_ref",
]
PSEUDONYMISED = ["email", "phone", "loyalty_card"]


def build_suite(config: RetailerConfig) -> gx.ExpectationSuite:
    import great_expectations.expectations as gxe  # GX loads slowly: only when a suite is built

    record, identifier = col("entity_kind") == "record", col("entity_kind") == "identifier"
    return suite(
        NAME,
        table_shape(COLUMNS),
        key("identity_map_key", MD5_KEY),
        not_null(
            "entity_kind",
            "entity_type",
            "entity_id",
            "link_rule",
            "first_seen_at",
            "last_seen_at",
            "record_count",
        ),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["entity_kind", "entity_type", "entity_id"]),
        gxe.ExpectColumnValuesToBeInSet(column="entity_kind", value_set=["record", "identifier"]),
        gxe.ExpectColumnValuesToBeInSet(column="entity_type", value_set=RECORD_TYPES, **where(record)),
        gxe.ExpectColumnValuesToBeInSet(
            column="entity_type", value_set=IDENTIFIER_TYPES, **where(identifier)
        ),
        # a record is linked by the strongest identifying value it carries, joined by a probabilistic
        # match, or unlinked; a value is identifying, or set aside as a placeholder, shared, or refused by
        # a per-profile limit
        gxe.ExpectColumnValuesToMatchRegex(
            column="link_rule", regex=r"^(?:linked_by_[a-z_]+|probabilistic|unlinked)$", **where(record)
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="match_probability", **where(col("link_rule") == "probabilistic")
        ),
        gxe.ExpectColumnValuesToBeBetween(column="match_probability", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeInSet(
            column="link_rule",
            value_set=["identifying", "placeholder", "shared", "refused_by_limit"],
            **where(identifier),
        ),
        # privacy: personal identifiers only as keyed pseudonyms, and no e-mail address anywhere
        gxe.ExpectColumnValuesToMatchRegex(
            column="entity_id", regex=PSEUDONYM, **where(col("entity_type").is_in(PSEUDONYMISED))
        ),
        gxe.ExpectColumnValuesToNotMatchRegex(column="entity_id", regex=r"@"),
        gxe.ExpectColumnValuesToMatchRegex(column="customer_key", regex=MD5_KEY),
        gxe.ExpectColumnValuesToMatchRegex(column="anonymous_id", regex=MD5_KEY),
        gxe.ExpectColumnValuesToBeBetween(column="record_count", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="record_count", min_value=1, max_value=1, **where(record)),
        in_window("first_seen_at", config),
        in_window("last_seen_at", config),
        not_before("last_seen_at", "first_seen_at"),
    )


SUITE = TableSuite(
    name=NAME,
    asset_key=("marts", "customer_identity_map"),
    relation="marts.customer_identity_map",
    columns=COLUMNS,
    blocking=True,
    description="Identity map: keys, entity kinds/types, link rules, 64-hex pseudonyms for e-mails/phones/cards.",
    build=build_suite,
)
