"""Pairs of records from different deterministic profiles that the matching model
(int_identity__match_model) scores at or above the review probability: their match probability and
weight, and per compared field the level it reached (`gamma_<field>`) and both values."""


def model(dbt, session):
    dbt.config(materialized="table")
    from omni.identity.probabilistic import RECORD_COLUMNS, MatchSettings, predict

    records = dbt.ref("int_identity__match_records").order("unique_id").project(", ".join(RECORD_COLUMNS))
    model_table = dbt.ref("int_identity__match_model").order("comparison, level").fetch_arrow_table()
    settings = MatchSettings(
        match_probability=float(dbt.config.get("match_probability")),
        review_probability=float(dbt.config.get("review_probability")),
    )
    return predict(records.fetch_arrow_table(), model_table, settings)
