-- The credit of every step of every conversion path under the five attribution models, one row per
-- step with one column per model. Each model's credits of an order sum to 1.
--   first touch      1 to step 1
--   last touch       1 to the last step
--   linear           1/n to each of the n steps
--   time decay       weight 0.5 ^ (time before the order / half-life), normalised over the path;
--                    half-life var('attribution_half_life_days', 7); steps at the same moment share alike
--   position based   40% to the first and 40% to the last step, the other 20% shared by the steps in
--                    between; with 2 steps 50/50 (no middle to take the 20%), with 1 step 100%
-- A direct step (an order with no step in the window) is the only step of its path: 1 in every model.
-- Incremental (docs/incremental.md): a run recomputes the orders whose path changed, all steps of each.
{{ config(materialized='incremental', unique_key='order_key') }}

with

paths as (
    select * from {{ ref('int_attribution__conversion_paths') }}
    {% if is_incremental() %}
        where order_key in (
            select changed_paths.order_key from {{ ref('int_attribution__conversion_paths') }} as changed_paths
            where {{ changed_since_last_run('changed_paths') }}
        )
    {% endif %}
),

weighted as (
    select
        *,
        pow(
            cast(0.5 as double),
            seconds_before_order / (cast(86400.0 as double) * {{ var('attribution_half_life_days', 7) }})
        )
            as time_decay_weight
    from paths
),

final as (
    select
        conversion_step_key,
        order_key,
        step_number,
        step_count,
        cast(case when step_number = 1 then 1 else 0 end as double) as first_touch_credit,
        cast(case when step_number = step_count then 1 else 0 end as double) as last_touch_credit,
        cast(1.0 as double) / step_count as linear_credit,
        cast(time_decay_weight as double) as time_decay_weight,
        cast(time_decay_weight / sum(time_decay_weight) over (partition by order_key) as double) as time_decay_credit,
        case
            when step_count = 1 then cast(1.0 as double)
            when step_count = 2 then cast(0.5 as double)
            when step_number = 1 or step_number = step_count then cast(0.4 as double)
            else cast(0.2 as double) / (step_count - 2)
        end as position_based_credit,
        {{ batch_column() }}
    from weighted
)

select * from final
