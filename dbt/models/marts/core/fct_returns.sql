-- Every return: web shop returns (courier, parcel locker) and RETURN receipts at the tills, which take
-- back web orders as well as till purchases. Purchase channel and return channel side by side.
with

web_returns as (
    select * from {{ ref('stg_webshop__returns') }}
),

web_return_lines as (
    select * from {{ ref('stg_webshop__return_lines') }}
),

web_orders as (
    select * from {{ ref('stg_webshop__orders') }}
),

till_lines as (
    select * from {{ ref('stg_pos__receipt_lines') }}
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
    where record_type in ('webshop_order', 'pos_receipt')
),

-- the purchases a return can refer to, as fct_orders keys them
purchases as (
    select
        'webshop' as source_system,
        cast(order_id as string) as order_id,
        ordering_channel,
        'webshop_order' as record_type
    from web_orders
    union all
    select distinct
        'pos' as source_system,
        receipt_id as order_id,
        'store' as ordering_channel,
        'pos_receipt' as record_type
    from till_lines
    where transaction_type = 'SALE'
),

web_return_items as (
    select
        return_id,
        sum(quantity) as item_count
    from web_return_lines
    group by return_id
),

web as (
    select
        'webshop' as source_system,
        cast(web_returns.return_id as string) as return_id,
        'webshop' as purchase_source_system,
        cast(web_returns.order_id as string) as purchase_order_id,
        web_returns.return_method as return_channel,
        cast(null as string) as store_id,
        web_returns.returned_at,
        web_returns.refund_pln,
        web_return_items.item_count,
        web_returns.return_reason,
        -- a parcel comes without identifiers: the customer is the one of the order returned
        cast(null as string) as record_type
    from web_returns
    left join web_return_items on web_return_items.return_id = web_returns.return_id
),

till as (
    select
        'pos' as source_system,
        receipt_id as return_id,
        case
            when any_value(original_order_id) is not null then 'webshop'
            when any_value(original_receipt_id) is not null then 'pos'
        end as purchase_source_system,
        coalesce(any_value(original_order_id), any_value(original_receipt_id)) as purchase_order_id,
        'store' as return_channel,
        any_value(store_id) as store_id,
        min(receipt_at) as returned_at,
        -- till returns are negative lines
        {{ pln('-sum(line_total_pln)') }} as refund_pln,
        -sum(quantity) as item_count,
        cast(null as string) as return_reason,
        'pos_receipt' as record_type
    from till_lines
    where transaction_type = 'RETURN'
    group by receipt_id
),

unioned as (
    select * from web
    union all
    select * from till
),

final as (
    select
        {{ surrogate_key(["unioned.source_system", "unioned.return_id"]) }} as return_key,
        unioned.return_id,
        unioned.source_system,
        -- null when the purchase returned is not in the warehouse
        {{ surrogate_key(["purchases.source_system", "purchases.order_id"]) }} as order_key,
        purchases.ordering_channel as purchase_channel,
        unioned.return_channel,
        unioned.store_id,
        unioned.returned_at,
        {{ local_date('unioned.returned_at') }} as returned_date,
        unioned.refund_pln,
        cast(unioned.item_count as integer) as item_count,
        unioned.return_reason,
        -- the person at the till if known, else the buyer of the purchase returned
        coalesce(return_keys.customer_key, purchase_keys.customer_key) as customer_key,
        case
            when coalesce(return_keys.customer_key, purchase_keys.customer_key) is null
                then coalesce(return_keys.anonymous_id, purchase_keys.anonymous_id)
        end as anonymous_id
    from unioned
    left join purchases
        on
            purchases.source_system = unioned.purchase_source_system
            and purchases.order_id = unioned.purchase_order_id
    left join record_keys as return_keys
        on
            return_keys.record_type = unioned.record_type
            and return_keys.record_id = unioned.return_id
    left join record_keys as purchase_keys
        on
            purchase_keys.record_type = purchases.record_type
            and purchase_keys.record_id = purchases.order_id
)

select * from final
