-- The most travelled paths to a purchase: journeys (journey_paths, leaving out open ones) grouped by their
-- sequence of channels (repeats collapsed), the var('journey_top_paths', 50) paths with the most
-- conversions, with how often the same path ended without an order.
with

journeys as (
    select * from {{ ref('journey_paths') }}
    where journey_status <> 'open'
),

summed as (
    select
        channel_path,
        any_value(channel_count) as channel_count,
        {{ journey_outcomes() }},
        count(case when is_cross_channel then 1 end) as cross_channel_conversion_count
    from journeys
    group by channel_path
),

ranked as (
    select
        *,
        row_number() over (order by converted_journey_count desc, journey_count desc, channel_path asc) as path_rank,
        converted_journey_count / sum(converted_journey_count) over () as share_of_conversions
    from summed
),

final as (
    select
        cast(path_rank as integer) as path_rank,
        channel_path,
        cast({{ count_parts('channel_path', ' > ') }} as integer) as path_length,
        cast(channel_count as integer) as channel_count,
        cast(journey_count as integer) as journey_count,
        cast(converted_journey_count as integer) as converted_journey_count,
        -- a direct journey is an order with no step: it has no unconverted counterpart
        cast(case when channel_path <> 'direct' then converted_journey_count / journey_count end as double)
            as conversion_rate,
        cast(share_of_conversions as double) as share_of_conversions,
        {{ pln('coalesce(revenue_pln, 0)') }} as revenue_pln,
        cast(avg_touchpoints_per_conversion as double) as avg_touchpoints_per_conversion,
        cast(cross_channel_conversion_count as integer) as cross_channel_conversion_count
    from ranked
    where path_rank <= {{ var('journey_top_paths', 50) }}
)

select * from final
