"""The customer lifetime value models of this build (omni.clv): BG/NBD (purchases, P(alive)) and
Gamma-Gamma (spend) fitted on the orders of known customers up to the analytics as-of date. One row per
model parameter; when the data is too small or the fit fails, `is_fitted` is false and `note` says why
(the model's predictions are then null).

Incremental: a full build fits; an incremental build keeps the last fit's parameters until
var('clv_refit_days') days have passed since its as-of date or the buyers changed by more than a tenth
(omni.clv.refit_reason); the predictions of int_analytics__clv always use the current orders."""


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key=["model", "parameter"])
    from omni.clv import ClvSettings, fit, parameters_table, refit_reason, summary_from_warehouse

    as_of, summary = summary_from_warehouse(dbt.ref("int_analytics__as_of_date"), dbt.ref("int_core__orders"))
    if dbt.is_incremental:
        previous = session.sql(f"select * from {dbt.this}").df()
        if refit_reason(previous, as_of, int(dbt.config.get("refit_days")), buyers=len(summary)) is None:
            return parameters_table(previous)
    settings = ClvSettings(
        min_customers=int(dbt.config.get("min_customers")),
        min_repeat_customers=int(dbt.config.get("min_repeat_customers")),
    )
    return parameters_table(fit(summary, as_of, settings))
