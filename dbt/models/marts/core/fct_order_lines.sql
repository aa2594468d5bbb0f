-- Every order line of every channel: web and app order lines from the web shop, SALE till lines.
-- Incremental (docs/incremental.md): a run replaces all lines of the orders int_core__orders changed
-- (their order, lines, receipt or customer key).
-- depends_on: {{ ref('int_core__orders') }}
{{ config(materialized='incremental', unique_key='order_key', spark_partition_month_of='placed_at') }}

with

{% if is_incremental() %}
    touched_orders as (
        select source_system, order_id from {{ ref('int_core__orders') }} as orders
        where {{ changed_since_last_run('orders') }}
    ),
{% endif %}

web_orders as (
    select * from {{ ref('stg_webshop__orders') }}
    {% if is_incremental() %}
        where cast(order_id as string) in (select order_id from touched_orders where source_system = 'webshop')
    {% endif %}
),

web_lines as (
    select * from {{ ref('stg_webshop__order_lines') }}
    {% if is_incremental() %}
        where cast(order_id as string) in (select order_id from touched_orders where source_system = 'webshop')
    {% endif %}
),

till_lines as (
    select * from {{ ref('stg_pos__receipt_lines') }}
    where transaction_type = 'SALE'
    {% if is_incremental() %}
        and receipt_id in (select order_id from touched_orders where source_system = 'pos')
    {% endif %}
),

record_keys as (
    select * from {{ ref('int_identity__record_keys') }}
    where record_type in ('webshop_order', 'pos_receipt')
),

web as (
    select
        'webshop' as source_system,
        cast(web_lines.order_id as string) as order_id,
        web_lines.order_line_key as order_line_id,
        -- the web shop numbers lines by id only; the position in the order is derived
        row_number() over (partition by web_lines.order_id order by web_lines.order_line_id) as line_no,
        web_lines.sku,
        web_lines.quantity,
        web_lines.unit_price_pln,
        web_lines.discount_pln,
        web_lines.line_total_pln,
        web_orders.ordering_channel,
        web_orders.fulfilment_type,
        web_orders.pickup_store_id as store_id,
        web_orders.placed_at,
        'webshop_order' as record_type
    from web_lines
    left join web_orders on web_orders.order_id = web_lines.order_id
),

till as (
    select
        'pos' as source_system,
        receipt_id as order_id,
        receipt_line_key as order_line_id,
        line_no,
        sku,
        quantity,
        unit_price_pln,
        discount_pln,
        line_total_pln,
        'store' as ordering_channel,
        'in_store' as fulfilment_type,
        store_id,
        receipt_at as placed_at,
        'pos_receipt' as record_type
    from till_lines
),

unioned as (
    select * from web
    union all
    select * from till
),

final as (
    select
        {{ surrogate_key(["unioned.source_system", "unioned.order_line_id"]) }} as order_line_key,
        {{ surrogate_key(["unioned.source_system", "unioned.order_id"]) }} as order_key,
        unioned.order_id,
        unioned.source_system,
        unioned.order_line_id,
        cast(unioned.line_no as integer) as line_no,
        unioned.sku,
        cast(unioned.quantity as integer) as quantity,
        unioned.unit_price_pln,
        unioned.discount_pln,
        unioned.line_total_pln,
        record_keys.customer_key,
        record_keys.anonymous_id,
        unioned.ordering_channel,
        unioned.fulfilment_type,
        unioned.store_id,
        unioned.placed_at,
        {{ local_date('unioned.placed_at') }} as placed_date,
        {{ batch_column() }}
    from unioned
    left join record_keys
        on
            record_keys.record_type = unioned.record_type
            and record_keys.record_id = unioned.order_id
)

select * from final
