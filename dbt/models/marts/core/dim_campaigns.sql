-- Campaigns, one row each: the marketing platform's register (e-mail, SMS, push and the ad platforms'
-- campaigns), plus any campaign that only the ad platforms or the message events name, with ad spend.
with

campaigns as (
    select * from {{ ref('stg_marketing__campaigns') }}
),

ad_spend as (
    select * from {{ ref('stg_ads__ad_spend') }}
),

ad_clicks as (
    select * from {{ ref('stg_ads__ad_clicks') }}
),

message_events as (
    select * from {{ ref('stg_marketing__message_events') }}
),

-- campaigns named by the ad platforms or the message events but missing from the register
unregistered as (
    select
        campaign_id,
        any_value(campaign_name) as campaign_name,
        any_value(channel) as channel,
        any_value(ad_platform) as ad_platform,
        any_value(utm_campaign) as utm_campaign
    from (
        select
            campaign_id,
            campaign_name,
            'ads' as channel,
            ad_platform,
            utm_campaign
        from ad_spend
        union all
        select
            campaign_id,
            null,
            'ads',
            ad_platform,
            null
        from ad_clicks
        union all
        select
            campaign_id,
            null,
            message_channel,
            null,
            null
        from message_events
    ) as named
    where
        campaign_id is not null
        and campaign_id not in (select campaign_id from campaigns)
    group by campaign_id
),

all_campaigns as (
    select
        campaign_id,
        campaign_name,
        campaign_channel as channel,
        campaign_purpose,
        ad_platform,
        start_date,
        end_date,
        coupon_code,
        utm_campaign,
        true as is_registered
    from campaigns
    union all
    select
        campaign_id,
        campaign_name,
        channel,
        null as campaign_purpose,
        ad_platform,
        null as start_date,
        null as end_date,
        null as coupon_code,
        utm_campaign,
        false as is_registered
    from unregistered
),

spend as (
    select
        campaign_id,
        {{ pln('sum(cost_pln)') }} as ad_spend_pln,
        sum(impressions) as ad_impressions,
        sum(clicks) as ad_clicks,
        min(spend_date) as first_spend_date,
        max(spend_date) as last_spend_date
    from ad_spend
    group by campaign_id
),

final as (
    select
        all_campaigns.campaign_id,
        all_campaigns.campaign_name,
        all_campaigns.channel,
        all_campaigns.campaign_purpose,
        all_campaigns.ad_platform,
        cast(all_campaigns.start_date as date) as start_date,
        cast(all_campaigns.end_date as date) as end_date,
        all_campaigns.coupon_code,
        all_campaigns.utm_campaign,
        all_campaigns.is_registered,
        spend.campaign_id is not null as has_ad_spend,
        coalesce(spend.ad_spend_pln, {{ pln('0') }}) as ad_spend_pln,
        cast(coalesce(spend.ad_impressions, 0) as bigint) as ad_impressions,
        cast(coalesce(spend.ad_clicks, 0) as bigint) as ad_clicks,
        cast(spend.first_spend_date as date) as first_spend_date,
        cast(spend.last_spend_date as date) as last_spend_date
    from all_campaigns
    left join spend on spend.campaign_id = all_campaigns.campaign_id
)

select * from final
