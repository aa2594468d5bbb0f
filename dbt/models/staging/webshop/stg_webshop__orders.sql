-- Incremental (docs/incremental.md): a run rereads every raw version of the orders that came in loads
-- newer than what the table holds, so the newest version wins as in a full build.
{{ config(materialized='incremental', unique_key='order_id', spark_partition_month_of='placed_at') }}

with

source as (
    {{ new_versions_of(source('webshop', 'orders'), 'id') }}
),

phone_numbers as (
    select * from {{ ref('stg_identifiers__phone_numbers') }}
),

newest as (
    select * from source
    qualify row_number() over (partition by id order by {{ newest_first('updated_at') }}) = 1
),

renamed as (
    select
        id as order_id,
        name as order_number,
        customer_id,
        email,
        {{ normalize_email('email') }} as email_normalized,
        phone,
        phone_numbers.phone_e164 as phone_normalized,
        source_name as ordering_channel,
        created_at as placed_at,
        updated_at,
        currency,
        {{ pln('subtotal_price') }} as subtotal_pln,
        {{ pln('coalesce(total_discounts, 0)') }} as discount_pln,
        {{ pln('coalesce(shipping_price, 0)') }} as shipping_pln,
        {{ pln('total_price') }} as total_pln,
        nullif(discount_code, '') as coupon_code,
        fulfilment_type,
        pickup_store_id,
        parcel_locker_id,
        -- the shipping address as delivered (trimmed, '' -> null): who the parcel went to, and where
        nullif(trim(shipping_address__first_name), '') as shipping_first_name,
        nullif(trim(shipping_address__last_name), '') as shipping_last_name,
        nullif(trim(shipping_address__address1), '') as shipping_street_address,
        nullif(trim(shipping_address__zip), '') as shipping_postal_code,
        nullif(trim(shipping_address__city), '') as shipping_city,
        nullif(trim(shipping_address__country_code), '') as shipping_country_code,
        financial_status,
        fulfillment_status,
        landing_site,
        nullif(regexp_extract(landing_site, '[?&]utm_source=([^&#]+)', 1), '') as utm_source,
        nullif(regexp_extract(landing_site, '[?&]utm_medium=([^&#]+)', 1), '') as utm_medium,
        nullif(regexp_extract(landing_site, '[?&]utm_campaign=([^&#]+)', 1), '') as utm_campaign,
        nullif(regexp_extract(landing_site, '[?&](gclid|fbclid)=([^&#]+)', 2), '') as click_id,
        _source_file,
        _dlt_load_id
    from newest
    left join phone_numbers on phone_numbers.phone_raw = newest.phone
),

final as (
    select
        *,
        {{ is_placeholder_email('email_normalized') }} as is_placeholder_email,
        {{ is_placeholder_phone('phone_normalized') }} as is_placeholder_phone
    from renamed
)

select
    *,
    {{ batch_column() }}
from final
