"""The customer lifetime value models of this build (omni.clv): BG/NBD (purchases, P(alive)) and
Gamma-Gamma (spend) fitted on the orders of known customers up to the analytics as-of date. One row per
model parameter; when the data is too small or the fit fails, `is_fitted` is false and `note` says why
(the model's predictions are then null)."""


def model(dbt, session):
    dbt.config(materialized="table")
    from omni.clv import ClvSettings, fit, parameters_table, summary_from_warehouse

    as_of, summary = summary_from_warehouse(dbt.ref("int_analytics__as_of_date"), dbt.ref("int_core__orders"))
    settings = ClvSettings(
        min_customers=int(dbt.config.get("min_customers")),
        min_repeat_customers=int(dbt.config.get("min_repeat_customers")),
    )
    return parameters_table(fit(summary, as_of, settings))
