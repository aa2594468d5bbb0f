{#- A keyed hash of a personal value (e-mail, phone, card) for tables BI reads: HMAC-SHA256 under the
    pseudonymisation key, 64 hex characters. The same value always gives the same pseudonym, but without
    the key nobody can test a guessed e-mail against it.
    The key never passes through dbt: `omni_pseudonym` is registered on dbt's DuckDB connection by the
    profile's plugin (omni/dbt_plugin.py), which reads the key from OMNI_PSEUDONYMISATION_KEY or the
    installation's key file (omni/pseudonymisation.py). So no compiled SQL, manifest or log holds it.
    Only in table models: a view calling it would not read on any other connection. -#}
{% macro pseudonymize(column) -%}
    omni_pseudonym({{ column }})
{%- endmacro %}

{#- Whether a value of an identifier type is published as a pseudonym: every person-level type (seed
    identity_identifier_types) except the retailer's own account numbers (customer_id, member_id), which
    are published as they are. customer_identity_map applies it; the test
    identity_map_values_are_pseudonymised checks the map against it. -#}
{% macro published_as_pseudonym(identifier_type, is_person_level) -%}
    ({{ is_person_level }} and {{ identifier_type }} not in ('customer_id', 'member_id'))
{%- endmacro %}
