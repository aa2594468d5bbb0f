-- Lines of the newest exported version of each order (an order re-exported later carries its lines again).
-- A line is keyed by its order and its id: platforms that number lines per order repeat ids across orders.
-- Incremental (docs/incremental.md): a run replaces all lines of the orders that came in newer loads.
{{ config(materialized='incremental', unique_key='order_id') }}

with

orders as (
    {{ new_versions_of(source('webshop', 'orders'), 'id') }}
),

lines as (
    select * from {{ source('webshop', 'order_lines') }}
    {% if is_incremental() %}
        where order_id in (select id from orders)
    {% endif %}
),

newest_order_file as (
    select
        id as order_id,
        _source_file,
        _dlt_load_id
    from orders
    qualify row_number() over (partition by id order by {{ newest_first('updated_at') }}) = 1
),

final as (
    select
        lines.order_id || ':' || lines.id as order_line_key,
        lines.id as order_line_id,
        lines.order_id,
        lines.sku,
        lines.quantity,
        {{ pln('lines.price') }} as unit_price_pln,
        {{ pln('coalesce(lines.total_discount, 0)') }} as discount_pln,
        {{ pln('lines.price * lines.quantity - coalesce(lines.total_discount, 0)') }} as line_total_pln,
        lines._source_file,
        lines._dlt_load_id,
        {{ batch_column() }}
    from lines
    inner join newest_order_file
        on
            lines.order_id = newest_order_file.order_id
            and lines._source_file = newest_order_file._source_file
            and lines._dlt_load_id = newest_order_file._dlt_load_id
    qualify row_number() over (partition by lines.order_id, lines.id order by lines._dlt_load_id desc) = 1
)

select * from final
