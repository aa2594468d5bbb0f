{#-
Incremental runs (docs/incremental.md).

Every build is a batch: `omni_batch()` is the start of the dbt invocation in microseconds since the
epoch, the same for every model of the run and larger in every later run. An incremental model stamps
each row it writes with the batch (`_omni_batch`), and each run of an incremental model is recorded in
`meta.incremental_runs` (model, batch, mode) by the project's post-hook. A model downstream of another
then reprocesses exactly the keys whose input rows carry a batch newer than its own last run: new
records, corrected re-exports, records whose customer key changed.

Models read from raw tables find what is new through dlt's load id (`_dlt_load_id`, increasing with
every load): the rows of loads newer than the newest load id the model already holds.
-#}

{% macro omni_batch() -%}
    {{ return((run_started_at.timestamp() * 1000000) | int) }}
{%- endmacro %}

{% macro batch_column() -%}
    cast({{ omni_batch() }} as bigint) as _omni_batch
{%- endmacro %}

{#- A table of the `meta` schema, where the state of incremental runs is kept (Spark's relations have no
    database: the catalog has one) -#}
{% macro meta_relation(identifier) -%}
    {{ return(api.Relation.create(
        database=(none if target.type == 'spark' else target.database), schema='meta', identifier=identifier
    )) }}
{%- endmacro %}

