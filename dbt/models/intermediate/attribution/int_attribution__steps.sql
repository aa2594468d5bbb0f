-- The interactions that count as steps of a journey, one row each: a visit of the web shop or the app
-- (one step per session, not per event), a marketing message the customer opened or clicked (one step
-- per message, at its first open or click), a store visit (one per till receipt: a sale, a pick-up or a
-- return), a service ticket. A session opened by an ad click is one step, the ad click: the ad brought
-- the visit. Sends, deliveries and bounces are not steps (nobody saw them yet), nor unsubscribes, survey
-- answers (about an order already made), abandoned checkouts (they happen in a session that is a step)
-- or the web order records themselves (the session the order was placed in is the step).
-- A step's campaign is credited only where the campaign reached the profile first: a message step and an ad
-- click are their campaign's own exposure; a session that landed with a campaign's utm keeps the campaign
-- only when a message of it was sent, opened or clicked to the profile, or an ad of it clicked, before the
-- visit and within the lookback; else the utm is `untracked_campaign_id` (the visit still credits its channel).
-- Incremental (docs/incremental.md): a run recomputes every step of the profiles whose touchpoints changed
-- (macro attribution_step_profiles_to_recompute), from all of their touchpoints and those of their sessions,
-- and deletes the steps of those profiles it did not write again (a profile merged into another). A step
-- written again unchanged keeps the stamp it had (macro select_stamped).
{{ config(
    materialized='incremental',
    unique_key='profile_key',
    pre_hook="{{ write_recomputed_keys(attribution_step_profiles_to_recompute()) }}",
    post_hook=["{{ delete_unwritten('profile_key', written_column='_omni_written') }}", "{{ drop_recomputed_keys() }}"]
) }}

with

touchpoints as (
    select * from {{ ref('int_core__touchpoints') }}
    where coalesce(customer_key, anonymous_id) is not null
    {% if is_incremental() %}
        -- the touchpoints of the recomputed profiles, and every touchpoint of their sessions
        and (
            coalesce(customer_key, anonymous_id) in (select profile_key from {{ recomputed_keys_relation() }})
            or session_id in (
                select profile_touchpoints.session_id from {{ ref('int_core__touchpoints') }} as profile_touchpoints
                where
                    profile_touchpoints.session_id is not null
                    and coalesce(profile_touchpoints.customer_key, profile_touchpoints.anonymous_id) in (
                        select profile_key from {{ recomputed_keys_relation() }}
                    )
            )
        )
    {% endif %}
),

message_events as (
    select
        message_event_id,
        message_id
    from {{ ref('stg_marketing__message_events') }}
),

-- what of each campaign reached each profile, and when
exposures as (
    select
        campaign_id,
        coalesce(customer_key, anonymous_id) as profile_key,
        touchpoint_at as exposed_at
    from touchpoints
    where
        campaign_id is not null
        and touchpoint_type in ('message_send', 'message_open', 'message_click', 'ad_click')
),

-- the first ad click of each session, and ad clicks that opened no session
ad_clicks as (
    select *
    from touchpoints
    where touchpoint_type = 'ad_click'
    qualify
        session_id is null
        or row_number() over (partition by session_id order by touchpoint_at, touchpoint_key) = 1
),

sessions as (
    select
        session_id,
        {{ first_by("touchpoint_key", ["touchpoint_at", "touchpoint_key"]) }} as touchpoint_key,
        min(touchpoint_at) as step_at,
        {{ first_by("channel", ["touchpoint_at", "touchpoint_key"]) }} as channel,
        -- every event of a session carries the session's campaign
        any_value(campaign_id) as campaign_id,
        any_value(customer_key) as customer_key,
        any_value(anonymous_id) as anonymous_id
    from touchpoints
    where source_record_type = 'web_event'
    group by session_id
),

