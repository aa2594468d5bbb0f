-- The channels of the warehouse, one row each: the vocabulary of `channel` in fct_touchpoints,
-- `ordering_channel` in fct_orders and `channel` in dim_campaigns.
with

channels (
    channel, channel_name, channel_group, is_sales_channel, is_marketing_channel, is_service_channel, description
) as (
    values
    (
        'web', 'Web shop', 'online', true, false, false,
        'The web shop in a browser: clickstream events, abandoned checkouts and web orders.'
    ),
    (
        'app', 'Mobile app', 'online', true, false, false,
        'The mobile app: clickstream events (app opens, push opens) and app orders.'
    ),
    (
        'store', 'Stores', 'offline', true, false, false,
        'Physical stores: till sales, click & collect pick-ups and returns.'
    ),
    (
        'email', 'E-mail', 'messaging', false, true, true,
        'E-mail: newsletters and triggered messages, NPS surveys, and helpdesk tickets by e-mail.'
    ),
    (
        'sms', 'SMS', 'messaging', false, true, false,
        'Text messages from the marketing platform.'
    ),
    (
        'push', 'Push', 'messaging', false, true, false,
        'Push notifications to the app, as the marketing platform records them.'
    ),
    (
        'ads', 'Paid ads', 'paid', false, true, false,
        'Paid search and paid social campaigns of the ad platforms (Google, Meta): ad clicks and spend.'
    ),
    (
        'call_center', 'Call center', 'service', false, false, true,
        'Phone calls to customer service (helpdesk tickets by phone).'
    ),
    (
        'chat', 'Chat', 'service', false, false, true,
        'Live chat on the web shop (helpdesk tickets by chat).'
    ),
    (
        'social', 'Social messaging', 'social', false, false, true,
        'Social messaging, Facebook Messenger (helpdesk tickets by Messenger).'
    )
),

final as (
    select
        cast(channel as string) as channel,
        cast(channel_name as string) as channel_name,
        cast(channel_group as string) as channel_group,
        cast(is_sales_channel as boolean) as is_sales_channel,
        cast(is_marketing_channel as boolean) as is_marketing_channel,
        cast(is_service_channel as boolean) as is_service_channel,
        cast(description as string) as description
    from channels
)

select * from final
