-- Which sets of channels convert: journeys (journey_paths, leaving out open ones) grouped by the set of
-- channels on their path, converted against not converted.
with

journeys as (
    select * from {{ ref('journey_paths') }}
    where journey_status <> 'open'
),

summed as (
    select
        channel_combination,
        any_value(channel_count) as channel_count,
        {{ journey_outcomes() }},
        count(*) >= {{ var('journey_min_journeys', 20) }} and channel_combination <> 'direct' as is_ranked_by_rate
    from journeys
    group by channel_combination
),

final as (
    select
        channel_combination,
        cast(channel_count as integer) as channel_count,
        channel_count >= 2 as is_multichannel,
        cast(journey_count as integer) as journey_count,
        cast(converted_journey_count as integer) as converted_journey_count,
        -- a direct journey is an order with no step: it has no unconverted counterpart
        cast(case when channel_combination <> 'direct' then converted_journey_count / journey_count end as double)
            as conversion_rate,
        cast(converted_journey_count / sum(converted_journey_count) over () as double) as share_of_conversions,
        {{ pln('coalesce(revenue_pln, 0)') }} as revenue_pln,
        cast(avg_touchpoints_per_conversion as double) as avg_touchpoints_per_conversion,
        cast(rank() over (order by converted_journey_count desc) as integer) as rank_by_conversions,
        -- the rate of a rare combination says little: ranked only from var('journey_min_journeys') journeys
        cast(case when is_ranked_by_rate then rank() over (
            partition by is_ranked_by_rate order by converted_journey_count / journey_count desc
        ) end as integer) as rank_by_conversion_rate
    from summed
)

select * from final
