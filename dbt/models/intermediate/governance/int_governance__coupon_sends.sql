-- Every send of a marketing message that carries a coupon, with its recipient as identity stitching
-- sees it: the profile (customer_key, or anonymous_id for a recipient known only by a device or a
-- family phone) and the household. Feeds the duplicate-coupon checks at person and household level.
select
    messages.message_id,
    messages.campaign_id,
    messages.message_channel,
    messages.coupon_code,
    messages.event_at,
    keys.profile_key,
    keys.customer_key,
    keys.household_key
from {{ ref('stg_marketing__message_events') }} as messages
inner join {{ ref('int_identity__record_keys') }} as keys
    on keys.record_type = 'marketing_message' and keys.record_id = messages.message_id
where messages.event_type = 'send' and messages.coupon_code is not null
