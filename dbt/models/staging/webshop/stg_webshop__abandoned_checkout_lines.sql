with

lines as (
    select * from {{ source('webshop', 'abandoned_checkout_lines') }}
),

final as (
    select
        checkout_id || ':' || sku as checkout_line_key,
        checkout_id,
        sku,
        quantity,
        {{ pln('price') }} as unit_price_pln
    from lines
    qualify row_number() over (partition by checkout_id, sku order by {{ newest_first() }}) = 1
)

select * from final
