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

{#- The system an order reference points at: a web shop order id is a number, a till receipt id is not;
    null when there is no reference. -#}
{% macro order_reference_source(column) -%}
    case
        when regexp_matches({{ column }}, '^[0-9]+$') then 'webshop'
        when {{ column }} is not null then 'pos'
    end
{%- endmacro %}

{#- Campaigns by the utm_campaign that names them in links: one campaign per value, since a value
    reused by several campaigns names the latest of them. A select, for a CTE. -#}
{% macro campaigns_by_utm_campaign() -%}
    select campaign_id, utm_campaign from {{ ref('stg_marketing__campaigns') }}
    where utm_campaign is not null
    qualify row_number() over (partition by utm_campaign order by start_date desc, campaign_id) = 1
{%- endmacro %}

{#- The calendar day of an instant in the retailer's local time zone (var local_timezone, from omni.toml):
    the day every daily KPI and dim_date counts in. -#}
{% macro local_date(column) -%}
    cast({{ at_time_zone(var('local_timezone'), column) }} as date)
{%- endmacro %}
