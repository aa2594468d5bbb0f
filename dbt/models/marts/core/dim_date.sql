-- One row per calendar day over the data (orders, returns, every touchpoint, clickstream, messages, tickets,
-- surveys) in the retailer's local time zone; ISO week (Monday first).
with

days as (
    select placed_date as day from {{ ref('fct_orders') }}
    union all
    select returned_date from {{ ref('fct_returns') }}
    union all
    select touchpoint_date from {{ ref('fct_touchpoints') }}
    union all
    select {{ local_date('event_at') }} from {{ ref('stg_events__events') }}
    union all
    select {{ local_date('event_at') }} from {{ ref('stg_marketing__message_events') }}
    union all
    select {{ local_date('created_at') }} from {{ ref('stg_helpdesk__tickets') }}
    union all
    select {{ local_date('responded_at') }} from {{ ref('stg_surveys__responses') }}
),

bounds as (
    select
        min(day) as first_day,
        max(day) as last_day
    from days
),

spine as (
    select cast(day_value as date) as date_day
    from (select {{ unnest_list(series('first_day', 'last_day', 'interval 1 day')) }} as day_value from bounds) as days
),

final as (
    select
        date_day,
        cast(year(date_day) as integer) as year,
        cast(quarter(date_day) as integer) as quarter,
        cast(month(date_day) as integer) as month,
        substr({{ date_text("date_day") }}, 1, 7) as year_month,
        cast({{ iso_day_of_week('date_day') }} as integer) as iso_day_of_week,
        cast(weekofyear(date_day) as integer) as iso_week,
        {{ iso_day_of_week('date_day') }} in (6, 7) as is_weekend,
        cast(date_trunc('week', date_day) as date) as week_start_date,
        cast(date_trunc('month', date_day) as date) as month_start_date
    from spine
)

select * from final
