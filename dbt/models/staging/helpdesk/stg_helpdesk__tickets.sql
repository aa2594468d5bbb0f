-- Incremental (docs/incremental.md): a run rereads every raw version of the tickets that came in loads
-- newer than what the table holds, so the newest version wins as in a full build.
{{ config(materialized='incremental', unique_key='ticket_id', spark_partition_month_of='created_at') }}

with

source as (
    {{ new_versions_of(source('helpdesk', 'tickets'), 'id') }}
),

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

renamed as (
    select
        id as ticket_id,
        via_channel as ticket_channel,
        requester__email as requester_email,
        {{ normalize_email('requester__email') }} as email_normalized,
        requester__phone as requester_phone,
        phone_numbers.phone_e164 as phone_normalized,
        requester__name as requester_name,
        subject,
        order_id as order_reference,
        status as ticket_status,
        status in ('solved', 'closed') as is_solved,
        created_at,
        first_response_at,
        solved_at,
        updated_at,
        contacts as contact_count,
        satisfaction__score as csat_score,
        tags,
        _source_file,
        _dlt_load_id
    from source
    left join phone_numbers on phone_numbers.phone_raw = source.requester__phone
    qualify row_number() over (partition by id order by {{ newest_first('updated_at') }}) = 1
),

final as (
    select
        *,
        {{ is_placeholder_email('email_normalized') }} as is_placeholder_email,
        {{ is_placeholder_phone('phone_normalized') }} as is_placeholder_phone
    from renamed
)

select
    *,
    {{ batch_column() }}
from final
