-- Incremental (docs/incremental.md): a run rereads every raw version of the survey responses that came in loads
-- newer than what the table holds, so the newest version wins as in a full build.
{{ config(materialized='incremental', unique_key='response_id', spark_partition_month_of='responded_at') }}

with

source as (
    {{ new_versions_of(source('surveys', 'responses'), 'response_id') }}
),

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

renamed as (
    select
        response_id,
        survey_type,
        email,
        {{ normalize_email('email') }} as email_normalized,
        phone,
        phone_numbers.phone_e164 as phone_normalized,
        score,
        comment,
        responded_at,
        touchpoint_channel,
        order_id as order_reference,
        ticket_id,
        _source_file,
        _dlt_load_id
    from source
    left join phone_numbers on phone_numbers.phone_raw = source.phone
    qualify row_number() over (partition by response_id order by {{ newest_first() }}) = 1
)

select
    *,
    {{ batch_column() }}
from renamed
