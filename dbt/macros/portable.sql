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

{#- min_by / max_by count rows whose value is null: left out, as DuckDB's arg_min / arg_max leave them -#}
{% macro default__first_by(value, order_by) -%}
    min_by({{ value }}, case when {{ value }} is not null then {{ order_value(order_by, 'struct') }} end)
{%- endmacro %}

{% macro default__last_by(value, order_by) -%}
    max_by({{ value }}, case when {{ value }} is not null then {{ order_value(order_by, 'struct') }} end)
{%- endmacro %}

{#- Aggregates over the rows of a group in an order: `order_by` is the text of an ORDER BY list
    ("observed_at nulls last, record_type, record_id"; each item an expression, then optionally asc /
    desc and nulls first / last). Unless the item says otherwise, nulls sort last, as on DuckDB.
    DuckDB spells them as they are (`first(x order by ...)`); Spark has no ordered aggregates: the rows'
    values and sort keys are collected into an array sorted by a comparator of the same order. -#}

{#- the value of the first row (null if that row's is null), as DuckDB's first(value order by ...) -#}
{% macro first_ordered(value, order_by) -%}
    {{ return(adapter.dispatch('first_ordered', 'omnichannel')(value, order_by)) }}
{%- endmacro %}

{% macro duckdb__first_ordered(value, order_by) -%}
    first({{ value }} order by {{ order_by }})
{%- endmacro %}

{% macro default__first_ordered(value, order_by) -%}
    element_at({{ sorted_rows(value, order_by) }}, 1).v
{%- endmacro %}

{#- the value of the last row, as DuckDB's last(value order by ...) -#}
{% macro last_ordered(value, order_by) -%}
    {{ return(adapter.dispatch('last_ordered', 'omnichannel')(value, order_by)) }}
{%- endmacro %}

{% macro duckdb__last_ordered(value, order_by) -%}
    last({{ value }} order by {{ order_by }})
{%- endmacro %}

{% macro default__last_ordered(value, order_by) -%}
    element_at({{ sorted_rows(value, order_by) }}, -1).v
{%- endmacro %}

{#- the non-null values joined by `separator` (a string) in the order, as DuckDB's string_agg; `distinct`:
    each value once (then `order_by` must be the value itself) -#}
{% macro string_agg_ordered(value, separator, order_by, distinct=false) -%}
    {{ return(adapter.dispatch('string_agg_ordered', 'omnichannel')(value, separator, order_by, distinct)) }}
{%- endmacro %}

{% macro duckdb__string_agg_ordered(value, separator, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ value }}, '{{ separator }}' order by {{ order_by }})
{%- endmacro %}

{% macro default__string_agg_ordered(value, separator, order_by, distinct) -%}
    {%- if distinct -%}
        nullif(array_join(array_sort(collect_set({{ value }})), '{{ separator }}'), '')
    {%- else -%}
        nullif(array_join(transform({{ sorted_rows(value, order_by) }}, row -> row.v), '{{ separator }}'), '')
    {%- endif -%}
{%- endmacro %}

{#- The items of an ORDER BY list: (expression, descending, nulls_first) each -#}
{% macro order_items(order_by) -%}
    {%- set state = namespace(depth=0, quoted=false, current='', parts=[]) -%}
    {%- for char in order_by -%}
        {%- if char == "'" -%}{%- set state.quoted = not state.quoted -%}{%- endif -%}
        {%- if not state.quoted and char == '(' -%}{%- set state.depth = state.depth + 1 -%}{%- endif -%}
        {%- if not state.quoted and char == ')' -%}{%- set state.depth = state.depth - 1 -%}{%- endif -%}
        {%- if char == ',' and state.depth == 0 and not state.quoted -%}
            {%- do state.parts.append(state.current) -%}
            {%- set state.current = '' -%}
        {%- else -%}
            {%- set state.current = state.current ~ char -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do state.parts.append(state.current) -%}
    {%- set items = [] -%}
    {%- for part in state.parts -%}
        {%- set words = part.strip().split() -%}
        {%- set lowered = words | map('lower') | list -%}
        {%- set nulls_first = lowered[-2:] == ['nulls', 'first'] -%}
        {%- if lowered[-2:] in [['nulls', 'first'], ['nulls', 'last']] -%}
            {%- set words = words[:-2] -%}{%- set lowered = lowered[:-2] -%}
        {%- endif -%}
        {%- set descending = lowered[-1:] == ['desc'] -%}
        {%- if lowered[-1:] in [['desc'], ['asc']] -%}
            {%- set words = words[:-1] -%}
        {%- endif -%}
        {%- do items.append((words | join(' '), descending, nulls_first)) -%}
    {%- endfor -%}
    {{ return(items) }}
{%- endmacro %}

{#- The rows of the group (those where `where` holds, if given) as an array of structs (`v`: the value,
    `k<i>`: the sort keys) sorted by the order; nulls last unless an item says nulls first -#}
{% macro sorted_rows(value, order_by, where=none) -%}
    {%- set items = order_items(order_by) -%}
    {%- set fields = ['(' ~ value ~ ') as v'] -%}
    {%- for expression, descending, nulls_first in items -%}
        {%- do fields.append('(' ~ expression ~ ') as k' ~ loop.index) -%}
    {%- endfor -%}
    array_sort(collect_list(struct({{ fields | join(', ') }})){{ (' filter (where ' ~ where ~ ')') if where }}, (l, r) -> case
    {%- for expression, descending, nulls_first in items %}
        {%- set k = 'k' ~ loop.index %}
        when l.{{ k }} is null and r.{{ k }} is not null then {{ -1 if nulls_first else 1 }}
        when l.{{ k }} is not null and r.{{ k }} is null then {{ 1 if nulls_first else -1 }}
        when l.{{ k }} < r.{{ k }} then {{ 1 if descending else -1 }}
        when l.{{ k }} > r.{{ k }} then {{ -1 if descending else 1 }}
    {%- endfor %}
        else 0 end)
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

{#- Spark: collect_set / collect_list, which leave nulls out (callers aggregate non-null values); in order
    by sorting (a distinct list must be ordered by the value itself) -#}
{% macro spark__aggregate_list(value, order_by, distinct, where) -%}
    {%- set filtered = (' filter (where ' ~ where ~ ')') if where else '' -%}
    {%- if distinct and order_by -%}
        array_sort(collect_set({{ value }}){{ filtered }})
    {%- elif distinct -%}
        collect_set({{ value }}){{ filtered }}
    {%- elif order_by -%}
        transform({{ sorted_rows(value, order_by, where) }}, row -> row.v)
    {%- else -%}
        collect_list({{ value }}){{ filtered }}
    {%- endif -%}
{%- endmacro %}

{#- The wall clock of `time_zone` (a zone name) at an instant (a timestamp with time zone), as a time
    zone-less timestamp. DuckDB timezone(), Spark from_utc_timestamp (the session's clock is UTC). -#}
{% macro wall_clock_at(time_zone, instant) -%}
    {{ return(adapter.dispatch('wall_clock_at', 'omnichannel')(time_zone, instant)) }}
{%- endmacro %}

{% macro duckdb__wall_clock_at(time_zone, instant) -%}
    timezone('{{ time_zone }}', {{ instant }})
{%- endmacro %}

{% macro default__wall_clock_at(time_zone, instant) -%}
    cast(from_utc_timestamp({{ instant }}, '{{ time_zone }}') as timestamp_ntz)
{%- endmacro %}

{#- The instant a time zone-less wall clock (a till's clock) is in `time_zone`. DuckDB timezone(), Spark
    to_utc_timestamp. -#}
{% macro instant_of_wall_clock(time_zone, wall_clock) -%}
    {{ return(adapter.dispatch('instant_of_wall_clock', 'omnichannel')(time_zone, wall_clock)) }}
{%- endmacro %}

{% macro duckdb__instant_of_wall_clock(time_zone, wall_clock) -%}
    timezone('{{ time_zone }}', {{ wall_clock }})
{%- endmacro %}

{#- Spark's to_utc_timestamp takes a wall clock that occurs twice (the hour a clock is set back) at its earlier
    instant, DuckDB at its later one (standard time): the latest of the instants that show this wall clock is
    taken, as on DuckDB. A wall clock that never occurs (the hour skipped) is read in the offset before the
    change on both. -#}
{% macro default__instant_of_wall_clock(time_zone, wall_clock) -%}
    {%- set earlier = "to_utc_timestamp(cast(" ~ wall_clock ~ " as timestamp), '" ~ time_zone ~ "')" -%}
    case
        {%- for shift in ['2 hours', '1 hour', '30 minutes'] %}
        when cast(from_utc_timestamp({{ earlier }} + interval {{ shift }}, '{{ time_zone }}') as timestamp_ntz)
            = cast({{ wall_clock }} as timestamp_ntz)
            then {{ earlier }} + interval {{ shift }}
        {%- endfor %}
        else {{ earlier }}
    end
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

{#- A 60-bit id (bigint, never negative) hashed from the values of `columns` (SQL expressions): the node
    ids of the identity graph, stable when other values come and go. The first 15 hex digits of the md5 of
    the values as text (joined by ':', a null as `<null>`), the same number on every engine, so that one world gets the same
    graph, and so the same profiles, on DuckDB and on Spark. A collision is caught by the models' `unique`
    tests. -#}
{% macro stable_id(columns) -%}
    {{ return(adapter.dispatch('stable_id', 'omnichannel')(stable_text(columns))) }}
{%- endmacro %}

{% macro stable_text(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append('coalesce(cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ "), '<null>')") -%}
    {%- endfor -%}
    {{ parts | join(" || ':' || ") }}
{%- endmacro %}

{% macro default__stable_id(text) -%}
    cast(conv(left(md5({{ text }}), 15), 16, 10) as bigint)
{%- endmacro %}

{% macro duckdb__stable_id(text) -%}
    cast(('0x' || left(md5({{ text }}), 15)) as bigint)
{%- endmacro %}

{#- Regular expressions. DuckDB and Spark both use RE2/Java-style patterns for what the models need
    (classes, anchors, groups, `\s`); Spark reads `\` in a string literal as written, as DuckDB does,
    because the Spark session sets spark.sql.parser.escapedStringLiterals (omni/spark.py). -#}

{#- Whether `pattern` (an SQL expression) matches somewhere in `value` -#}
{% macro regex_matches(value, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'omnichannel')(value, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_matches(value, pattern) -%}
    regexp_matches({{ value }}, {{ pattern }})
{%- endmacro %}

{% macro default__regex_matches(value, pattern) -%}
    ({{ value }} rlike {{ pattern }})
{%- endmacro %}

{#- Whether `pattern` (a pattern, not an SQL expression) matches the whole of `value` -#}
{% macro regex_full_match(value, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'omnichannel')(value, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_full_match(value, pattern) -%}
    regexp_full_match({{ value }}, '{{ pattern }}')
{%- endmacro %}

{% macro default__regex_full_match(value, pattern) -%}
    ({{ value }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{#- Every match of `pattern` in `value` replaced by `replacement` (patterns, not SQL expressions; `\1`
    in the replacement is the first group). DuckDB's regexp_replace replaces the first match unless given
    'g'; Spark's replaces all, takes groups as `$1`, and reads a fourth argument as a position: with 'g'
    it returns null. -#}
{% macro regex_replace_all(value, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all', 'omnichannel')(value, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regex_replace_all(value, pattern, replacement) -%}
    regexp_replace({{ value }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro default__regex_replace_all(value, pattern, replacement) -%}
    regexp_replace({{ value }}, '{{ pattern }}', '{{ modules.re.sub("\\\\([0-9])", "$\\1", replacement) }}')
{%- endmacro %}

{#- The first match of `pattern` in `value` replaced (DuckDB's regexp_replace without 'g'): `pattern`
    anchored at the start or the end matches once anyway, so both engines agree -#}
{% macro regex_replace_first(value, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_first', 'omnichannel')(value, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regex_replace_first(value, pattern, replacement) -%}
    regexp_replace({{ value }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro default__regex_replace_first(value, pattern, replacement) -%}
    {%- if not (pattern.startswith('^') or pattern.endswith('$')) -%}
        {{ exceptions.raise_compiler_error(
            "regex_replace_first: pattern " ~ pattern ~ " must be anchored (^ or $) to replace one match on every engine") }}
    {%- endif -%}
    {{ default__regex_replace_all(value, pattern, replacement) }}
{%- endmacro %}

{#- Text without the accents of Latin letters ("Zażółć" -> "Zazołc": ł has no decomposition). DuckDB's
    strip_accents; elsewhere `translate` of the letters of Latin-1 and Latin Extended-A/B that decompose
    into a letter and accents, to that letter, which is what strip_accents gives for them. -#}
{% macro remove_accents(value) -%}
    {{ return(adapter.dispatch('remove_accents', 'omnichannel')(value)) }}
{%- endmacro %}

{% macro duckdb__remove_accents(value) -%}
    strip_accents({{ value }})
{%- endmacro %}

{% macro default__remove_accents(value) -%}
    translate({{ value }}, 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǢǣǦǧǨǩǪǫǬǭǮǯǰǴǵǸǹǺǻǼǽǾǿȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ', 'AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaÆæGgKkOoOoƷʒjGgNnAaÆæØøAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy')
{%- endmacro %}

{#- An interval of `n` days / months (`n` an SQL expression of a whole number): DuckDB to_days / to_months,
    Spark make_dt_interval / make_ym_interval. -#}
{% macro interval_days(n) -%}
    {{ return(adapter.dispatch('interval_days', 'omnichannel')(n)) }}
{%- endmacro %}

{% macro duckdb__interval_days(n) -%}
    to_days(cast({{ n }} as integer))
{%- endmacro %}

{% macro default__interval_days(n) -%}
    make_dt_interval(cast({{ n }} as integer))
{%- endmacro %}

{% macro interval_months(n) -%}
    {{ return(adapter.dispatch('interval_months', 'omnichannel')(n)) }}
{%- endmacro %}

{% macro duckdb__interval_months(n) -%}
    to_months(cast({{ n }} as integer))
{%- endmacro %}

{% macro default__interval_months(n) -%}
    make_ym_interval(0, cast({{ n }} as integer))
{%- endmacro %}

{#- Lists (arrays). DuckDB writes a list `['a', 'b']`, Spark `array('a', 'b')`; the type of a list of
    strings is `string[]` / `array<string>`. Unless said otherwise, what these give is the same on both. -#}

{#- a list of SQL expressions `items` -#}
{% macro array_of(items) -%}
    {{ return(adapter.dispatch('array_of', 'omnichannel')(items)) }}
{%- endmacro %}

{% macro duckdb__array_of(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}

{% macro default__array_of(items) -%}
    array({{ items | join(', ') }})
{%- endmacro %}

{% macro string_array_type() -%}
    {{ return(adapter.dispatch('string_array_type', 'omnichannel')()) }}
{%- endmacro %}

{% macro duckdb__string_array_type() -%}
    string[]
{%- endmacro %}

{% macro default__string_array_type() -%}
    array<string>
{%- endmacro %}

{#- the items of a list joined by `separator` (a string); nulls left out -#}
{% macro join_list(list, separator) -%}
    {{ return(adapter.dispatch('join_list', 'omnichannel')(list, separator)) }}
{%- endmacro %}

{% macro duckdb__join_list(list, separator) -%}
    array_to_string({{ list }}, '{{ separator }}')
{%- endmacro %}

{% macro default__join_list(list, separator) -%}
    array_join({{ list }}, '{{ separator }}')
{%- endmacro %}

{#- how many parts `text` has when split at every `separator` (a string without regular-expression
    characters) -#}
{% macro count_parts(text, separator) -%}
    {{ return(adapter.dispatch('count_parts', 'omnichannel')(text, separator)) }}
{%- endmacro %}

{% macro duckdb__count_parts(text, separator) -%}
    len(string_split({{ text }}, '{{ separator }}'))
{%- endmacro %}

{% macro default__count_parts(text, separator) -%}
    size(split({{ text }}, '{{ separator }}'))
{%- endmacro %}

{#- how many distinct non-null values the list `list` (null: empty) and `value` hold together -#}
{% macro count_distinct_with(list, value) -%}
    {{ return(adapter.dispatch('count_distinct_with', 'omnichannel')(list, value)) }}
{%- endmacro %}

{% macro duckdb__count_distinct_with(list, value) -%}
    len(list_distinct(list_append(coalesce({{ list }}, []), {{ value }})))
{%- endmacro %}

{% macro default__count_distinct_with(list, value) -%}
    size(array_distinct(filter(concat(coalesce({{ list }}, array()), array({{ value }})), item -> item is not null)))
{%- endmacro %}

{#- one row per item of the list `list` (in a select list, as the only set-returning expression; no row
    for an empty or null list) -#}
{% macro unnest_list(list) -%}
    {{ return(adapter.dispatch('unnest_list', 'omnichannel')(list)) }}
{%- endmacro %}

{% macro duckdb__unnest_list(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro default__unnest_list(list) -%}
    explode({{ list }})
{%- endmacro %}

{#- the list of values from `start` to `stop` (both included), by `step` (an interval for dates; the items of
    a series of dates are timestamps on DuckDB, dates on Spark: cast them) -#}
{% macro series(start, stop, step=none) -%}
    {{ return(adapter.dispatch('series', 'omnichannel')(start, stop, step)) }}
{%- endmacro %}

{% macro duckdb__series(start, stop, step) -%}
    generate_series({{ start }}, {{ stop }}{{ ', ' ~ step if step }})
{%- endmacro %}

{% macro default__series(start, stop, step) -%}
    sequence({{ start }}, {{ stop }}{{ ', ' ~ step if step }})
{%- endmacro %}

{#- ISO day of the week: 1 Monday ... 7 Sunday -#}
{% macro iso_day_of_week(date) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'omnichannel')(date)) }}
{%- endmacro %}

{% macro duckdb__iso_day_of_week(date) -%}
    isodow({{ date }})
{%- endmacro %}

{% macro default__iso_day_of_week(date) -%}
    extract(dayofweek_iso from {{ date }})
{%- endmacro %}

{#- Damerau-Levenshtein distance (insertions, deletions, substitutions and transpositions of adjacent
    characters, unrestricted): DuckDB's damerau_levenshtein; on Spark the session's function
    `omni_damerau_levenshtein` (omni/text.py, the same distance). -#}
{% macro edit_distance(a, b) -%}
    {{ return(adapter.dispatch('edit_distance', 'omnichannel')(a, b)) }}
{%- endmacro %}

{% macro duckdb__edit_distance(a, b) -%}
    damerau_levenshtein({{ a }}, {{ b }})
{%- endmacro %}

{% macro default__edit_distance(a, b) -%}
    omni_damerau_levenshtein({{ a }}, {{ b }})
{%- endmacro %}

{#- The type of an instant (a point in time): DuckDB's `timestamp with time zone`; Spark's `timestamp` is
    one (its `timestamp_ntz` is the wall clock). Contracts spell the same with a Jinja expression, as
    macros are not available in property files: {{ 'timestamp' if target.type == 'spark' else 'timestamp with time zone' }} -#}
{% macro instant_type() -%}
    {{ 'timestamp' if target.type == 'spark' else 'timestamp with time zone' }}
{%- endmacro %}

{#- how many items the list `list` holds -#}
{% macro list_length(list) -%}
    {{ return(adapter.dispatch('list_length', 'omnichannel')(list)) }}
{%- endmacro %}

{% macro duckdb__list_length(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro default__list_length(list) -%}
    cast(size({{ list }}) as bigint)
{%- endmacro %}
