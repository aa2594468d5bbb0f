with

lines as (
    select * from {{ source('webshop', 'return_lines') }}
),

final as (
    select
        return_id || ':' || sku as return_line_key,
        return_id,
        sku,
        quantity
    from lines
    qualify row_number() over (partition by return_id, sku order by {{ newest_first() }}) = 1
)

select * from final
