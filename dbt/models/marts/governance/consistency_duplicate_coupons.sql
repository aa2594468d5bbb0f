-- The same coupon sent to one customer through two or more channels (the newsletter code that
-- arrives again by SMS): one row per (customer, coupon). Customers are stitched profiles, so an e-mail
-- and a phone of the same person count as one recipient.
with

recipients as (
    select * from {{ ref('int_governance__coupon_sends') }}
)

select
    md5(profile_key || ':' || coupon_code) as duplicate_coupon_key,
    any_value(customer_key) as customer_key,
    profile_key,
    coupon_code,
    list(distinct campaign_id order by campaign_id) as campaign_ids,
    list(distinct message_channel order by message_channel) as channels,
    count(distinct message_channel) as channel_count,
    count(*) as send_count,
    min(event_at) as first_sent_at,
    max(event_at) as last_sent_at
from recipients
group by profile_key, coupon_code
having count(distinct message_channel) > 1
