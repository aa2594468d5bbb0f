{#-
Incremental models on Spark (docs/scale-out.md, "Incremental models on Spark").

Spark's tables here are Parquet files (no Delta or Iceberg: their jars come from Maven), which take no
`delete`, `update` or `merge`. What they take is `insert overwrite` of whole partitions: with dynamic
partition overwrite, only the partitions the statement writes rows to are replaced. So on Spark each
incremental model's table is partitioned (`_omni_partition`, an integer), in one of two layouts:
- by the month of a time the model names (config `spark_partition_month_of`: the column of the time an
  order was placed, an event happened; yyyymm in the session's time zone, UTC; 0 for no time): a day's new
  rows fall in a month or two;
- otherwise by a bucket of its unique key, pmod(xxhash64(key), var('spark_incremental_buckets')): a key is
  always in the same bucket, every version of it.
An incremental run then
- computes the model's rows as on DuckDB (the new and changed keys), once (a table beside the model's);
- writes them with the stored rows of the partitions they touch, less the stored rows of the same keys
  (an upsert by partition: the other partitions are not written). The partitions touched are those of the
  new rows and, by month, those holding a stored version of their keys (a key whose time changed moves);
- runs the model's delete hooks (`delete_rows`): the partitions holding rows to delete are written again
  without them, and a partition left empty is dropped (an overwrite writes only partitions that get rows).
A full refresh, or the first build, creates the table from all the rows. The table records its layout
(table property `omni.partitioning`); an incremental run of a table built with another layout stops and
asks for a full refresh. The partition column is the engine's: the lake's catalog, which BI and
publication read, leaves it out (omni/lake_catalog.py).
This materialization replaces dbt-spark's for the project's incremental models (dbt prefers a
project's materialization to the adapter's).
-#}

{#- the partition column of the incremental models' tables on Spark (omni.spark.PARTITION_COLUMN) -#}
{% macro spark_partition_column() -%}
    {{ return('_omni_partition') }}
{%- endmacro %}

{#- the model's unique key as a list of column names -#}
{% macro unique_key_columns(unique_key) -%}
    {%- if unique_key is none -%}
        {{ exceptions.raise_compiler_error(
            "incremental model " ~ this ~ ": on Spark an incremental model needs a unique_key (its rows are "
            ~ "written again by partition, less the stored rows of their keys)"
        ) }}
    {%- endif -%}
    {{ return([unique_key] if unique_key is string else (unique_key | list)) }}
{%- endmacro %}

{#- the number of buckets of the bucket layout: the var (a change needs a full refresh: a key's bucket
    changes with it) -#}
{% macro spark_bucket_count() -%}
    {{ return(var('spark_incremental_buckets', 16) | int) }}
{%- endmacro %}

{#- the model's partition layout: its name (recorded by the table) and the SQL of a row's partition -#}
{% macro spark_partition_layout(key_columns) -%}
    {%- set month_of = config.get('spark_partition_month_of', none) -%}
    {%- if month_of -%}
        {{ return({
            'name': 'month:' ~ month_of,
            'by_month': true,
            'value': 'coalesce(year(' ~ month_of ~ ') * 100 + month(' ~ month_of ~ '), 0)',
        }) }}
    {%- endif -%}
    {{ return({
        'name': 'bucket:' ~ spark_bucket_count(),
        'by_month': false,
        'value': 'pmod(xxhash64(' ~ key_columns | join(', ') ~ '), ' ~ spark_bucket_count() ~ ')',
    }) }}
{%- endmacro %}

{#- a layout's name as a sentence says it -#}
{% macro spark_layout_words(name) -%}
    {%- set kind, _, value = name.partition(':') -%}
    {%- if kind == 'bucket' -%}
        {{ return('with ' ~ value ~ ' bucket(s) of its unique key (var spark_incremental_buckets)') }}
    {%- elif kind == 'month' -%}
        {{ return('by the month of ' ~ value) }}
    {%- endif -%}
    {{ return('without a partition layout of this project (an earlier version)') }}
{%- endmacro %}

{#- stops the run when `relation` was built with another layout than the model's now (a row's partition
    changed: old versions would stay behind) -#}
{% macro check_partition_layout(relation, layout) -%}
    {%- set shown = run_query("show tblproperties " ~ relation ~ " ('omni.partitioning')") -%}
    {%- set recorded = (shown.columns[-1].values()[0] if shown and shown.rows | length else '') | string -%}
    {%- if recorded != layout.name -%}
        {{ exceptions.raise_compiler_error(
            "incremental model " ~ relation ~ " was built partitioned " ~ spark_layout_words(recorded)
            ~ ", and is now partitioned " ~ spark_layout_words(layout.name) ~ ": an incremental run would "
            ~ "leave old rows behind. Rebuild it with a full refresh: omni build --full-refresh "
            ~ "(docs/scale-out.md)"
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- `relation`'s column names -#}
{% macro column_names(relation) -%}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | list) }}
{%- endmacro %}

{% materialization incremental, adapter='spark', supported_languages=['sql', 'python'] -%}
    {%- set language = model['language'] -%}
    {%- set key_columns = unique_key_columns(config.get('unique_key', none)) -%}
    {%- set on_schema_change = incremental_validate_on_schema_change(config.get('on_schema_change'), default='ignore') -%}
    {%- set grant_config = config.get('grants') -%}
    {%- set target_relation = this -%}
    {%- set existing_relation = load_relation(this) -%}
    {%- set full = existing_relation is none or existing_relation.is_view or should_full_refresh() -%}
    {%- set partition = spark_partition_column() -%}
    {%- set layout = spark_partition_layout(key_columns) -%}
    {#- the model's rows: a temporary view of the SQL; a Python model writes a table -#}
    {%- set model_rows = this.incorporate(path={"identifier": this.identifier ~ '__dbt_tmp'}) -%}
    {%- if language == 'sql' -%}
        {%- set model_rows = model_rows.include(database=false, schema=false) -%}
    {%- endif -%}
    {#- the model's rows with their partition, computed once: a table (a cached view would be computed
        again when the model's table, which the model's SQL reads, is written) -#}
    {%- set new_rows = this.incorporate(path={"identifier": this.identifier ~ '__omni_new'}) -%}

    {#- an `insert overwrite` replaces the partitions it writes rows to, no others (this and the delete
        hooks, spark_delete_rows, rely on it; the session is shared by dbt's threads) -#}
    {% call statement() -%}
        set spark.sql.sources.partitionOverwriteMode = dynamic
    {%- endcall %}

    {{ run_hooks(pre_hooks) }}

    {%- if language == 'sql' -%}
        {% call statement('model_rows') -%}
            {{ create_temporary_view(model_rows, compiled_code) }}
        {%- endcall %}
        {%- set names = column_names(model_rows) -%}
        {%- set code = compiled_code -%}
        {%- if partition in names -%}
            {#- a model that selects every column of an incremental model's table has its partition too -#}
            {%- set code = 'select ' ~ names | reject('equalto', partition) | join(', ') ~ ' from (\n'
                ~ compiled_code ~ '\n) as model_sql' -%}
        {%- endif -%}
        {%- if config.get('contract').enforced -%}
            {{ get_assert_columns_equivalent(code) }}
            {%- set code = get_select_subquery(code) -%}
        {%- endif -%}
        {%- if code != compiled_code -%}
            {% call statement('model_rows_checked') -%}
                {{ create_temporary_view(model_rows, code) }}
            {%- endcall %}
            {%- set names = column_names(model_rows) -%}
        {%- endif -%}
    {%- else -%}
        {% call statement('drop_model_rows') -%}
            drop table if exists {{ model_rows }}
        {%- endcall %}
        {% call statement('model_rows', language='python') -%}
            {{ create_table_as(False, model_rows, compiled_code, 'python') }}
        {%- endcall %}
        {%- set names = column_names(model_rows) -%}
    {%- endif -%}
    {%- set columns = names | reject('equalto', partition) | list -%}
    {%- set partitioned_rows -%}
        select {{ columns | join(', ') }}, {{ layout.value }} as {{ partition }}
        from {{ model_rows }}
    {%- endset -%}

    {%- if full -%}
        {%- if existing_relation is not none -%}
            {% do adapter.drop_relation(existing_relation) %}
        {%- endif -%}
        {% call statement('main') -%}
            create table {{ target_relation }}
            {{ file_format_clause() }}
            {{ options_clause() }}
            partitioned by ({{ partition }})
            tblproperties ('omni.partitioning' = '{{ layout.name }}')
            {{ location_clause() }}
            {{ comment_clause() }}
            as {{ partitioned_rows }}
        {%- endcall %}
    {%- else -%}
        {%- do check_partition_layout(target_relation, layout) -%}
        {% call statement('drop_stale_new_rows') -%}
            drop table if exists {{ new_rows }}
        {%- endcall %}
        {% call statement('new_rows') -%}
            create table {{ new_rows }} {{ file_format_clause() }} as {{ partitioned_rows }}
        {%- endcall %}
        {%- do process_schema_changes(on_schema_change, new_rows, existing_relation) -%}
        {#- the stored table's order of columns -#}
        {%- set written = column_names(target_relation) | reject('equalto', partition) | list + [partition] -%}
        {%- set same_key -%}
            {% for c in key_columns %}stored.{{ c }} <=> fresh.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
        {%- endset -%}
        {% call statement('main') -%}
            insert overwrite table {{ target_relation }} partition ({{ partition }})
            select {{ written | join(', ') }} from {{ new_rows }}
            union all
            select {% for c in written %}stored.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
            from {{ target_relation }} as stored
            left anti join {{ new_rows }} as fresh on {{ same_key }}
            where stored.{{ partition }} in (
                select {{ partition }} from {{ new_rows }}
                {%- if layout.by_month %}
                {#- a key's month may have changed: the partition of its stored version is rewritten too #}
                union
                select stored.{{ partition }} from {{ target_relation }} as stored
                left semi join {{ new_rows }} as fresh on {{ same_key }}
                {%- endif %}
            )
        {%- endcall %}
        {% call statement('drop_new_rows') -%}
            drop table if exists {{ new_rows }}
        {%- endcall %}
    {%- endif -%}

    {% call statement('drop_model_rows') -%}
        {{ 'drop view if exists' if language == 'sql' else 'drop table if exists' }} {{ model_rows }}
    {%- endcall %}

    {% set should_revoke = should_revoke(existing_relation, full_refresh_mode=full) %}
    {% do apply_grants(target_relation, grant_config, should_revoke) %}
    {% do persist_docs(target_relation, model) %}

    {{ run_hooks(post_hooks) }}

    {{ return({'relations': [target_relation]}) }}
{%- endmaterialization %}

{#- Spark's part of `delete_rows`: the rows of `relation` for which `predicate` holds (naming the row as
    relation.identifier) are gone. A partitioned table: the partitions holding such rows are written
    again without them, and those left empty dropped. Another table (the small tables of the `meta`
    schema): its kept rows are copied aside and written back (Spark reads no table it overwrites whole). -#}
{% macro spark_delete_rows(relation, predicate) -%}
    {%- set alias = relation.identifier -%}
    {%- set partition = spark_partition_column() -%}
    {%- set kept_rows -%}
        select * from {{ relation }} as {{ alias }} where not coalesce({{ predicate }}, false)
    {%- endset -%}
    {%- if partition in column_names(relation) -%}
        {%- set hit = run_query(
            "select distinct " ~ partition ~ " from " ~ relation ~ " as " ~ alias ~ " where " ~ predicate
        ).columns[0].values() | map('int') | list -%}
        {%- if hit -%}
            {%- set listed = hit | join(', ') -%}
            {%- do run_query(
                "insert overwrite table " ~ relation ~ " partition (" ~ partition ~ ") " ~ kept_rows
                ~ " and " ~ alias ~ "." ~ partition ~ " in (" ~ listed ~ ")"
            ) -%}
            {%- set left = run_query(
                "select distinct " ~ partition ~ " from " ~ relation ~ " where " ~ partition ~ " in (" ~ listed ~ ")"
            ).columns[0].values() | map('int') | list -%}
            {%- set emptied = hit | reject('in', left) | list -%}
            {%- for value in emptied -%}
                {%- do run_query(
                    "alter table " ~ relation ~ " drop if exists partition (" ~ partition ~ " = " ~ value ~ ")"
                ) -%}
            {%- endfor -%}
            {%- do log(
                relation ~ ": rows deleted from " ~ hit | length ~ " partition(s), written again without them ("
                ~ emptied | length ~ " left empty, dropped)", info=true
            ) -%}
        {%- endif -%}
    {%- else -%}
        {%- set aside = relation.incorporate(path={"identifier": relation.identifier ~ '__omni_kept'}) -%}
        {%- do run_query("drop table if exists " ~ aside) -%}
        {%- do run_query("create table " ~ aside ~ " using parquet as " ~ kept_rows) -%}
        {%- do run_query("insert overwrite table " ~ relation ~ " select * from " ~ aside) -%}
        {%- do run_query("drop table if exists " ~ aside) -%}
    {%- endif -%}
{%- endmacro %}
