with

source as (
    select * from {{ source('reference', 'parcel_lockers') }}
),

renamed as (
    select
        locker_id as parcel_locker_id,
        city,
        postal_code
    from source
    qualify row_number() over (partition by locker_id order by {{ newest_first() }}) = 1
)

select * from renamed
