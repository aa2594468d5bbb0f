{#- A keyed hash of a personal value (e-mail, phone, card) for tables BI reads: the same value always
    gives the same pseudonym, but without the key nobody can test a guessed e-mail against it. The key
    comes from the environment (OMNI_PSEUDONYMISATION_KEY, never committed); rotating it changes every
    pseudonym at the next build. -#}
{% macro pseudonymize(column) -%}
    sha256('{{ env_var("OMNI_PSEUDONYMISATION_KEY", "omni-development-key") }}' || ':' || {{ column }})
{%- endmacro %}
