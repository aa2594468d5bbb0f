-- Incremental (docs/incremental.md): a run rereads every raw version of the message events that came in loads
-- newer than what the table holds, so the newest version wins as in a full build.
{{ config(materialized='incremental', unique_key='message_event_id', spark_partition_month_of='event_at') }}

with

source as (
    {{ new_versions_of(source('marketing', 'message_events'), 'event_id') }}
),

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

renamed as (
    select
        event_id as message_event_id,
        event_type,
        event_at,
        campaign_id,
        message_id,
        channel as message_channel,
        email,
        {{ normalize_email('email') }} as email_normalized,
        phone,
        phone_numbers.phone_e164 as phone_normalized,
        {{ normalize_token("device_id") }} as device_id,
        nullif(coupon_code, '') as coupon_code,
        url,
        _source_file,
        _dlt_load_id
    from source
    left join phone_numbers on phone_numbers.phone_raw = source.phone
    qualify row_number() over (partition by event_id order by {{ newest_first() }}) = 1
)

select
    *,
    {{ batch_column() }}
from renamed
