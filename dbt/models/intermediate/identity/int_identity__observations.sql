-- Every identifier every source record carries: one row per (record, identifier type, value). First
-- names are their `name_key` (int_identity__name_forms): a diminutive or a typo of a name is that name.
with

observations as (
    select * from {{ ref('int_identity__records') }}
    unpivot (
        identifier_value for identifier_type in (
            customer_id, member_id, loyalty_card, email, phone, order_ref, receipt_ref, ticket_ref,
            device_id, cookie_id, click_id, first_name
        )
    )
)

select distinct
    observations.record_type,
    observations.record_id,
    observations.observed_at,
    observations.identifier_type,
    coalesce(name_forms.name_key, observations.identifier_value) as identifier_value
from observations
left join {{ ref('int_identity__name_forms') }} as name_forms
    on
        observations.identifier_type = 'first_name'
        and name_forms.first_name = observations.identifier_value
where observations.identifier_value <> ''
