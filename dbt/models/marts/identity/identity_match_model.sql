-- The probabilistic matching model this build used (int_identity__match_model): per compared field and
-- level, how often two records of one person reach it (m), how often two records of different people do
-- (u), and the evidence it gives (Bayes factor m/u, match weight log2 of it). `trained` false: the data
-- was too small to train and the documented priors were used (docs/identity.md).
select
    comparison,
    level,
    gamma,
    level_label,
    sql_condition,
    m_probability,
    u_probability,
    bayes_factor,
    log2(bayes_factor) as match_weight,
    probability_two_random_records_match,
    trained,
    records as records_compared,
    notes
from {{ ref('int_identity__match_model') }}
