with

source as (
    select * from {{ source('loyalty', 'consent_events') }}
),

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

renamed as (
    select
        consent_event_id,
        member_id,
        email,
        {{ normalize_email('email') }} as email_normalized,
        phone,
        phone_numbers.phone_e164 as phone_normalized,
        channel as consent_channel,
        purpose as consent_purpose,
        status as consent_status,
        status = 'granted' as is_granted,
        source as consent_source,
        event_at,
        _source_file
    from source
    left join phone_numbers on phone_numbers.phone_raw = source.phone
    qualify row_number() over (partition by consent_event_id order by {{ newest_first() }}) = 1
)

select * from renamed
