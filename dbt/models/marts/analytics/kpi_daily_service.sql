-- Daily customer service KPIs per contact channel: tickets, first response time, handling time,
-- first-contact resolution and CSAT. Sums are kept beside the averages so periods can be re-aggregated.
with

tickets as (
    select * from {{ ref('stg_helpdesk__tickets') }}
),

classified as (
    select
        {{ local_date('created_at') }} as date_day,
        -- the vocabulary of dim_channels, as fct_touchpoints maps it
        case ticket_channel
            when 'phone' then 'call_center'
            when 'messenger' then 'social'
            else ticket_channel
        end as channel,
        {{ date_difference('second', "created_at", "first_response_at") }} / cast(60 as double)
            as first_response_minutes,
        case when is_solved then {{ date_difference('second', "created_at", "solved_at") }} / cast(3600 as double) end
            as handling_hours,
        is_solved,
        is_solved and contact_count = 1 as is_first_contact_resolution,
        case when is_solved then csat_score end as csat_score
    from tickets
),

final as (
    select
        date_day,
        channel,
        count(*) as ticket_count,
        count(first_response_minutes) as responded_ticket_count,
        cast(sum(first_response_minutes) as double) as total_first_response_minutes,
        cast(avg(first_response_minutes) as double) as avg_first_response_minutes,
        count(case when is_solved then 1 end) as solved_ticket_count,
        cast(sum(handling_hours) as double) as total_handling_hours,
        cast(avg(handling_hours) as double) as avg_handling_hours,
        count(case when is_first_contact_resolution then 1 end) as first_contact_resolution_count,
        cast(count(case when is_first_contact_resolution then 1 end) / count(*) as double)
            as first_contact_resolution_rate,
        count(csat_score) as csat_response_count,
        cast(sum(csat_score) as bigint) as csat_score_sum,
        cast(avg(csat_score) as double) as csat_avg
    from classified
    group by date_day, channel
)

select * from final
