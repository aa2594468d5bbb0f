{#- SQL that engines spell differently, written once (dbt's adapter.dispatch): the models call these
    macros, `duckdb__*` is what runs on the warehouse's DuckDB (the SQL the models had before, so results
    and keys do not change), `default__*` the ANSI / Spark-style spelling for other engines. dbt's own
    cross-database macros (dbt.hash, dbt.type_string, dbt.dateadd...) are used where they give the same
    result on DuckDB. Count what is left with devtools/sql_portability.py. -#}

{#- A key made from columns: the hash (dbt.hash, md5 on DuckDB) of the columns as text joined by
    `separator` (':').
    A null column gives a null key, as before: a foreign key to nothing stays null (a row's own key is
    made of not-null columns). `columns` is a list of SQL expressions. -#}
{% macro surrogate_key(columns, separator=':') -%}
    {{ return(adapter.dispatch('surrogate_key', 'omnichannel')(columns, separator)) }}
{%- endmacro %}

{% macro default__surrogate_key(columns, separator) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append('cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')') -%}
    {%- endfor -%}
    {{ dbt.hash(parts | join(" || '" ~ separator ~ "' || ")) }}
{%- endmacro %}

{#- `value` of the row with the smallest / largest `order_by` (an expression, or a list of expressions
    compared in turn); rows whose order_by is null do not count (nor, on DuckDB, rows whose value is
    null). DuckDB arg_min / arg_max, elsewhere min_by / max_by (Spark, Snowflake, Trino). -#}
{% macro first_by(value, order_by) -%}
    {{ return(adapter.dispatch('first_by', 'omnichannel')(value, order_by)) }}
{%- endmacro %}

{% macro last_by(value, order_by) -%}
    {{ return(adapter.dispatch('last_by', 'omnichannel')(value, order_by)) }}
{%- endmacro %}

{#- order_by as one value: the expression, or the row of the expressions (`row_constructor` '' on DuckDB,
    'struct' elsewhere: both compare field by field). -#}
{% macro order_value(order_by, row_constructor) -%}
    {%- if order_by is string -%}{{ order_by }}{%- else -%}{{ row_constructor }}({{ order_by | join(', ') }}){%- endif -%}
{%- endmacro %}

{% macro duckdb__first_by(value, order_by) -%}
    arg_min({{ value }}, {{ order_value(order_by, '') }})
{%- endmacro %}

{% macro duckdb__last_by(value, order_by) -%}
    arg_max({{ value }}, {{ order_value(order_by, '') }})
{%- endmacro %}

{% macro default__first_by(value, order_by) -%}
    min_by({{ value }}, {{ order_value(order_by, 'struct') }})
{%- endmacro %}

{% macro default__last_by(value, order_by) -%}
    max_by({{ value }}, {{ order_value(order_by, 'struct') }})
{%- endmacro %}

{#- The values of a group as a list (an array column): `distinct` ones, in `order_by` order (an
    expression; none: any order), only those of rows where `where` holds (a condition; none: all rows).
    Nulls count as values on DuckDB and Postgres (array_agg); callers aggregate non-null values. -#}
{% macro aggregate_list(value, order_by=none, distinct=false, where=none) -%}
    {{ return(adapter.dispatch('aggregate_list', 'omnichannel')(value, order_by, distinct, where)) }}
{%- endmacro %}

{% macro duckdb__aggregate_list(value, order_by, distinct, where) -%}
    list({{ 'distinct ' if distinct }}{{ value }}{{ ' order by ' ~ order_by if order_by }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro default__aggregate_list(value, order_by, distinct, where) -%}
    array_agg({{ 'distinct ' if distinct }}{{ value }}{{ ' order by ' ~ order_by if order_by }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{#- The wall clock of `time_zone` (a zone name) at an instant; given a time zone-less wall clock, the
    instant it is in `time_zone`. DuckDB timezone(), Spark from_utc_timestamp / to_utc_timestamp. -#}
{% macro at_time_zone(time_zone, column) -%}
    {{ return(adapter.dispatch('at_time_zone', 'omnichannel')(time_zone, column)) }}
{%- endmacro %}

{% macro duckdb__at_time_zone(time_zone, column) -%}
    timezone('{{ time_zone }}', {{ column }})
{%- endmacro %}

{% macro default__at_time_zone(time_zone, column) -%}
    ({{ column }} at time zone '{{ time_zone }}')
{%- endmacro %}

{#- Whole `datepart`s (second, hour, day, month...) from `first` to `second`, counted on the calendar of
    the session's time zone. On DuckDB date_diff on the values as they are: dbt.datediff casts
    instants to wall clock timestamps first, which would shift second counts across a DST change. -#}
{% macro date_difference(datepart, first, second) -%}
    {{ return(adapter.dispatch('date_difference', 'omnichannel')(datepart, first, second)) }}
{%- endmacro %}

{% macro duckdb__date_difference(datepart, first, second) -%}
    date_diff('{{ datepart }}', {{ first }}, {{ second }})
{%- endmacro %}

{% macro default__date_difference(datepart, first, second) -%}
    {{ dbt.datediff(first, second, datepart) }}
{%- endmacro %}

{#- A date as ISO text (YYYY-MM-DD), as natural keys spell it. -#}
{% macro date_text(column) -%}
    cast(cast({{ column }} as date) as {{ dbt.type_string() }})
{%- endmacro %}

{#- A 63-bit id (bigint, never negative) hashed from the values of `columns` (SQL expressions): the node
    ids of the identity graph, stable when other values come and go. A collision is caught by the models'
    `unique` tests. DuckDB's hash() (UBIGINT, shifted to fit a bigint), elsewhere xxhash64 (Spark). -#}
{% macro stable_id(columns) -%}
    {{ return(adapter.dispatch('stable_id', 'omnichannel')(columns)) }}
{%- endmacro %}

{% macro default__stable_id(columns) -%}
    abs(xxhash64({{ columns | join(', ') }}))
{%- endmacro %}

{% macro duckdb__stable_id(columns) -%}
    cast(hash({{ columns | join(', ') }}) >> 1 as bigint)
{%- endmacro %}
