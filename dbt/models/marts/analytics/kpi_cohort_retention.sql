-- Retention by monthly cohort: of the customers whose first order fell in a month, how many ordered
-- in each later month, for all buyers and for multichannel and single-channel buyers apart.
with

orders as (
    select
        customer_key,
        placed_date
    from {{ ref('fct_orders') }}
    where customer_key is not null
),

segments as (
    select
        customer_key,
        customer_group,
        as_of_date
    from {{ ref('customer_segments') }}
    where order_count > 0
),

customer_months as (
    select distinct
        orders.customer_key,
        cast(date_trunc('month', orders.placed_date) as date) as order_month
    from orders
    inner join segments on segments.customer_key = orders.customer_key
    where orders.placed_date <= segments.as_of_date
),

cohorts as (
    select
        customer_key,
        min(order_month) as cohort_month
    from customer_months
    group by customer_key
),

members as (
    select
        cohorts.customer_key,
        cohorts.cohort_month,
        'all_buyers' as customer_group
    from cohorts
    union all
    select
        cohorts.customer_key,
        cohorts.cohort_month,
        segments.customer_group
    from cohorts
    inner join segments on segments.customer_key = cohorts.customer_key
),

cohort_sizes as (
    select
        cohort_month,
        customer_group,
        count(*) as cohort_customer_count
    from members
    group by cohort_month, customer_group
),

-- every month from the cohort's own to the as-of month, so a month nobody came back still shows 0
months as (
    select
        cohort_sizes.*,
        cast(month_number as integer) as months_since_first_order
    from (
        select
            cohort_sizes.*,
            {{ unnest_list(series('0', 'cast(' ~ date_difference(
                'month', "cohort_sizes.cohort_month", "(select date_trunc('month', max(as_of_date)) from segments)"
            ) ~ ' as bigint)')) }} as month_number
        from cohort_sizes
    ) as cohort_sizes
),

retained as (
    select
        members.cohort_month,
        members.customer_group,
        cast({{ date_difference('month', "members.cohort_month", "customer_months.order_month") }} as integer)
            as months_since_first_order,
        count(*) as retained_customer_count
    from members
    inner join customer_months on customer_months.customer_key = members.customer_key
    group by
        members.cohort_month, members.customer_group,
        {{ date_difference('month', "members.cohort_month", "customer_months.order_month") }}
),

final as (
    select
        months.cohort_month,
        months.customer_group,
        months.months_since_first_order,
        cast(months.cohort_month + {{ interval_months('months.months_since_first_order') }} as date) as activity_month,
        cast(months.cohort_customer_count as bigint) as cohort_customer_count,
        cast(coalesce(retained.retained_customer_count, 0) as bigint) as retained_customer_count,
        cast(coalesce(retained.retained_customer_count, 0) / months.cohort_customer_count as double) as retention_rate
    from months
    left join retained
        on
            retained.cohort_month = months.cohort_month
            and retained.customer_group = months.customer_group
            and retained.months_since_first_order = months.months_since_first_order
)

select * from final
