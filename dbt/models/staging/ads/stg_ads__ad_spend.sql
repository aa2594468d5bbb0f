with

source as (
    select * from {{ source('ads', 'ad_spend') }}
),

renamed as (
    select
        {{ date_text("date") }} || ':' || platform || ':' || campaign_id as ad_spend_key,
        date as spend_date,
        platform as ad_platform,
        account_id,
        campaign_id,
        campaign_name,
        utm_campaign,
        coalesce(impressions, 0) as impressions,
        coalesce(clicks, 0) as clicks,
        {{ pln('coalesce(cost_pln, 0)') }} as cost_pln
    from source
    qualify row_number() over (partition by date, platform, campaign_id order by {{ newest_first() }}) = 1
)

select * from renamed
