-- Till lines. Times are converted from the store's wall clock (var local_timezone) to UTC.
-- Incremental (docs/incremental.md): a run rereads every raw version of the receipts that came in loads
-- newer than what the table holds, so the newest version wins as in a full build.
{{ config(materialized='incremental', unique_key=['receipt_id', 'line_no'], spark_partition_month_of='receipt_at') }}

with

source as (
    {{ new_versions_of(source('pos', 'receipt_lines'), 'receipt_id') }}
),

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

renamed as (
    select
        receipt_id || ':' || line_no as receipt_line_key,
        receipt_id,
        line_no,
        store_id,
        register_no,
        cashier_id,
        receipt_datetime as receipt_local_at,
        {{ instant_of_wall_clock(var('local_timezone'), 'receipt_datetime') }} as receipt_at,
        transaction_type,
        loyalty_card,
        {{ normalize_loyalty_card('loyalty_card') }} as loyalty_card_normalized,
        customer_phone,
        phone_numbers.phone_e164 as phone_normalized,
        {{ optional_column(source('pos', 'receipt_lines'), 'customer_email') }},
        sku,
        quantity,
        {{ pln('unit_price') }} as unit_price_pln,
        {{ pln('coalesce(discount, 0)') }} as discount_pln,
        {{ pln('line_total') }} as line_total_pln,
        payment_method,
        nullif(coupon_code, '') as coupon_code,
        original_order_id,
        original_receipt_id,
        _source_file,
        _dlt_load_id
    from source
    left join phone_numbers on phone_numbers.phone_raw = source.customer_phone
    qualify row_number() over (partition by receipt_id, line_no order by {{ newest_first() }}) = 1
),

-- every number a store has had, as E.164; a store without a phone (store_phone is optional) adds no
-- row: a NULL in `phone_normalized in (...)` would make the test NULL for every till-typed phone
store_phones as (
    select distinct phone_numbers.phone_e164
    from {{ source('reference', 'stores') }} as stores
    inner join phone_numbers on phone_numbers.phone_raw = stores.store_phone
    where phone_numbers.phone_e164 is not null
),

final as (
    select
        renamed.*,
        {{ normalize_email('customer_email') }} as email_normalized,
        {{ is_placeholder_email(normalize_email('customer_email')) }} as is_placeholder_email,
        -- a cashier typing the store's own number is a placeholder too
        {{ is_placeholder_phone('phone_normalized') }}
        or exists (
            select 1 from store_phones
            where store_phones.phone_e164 = renamed.phone_normalized)
            as is_placeholder_phone
    from renamed
)

select
    *,
    {{ batch_column() }}
from final
