{#- A column that only later exports carry (schema v2): the column if the relation has it, else a
    typed null, so staging works on old and new raw layers alike. -#}
{% macro optional_column(relation, column, data_type='varchar') -%}
    {%- set present = [] -%}
    {%- if execute -%}
        {%- for c in adapter.get_columns_in_relation(relation) -%}
            {%- if c.name | lower == column | lower -%}{%- do present.append(c) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if present -%}cast({{ adapter.quote(column) }} as {{ data_type }}){%- else -%}cast(null as {{ data_type }}){%- endif %} as {{ column }}
{%- endmacro %}

{#- Newest version per key: the latest `updated_at`-like column, then the latest load, then file. -#}
{% macro newest_first(version_column=none) -%}
    {%- if version_column %}{{ version_column }} desc nulls last, {% endif -%}_dlt_load_id desc, _source_file desc
{%- endmacro %}

{#- Money in PLN, two decimals. -#}
{% macro pln(column) -%}
    cast(round({{ column }}, 2) as decimal(18, 2))
{%- endmacro %}
