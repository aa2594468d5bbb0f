-- Till lines. Times are converted from the store's wall clock (Europe/Warsaw) to UTC.
with

source as (
    select * from {{ source('pos', 'receipt_lines') }}
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
        timezone('Europe/Warsaw', receipt_datetime) as receipt_at,
        transaction_type,
        loyalty_card,
        {{ normalize_loyalty_card('loyalty_card') }} as loyalty_card_normalized,
        customer_phone,
        {{ normalize_phone('customer_phone') }} as phone_normalized,
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
        _source_file
    from source
    qualify row_number() over (partition by receipt_id, line_no order by {{ newest_first() }}) = 1
),

stores as (
    select store_phone from {{ source('reference', 'stores') }}
),

final as (
    select
        renamed.*,
        {{ normalize_email('customer_email') }} as email_normalized,
        {{ is_placeholder_email(normalize_email('customer_email')) }} as is_placeholder_email,
        -- a cashier typing the store's own number is a placeholder too
        {{ is_placeholder_phone('phone_normalized') }}
            or phone_normalized in (select {{ normalize_phone('store_phone') }} from stores) as is_placeholder_phone
    from renamed
)

select * from final
