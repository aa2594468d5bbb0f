-- Identifier values that stand in for a missing one and never identify anybody: the seed
-- placeholder_identifiers (a retailer adds its own there) and the stores' own phone numbers, which
-- cashiers type when a customer gives none.
select
    identifier_type,
    value as identifier_value
from {{ ref('placeholder_identifiers') }}
union
-- a store without a phone adds nothing (no NULL value among the placeholders)
select
    'phone',
    store_phone_normalized
from {{ ref('stg_reference__stores') }}
where store_phone_normalized is not null
union
-- national numbers of one repeated digit (stg_identifiers__phone_numbers knows where the country code ends)
select
    'phone',
    phone_e164
from {{ ref('stg_identifiers__phone_numbers') }}
where phone_is_placeholder and phone_e164 is not null
