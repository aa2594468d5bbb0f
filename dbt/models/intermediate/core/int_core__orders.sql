-- Every order of every channel: web and app orders from the web shop, SALE receipts from the tills.
-- Incremental (docs/incremental.md): a run recomputes the orders whose order, lines or receipt lines
-- changed, and those whose customer key changed.
{{ config(materialized='incremental', unique_key='order_key', spark_partition_month_of='placed_at') }}

with

{% if is_incremental() %}
    changed_keys as (
        select record_type, record_id from {{ ref('int_identity__record_keys') }} as keys
        where record_type in ('webshop_order', 'pos_receipt') and {{ changed_since_last_run('keys') }}
    ),

    touched_web_orders as (
        select orders.order_id from {{ ref('stg_webshop__orders') }} as orders
        where {{ changed_since_last_run('orders') }}
        union
        select lines.order_id from {{ ref('stg_webshop__order_lines') }} as lines
        where {{ changed_since_last_run('lines') }}
        union
        select cast(record_id as bigint) from changed_keys where record_type = 'webshop_order'
    ),

    touched_receipts as (
        select lines.receipt_id from {{ ref('stg_pos__receipt_lines') }} as lines
        where {{ changed_since_last_run('lines') }}
        union
        select record_id from changed_keys where record_type = 'pos_receipt'
    ),
{% endif %}

web_orders as (
    select * from {{ ref('stg_webshop__orders') }}
    {% if is_incremental() %}
        where order_id in (select order_id from touched_web_orders)
    {% endif %}
),

web_lines as (
    select * from {{ ref('stg_webshop__order_lines') }}
    {% if is_incremental() %}
        where order_id in (select order_id from touched_web_orders)
    {% endif %}
),

till_lines as (
    select * from {{ ref('stg_pos__receipt_lines') }}
    where transaction_type = 'SALE'
    {% if is_incremental() %}
        and receipt_id in (select receipt_id from touched_receipts)
    {% endif %}
),

web_items as (
    select
        order_id,
        sum(quantity) as item_count
    from web_lines
    group by order_id
),

web as (
    select
        'webshop' as source_system,
        cast(web_orders.order_id as string) as order_id,
        web_orders.ordering_channel,
        web_orders.fulfilment_type,
        web_orders.pickup_store_id as store_id,
        web_orders.placed_at,
        web_orders.total_pln as order_total_pln,
        web_orders.discount_pln,
        web_orders.shipping_pln,
        coalesce(web_items.item_count, 0) as item_count,
        web_orders.coupon_code,
        web_orders.financial_status = 'refunded' as is_refunded
    from web_orders
    left join web_items using (order_id)
),

till as (
    select
        'pos' as source_system,
        receipt_id as order_id,
        'store' as ordering_channel,
        'in_store' as fulfilment_type,
        any_value(store_id) as store_id,
        min(receipt_at) as placed_at,
        {{ pln('sum(line_total_pln)') }} as order_total_pln,
        {{ pln('sum(discount_pln)') }} as discount_pln,
        {{ pln('0') }} as shipping_pln,
        sum(quantity) as item_count,
        any_value(coupon_code) as coupon_code,
        false as is_refunded
    from till_lines
    group by receipt_id
),

unioned as (
    select * from web
    union all
    select * from till
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
    where record_type in ('webshop_order', 'pos_receipt')
),

final as (
    select
        {{ surrogate_key(["unioned.source_system", "unioned.order_id"]) }} as order_key,
        unioned.order_id,
        unioned.source_system,
        record_keys.customer_key,
        record_keys.anonymous_id,
        ordering_channel,
        fulfilment_type,
        ordering_channel in ('web', 'app') as is_online_order,
        fulfilment_type = 'click_and_collect' as is_click_and_collect,
        store_id,
        placed_at,
        {{ local_date('placed_at') }} as placed_date,
        order_total_pln,
        discount_pln,
        shipping_pln,
        cast(item_count as integer) as item_count,
        coupon_code,
        is_refunded,
        {{ batch_column() }}
    from unioned
    left join record_keys
        on
            record_keys.record_type
            = case unioned.source_system when 'webshop' then 'webshop_order' else 'pos_receipt' end
            and record_keys.record_id = unioned.order_id
)

select * from final
