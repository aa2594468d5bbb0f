-- One row per web or app session of the clickstream, with how it started, what happened and whether
-- it ended in a purchase.
-- Incremental (docs/incremental.md): a run recomputes the sessions that got an event (a late one too),
-- whose customer key changed, whose purchase now names another order the web shop knows, or whose
-- campaign the UTM campaign names changed.
{{ config(materialized='incremental', unique_key='session_id', spark_partition_month_of='started_at') }}

with

web_orders as (
    select order_id from {{ ref('stg_webshop__orders') }}
),

campaigns as (
    {{ campaigns_by_utm_campaign() }}
),

-- the first purchase of each session that names an order the web shop knows (of every session: an
-- incremental run compares them with the order each session has)
purchases as (
    select
        events.session_id,
        {{ first_by("events.order_id", "events.event_at") }} as order_id
    from {{ ref('stg_events__events') }} as events
    inner join web_orders on web_orders.order_id = events.order_id
    where events.event_name = 'purchase' and events.session_id is not null
    group by events.session_id
),

{% if is_incremental() %}
    affected as (
        select session_id from {{ ref('stg_events__events') }} as events
        where {{ changed_since_last_run('events') }} and session_id is not null
        union
        select record_id from {{ ref('int_identity__record_keys') }} as keys
        where keys.record_type = 'web_session' and {{ changed_since_last_run('keys') }}
        union
        select coalesce(previous.session_id, purchases.session_id) from {{ this }} as previous
        full join purchases on purchases.session_id = previous.session_id
        where previous.order_key is distinct from
            {{ surrogate_key(["'webshop'", "purchases.order_id"]) }}
            and (previous.session_id is not null or purchases.session_id is not null)
        union
        select previous.session_id from {{ this }} as previous
        left join campaigns on campaigns.utm_campaign = previous.utm_campaign
        where previous.campaign_id is distinct from campaigns.campaign_id
    ),
{% endif %}

events as (
    select * from {{ ref('stg_events__events') }}
    where session_id is not null
    {% if is_incremental() %}
        and session_id in (select session_id from affected)
    {% endif %}
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
    where record_type = 'web_session'
),

sessions as (
    select
        session_id,
        {{ first_by("platform", "event_at") }} as platform,
        {{ first_by("device_category", "event_at") }} as device_category,
        {{ first_by("geo_city", "event_at") }} as geo_city,
        {{ first_by("page_url", "event_at") }} as landing_page_url,
        {{ first_by("page_referrer", "event_at") }} as landing_referrer,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        count(*) as event_count,
        count(case when event_name = 'page_view' then 1 end) as page_view_count,
        count(case when event_name = 'product_view' then 1 end) as product_view_count,
        count(case when event_name = 'add_to_cart' then 1 end) as add_to_cart_count,
        count(case when event_name = 'begin_checkout' then 1 end) > 0 as has_begun_checkout,
        count(case when event_name = 'purchase' then 1 end) as purchase_count,
        count(case when event_name = 'push_open' then 1 end) > 0 as has_push_open,
        -- the UTM set of the first event that carries one (normally the landing page view)
        {{ first_by('utm_source', 'case when utm_source is not null or utm_campaign is not null then event_at end') }}
            as utm_source,
        {{ first_by('utm_medium', 'case when utm_source is not null or utm_campaign is not null then event_at end') }}
            as utm_medium,
        {{ first_by('utm_campaign', 'case when utm_source is not null or utm_campaign is not null then event_at end') }}
            as utm_campaign,
        count(click_id) > 0 as has_ad_click,
        count(customer_id) > 0 as is_logged_in
    from events
    group by session_id
),

classified as (
    select
        *,
        case
            when has_ad_click or lower(utm_medium) in ('cpc', 'ppc', 'paid', 'paid_social', 'display')
                then case
                    when lower(utm_source) in ('facebook', 'instagram', 'meta', 'tiktok') then 'paid_social'
                    else 'paid_search'
                end
            when lower(utm_medium) = 'email' then 'email'
            when lower(utm_medium) = 'sms' then 'sms'
            when lower(utm_medium) = 'push' or has_push_open then 'push'
            when lower(utm_medium) = 'social' then 'organic_social'
            when utm_source is not null and lower(utm_source) <> 'direct' then 'other_campaign'
            when {{ regex_matches(
                'landing_referrer', "'^https?://([a-z0-9-]+\\.)*(google|bing|duckduckgo|yahoo)\\.'"
            ) }}
                then 'organic_search'
            when landing_referrer is not null then 'referral'
            else 'direct'
        end as traffic_source
    from sessions
),

final as (
    select
        classified.session_id,
        record_keys.customer_key,
        record_keys.anonymous_id,
        classified.platform,
        classified.device_category,
        classified.started_at,
        classified.ended_at,
        {{ local_date('classified.started_at') }} as session_date,
        cast({{ date_difference('second', "classified.started_at", "classified.ended_at") }} as integer)
            as duration_seconds,
        cast(classified.event_count as integer) as event_count,
        cast(classified.page_view_count as integer) as page_view_count,
        cast(classified.product_view_count as integer) as product_view_count,
        cast(classified.add_to_cart_count as integer) as add_to_cart_count,
        classified.add_to_cart_count > 0 as has_added_to_cart,
        classified.has_begun_checkout,
        classified.purchase_count > 0 as has_purchased,
        {{ surrogate_key(["'webshop'", "purchases.order_id"]) }} as order_key,
        classified.utm_source,
        classified.utm_medium,
        classified.utm_campaign,
        campaigns.campaign_id,
        classified.has_ad_click,
        classified.traffic_source,
        -- UTM parameters have their own columns; the landing page is the URL without the query
        {{ regex_replace_first('classified.landing_page_url', '[?#].*$', '') }} as landing_page,
        classified.geo_city,
        classified.is_logged_in,
        {{ batch_column() }}
    from classified
    left join purchases on purchases.session_id = classified.session_id
    left join campaigns on campaigns.utm_campaign = classified.utm_campaign
    left join record_keys on record_keys.record_id = classified.session_id
)

select * from final
