with

source as (
    select * from {{ source('ads', 'ad_clicks') }}
),

renamed as (
    select
        click_id,
        platform as ad_platform,
        campaign_id,
        clicked_at,
        landing_page
    from source
    qualify row_number() over (partition by click_id order by {{ newest_first() }}) = 1
)

select * from renamed
