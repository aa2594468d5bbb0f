-- Conversions and revenue credited to each channel and campaign under each attribution model: the sum of
-- attribution_credits. Within a model, conversions add up to the number of orders and revenue to their
-- total (to the cent per order: each step's revenue is rounded). A visit that landed with a campaign's utm but
-- that the campaign never reached is credited to its channel without the campaign: untracked.
with

credits as (
    select * from {{ ref('attribution_credits') }}
),

campaigns as (
    select
        campaign_id,
        campaign_name
    from {{ ref('dim_campaigns') }}
),

summed as (
    select
        attribution_model,
        channel,
        campaign_id,
        sum(credit) as attributed_conversions,
        sum(attributed_revenue_pln) as attributed_revenue_pln,
        count(distinct order_key) as orders_touched,
        count(*) as step_count,
        sum(case when untracked_campaign_id is not null then credit else 0 end) as untracked_campaign_conversions,
        sum(case when untracked_campaign_id is not null then attributed_revenue_pln else 0 end)
            as untracked_campaign_revenue_pln
    from credits
    group by attribution_model, channel, campaign_id
),

final as (
    select
        {{ surrogate_key(["summed.attribution_model", "summed.channel", "coalesce(summed.campaign_id, '')"]) }}
            as attribution_summary_key,
        summed.attribution_model,
        summed.channel,
        summed.campaign_id,
        campaigns.campaign_name,
        cast(summed.attributed_conversions as double) as attributed_conversions,
        cast(
            summed.attributed_conversions
            / sum(summed.attributed_conversions) over (partition by summed.attribution_model)
            as double
        ) as share_of_conversions,
        {{ pln('summed.attributed_revenue_pln') }} as attributed_revenue_pln,
        cast(
            cast(summed.attributed_revenue_pln as double)
            / nullif(sum(summed.attributed_revenue_pln) over (partition by summed.attribution_model), 0)
            as double
        ) as share_of_revenue,
        cast(summed.orders_touched as integer) as orders_touched,
        cast(summed.step_count as integer) as step_count,
        cast(summed.untracked_campaign_conversions as double) as untracked_campaign_conversions,
        {{ pln('summed.untracked_campaign_revenue_pln') }} as untracked_campaign_revenue_pln
    from summed
    left join campaigns on campaigns.campaign_id = summed.campaign_id
)

select * from final
