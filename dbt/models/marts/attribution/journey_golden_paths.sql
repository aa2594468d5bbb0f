-- Named journeys worth steering customers into ("golden paths"), how many orders took each and how often
-- the journeys that went through its steps ended in its conversion. A golden path is a regular expression
-- over the channel path of the steps (journey_paths.channel_path, channels in order, repeats collapsed;
-- other channels may come between) and the conversion it ends in (ordering channels, fulfilment).
--   share_of_orders   orders on the path / all orders
--   conversion_rate   orders on the path / journeys (converted or not, open ones left out) whose steps
--                     match the path's steps
with

journeys as (
    select * from {{ ref('journey_paths') }}
    where journey_status <> 'open'
),

golden_paths as (
    select golden_path_values.* from (
        values
        (
            'web_store_online_pickup', 'web browse -> store visit -> online order -> store pick-up',
            'web.* > store', {{ array_of(["'web'", "'app'"]) }}, 'click_and_collect', 1
        ),
        (
            'online_browse_pickup', 'web or app browse -> online order -> store pick-up',
            '(web|app)', {{ array_of(["'web'", "'app'"]) }}, 'click_and_collect', 2
        ),
        (
            'online_browse_store_purchase', 'web or app browse -> store purchase (research online, buy offline)',
            '(web|app)', {{ array_of(["'store'"]) }}, null, 3
        ),
        (
            'app_browse_store_purchase', 'app browse -> store purchase',
            'app', {{ array_of(["'store'"]) }}, null, 4
        ),
        (
            'message_online_order', 'e-mail, SMS or push engagement -> online order',
            '(email|sms|push)', {{ array_of(["'web'", "'app'"]) }}, null, 5
        ),
        (
            'message_store_purchase', 'e-mail, SMS or push engagement -> store purchase',
            '(email|sms|push)', {{ array_of(["'store'"]) }}, null, 6
        ),
        (
            'ad_click_order', 'ad click -> order in any channel',
            'ads', {{ array_of(["'web'", "'app'", "'store'"]) }}, null, 7
        ),
        (
            'store_visit_online_order', 'store visit -> online order (research offline, buy online)',
            'store', {{ array_of(["'web'", "'app'"]) }}, null, 8
        )
    ) as golden_path_values (
        golden_path_id, golden_path_name, steps_pattern, conversion_channels, fulfilment_type, sort_order
    )
),


-- patterns are matched against the distinct paths, far fewer than the journeys
paths as (
    select distinct channel_path from journeys
    where touchpoint_count > 0
),

path_matches as (
    select
        golden_paths.golden_path_id,
        paths.channel_path
    from golden_paths
    inner join paths
        on {{ regex_matches('paths.channel_path', 'golden_paths.steps_pattern') }}
),

matched as (
    select
        golden_paths.golden_path_id,
        journeys.journey_key,
        journeys.is_converted
        and array_contains(golden_paths.conversion_channels, journeys.conversion_channel)
        and (golden_paths.fulfilment_type is null or journeys.fulfilment_type = golden_paths.fulfilment_type)
            as is_on_path,
        journeys.order_total_pln
    from path_matches
    inner join golden_paths on golden_paths.golden_path_id = path_matches.golden_path_id
    inner join journeys on journeys.channel_path = path_matches.channel_path
),

summed as (
    select
        golden_path_id,
        count(*) as journeys_through_steps,
        count(case when is_on_path then 1 end) as order_count,
        sum(case when is_on_path then order_total_pln end) as revenue_pln
    from matched
    group by golden_path_id
),

totals as (
    select
        count(case when is_converted then 1 end) as order_count,
        sum(order_total_pln) as revenue_pln
    from journeys
),

final as (
    select
        golden_paths.golden_path_id,
        golden_paths.golden_path_name,
        golden_paths.steps_pattern,
        cast(golden_paths.conversion_channels as {{ string_array_type() }}) as conversion_channels,
        cast(golden_paths.fulfilment_type as string) as fulfilment_type,
        cast(coalesce(summed.order_count, 0) as integer) as order_count,
        cast(coalesce(summed.order_count, 0) / nullif((select order_count from totals), 0) as double)
            as share_of_orders,
        {{ pln('coalesce(summed.revenue_pln, 0)') }} as revenue_pln,
        cast(coalesce(summed.revenue_pln, 0) / nullif((select revenue_pln from totals), 0) as double)
            as share_of_revenue,
        cast(coalesce(summed.journeys_through_steps, 0) as integer) as journeys_through_steps,
        cast(summed.order_count / nullif(summed.journeys_through_steps, 0) as double) as conversion_rate,
        cast(golden_paths.sort_order as integer) as sort_order
    from golden_paths
    left join summed on summed.golden_path_id = golden_paths.golden_path_id
)

select * from final
