-- The day customer analytics are computed for (customer_segments, the CLV models): the last day with
-- data, the latest order or web/app session day, unless var('analytics_as_of_date') pins it. One row;
-- null when the warehouse has neither orders nor sessions.
with

orders as (
    select placed_date from {{ ref('int_core__orders') }}
),

sessions as (
    select session_date from {{ ref('int_core__sessions') }}
),

final as (
    select
    {%- if var('analytics_as_of_date', none) %}
        cast('{{ var("analytics_as_of_date") }}' as date) as as_of_date
        {%- else %}
    greatest(
        (select max(placed_date) from orders),
        (select max(session_date) from sessions)
    ) as as_of_date
    {%- endif %}
)

select * from final
