"""The probabilistic matching model of this build (omni.identity.probabilistic): Splink's priors, trained
on int_identity__match_records when there are enough of them. One row per comparison level: m, u and
the Bayes factor, the prior probability that two records match, whether it was trained."""


def model(dbt, session):
    dbt.config(materialized="table")
    from omni.identity.probabilistic import RECORD_COLUMNS, MatchSettings, train

    records = dbt.ref("int_identity__match_records").order("unique_id").project(", ".join(RECORD_COLUMNS))
    settings = MatchSettings(
        min_records_to_train=int(dbt.config.get("min_records_to_train")),
        seed=int(dbt.config.get("training_seed")),
    )
    return train(records.fetch_arrow_table(), settings)
