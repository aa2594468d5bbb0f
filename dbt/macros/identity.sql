{#- post-hook of int_identity__deterministic_components (a Python model, which does not know the batch):
    stamp the rows it wrote and its row of meta.identity_stitch_runs with the batch (on Spark the model's
    runner knows the batch: omni/spark.py), and in an incremental
    run delete the rows of the nodes that are no longer in the graph -#}
{% macro stamp_identity_stitch() -%}
    {%- set stamp_run -%}
        {%- if target.type != 'spark' -%}
            update {{ meta_relation('identity_stitch_runs') }} set batch = {{ omni_batch() }} where batch is null
        {%- endif -%}
    {%- endset -%}
    {{ statements([stamp_new_rows(), stamp_run, delete_vanished(ref('int_identity__nodes'), ['node_id'])]) }}
{%- endmacro %}