-- sessions whose utm campaign reached the visitor before the visit
exposed_sessions as (
    select distinct sessions.session_id
    from sessions
    inner join exposures
        on
            exposures.campaign_id = sessions.campaign_id
            and exposures.profile_key = coalesce(sessions.customer_key, sessions.anonymous_id)
            and exposures.exposed_at <= sessions.step_at
            and exposures.exposed_at >= sessions.step_at - {{ attribution_lookback() }}
),

session_steps as (
    select
        sessions.touchpoint_key,
        sessions.step_at,
        sessions.channel,
        'session' as step_type,
        case when exposed_sessions.session_id is not null then sessions.campaign_id end as campaign_id,
        case when exposed_sessions.session_id is null then sessions.campaign_id end as untracked_campaign_id,
        sessions.session_id,
        sessions.customer_key,
        sessions.anonymous_id
    from sessions
    left join exposed_sessions on exposed_sessions.session_id = sessions.session_id
    where sessions.session_id not in (
        select session_id from ad_clicks
        where session_id is not null
    )
),

ad_click_steps as (
    select
        ad_clicks.touchpoint_key,
        least(ad_clicks.touchpoint_at, coalesce(sessions.step_at, ad_clicks.touchpoint_at)) as step_at,
        'ads' as channel,
        'ad_click' as step_type,
        ad_clicks.campaign_id,
        cast(null as string) as untracked_campaign_id,
        ad_clicks.session_id,
        coalesce(ad_clicks.customer_key, sessions.customer_key) as customer_key,
        case
            when coalesce(ad_clicks.customer_key, sessions.customer_key) is null
                then coalesce(ad_clicks.anonymous_id, sessions.anonymous_id)
        end as anonymous_id
    from ad_clicks
    left join sessions on sessions.session_id = ad_clicks.session_id
),

message_steps as (
    select
        {{ first_by("touchpoints.touchpoint_key", ["touchpoints.touchpoint_at", "touchpoints.touchpoint_key"]) }}
            as touchpoint_key,
        min(touchpoints.touchpoint_at) as step_at,
        any_value(touchpoints.channel) as channel,
        {{ first_by("touchpoints.touchpoint_type", ["touchpoints.touchpoint_at", "touchpoints.touchpoint_key"]) }}
            as step_type,
        any_value(touchpoints.campaign_id) as campaign_id,
        cast(null as string) as untracked_campaign_id,
        cast(null as string) as session_id,
        any_value(touchpoints.customer_key) as customer_key,
        any_value(touchpoints.anonymous_id) as anonymous_id
    from touchpoints
    inner join message_events on message_events.message_event_id = touchpoints.source_record_id
    where touchpoints.touchpoint_type in ('message_open', 'message_click')
    group by message_events.message_id
),

visit_and_ticket_steps as (
    select
        touchpoint_key,
        touchpoint_at as step_at,
        channel,
        touchpoint_type as step_type,
        campaign_id,
        cast(null as string) as untracked_campaign_id,
        session_id,
        customer_key,
        anonymous_id
    from touchpoints
    where touchpoint_type in ('store_purchase', 'store_pickup', 'store_return', 'ticket_opened')
),

unioned as (
    select * from session_steps
    union all
    select * from ad_click_steps
    union all
    select * from message_steps
    union all
    select * from visit_and_ticket_steps
),

computed as (
    select
        touchpoint_key,
        step_at,
        channel,
        step_type,
        campaign_id,
        untracked_campaign_id,
        session_id,
        customer_key,
        anonymous_id,
        coalesce(customer_key, anonymous_id) as profile_key
    from unioned
    {% if is_incremental() %}
        where coalesce(customer_key, anonymous_id) in (select profile_key from {{ recomputed_keys_relation() }})
    {% endif %}
),

-- a step written again unchanged keeps its stamp: the paths downstream recompute only changed steps
final as (
    {{ select_stamped('computed', 'touchpoint_key', [
        'step_at', 'channel', 'step_type', 'campaign_id', 'untracked_campaign_id', 'session_id',
        'customer_key', 'anonymous_id', 'profile_key'
    ]) }}
)

select * from final
