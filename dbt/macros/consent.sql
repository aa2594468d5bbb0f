{#- The order in which consent events take precedence, newest first: of events at the same moment a
    withdrawal wins over a grant (then the event key, so that the choice is stable). Used wherever the
    consent in force is decided (consent_current, and the consent at the moment of each marketing send),
    so that the rule is written once. `alias` prefixes the columns (`ledger.`). -#}
{% macro consent_precedence(alias='') -%}
    {{ alias }}event_at desc, {{ alias }}is_granted asc, {{ alias }}consent_event_key
{%- endmacro %}
