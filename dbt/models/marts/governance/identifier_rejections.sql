-- Identifiers that staging could not use, counted per source column and reason: e-mails that are not one
-- local@domain, phones libphonenumber rejects (stg_identifiers__phone_numbers), loyalty cards with a
-- wrong length or check digit, and placeholders (normalised, but never identifying a person). Counts
-- only: no e-mail, phone or card number leaves staging.
{# (source system, source table, source column, staging model, its raw column, then for e-mails the
    normalised column, for phones the placeholder flag) -#}
{%- set emails = [
    ('webshop', 'customers', 'email', 'stg_webshop__customers', 'email', 'email_normalized'),
    ('webshop', 'orders', 'email', 'stg_webshop__orders', 'email', 'email_normalized'),
    ('webshop', 'abandoned_checkouts', 'email', 'stg_webshop__abandoned_checkouts', 'email', 'email_normalized'),
    ('loyalty', 'members', 'email', 'stg_loyalty__members', 'email', 'email_normalized'),
    ('loyalty', 'consent_events', 'email', 'stg_loyalty__consent_events', 'email', 'email_normalized'),
    ('marketing', 'message_events', 'email', 'stg_marketing__message_events', 'email', 'email_normalized'),
    ('surveys', 'responses', 'email', 'stg_surveys__responses', 'email', 'email_normalized'),
    ('helpdesk', 'tickets', 'requester__email', 'stg_helpdesk__tickets', 'requester_email', 'email_normalized'),
    ('pos', 'receipt_lines', 'customer_email', 'stg_pos__receipt_lines', 'customer_email', 'email_normalized'),
] -%}
{#- phones: the placeholder flag of the staging model where it has one (at the till it also covers the
    store's own number), else the phone model's; a store's own phone is not a customer's, never a
    placeholder -#}
{%- set phones = [
    ('webshop', 'customers', 'phone', 'stg_webshop__customers', 'phone', 'staged.is_placeholder_phone'),
    ('webshop', 'orders', 'phone', 'stg_webshop__orders', 'phone', 'staged.is_placeholder_phone'),
    ('loyalty', 'members', 'phone', 'stg_loyalty__members', 'phone', 'staged.is_placeholder_phone'),
    ('loyalty', 'consent_events', 'phone', 'stg_loyalty__consent_events', 'phone', 'phone_numbers.phone_is_placeholder'),
    ('marketing', 'message_events', 'phone', 'stg_marketing__message_events', 'phone', 'phone_numbers.phone_is_placeholder'),
    ('surveys', 'responses', 'phone', 'stg_surveys__responses', 'phone', 'phone_numbers.phone_is_placeholder'),
    ('helpdesk', 'tickets', 'requester__phone', 'stg_helpdesk__tickets', 'requester_phone', 'staged.is_placeholder_phone'),
    ('pos', 'receipt_lines', 'customer_phone', 'stg_pos__receipt_lines', 'customer_phone', 'staged.is_placeholder_phone'),
    ('reference', 'stores', 'store_phone', 'stg_reference__stores', 'store_phone', 'false'),
] -%}
{%- set cards = [
    ('loyalty', 'members', 'card_number', 'stg_loyalty__members', 'card_number'),
    ('pos', 'receipt_lines', 'loyalty_card', 'stg_pos__receipt_lines', 'loyalty_card'),
] %}
with

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

-- one row per staging row and identifier column carrying a non-blank value, with why it was not used
-- (null when it was)
observed as (
    {%- for system, table, column, model, raw, normalized in emails %}
    select
        '{{ system }}' as source_system,
        '{{ table }}' as source_table,
        '{{ column }}' as source_column,
        '{{ model }}' as staging_model,
        'email' as identifier_type,
        cast({{ raw }} as string) as raw_value,
        coalesce(
            {{ email_rejection_reason(raw) }},
            case when {{ is_placeholder_email(normalized) }} then 'placeholder' end
        ) as reason
    from {{ ref(model) }}
    where nullif(trim({{ raw }}), '') is not null
    union all
    {%- endfor %}
    {%- for system, table, column, model, raw, placeholder in phones %}
    select
        '{{ system }}',
        '{{ table }}',
        '{{ column }}',
        '{{ model }}',
        'phone',
        cast(staged.{{ raw }} as string),
        coalesce(
            phone_numbers.phone_rejection_reason,
            case when {{ placeholder }} then 'placeholder' end
        )
    from {{ ref(model) }} as staged
    left join phone_numbers on phone_numbers.phone_raw = staged.{{ raw }}
    where nullif(trim(staged.{{ raw }}), '') is not null
    union all
    {%- endfor %}
    {%- for system, table, column, model, raw in cards %}
    select
        '{{ system }}',
        '{{ table }}',
        '{{ column }}',
        '{{ model }}',
        'loyalty_card',
        cast({{ raw }} as string),
        {{ loyalty_card_rejection_reason(raw) }}
    from {{ ref(model) }}
    where nullif(trim({{ raw }}), '') is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

carried as (
    select
        source_system,
        source_table,
        source_column,
        count(*) as rows_with_value
    from observed
    group by source_system, source_table, source_column
),

rejected as (
    select
        source_system,
        source_table,
        source_column,
        any_value(staging_model) as staging_model,
        any_value(identifier_type) as identifier_type,
        reason,
        count(*) as rows_rejected,
        count(distinct raw_value) as values_rejected
    from observed
    where reason is not null
    group by source_system, source_table, source_column, reason
)

select
    rejected.source_system || '.' || rejected.source_table || '.' || rejected.source_column
    || ':' || rejected.reason as rejection_key,
    rejected.source_system,
    rejected.source_table,
    rejected.source_column,
    rejected.staging_model,
    rejected.identifier_type,
    rejected.reason,
    rejected.rows_rejected,
    rejected.values_rejected,
    carried.rows_with_value,
    round(rejected.rows_rejected / carried.rows_with_value, 4) as share_of_rows
from rejected
inner join carried using (source_system, source_table, source_column)
order by rejected.source_system, rejected.source_table, rejected.source_column, rejected.reason
