{#-
Data tests on new rows (docs/incremental.md "Checks on new rows").

A test of an incremental model whose rows carry the batch that wrote them (`_omni_batch`) judges only
what the rows written since the test last passed can break. A passing test is recorded in
`meta.passed_tests` with its run's batch (on-run-end, `record_passed_tests`); the next run's test reads:
- a row-wise test (`not_null`, `accepted_values`: each row passes or fails on its own): the rows written
  since;
- a key test (`unique`, `unique_combination`): every row whose key is the key of a row written since, old
  rows too. A repeated key has at least one row written after the test last passed (the repeat was not
  there then), and the rows of that key are all read, so the test finds it as on the whole table.
"Written since" reads `_omni_written` where the model has it (a row written again unchanged keeps its
`_omni_batch`, macro select_stamped), `_omni_batch` elsewhere. A test that fails or warns is not
recorded, so the next run judges the same rows again, with the new ones; a full refresh restamps every
row, so its tests judge everything. Tests over the whole table (`relationships`, whose parent may lose a
key, consent) and tests of full tables are unchanged.

dbt wraps the tested model of every generic test in `get_where_subquery` (its `where` config); this
project's version adds the batch filter to it.
-#}

{% macro passed_tests_relation() -%}
    {{ return(meta_relation('passed_tests')) }}
{%- endmacro %}

{#- on-run-start, with create_incremental_state -#}
{% macro create_passed_tests() -%}
    {%- set passed = passed_tests_relation() -%}
    {%- set create -%}
    create table if not exists {{ passed }} (
        test {{ dbt.type_string() }} not null,
        model {{ dbt.type_string() }} not null,
        batch bigint not null,
        recorded_at timestamp not null
    )
    {%- endset -%}
    {{ statements([create_schema_of(passed), create]) }}
{%- endmacro %}

{#- the generic tests that judge each row on its own -#}
{% macro row_wise_tests() -%}
    {{ return(['not_null', 'accepted_values']) }}
{%- endmacro %}

{#- the generic tests that judge the rows of a key together -#}
{% macro key_tests() -%}
    {{ return(['unique', 'unique_combination']) }}
{%- endmacro %}

{#- the key columns of a key test (a test node) -#}
{% macro tested_key(test) -%}
    {%- set kwargs = test.test_metadata.kwargs -%}
    {{ return(kwargs.columns if test.test_metadata.name == 'unique_combination' else [kwargs.column_name]) }}
{%- endmacro %}

{#- the incremental model `test` (a test node: the compiling test's `model`, or a result's node) judges row
    by row; none for any other test -#}
{% macro tested_incremental_model(test) -%}
    {%- set metadata = test.test_metadata if test.test_metadata is defined else none -%}
    {%- if not metadata or metadata.name not in row_wise_tests() + key_tests() or metadata.namespace -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(test.attached_node or '') -%}
    {%- if not tested or tested.resource_type != 'model' or tested.config.materialized != 'incremental' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(tested) }}
{%- endmacro %}

{#- the batch after which the test judges rows, or none: all rows; with the column of the stamp -#}
{% macro test_rows_since(relation) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set tested = tested_incremental_model(model) -%}
    {%- if tested is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {%- if '_omni_batch' not in columns -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set stamp = '_omni_written' if '_omni_written' in columns else '_omni_batch' -%}
    {%- if load_relation(passed_tests_relation()) is none -%}
        {#- a command that runs no hooks (dbt compile, docs generate) on a warehouse without the table -#}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select max(batch) from " ~ passed_tests_relation() ~ " where test = '" ~ model.unique_id ~ "'"
    ) -%}
    {%- set batch = found.columns[0].values()[0] if found and found.rows | length else none -%}
    {{ return(none if batch is none else (stamp, batch)) }}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set since = test_rows_since(relation) -%}
    {%- set filters = [] -%}
    {%- if where -%}
        {%- do filters.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- if since is not none and model.test_metadata.name in key_tests() -%}
        {#- the rows of the keys written since; a null is a key value as in the group by of the test -#}
        {%- set matches = [] -%}
        {%- for column in tested_key(model) -%}
            {%- do matches.append('written.' ~ column ~ ' is not distinct from tested.' ~ column) -%}
        {%- endfor -%}
        {%- do filters.append(
            'exists (select 1 from ' ~ relation ~ ' as written where written.' ~ since[0] ~ ' > ' ~ since[1]
            ~ ' and ' ~ matches | join(' and ') ~ ')'
        ) -%}
    {%- elif since is not none -%}
        {%- do filters.append(since[0] ~ ' > ' ~ since[1]) -%}
    {%- endif -%}
    {%- if filters -%}
        {%- set filtered -%}
            (select * from {{ relation }} as tested where {{ filters | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- on-run-end: the row-wise tests of incremental models that passed in this run judged every row up to
    this run's batch; one row per test, the latest -#}
{% macro record_passed_tests(results) -%}
    {%- set passed = [] -%}
    {%- if execute -%}
        {%- for result in results -%}
            {%- set tested = tested_incremental_model(result.node)
                if result.node.resource_type == 'test' and result.status == 'pass' else none -%}
            {%- if tested is not none -%}
                {%- do passed.append((result.node.unique_id, tested.name)) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if passed -%}
        {%- set earlier -%}
            test in ({% for test, _ in passed %}'{{ test }}'{{ ', ' if not loop.last }}{% endfor %})
        {%- endset -%}
        {%- set record -%}
        insert into {{ passed_tests_relation() }} values
        {% for test, tested in passed -%}
            ('{{ test }}', '{{ tested }}', {{ omni_batch() }}, current_timestamp){{ ',' if not loop.last }}
        {% endfor %}
        {%- endset -%}
        {{ statements([delete_rows(earlier, passed_tests_relation()), record]) }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
