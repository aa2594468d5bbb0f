-- Every interaction of every channel, one row per source record (int_core__touchpoints, where the logic lives: intermediate models read it too).
-- Incremental (docs/incremental.md): a run copies the touchpoints int_core__touchpoints changed since this model's last run.
{{ config(materialized='incremental', unique_key='touchpoint_key', spark_partition_month_of='touchpoint_at') }}

select * from {{ ref('int_core__touchpoints') }}
{% if is_incremental() %}
    where {{ changed_since_last_run() }}
{% endif %}
