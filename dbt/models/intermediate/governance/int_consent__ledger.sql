-- Every consent event per customer, channel and purpose, once: from every source that records one, the
-- loyalty / CRM ledger (desk, web form, app) and the unsubscribe links of the marketing platform (a
-- withdrawal of marketing consent for that channel, from the moment it was clicked).
--
-- One act recorded by two systems is one event. An unsubscribe click is recorded by the marketing
-- platform and, when the platform tells the CRM, by the CRM ledger too, a few seconds or minutes later.
-- Source records of the same person (profile), channel, purpose and status follow each other into one
-- event as long as each comes at most var('consent_same_event_window_seconds', 3600) seconds after the
-- previous one and no record of the other status comes between them. The event takes effect from its
-- first record (event_at); `sources`, `source_event_ids` and `source_event_count` keep every source
-- record as lineage, `last_recorded_at` the last one's time. Records of an unknown person (no profile)
-- are never combined.
with

crm as (
    select
        'loyalty' as source_system,
        consent_event_id as source_event_id,
        consent_channel as channel,
        consent_purpose as purpose,
        consent_status as status,
        consent_source as captured_via,
        event_at,
        'consent_event' as record_type,
        consent_event_id as record_id
    from {{ ref('stg_loyalty__consent_events') }}
),

unsubscribes as (
    select
        'marketing',
        message_event_id,
        message_channel,
        'marketing',
        'withdrawn',
        'unsubscribe_link',
        event_at,
        'marketing_message',
        message_id
    from {{ ref('stg_marketing__message_events') }}
    where event_type = 'unsubscribe'
),

records as (
    select * from crm
    union all
    select * from unsubscribes
),

keyed as (
    select
        records.*,
        records.source_system || ':' || records.source_event_id as source_record,
        keys.customer_key,
        keys.profile_key,
        coalesce(keys.profile_key, records.source_system || ':' || records.source_event_id) as person
    from records
    left join {{ ref('int_identity__record_keys') }} as keys
        on keys.record_type = records.record_type and keys.record_id = records.record_id
),

ordered as (
    select
        keyed.*,
        lag(keyed.event_at) over same_consent as previous_at,
        lag(keyed.status) over same_consent as previous_status
    from keyed
    window same_consent as (
        partition by keyed.person, keyed.channel, keyed.purpose
        order by keyed.event_at, keyed.source_system, keyed.source_event_id
    )
),

-- a record starts a new event unless it repeats the previous one (same status, within the window)
starts as (
    select
        ordered.*,
        case
            when ordered.previous_at is null then 1
            when ordered.previous_status <> ordered.status then 1
            when
                {{ dbt.dateadd(
                    'second', var('consent_same_event_window_seconds', 3600), 'ordered.previous_at'
                ) }}
                < ordered.event_at
                then 1
            else 0
        end as is_start
    from ordered
),

numbered as (
    select
        starts.*,
        sum(starts.is_start) over (
            partition by starts.person, starts.channel, starts.purpose
            order by starts.event_at, starts.source_system, starts.source_event_id
            rows between unbounded preceding and current row
        ) as event_number
    from starts
),

-- each event is named by its first record
firsts as (
    select
        person,
        channel,
        purpose,
        event_number,
        source_system,
        source_event_id,
        source_record,
        captured_via,
        event_at,
        customer_key,
        profile_key,
        status
    from numbered
    where is_start = 1
),

lineage as (
    select
        person,
        channel,
        purpose,
        event_number,
        {{ aggregate_list("source_system", order_by="source_system", distinct=true) }} as sources,
        {{ aggregate_list("source_record", order_by="event_at, source_system, source_event_id") }} as source_event_ids,
        count(*) as source_event_count,
        max(event_at) as last_recorded_at
    from numbered
    group by person, channel, purpose, event_number
)

select
    {{ surrogate_key(["firsts.source_record"]) }} as consent_event_key,
    firsts.customer_key,
    firsts.profile_key,
    firsts.channel,
    firsts.purpose,
    firsts.status,
    firsts.status = 'granted' as is_granted,
    firsts.source_system,
    firsts.captured_via,
    firsts.event_at,
    lineage.sources,
    lineage.source_event_ids,
    lineage.source_event_count,
    lineage.last_recorded_at
from firsts
inner join lineage
    on
        lineage.person = firsts.person
        and lineage.channel = firsts.channel
        and lineage.purpose = firsts.purpose
        and lineage.event_number = firsts.event_number
