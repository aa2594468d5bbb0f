-- customer_identity_map publishes the values of the identifier types that macro published_as_pseudonym
-- names (e-mails, phones, loyalty cards) only as keyed pseudonyms: 64 lower-case hex characters of macro
-- pseudonymize.
-- The column's other values are machine-made (record ids, order and receipt numbers, cookie and device
-- ids), so the privacy scan does not read it by value (a 7-digit order number can be a valid phone
-- number); this test is what guarantees it instead. A failing row shows its key and type, never its value.
select
    identity_map.identity_map_key,
    identity_map.entity_type
from {{ ref('customer_identity_map') }} as identity_map
inner join {{ ref('identity_identifier_types') }} as types
    on types.identifier_type = identity_map.entity_type
where
    identity_map.entity_kind = 'identifier'
    and {{ published_as_pseudonym('types.identifier_type', 'types.is_person_level') }}
    and not {{ regex_full_match('identity_map.entity_id', '[0-9a-f]{64}') }}
