with

source as (
    select * from {{ source('loyalty', 'consent_events') }}
),

renamed as (
    select
        consent_event_id,
        member_id,
        email,
        {{ normalize_email('email') }} as email_normalized,
        phone,
        {{ normalize_phone('phone') }} as phone_normalized,
        channel as consent_channel,
        purpose as consent_purpose,
        status as consent_status,
        status = 'granted' as is_granted,
        source as consent_source,
        event_at,
        _source_file
    from source
    qualify row_number() over (partition by consent_event_id order by {{ newest_first() }}) = 1
)

select * from renamed
