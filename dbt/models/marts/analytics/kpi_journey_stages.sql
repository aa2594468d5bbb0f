-- The five journey stages (awareness, consideration, purchase, retention, advocacy) with their metrics
-- over the whole period, as a long table: one row per (stage, metric, dimension, dimension value).
-- Reviews and referrals have no source yet, so advocacy has the promoter share only.
{%- set stage_metrics = [
    {'stage': 'awareness', 'metric': 'message_reach', 'base': 'messages', 'numerator': 'count(distinct case when deliveries > 0 then customer_key end)', 'denominator': 'null', 'value': 'numerator', 'dims': ['channel', 'lifecycle_stage', 'value_tier', 'customer_group', 'city']},
    {'stage': 'awareness', 'metric': 'message_open_rate', 'base': 'messages', 'numerator': 'coalesce(sum(opens), 0)', 'denominator': 'coalesce(sum(case when tracks_opens then deliveries end), 0)', 'value': 'ratio', 'dims': ['channel', 'lifecycle_stage', 'value_tier', 'customer_group', 'city']},
    {'stage': 'awareness', 'metric': 'message_click_through_rate', 'base': 'messages', 'numerator': 'coalesce(sum(clicks), 0)', 'denominator': 'coalesce(sum(case when tracks_clicks then deliveries end), 0)', 'value': 'ratio', 'dims': ['channel', 'lifecycle_stage', 'value_tier', 'customer_group', 'city']},
    {'stage': 'awareness', 'metric': 'ad_impressions', 'base': 'ads', 'numerator': 'sum(impressions)', 'denominator': 'null', 'value': 'numerator', 'dims': ['channel']},
    {'stage': 'awareness', 'metric': 'ad_click_through_rate', 'base': 'ads', 'numerator': 'sum(clicks)', 'denominator': 'sum(impressions)', 'value': 'ratio', 'dims': ['channel']},
    {'stage': 'consideration', 'metric': 'sessions', 'base': 'sessions', 'numerator': 'count(*)', 'denominator': 'null', 'value': 'numerator', 'dims': ['channel', 'device_category', 'traffic_source', 'city', 'lifecycle_stage', 'value_tier', 'customer_group']},
    {'stage': 'consideration', 'metric': 'avg_time_on_site_seconds', 'base': 'sessions', 'numerator': 'sum(duration_seconds)', 'denominator': 'count(*)', 'value': 'ratio', 'dims': ['channel', 'device_category', 'traffic_source', 'city', 'lifecycle_stage', 'value_tier', 'customer_group']},
    {'stage': 'consideration', 'metric': 'cart_abandonment_rate', 'base': 'sessions', 'numerator': 'count(case when has_added_to_cart and not has_purchased then 1 end)', 'denominator': 'count(case when has_added_to_cart then 1 end)', 'value': 'ratio', 'dims': ['channel', 'device_category', 'traffic_source', 'city', 'lifecycle_stage', 'value_tier', 'customer_group']},
    {'stage': 'purchase', 'metric': 'session_conversion_rate', 'base': 'sessions', 'numerator': 'count(case when has_purchased then 1 end)', 'denominator': 'count(*)', 'value': 'ratio', 'dims': ['channel', 'device_category', 'traffic_source', 'city', 'lifecycle_stage', 'value_tier', 'customer_group']},
    {'stage': 'purchase', 'metric': 'orders', 'base': 'orders', 'numerator': 'count(*)', 'denominator': 'null', 'value': 'numerator', 'dims': ['channel', 'city', 'lifecycle_stage', 'value_tier', 'customer_group']},
    {'stage': 'purchase', 'metric': 'aov_pln', 'base': 'orders', 'numerator': 'sum(order_total_pln)', 'denominator': 'count(*)', 'value': 'ratio', 'dims': ['channel', 'city', 'lifecycle_stage', 'value_tier', 'customer_group']},
    {'stage': 'retention', 'metric': 'repeat_rate', 'base': 'buyers', 'numerator': 'count(case when order_count >= 2 then 1 end)', 'denominator': 'count(*)', 'value': 'ratio', 'dims': ['channel', 'city', 'lifecycle_stage', 'value_tier', 'customer_group']},
    {'stage': 'retention', 'metric': 'nps', 'base': 'nps', 'numerator': 'count(case when score >= 9 then 1 end) - count(case when score <= 6 then 1 end)', 'denominator': 'count(*)', 'value': 'percent', 'dims': ['channel', 'city', 'lifecycle_stage', 'value_tier', 'customer_group']},
    {'stage': 'retention', 'metric': 'csat_avg', 'base': 'csat', 'numerator': 'sum(csat_score)', 'denominator': 'count(*)', 'value': 'ratio', 'dims': ['channel', 'city', 'lifecycle_stage', 'value_tier', 'customer_group']},
    {'stage': 'advocacy', 'metric': 'promoter_share', 'base': 'nps', 'numerator': 'count(case when score >= 9 then 1 end)', 'denominator': 'count(*)', 'value': 'ratio', 'dims': ['channel', 'city', 'lifecycle_stage', 'value_tier', 'customer_group']},
] %}
{%- set not_tracked = var('message_events_not_tracked', {'sms': ['open']}) %}
with

