"""Per known buyer up to the analytics as-of date: the CLV summary (repeat purchase days, recency and
age in days, mean spend of repeat purchases) and the predictions of the models of int_analytics__clv_model
(omni.clv): P(alive), expected purchases in the next 90 days, expected spend per purchase and the
expected, discounted 12-month customer lifetime value. Null where a model was not fitted."""


def model(dbt, session):
    dbt.config(materialized="table")
    from omni.clv import ClvSettings, customers_table, predict, summary_from_warehouse

    _as_of, summary = summary_from_warehouse(
        dbt.ref("int_analytics__as_of_date"), dbt.ref("int_core__orders")
    )
    parameters = dbt.ref("int_analytics__clv_model").df()
    settings = ClvSettings(annual_discount_rate=float(dbt.config.get("annual_discount_rate")))
    return customers_table(summary, predict(summary, parameters, settings))
