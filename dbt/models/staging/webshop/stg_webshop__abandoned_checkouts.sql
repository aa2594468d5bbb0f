-- Incremental (docs/incremental.md): a run rereads every raw version of the abandoned checkouts that came in loads
-- newer than what the table holds, so the newest version wins as in a full build.
{{ config(materialized='incremental', unique_key='checkout_id', spark_partition_month_of='created_at') }}

with

source as (
    {{ new_versions_of(source('webshop', 'abandoned_checkouts'), 'id') }}
),

renamed as (
    select
        id as checkout_id,
        customer_id,
        email,
        {{ normalize_email('email') }} as email_normalized,
        source_name as ordering_channel,
        created_at,
        updated_at,
        {{ pln('total_price') }} as total_pln,
        _source_file,
        _dlt_load_id
    from source
    qualify row_number() over (partition by id order by {{ newest_first('updated_at') }}) = 1
)

select
    *,
    {{ batch_column() }}
from renamed