segments as (
    select
        customer_key,
        lifecycle_stage,
        value_tier,
        customer_group,
        preferred_channel
    from {{ ref('customer_segments') }}
),

customers as (
    select
        customer_key,
        city
    from {{ ref('dim_customers') }}
),

-- the segment columns of a customer; a record with no customer is `anonymous`
{%- set customer_columns %}
        coalesce(segments.lifecycle_stage, 'anonymous') as lifecycle_stage,
        coalesce(segments.value_tier, 'anonymous') as value_tier,
        coalesce(segments.customer_group, 'anonymous') as customer_group
    from __rows__
    left join segments on segments.customer_key = __rows__.customer_key
    left join customers on customers.customer_key = __rows__.customer_key
{%- endset %}

-- message events counted per customer and channel first (a few rows per customer instead of one per
-- event), then cut by the customer's segments; the anonymous events form one row per channel. Every
-- message event type is kept (bounces too): a dimension value with messages but no delivery still has
-- its row, with zero deliveries
message_rows as (
    select
        channel,
        customer_key,
        count(case when touchpoint_type = 'message_delivery' then 1 end) as deliveries,
        count(case when touchpoint_type = 'message_open' then 1 end) as opens,
        count(case when touchpoint_type = 'message_click' then 1 end) as clicks
    from {{ ref('fct_touchpoints') }}
    where touchpoint_type like 'message!_%' escape '!'
    group by channel, customer_key
),

messages as (
    select
        message_rows.channel,
        message_rows.customer_key,
        message_rows.deliveries,
        message_rows.opens,
        message_rows.clicks,
        -- a rate over an event the channel's platform does not report (SMS opens) counts only the
        -- deliveries of channels that report it: null for such a channel alone, not 0
        true
        {%- for channel, events in not_tracked.items() if 'open' in events %}
        and message_rows.channel <> '{{ channel }}'
        {%- endfor %} as tracks_opens,
        true
        {%- for channel, events in not_tracked.items() if 'click' in events %}
            and message_rows.channel <> '{{ channel }}'
        {%- endfor %} as tracks_clicks,
        coalesce(customers.city, 'unknown') as city,
        {{ customer_columns | replace('__rows__', 'message_rows') }}
),

ads as (
    select
        'ads' as channel,
        impressions,
        clicks
    from {{ ref('stg_ads__ad_spend') }}
),

session_rows as (
    select * from {{ ref('fct_sessions') }}
),

sessions as (
    select
        session_rows.platform as channel,
        coalesce(session_rows.device_category, 'unknown') as device_category,
        session_rows.traffic_source,
        coalesce(session_rows.geo_city, 'unknown') as city,
        session_rows.duration_seconds,
        session_rows.has_added_to_cart,
        session_rows.has_purchased,
        {{ customer_columns | replace('__rows__', 'session_rows') }}
),

