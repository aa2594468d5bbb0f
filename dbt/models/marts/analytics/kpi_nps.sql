-- NPS overall, per touchpoint channel and per customer segment: % promoters (9-10) minus % detractors
-- (0-6) over the answers to NPS surveys. A long table: one row per (dimension, value).
with

responses as (
    select * from {{ ref('stg_surveys__responses') }}
    where survey_type = 'NPS' and score is not null
),

respondents as (
    select
        source_record_id as response_id,
        customer_key
    from {{ ref('fct_touchpoints') }}
    where source_record_type = 'survey_response'
),

segments as (
    select * from {{ ref('customer_segments') }}
),

scored as (
    select
        responses.response_id,
        responses.score,
        coalesce(responses.touchpoint_channel, 'unknown') as touchpoint_channel,
        coalesce(segments.lifecycle_stage, 'unknown_customer') as lifecycle_stage,
        coalesce(segments.value_tier, 'unknown_customer') as value_tier,
        coalesce(segments.rfm_segment, 'unknown_customer') as rfm_segment,
        coalesce(segments.customer_group, 'unknown_customer') as customer_group
    from responses
    left join respondents on respondents.response_id = responses.response_id
    left join segments on segments.customer_key = respondents.customer_key
),

dimensioned as (
    {%- set dimensions = ['touchpoint_channel', 'lifecycle_stage', 'value_tier', 'rfm_segment', 'customer_group'] %}
    select
        'overall' as dimension_name,
        'all' as dimension_value,
        score
    from scored
    {%- for dimension in dimensions %}
    union all
    select
        '{{ dimension }}',
        {{ dimension }},
        score
    from scored
    {%- endfor %}
),

counted as (
    select
        dimension_name,
        dimension_value,
        count(*) as response_count,
        count(case when score >= 9 then 1 end) as promoter_count,
        count(case when score between 7 and 8 then 1 end) as passive_count,
        count(case when score <= 6 then 1 end) as detractor_count,
        avg(score) as avg_score
    from dimensioned
    group by dimension_name, dimension_value
),

final as (
    select
        dimension_name,
        dimension_value,
        response_count,
        promoter_count,
        passive_count,
        detractor_count,
        cast(promoter_count / response_count as double) as promoter_share,
        cast(detractor_count / response_count as double) as detractor_share,
        cast(100 as double) * (promoter_count - detractor_count) / response_count as nps,
        cast(avg_score as double) as avg_score
    from counted
)

select * from final
