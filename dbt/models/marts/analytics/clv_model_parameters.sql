-- The customer lifetime value models of this build (int_analytics__clv_model, omni/clv.py): per model
-- (BG/NBD for purchases, Gamma-Gamma for spend) and parameter, the fitted value, whether the model was
-- fitted (enough buyers and repeat buyers, a converged fit) and why not, on which customers and as of
-- which day. customer_segments' p_alive, expected_purchases_90d and predicted_clv_pln come from them.
with

parameters as (
    select * from {{ ref('int_analytics__clv_model') }}
),

final as (
    select
        model,
        parameter,
        value,
        description,
        is_fitted,
        is_converged,
        customer_count,
        repeat_customer_count,
        as_of_date,
        fit_seconds,
        note
    from parameters
)

select * from final
