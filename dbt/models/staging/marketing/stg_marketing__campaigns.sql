with

source as (
    select * from {{ source('marketing', 'campaigns') }}
),

renamed as (
    select
        campaign_id,
        name as campaign_name,
        channel as campaign_channel,
        purpose as campaign_purpose,
        start_date,
        end_date,
        nullif(coupon_code, '') as coupon_code,
        utm_campaign,
        ad_platform
    from source
    qualify row_number() over (partition by campaign_id order by {{ newest_first() }}) = 1
)

select * from renamed
