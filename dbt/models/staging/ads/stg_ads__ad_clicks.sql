-- Incremental (docs/incremental.md): a run rereads every raw version of the ad clicks that came in loads
-- newer than what the table holds, so the newest version wins as in a full build.
{{ config(materialized='incremental', unique_key='click_id', spark_partition_month_of='clicked_at') }}

with

source as (
    {{ new_versions_of(source('ads', 'ad_clicks'), 'click_id') }}
),

renamed as (
    select
        click_id,
        platform as ad_platform,
        campaign_id,
        clicked_at,
        landing_page,
        _dlt_load_id
    from source
    qualify row_number() over (partition by click_id order by {{ newest_first() }}) = 1
)

select
    *,
    {{ batch_column() }}
from renamed
