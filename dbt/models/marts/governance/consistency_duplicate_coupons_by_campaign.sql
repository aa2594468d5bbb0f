-- Per campaign: recipients who got the campaign's coupon through two or more channels.
with

duplicates as (
    select * from {{ ref('consistency_duplicate_coupons') }}
),

per_campaign as (
    select
        {{ unnest_list('campaign_ids') }} as campaign_id,
        coupon_code,
        profile_key,
        channels
    from duplicates
)

select
    campaign_id,
    any_value(coupon_code) as coupon_code,
    count(distinct profile_key) as duplicate_recipients,
    count(distinct case when array_contains(channels, 'sms') then profile_key end) as with_sms,
    count(distinct case when array_contains(channels, 'email') then profile_key end) as with_email,
    count(distinct case when array_contains(channels, 'push') then profile_key end) as with_push
from per_campaign
group by campaign_id
