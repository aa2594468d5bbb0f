-- One row per web or app session of the clickstream (int_core__sessions, where the logic lives: intermediate models read it too).
-- Incremental (docs/incremental.md): a run copies the sessions int_core__sessions changed since this model's last run.
{{ config(materialized='incremental', unique_key='session_id', spark_partition_month_of='started_at') }}

select * from {{ ref('int_core__sessions') }}
{% if is_incremental() %}
    where {{ changed_since_last_run() }}
{% endif %}
