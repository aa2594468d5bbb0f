-- The keyed pseudonym of every identifier value published as one (macro published_as_pseudonym): e-mails,
-- phones, loyalty cards. customer_identity_map reads them here instead of calling `omni_pseudonym` (HMAC in
-- Python, dbt-duckdb plugin omni.dbt_plugin) on every value in every run.
-- Incremental (docs/incremental.md): a run computes the pseudonyms of the values it does not hold yet
-- under the key in force (`key_id`, the name of the key, never the key); after a change of key every value
-- is computed again. Values no longer observed are deleted (a corrected re-export that changed an e-mail).
{{ config(
    materialized='incremental',
    unique_key=['identifier_type', 'identifier_value'],
    post_hook="{{ delete_vanished(ref('int_identity__identifiers'), ['identifier_type', 'identifier_value']) }}"
) }}

with

values_ as (
    select distinct
        identifiers.identifier_type,
        identifiers.identifier_value
    from {{ ref('int_identity__identifiers') }} as identifiers
    where
        identifiers.link_rule <> 'attribute'
        and {{ published_as_pseudonym('identifiers.identifier_type', 'identifiers.is_person_level') }}
)

select
    values_.identifier_type,
    values_.identifier_value,
    {{ pseudonymize('values_.identifier_value') }} as pseudonym,
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
