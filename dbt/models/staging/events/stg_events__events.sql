with

source as (
    select * from {{ source('events', 'events') }}
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
        _source_file
    from source
    qualify row_number() over (partition by event_id order by {{ newest_first('received_at') }}) = 1
)

select * from renamed