{#- Several statements as one hook (a list of SQL texts; empty ones are left out). DuckDB runs them as one
    script; Spark runs one statement per call, so there each but the last runs here, when the hook is
    rendered just before it runs, and the last is the hook's SQL. -#}
{% macro statements(sqls) -%}
    {%- set sqls = sqls | map('trim') | reject('equalto', '') | list -%}
    {%- if target.type == 'spark' -%}
        {%- if execute -%}
            {%- for sql in sqls[:-1] -%}
                {%- do run_query(sql) -%}
            {%- endfor -%}
        {%- endif -%}
        {{ sqls[-1] if sqls }}
    {%- else -%}
        {{ sqls | join(';\n') }}
    {%- endif -%}
{%- endmacro %}

{#- `create schema` of the relation's schema -#}
{% macro create_schema_of(relation) -%}
    create schema if not exists {{ relation.without_identifier() }}
{%- endmacro %}

{% macro incremental_state_relation() -%}
    {{ return(meta_relation('incremental_runs')) }}
{%- endmacro %}

{#- on-run-start: the table of incremental runs exists before any model reads it -#}
{% macro create_incremental_state() -%}
    {%- set state = incremental_state_relation() -%}
    {%- set create -%}
    create table if not exists {{ state }} (
        model {{ dbt.type_string() }} not null,
        batch bigint not null,
        mode {{ dbt.type_string() }} not null,
        recorded_at timestamp not null
    )
    {%- endset -%}
    {{ statements([create_schema_of(state), create]) }}
{%- endmacro %}

{#- project-wide post-hook: records a successful run of an incremental model (nothing for others). On Spark
    the runs are recorded at the end of the dbt command instead (record_incremental_runs): models run at
    once in dbt's threads, and concurrent appends to one table of Parquet files clash. -#}
{% macro record_incremental_run() -%}
    {%- if model.config.materialized == 'incremental' and target.type != 'spark' -%}
        insert into {{ incremental_state_relation() }}
        values (
            '{{ this.identifier }}',
            {{ omni_batch() }},
            '{{ "incremental" if is_incremental() else "full" }}',
            current_timestamp
        )
    {%- endif -%}
{%- endmacro %}

{#- on-run-end, on Spark: the incremental models this command built, as record_incremental_run records each
    on DuckDB. A full refresh (`--full-refresh`) or a model's first build is `full`. -#}
{% macro record_incremental_runs(results) -%}
    {%- set built = [] -%}
    {%- if execute and target.type == 'spark' -%}
        {%- for result in results -%}
            {%- if result.node.resource_type == 'model' and result.status == 'success'
                and result.node.config.materialized == 'incremental' -%}
                {%- do built.append(result.node.alias or result.node.name) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if built -%}
        insert into {{ incremental_state_relation() }}
        select name, {{ omni_batch() }}, case when previous.model is null or {{ flags.FULL_REFRESH }} then 'full' else 'incremental' end, current_timestamp
        from (values {% for name in built %}('{{ name }}'){{ ', ' if not loop.last }}{% endfor %}) as built (name)
        left join (select distinct model from {{ incremental_state_relation() }}) as previous on previous.model = built.name
    {%- endif -%}
{%- endmacro %}

{#- project-wide post-hook: an incremental run of a Python model leaves the table of its new rows behind.
    dbt-duckdb writes a Python model's result with `create table` whether or not the relation is meant to be
    temporary, and drops only the relations it made as non-temporary, so every incremental run of such a
    model left `<model>__dbt_tmp<time>` in the warehouse's default schema, each day's rows again. Dropped
    here, with any left by earlier runs. Nothing for SQL models (theirs are real temporary tables). -#}
{% macro drop_python_temp_table() -%}
    {%- if target.type == 'duckdb' and model.language == 'python' and model.config.materialized == 'incremental'
        and execute -%}
        {%- set left = run_query(
            "select schema_name, table_name from duckdb_tables() where database_name = '" ~ this.database
            ~ "' and not temporary and starts_with(table_name, '" ~ this.identifier ~ "__dbt_tmp')"
        ) -%}
        {%- for row in left.rows -%}
            drop table if exists "{{ this.database }}"."{{ row[0] }}"."{{ row[1] }}";
        {% endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- post-hook of an incremental Python model (which does not know the batch): the rows it wrote carry a
    null `_omni_batch`; stamp them with this run's -#}
{% macro stamp_new_rows() -%}
    {#- on Spark the runner of Python models stamps them (omni/spark.py: SessionPythonJob) -#}
    {%- if target.type != 'spark' -%}
        update {{ this }} set _omni_batch = {{ omni_batch() }} where _omni_batch is null
    {%- endif -%}
{%- endmacro %}

{#- the batch of this model's last successful run; -1 when it never ran -#}
{% macro last_batch() -%}
    (select coalesce(max(batch), -1) from {{ incremental_state_relation() }} where model = '{{ this.identifier }}')
{%- endmacro %}

{#- a predicate: the row of `relation` (a CTE or table alias) changed after this model last ran -#}
{% macro changed_since_last_run(relation='') -%}
    {{ relation ~ '.' if relation }}_omni_batch > {{ last_batch() }}
{%- endmacro %}

{#- a predicate: the raw row came in a load newer than the newest load this model holds -#}
{% macro loaded_since_last_run(relation='') -%}
    {{ relation ~ '.' if relation }}_dlt_load_id > (select coalesce(max(_dlt_load_id), '') from {{ this }})
{%- endmacro %}

{#- a predicate: any of `columns` differs (nulls compare equal) between the rows `a` and `b` -#}
{% macro any_differs(a, b, columns) -%}
    ({% for c in columns %}{{ a }}.{{ c }} is distinct from {{ b }}.{{ c }}{{ ' or ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The rows of the CTE `rows` with their batch stamp, for a model that recomputes more rows than
    changed (every step of a profile, every step of an order's path) and writes them all again: a row
    whose `columns` all equal the stored row of the same `key` keeps its old stamp, the others get this
    run's. Models downstream then see as changed only the rows that are. Outside an incremental run every
    row gets this run's batch. A second column, `_omni_written`, is the run that wrote the row, whatever
    its content: `delete_unwritten` needs it to tell the rows this run wrote from those it left. -#}
{% macro select_stamped(rows, key, columns) -%}
    select
        {{ rows }}.*,
        {% if is_incremental() -%}
            case
                when previous.{{ key }} is not null and not {{ any_differs(rows, 'previous', columns) }}
                    then previous._omni_batch
                else cast({{ omni_batch() }} as bigint)
            end as _omni_batch,
        {%- else -%}
            {{ batch_column() }},
        {%- endif %}
        cast({{ omni_batch() }} as bigint) as _omni_written
    from {{ rows }}
    {%- if is_incremental() %}
        left join {{ this }} as previous on previous.{{ key }} = {{ rows }}.{{ key }}
    {%- endif %}
{%- endmacro %}

{#- The rows of `relation` (by default the model's table) for which `predicate` holds are deleted; the
    predicate names the table's row as `relation.identifier`. On Spark, whose Parquet tables take no
    `delete`, the parts of the table holding such rows are written again without them
    (spark_delete_rows, dbt/macros/spark_incremental.sql): that happens when the hook is rendered, just
    before it would run, and the hook itself is empty. -#}
{% macro delete_rows(predicate, relation=none) -%}
    {%- set relation = relation or this -%}
    {%- if target.type == 'spark' -%}
        {%- if execute -%}
            {%- do spark_delete_rows(relation, predicate) -%}
        {%- endif -%}
    {%- else -%}
        delete from {{ relation }} where {{ predicate }}
    {%- endif -%}
{%- endmacro %}

{#- post-hook of an incremental model that writes only changed rows: delete the rows whose key is no
    longer in `source` (a relation holding every current key) -#}
{% macro delete_vanished(source, key_columns) -%}
    {%- if is_incremental() -%}
        {%- set vanished -%}
        not exists (
            select 1 from {{ source }} as current_keys
            where {% for c in key_columns %}current_keys.{{ c }} = {{ this.identifier }}.{{ c }}{{ ' and ' if not loop.last }}{% endfor %}
        )
        {%- endset -%}
        {{ delete_rows(vanished) }}
    {%- endif -%}
{%- endmacro %}

{#- The raw rows a staging model reads: in an incremental run, every version (old ones too) of the keys
    that came in loads newer than the newest load the model holds, so that the newest version wins as in
    a full build; otherwise every row. `key`: the column (or expression) that names a record. -#}
{% macro new_versions_of(relation, key) -%}
    select * from {{ relation }}
    {% if is_incremental() %}
        where {{ key }} in (
            select {{ key }} from {{ relation }} as new_rows
            where {{ loaded_since_last_run('new_rows') }}
        )
    {% endif %}
{%- endmacro %}

{#- The keys an incremental run of a model recomputes, as a table written by the model's pre-hook
    (`write_recomputed_keys`): the model's SQL reads it to restrict what it computes, and its post-hook
    (`delete_unwritten`) to delete the rows of those keys the run did not write again (a key that lost all
    of its rows). The table lives in the `meta` schema, next to the table of incremental runs. -#}
{% macro recomputed_keys_relation() -%}
    {{ return(meta_relation(this.identifier ~ '__recomputed')) }}
{%- endmacro %}

{#- pre-hook: in an incremental run, `sql` (a select of the keys to recompute) into the table of recomputed keys -#}
{% macro write_recomputed_keys(sql) -%}
    {%- if is_incremental() -%}
        {%- set keys = recomputed_keys_relation() -%}
        {#- Spark's Parquet tables cannot be replaced in one statement -#}
        {{ statements(['drop table if exists ' ~ keys, 'create table ' ~ keys ~ ' as ' ~ sql]) }}
    {%- else -%}
        drop table if exists {{ recomputed_keys_relation() }}
    {%- endif -%}
{%- endmacro %}

{#- post-hook: in an incremental run, delete the rows of the recomputed keys (`key_column`, an expression
    over the model's columns; `recomputed_column`: its column in the table of recomputed keys, by default
    the same) that this run did not write. `written_column`: the column of the run that wrote a row
    (`_omni_written` in a model whose rows keep their stamp when written again unchanged, select_stamped) -#}
{% macro delete_unwritten(key_column, recomputed_column=none, written_column='_omni_batch') -%}
    {%- if is_incremental() -%}
        {%- set unwritten -%}
            {{ key_column }} in (select {{ recomputed_column or key_column }} from {{ recomputed_keys_relation() }})
            and {{ written_column }} <> {{ omni_batch() }}
        {%- endset -%}
        {{ delete_rows(unwritten) }}
    {%- endif -%}
{%- endmacro %}

{% macro drop_recomputed_keys() -%}
    drop table if exists {{ recomputed_keys_relation() }}
{%- endmacro %}

{#- post-hook of customer_identity_map: the identifier rows whose value int_identity__map_values no longer
    holds (a corrected re-export replaced it, a rule now sets it aside as an attribute) -#}
{% macro delete_vanished_identity_values() -%}
    {%- if is_incremental() -%}
        {%- set vanished -%}
        entity_kind = 'identifier' and not exists (
            select 1 from {{ ref('int_identity__map_values') }} as current_values
            where current_values.identity_map_key = {{ this.identifier }}.identity_map_key
        )
        {%- endset -%}
        {{ delete_rows(vanished) }}
    {%- endif -%}
{%- endmacro %}

{#- Moves of records between profiles (docs/incremental.md "Identity").

A model that holds something per profile recomputes, after a merge or a re-stitch, the profile a record
joined (its row in int_identity__record_keys is stamped) and the profile it left: the latter is in no
current row. The post-hook of int_identity__record_keys logs every record it re-keyed, with the profile it
left and the batch, in `meta.identity_profile_moves`; a model reads the moves logged after its own last run
(`profiles_left_since_last_run`), however many runs it missed. Moves every incremental model has run past
are pruned. A full build of int_identity__record_keys starts the log afresh (every model is rebuilt then). -#}

{% macro profile_moves_relation() -%}
    {{ return(meta_relation('identity_profile_moves')) }}
{%- endmacro %}

{#- on-run-start, with create_incremental_state -#}
{% macro create_profile_moves() -%}
    {%- set moves = profile_moves_relation() -%}
    {%- set create -%}
    create table if not exists {{ moves }} (
        record_type {{ dbt.type_string() }} not null,
        record_id {{ dbt.type_string() }} not null,
        from_profile_key {{ dbt.type_string() }} not null,
        to_profile_key {{ dbt.type_string() }},
        batch bigint not null
    )
    {%- endset -%}
    {{ statements([create_schema_of(moves), create]) }}
{%- endmacro %}

{#- post-hook of int_identity__record_keys -#}
{% macro log_profile_moves() -%}
    {%- set moves = profile_moves_relation() -%}
    {% if is_incremental() -%}
        {%- set log -%}
        insert into {{ moves }}
        select record_type, record_id, _omni_previous_profile_key, profile_key, _omni_batch
        from {{ this }}
        where
            _omni_batch = {{ omni_batch() }}
            and _omni_previous_profile_key is not null
            and _omni_previous_profile_key is distinct from profile_key
        {%- endset -%}
        {#- the moves every incremental model has run past -#}
        {%- set run_past -%}
        batch <= (
            select coalesce(min(last_batch), -1) from (
                select max(batch) as last_batch from {{ incremental_state_relation() }} group by model
            ) as runs
        )
        {%- endset -%}
        {%- if target.type == 'spark' -%}
            {#- delete_rows acts when called on Spark: the log is written first, here -#}
            {%- if execute -%}
                {%- do run_query(log) -%}
                {%- do delete_rows(run_past, moves) -%}
            {%- endif -%}
        {%- else -%}
            {{ statements([log, delete_rows(run_past, moves)]) }}
        {%- endif -%}
    {%- else -%}
        {{ truncate_table(moves) }}
    {%- endif %}
{%- endmacro %}

{#- every row of a table gone; Spark's Parquet tables have no `delete` -#}
{% macro truncate_table(relation) -%}
    {%- if target.type == 'spark' -%}truncate table {{ relation }}{%- else -%}delete from {{ relation }}{%- endif -%}
{%- endmacro %}

{#- The profiles that lost a record after this model last ran (a select of `profile_key`) -#}
{% macro profiles_left_since_last_run() -%}
    select from_profile_key as profile_key from {{ profile_moves_relation() }}
    where batch > {{ last_batch() }}
{%- endmacro %}
