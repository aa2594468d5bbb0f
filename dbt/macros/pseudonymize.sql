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
