{#- Which channel sources the retailer has (omni.toml [sources], passed as var enabled_sources). A KPI that
    needs a source that is off is NULL, not zero: "no sessions recorded" is not "no clickstream". -#}
{% macro source_on(source_name) -%}
    {{ 'true' if source_name in var('enabled_sources') else 'false' }}
{%- endmacro %}

{#- `expression` where `source_name` is on, NULL (of the expression's type) where it is off. -#}
{% macro if_source_on(source_name, expression) -%}
    case when {{ source_on(source_name) }} then {{ expression }} end
{%- endmacro %}