order_rows as (
    select * from {{ ref('fct_orders') }}
),

orders as (
    select
        order_rows.ordering_channel as channel,
        order_rows.order_total_pln,
        coalesce(customers.city, 'unknown') as city,
        {{ customer_columns | replace('__rows__', 'order_rows') }}
),

buyer_rows as (
    select
        customer_key,
        order_count,
        preferred_channel
    from {{ ref('customer_segments') }}
    where order_count > 0
),

buyers as (
    select
        buyer_rows.preferred_channel as channel,
        buyer_rows.order_count,
        coalesce(customers.city, 'unknown') as city,
        {{ customer_columns | replace('__rows__', 'buyer_rows') }}
),

nps_rows as (
    select
        responses.score,
        responses.touchpoint_channel,
        touchpoints.customer_key
    from {{ ref('stg_surveys__responses') }} as responses
    left join {{ ref('fct_touchpoints') }} as touchpoints
        on touchpoints.source_record_type = 'survey_response' and touchpoints.source_record_id = responses.response_id
    where responses.survey_type = 'NPS' and responses.score is not null
),

nps as (
    select
        coalesce(nps_rows.touchpoint_channel, 'unknown') as channel,
        nps_rows.score,
        coalesce(customers.city, 'unknown') as city,
        {{ customer_columns | replace('__rows__', 'nps_rows') }}
),

csat_rows as (
    select
        tickets.csat_score,
        case tickets.ticket_channel
            when 'phone' then 'call_center' when 'messenger' then 'social' else tickets.ticket_channel
        end
            as ticket_channel,
        touchpoints.customer_key
    from {{ ref('stg_helpdesk__tickets') }} as tickets
    left join {{ ref('fct_touchpoints') }} as touchpoints
        on
            touchpoints.source_record_type = 'helpdesk_ticket'
            and touchpoints.source_record_id = cast(tickets.ticket_id as string)
    where tickets.is_solved and tickets.csat_score is not null
),

csat as (
    select
        csat_rows.ticket_channel as channel,
        csat_rows.csat_score,
        coalesce(customers.city, 'unknown') as city,
        {{ customer_columns | replace('__rows__', 'csat_rows') }}
),

unioned as (
    {%- set ns = namespace(first=true) %}
    {%- for m in stage_metrics %}
    {%- for dimension in ['all'] + m['dims'] %}
    {% if not ns.first %}union all{% endif %}{% set ns.first = false %}
    select
        '{{ m["stage"] }}' as journey_stage,
        '{{ m["metric"] }}' as metric,
        '{{ dimension }}' as dimension_name,
        {% if dimension == 'all' %}'all'{% else %}coalesce(cast({{ dimension }} as string), 'unknown'){% endif %}
            as dimension_value,
        {#- a metric whose channel source is off (omni.toml) is NULL, not zero -#}
        {%- set needs = {'messages': 'marketing', 'ads': 'ads', 'sessions': 'events', 'nps': 'surveys',
                          'csat': 'helpdesk'}.get(m["base"]) %}
        cast({{ if_source_on(needs, m["numerator"]) if needs else m["numerator"] }} as double) as numerator,
        cast({{ if_source_on(needs, m["denominator"]) if needs else m["denominator"] }} as double) as denominator,
        '{{ m["value"] }}' as value_kind
    from {{ m["base"] }}
    {% if dimension != 'all' %}group by {{ dimension }}{% endif %}
    {%- endfor %}
    {%- endfor %}
),

final as (
    select
        journey_stage,
        case journey_stage
            when 'awareness' then 1 when 'consideration' then 2 when 'purchase' then 3
            when 'retention' then 4 when 'advocacy' then 5
        end as journey_stage_order,
        metric,
        dimension_name,
        dimension_value,
        numerator,
        denominator,
        case value_kind
            when 'numerator' then numerator
            when 'percent' then cast(100 as double) * numerator / nullif(denominator, 0)
            else numerator / nullif(denominator, 0)
        end as metric_value
    from unioned
)

select * from final
