-- The keyed hashes of every identifier value (attributes aside) under the pseudonymisation key, computed
-- once per value and key instead of in every run (`omni_pseudonym`: HMAC-SHA256 in Python, registered by
-- the dbt-duckdb plugin omni.dbt_plugin):
--   pseudonym      of the value, for the types published as pseudonyms (macro published_as_pseudonym:
--                  e-mails, phones, loyalty cards), as customer_identity_map shows them; else null
--   erasure_token  of `<identifier_type>:<value>`, the hash an erasure request remembers (erasure_lookup)
-- Incremental (docs/incremental.md): a run computes the hashes of the values it does not hold yet under the
-- key in force (`key_id`, the name of the key, never the key); after a change of key every value is
-- computed again. Values no longer observed are deleted (a corrected re-export that changed an e-mail).
{{ config(
    materialized='incremental',
    unique_key=['identifier_type', 'identifier_value'],
    post_hook="{{ delete_vanished(ref('int_identity__identifiers'), ['identifier_type', 'identifier_value']) }}"
) }}

with

values_ as (
    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        {{ published_as_pseudonym('identifiers.identifier_type', 'identifiers.is_person_level') }} as is_pseudonymised
    from {{ ref('int_identity__identifiers') }} as identifiers
    where identifiers.link_rule <> 'attribute'
)

select
    values_.identifier_type,
    values_.identifier_value,
    case when values_.is_pseudonymised then {{ pseudonymize('values_.identifier_value') }} end as pseudonym,
    {{ pseudonymize("values_.identifier_type || ':' || values_.identifier_value") }} as erasure_token,
    omni_pseudonym_key_id() as key_id
from values_
{% if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as held
        where
            held.identifier_type = values_.identifier_type
            and held.identifier_value = values_.identifier_value
            and held.key_id = omni_pseudonym_key_id()
    )
{% endif %}
