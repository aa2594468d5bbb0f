-- Incremental (docs/incremental.md): a run rereads every raw version of the events that came in loads
-- newer than what the table holds, so a re-delivered or late event is decided as a full build decides it.
{{ config(materialized='incremental', unique_key='event_id', spark_partition_month_of='event_at') }}

with

source as (
    {{ new_versions_of(source('events', 'events'), 'event_id') }}
),

renamed as (
    select
        event_id,
        event_name,
        event_at,
        received_at,
        coalesce(received_at - event_at > interval 1 day, false) as is_late,
        platform,
        session_id,
        {{ normalize_token("cookie_id") }} as cookie_id,
        {{ normalize_token("device_id") }} as device_id,
        try_cast(user_id as bigint) as customer_id,
        page_url,
        page_referrer,
        product_sku as sku,
        try_cast(order_id as bigint) as order_id,
        utm_source,
        utm_medium,
        utm_campaign,
        click_id,
        device_category,
        geo_city,
        {{ optional_column(source('events', 'events'), 'app_version') }},
        _source_file,
        _dlt_load_id,
        {{ batch_column() }}
    from source
    qualify row_number() over (partition by event_id order by {{ newest_first('received_at') }}) = 1
)

select * from renamed
