{#-
Incremental models on Spark (docs/scale-out.md, "Incremental models on Spark").

Spark's tables here are Parquet files (no Delta or Iceberg: their jars come from Maven), which take no
`delete`, `update` or `merge`. What they take is `insert overwrite` of whole partitions: with dynamic
partition overwrite, only the partitions the statement writes rows to are replaced. So on Spark each
incremental model's table is partitioned by a bucket of its unique key, `_omni_partition` =
pmod(xxhash64(key), var('spark_incremental_buckets')): a key is always in the same bucket, every version
of it. An incremental run then
- computes the model's rows as on DuckDB (the new and changed keys), once (a table beside the model's);
- writes them with the stored rows of the buckets they fall in, less the stored rows of the same keys
  (an upsert by bucket: the other buckets are not read or written);
- runs the model's delete hooks (`delete_rows`): the buckets holding rows to delete are written again
  without them, and a bucket left empty is dropped (an overwrite writes only buckets that get rows).
A full refresh, or the first build, creates the table from all the rows. The bucket column is the
engine's: the lake's catalog, which BI and publication read, leaves it out (omni/lake_catalog.py).
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
            ~ "partitioned by a bucket of it)"
        ) }}
    {%- endif -%}
    {{ return([unique_key] if unique_key is string else (unique_key | list)) }}
{%- endmacro %}

{#- the bucket of a row: a hash of its key columns, the same for every version of the key -#}
{% macro spark_bucket_of(key_columns) -%}
    pmod(xxhash64({{ key_columns | join(', ') }}), {{ spark_bucket_count() }})
{%- endmacro %}

{#- the number of buckets: the var, which the table records (a change needs a full refresh: a key's
    bucket changes with it) -#}
{% macro spark_bucket_count() -%}
    {{ return(var('spark_incremental_buckets', 16) | int) }}
{%- endmacro %}

{#- stops the run when `relation` was built with another number of buckets than the var now says -#}
{% macro check_bucket_count(relation) -%}
    {%- set shown = run_query("show tblproperties " ~ relation ~ " ('omni.buckets')") -%}
    {%- set recorded = (shown.columns[-1].values()[0] if shown and shown.rows | length else '') | string -%}
    {%- if recorded != spark_bucket_count() | string -%}
        {%- set built = ("with " ~ recorded ~ " bucket(s), and var spark_incremental_buckets is now "
            ~ spark_bucket_count() ~ ": a key's bucket changed") if recorded.isdigit()
            else "without buckets of its unique key (an earlier layout)" -%}
        {{ exceptions.raise_compiler_error(
            "incremental model " ~ relation ~ " was built " ~ built ~ ", so an incremental run would leave "
            ~ "old rows behind. Rebuild it with a full refresh: omni build --full-refresh (docs/scale-out.md)"
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
    {#- the model's rows: a temporary view of the SQL; a Python model writes a table -#}
    {%- set model_rows = this.incorporate(path={"identifier": this.identifier ~ '__dbt_tmp'}) -%}
    {%- if language == 'sql' -%}
        {%- set model_rows = model_rows.include(database=false, schema=false) -%}
    {%- endif -%}
    {#- the model's rows with their bucket, computed once: a table (a cached view would be computed
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
            {#- a model that selects every column of an incremental model's table has its bucket too -#}
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
    {%- set bucketed -%}
        select {{ columns | join(', ') }}, {{ spark_bucket_of(key_columns) }} as {{ partition }}
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
            tblproperties ('omni.buckets' = '{{ spark_bucket_count() }}')
            {{ location_clause() }}
            {{ comment_clause() }}
            as {{ bucketed }}
        {%- endcall %}
    {%- else -%}
        {%- do check_bucket_count(target_relation) -%}
        {% call statement('drop_stale_new_rows') -%}
            drop table if exists {{ new_rows }}
        {%- endcall %}
        {% call statement('new_rows') -%}
            create table {{ new_rows }} {{ file_format_clause() }} as {{ bucketed }}
        {%- endcall %}
        {%- do process_schema_changes(on_schema_change, new_rows, existing_relation) -%}
        {#- the stored table's order of columns -#}
        {%- set written = column_names(target_relation) | reject('equalto', partition) | list + [partition] -%}
        {% call statement('main') -%}
            insert overwrite table {{ target_relation }} partition ({{ partition }})
            select {{ written | join(', ') }} from {{ new_rows }}
            union all
            select {% for c in written %}kept.{{ c }}{{ ', ' if not loop.last }}{% endfor %}
            from {{ target_relation }} as kept
            left anti join {{ new_rows }} as fresh
                on {% for c in key_columns %}kept.{{ c }} <=> fresh.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
            where kept.{{ partition }} in (select {{ partition }} from {{ new_rows }})
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
    relation.identifier) are gone. A table partitioned by bucket: the buckets holding such rows are written
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
            {%- for bucket in emptied -%}
                {%- do run_query(
                    "alter table " ~ relation ~ " drop if exists partition (" ~ partition ~ " = " ~ bucket ~ ")"
                ) -%}
            {%- endfor -%}
            {%- do log(
                relation ~ ": rows deleted from " ~ hit | length ~ " bucket(s), written again without them ("
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
