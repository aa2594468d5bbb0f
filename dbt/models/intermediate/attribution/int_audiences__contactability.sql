-- Whether and how each known customer can be reached by marketing now, one row per customer and
-- marketing channel (email, sms, push). Shared by every audience (macro audience_contact_plan).
--   consent      marketing consent in force now, from governance's int_consent__current (the newest event of
--                the consent ledger wins, at the same moment a withdrawal wins, an unsubscribe from a
--                message of the channel withdraws). No event: no consent. Events after the as-of moment
--                count: the audience is sent now.
--   cap          messages sent to the customer (every channel) in the last
--                var('audience_frequency_cap_days', 7) days; at var('audience_frequency_cap_messages', 3)
--                or more the customer is capped: one more message would break the cap
--   channel_rank the order a channel is chosen in: most opens and clicks in the last
--                var('audience_engagement_days', 90) days first, then the fixed priority
--                email, push, sms (cheapest first)
with

-- every known customer (the customers of dim_customers): a customer_key some source record carries
customers as (
    select distinct customer_key from {{ ref('int_identity__record_keys') }}
    where customer_key is not null
),

touchpoints as (
    select * from {{ ref('int_core__touchpoints') }}
    where customer_key is not null
),

as_of as (
    select {{ audience_as_of(ref('int_core__touchpoints')) }} as as_of_at
),

channels (channel, channel_priority) as (
    values ('email', 1), ('push', 2), ('sms', 3)
),

-- consent is never as of a past moment: an audience is sent now, so a withdrawal that arrived after
-- the as-of moment counts too
consent as (
    select
        customer_key,
        channel,
        is_granted as has_consent,
        status_since as consent_changed_at
    from {{ ref('int_consent__current') }}
    where purpose = 'marketing'
),

sends as (
    select
        customer_key,
        count(*) as messages_sent_in_cap_window
    from touchpoints
    where
        touchpoint_type = 'message_send'
        and touchpoint_at
        > (select as_of_at from as_of) - {{ interval_days(var('audience_frequency_cap_days', 7)) }}
        and touchpoint_at <= (select as_of_at from as_of)
    group by customer_key
),

engagement as (
    select
        customer_key,
        channel,
        count(*) as engagement_count,
        max(touchpoint_at) as last_engaged_at
    from touchpoints
    where
        touchpoint_type in ('message_open', 'message_click')
        and touchpoint_at
        > (select as_of_at from as_of) - {{ interval_days(var('audience_engagement_days', 90)) }}
        and touchpoint_at <= (select as_of_at from as_of)
    group by customer_key, channel
),

final as (
    select
        customers.customer_key,
        channels.channel,
        coalesce(consent.has_consent, false) as has_consent,
        consent.consent_changed_at,
        cast(coalesce(sends.messages_sent_in_cap_window, 0) as integer) as messages_sent_in_cap_window,
        coalesce(sends.messages_sent_in_cap_window, 0) >= {{ var('audience_frequency_cap_messages', 3) }}
            as is_frequency_capped,
        cast(coalesce(engagement.engagement_count, 0) as integer) as engagement_count,
        engagement.last_engaged_at,
        cast(channels.channel_priority as integer) as channel_priority,
        cast(row_number() over (
            partition by customers.customer_key
            order by coalesce(engagement.engagement_count, 0) desc, channels.channel_priority
        ) as integer) as channel_rank,
        (select as_of_at from as_of) as as_of_at
    from customers
    cross join channels
    left join consent on consent.customer_key = customers.customer_key and consent.channel = channels.channel
    left join sends on sends.customer_key = customers.customer_key
    left join engagement on engagement.customer_key = customers.customer_key and engagement.channel = channels.channel
)

select * from final
