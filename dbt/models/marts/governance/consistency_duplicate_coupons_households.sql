-- The duplicate-coupon check at household level: the same coupon sent to one household through two or
-- more channels (the newsletter code e-mailed to one parent and texted to the family phone). One row per
-- (household, coupon). A send belongs to the household of its recipient's profile
-- (int_identity__record_keys.household_key, dim_households); an SMS to a family phone, which identity
-- stitching cannot give to one person, still belongs to the family's household.
with

recipients as (
    select * from {{ ref('int_governance__coupon_sends') }}
)

select
    {{ surrogate_key(["household_key", "coupon_code"]) }} as household_duplicate_coupon_key,
    household_key,
    coupon_code,
    {{ aggregate_list("campaign_id", order_by="campaign_id", distinct=true) }} as campaign_ids,
    {{ aggregate_list("message_channel", order_by="message_channel", distinct=true) }} as channels,
    count(distinct message_channel) as channel_count,
    count(distinct profile_key) as recipient_profiles,
    count(*) as send_count,
    min(event_at) as first_sent_at,
    max(event_at) as last_sent_at
from recipients
group by household_key, coupon_code
having count(distinct message_channel) > 1
