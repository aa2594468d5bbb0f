-- The same coupon sent to one customer through two or more channels (the newsletter code that
-- arrives again by SMS): one row per (customer, coupon). Customers are stitched profiles, so an e-mail
-- and a phone of the same person count as one recipient.
with

recipients as (
    select * from {{ ref('int_governance__coupon_sends') }}
)

select
    {{ surrogate_key(["profile_key", "coupon_code"]) }} as duplicate_coupon_key,
    any_value(customer_key) as customer_key,
    profile_key,
    coupon_code,
    {{ aggregate_list("campaign_id", order_by="campaign_id", distinct=true) }} as campaign_ids,
    {{ aggregate_list("message_channel", order_by="message_channel", distinct=true) }} as channels,
    count(distinct message_channel) as channel_count,
    count(*) as send_count,
    min(event_at) as first_sent_at,
    max(event_at) as last_sent_at
from recipients
group by profile_key, coupon_code
having count(distinct message_channel) > 1
