-- The headline KPIs over the whole period, one row each, with their definition: what a dashboard's
-- first page shows and what the tests compare with the generator's answer key.
with

orders as (
    select * from {{ ref('fct_orders') }}
),

groups as (
    select * from {{ ref('kpi_customer_groups') }}
),

-- the known customers with an order: the denominator of a share of buyers
all_buyers as (
    select customer_count from groups
    where customer_group = 'all_buyers'
),

nps as (
    select * from {{ ref('kpi_nps') }}
    where dimension_name = 'overall'
),

service as (
    select * from {{ ref('kpi_daily_service') }}
),

sessions as (
    select * from {{ ref('fct_sessions') }}
),

journeys as (
    select * from {{ ref('kpi_order_journeys') }}
),

kpis (kpi, kpi_value, numerator, denominator, definition) as (
    select
        'orders',
        count(*),
        count(*),
        null,
        'Orders of every channel: web and app orders plus store SALE receipts.'
    from orders
    union all
    select
        'anonymous_orders',
        count(case when customer_key is null then 1 end),
        count(case when customer_key is null then 1 end),
        null,
        'Orders with no customer_key (till receipts with no card, phone or e-mail).'
    from orders
    union all
    select
        'aov_pln',
        sum(order_total_pln) / count(*),
        sum(order_total_pln),
        count(*),
        'Average order value: revenue (order_total_pln) / orders, over all orders of every channel.'
    from orders
    union all
    {%- for channel in ['web', 'app', 'store'] %}
    select
        'aov_pln_{{ channel }}',
        sum(order_total_pln) / count(*),
        sum(order_total_pln),
        count(*),
        'Average order value of the orders placed through {{ channel }}.'
    from orders
    where ordering_channel = '{{ channel }}'
    union all
    {%- endfor %}
    select
        'click_and_collect_share',
        count(case when is_click_and_collect then 1 end) / count(*),
        count(case when is_click_and_collect then 1 end),
        count(*),
        'Click & collect web/app orders / all web/app orders.'
    from orders
    where is_online_order
    union all
    select
        'customers',
        customer_count as kpi_value,
        customer_count as numerator,
        null,
        'Known customers (customer_key) with at least one order.'
    from groups
    where customer_group = 'all_buyers'
    union all
    select
        'repeat_rate',
        repeat_rate,
        repeat_customer_count,
        customer_count,
        'Known customers with 2+ orders / known customers with an order.'
    from groups
    where customer_group = 'all_buyers'
    union all
    select
        'repeat_rate_multichannel',
        repeat_rate,
        repeat_customer_count,
        customer_count,
        'Repeat rate of known customers who ordered through 2+ of web, app, store.'
    from groups
    where customer_group = 'multichannel'
    union all
    select
        'repeat_rate_single_channel',
        repeat_rate,
        repeat_customer_count,
        customer_count,
        'Repeat rate of known customers who ordered through one of web, app, store.'
    from groups
    where customer_group = 'single_channel'
    union all
    select
        'multichannel_customer_share',
        share_of_buyers,
        customer_count,
        (select customer_count from all_buyers),
        'Known customers ordering through 2+ of web, app, store / known customers with an order.'
    from groups
    where customer_group = 'multichannel'
    union all
    select
        'orders_per_customer_multichannel',
        orders_per_customer,
        order_count,
        customer_count,
        'Mean orders per multichannel customer.'
    from groups
    where customer_group = 'multichannel'
    union all
    select
        'orders_per_customer_single_channel',
        orders_per_customer,
        order_count,
        customer_count,
        'Mean orders per single-channel customer.'
    from groups
    where customer_group = 'single_channel'
    union all
    select
        'nps',
        nps,
        promoter_count - detractor_count,
        response_count,
        '% promoters (9-10) - % detractors (0-6) over all NPS answers (NULL without source surveys).'
    from nps
    union all
    select
        'csat_avg',
        sum(csat_score_sum) / nullif(sum(csat_response_count), 0),
        sum(csat_score_sum),
        sum(csat_response_count),
        'Mean CSAT score (1-5) of solved tickets that have one (NULL without source helpdesk).'
    from service
    union all
    select
        'first_contact_resolution_rate',
        sum(first_contact_resolution_count) / nullif(sum(ticket_count), 0),
        sum(first_contact_resolution_count),
        sum(ticket_count),
        'Tickets solved with one contact / tickets (NULL without source helpdesk).'
    from service
    union all
    select
        'session_conversion_rate',
        count(case when has_purchased then 1 end) / nullif(count(*), 0),
        {{ if_source_on('events', 'count(case when has_purchased then 1 end)') }},
        {{ if_source_on('events', 'count(*)') }},
        'Web and app sessions recording a purchase / sessions (NULL without the clickstream, source events).'
    from sessions
    union all
    select
        'abandoned_cart_rate',
        count(case when has_added_to_cart and not has_purchased then 1 end)
        / nullif(count(case when has_added_to_cart then 1 end), 0),
        count(case when has_added_to_cart and not has_purchased then 1 end),
        count(case when has_added_to_cart then 1 end),
        'Sessions with an add-to-cart and no purchase / sessions with an add-to-cart (NULL without source events).'
    from sessions
    union all
    select
        'cross_channel_conversion_share',
        count(case when is_cross_channel then 1 end) / nullif(count(*), 0),
        count(case when is_cross_channel then 1 end),
        count(*),
        'Orders whose journey started in another channel than the one they were placed in / orders'
        || ' (kpi_order_journeys).'
    from journeys
),

final as (
    select
        cast(kpi as string) as kpi,
        cast(kpi_value as double) as kpi_value,
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,
        cast(definition as string) as definition
    from kpis
)

select * from final
