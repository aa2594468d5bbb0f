with

source as (
    select * from {{ source('webshop', 'abandoned_checkouts') }}
),

renamed as (
    select
        id as checkout_id,
        customer_id,
        email,
        {{ normalize_email('email') }} as email_normalized,
        source_name as ordering_channel,
        created_at,
        updated_at,
        {{ pln('total_price') }} as total_pln,
        _source_file
    from source
    qualify row_number() over (partition by id order by {{ newest_first('updated_at') }}) = 1
)

select * from renamed
