-- Every identifier every source record carries: one row per (record, identifier type, value).
with

observations as (
    unpivot {{ ref('int_identity__records') }}
    on
        customer_id, member_id, loyalty_card, email, phone, order_ref, receipt_ref, ticket_ref,
        device_id, cookie_id, click_id, first_name
    into name identifier_type value identifier_value
)

select distinct
    record_type,
    record_id,
    observed_at,
    identifier_type,
    identifier_value
from observations
where identifier_value <> ''
