with

source as (
    select * from {{ source('webshop', 'returns') }}
),

renamed as (
    select
        id as return_id,
        order_id,
        created_at as returned_at,
        return_method,
        {{ pln('refund_amount') }} as refund_pln,
        reason as return_reason,
        _source_file
    from source
    qualify row_number() over (partition by id order by {{ newest_first() }}) = 1
)

select * from renamed
