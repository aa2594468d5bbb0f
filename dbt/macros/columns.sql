{#- A column that only later exports carry (schema v2): the column if the relation has it, else a
    typed null, so staging works on old and new raw layers alike. -#}
{% macro optional_column(relation, column, data_type='string') -%}
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
    {{ return(adapter.dispatch('pln', 'omnichannel')(column)) }}
{%- endmacro %}

{% macro default__pln(column) -%}
    cast(round({{ column }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- Spark: rounded as DuckDB rounds. A decimal is rounded as it is (half away from zero, as DuckDB rounds a
    decimal). A double is rounded by its exact binary value, half away from zero, as DuckDB rounds a double
    (Spark's own round goes by the double's shortest decimal spelling: 31.485, stored as
    31.48499999..., is 31.49 on Spark and 31.48 on DuckDB): the product with 100 is split into its rounded
    value and its exact error (Dekker's product), and the error decides a value that looks like half a
    cent. A money division is written over a double on both engines (DuckDB divides decimals in floating
    point, Spark in decimal). -#}
{% macro spark__pln(column) -%}
    {%- set x = 'cast(' ~ column ~ ' as double)' -%}
    {%- set a = 'abs(' ~ x ~ ')' -%}
    {%- set split = 'cast(134217729 as double) * ' ~ a -%}
    {%- set high = '(' ~ split ~ ' - (' ~ split ~ ' - ' ~ a ~ '))' -%}
    {%- set product = '(' ~ a ~ ' * cast(100 as double))' -%}
    {%- set error = '((' ~ high ~ ' * cast(100 as double) - ' ~ product ~ ') + (' ~ a ~ ' - ' ~ high ~ ') * cast(100 as double))' -%}
    {%- set fraction = '(' ~ product ~ ' - floor(' ~ product ~ '))' -%}
    cast(
        case
            when typeof({{ column }}) like 'decimal%' then round({{ column }}, 2)
            else signum({{ x }}) * (
                floor({{ product }}) + case
                    when {{ fraction }} > cast(0.5 as double) then 1
                    when {{ fraction }} < cast(0.5 as double) then 0
                    when {{ error }} < 0 then 0
                    else 1
                end
            ) / cast(100 as double)
        end
        as decimal(18, 2)
    )
{%- endmacro %}

{#- The system an order reference points at: a web shop order id is a number, a till receipt id is not;
    null when there is no reference. -#}
{% macro order_reference_source(column) -%}
    case
        when {{ regex_full_match(column, '[0-9]+') }} then 'webshop'
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
    cast({{ wall_clock_at(var('local_timezone'), column) }} as date)
{%- endmacro %}
