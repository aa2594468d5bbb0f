-- Where journeys that did not convert stopped: not-converted journeys (journey_paths) grouped by their last
-- step's channel and type. A journey whose last step is a till receipt ended with a purchase or a pick-up
-- and no further order within the window (`is_after_purchase`): not a lost sale, a customer not back yet.
with

journeys as (
    select * from {{ ref('journey_paths') }}
    where journey_status = 'not_converted'
),

final as (
    select
        last_channel,
        last_step_type,
        last_step_type in ('store_purchase', 'store_pickup', 'store_return') as is_after_purchase,
        cast(count(*) as integer) as journey_count,
        cast(count(*) / sum(count(*)) over () as double) as share_of_unconverted_journeys,
        cast(avg(touchpoint_count) as double) as avg_touchpoint_count,
        cast(count(case when touchpoint_count = 1 then 1 end) as integer) as single_step_journey_count
    from journeys
    group by last_channel, last_step_type
)

select * from final
