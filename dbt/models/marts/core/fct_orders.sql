-- Every order of every channel (int_core__orders, where the logic lives: intermediate models read it too).
-- Incremental (docs/incremental.md): a run copies the orders int_core__orders changed since this model's last run.
{{ config(materialized='incremental', unique_key='order_key', spark_partition_month_of='placed_at') }}

select * from {{ ref('int_core__orders') }}
{% if is_incremental() %}
    where {{ changed_since_last_run() }}
{% endif %}
