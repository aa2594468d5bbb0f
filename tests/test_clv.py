"""The customer lifetime value models (omni/clv.py): the summary they read, their fit, their predictions
and what happens when there is too little data.

* The summary counts purchase days: same-day orders are one purchase worth their sum, `frequency` is the
  purchase days after the first, `recency` and `T` are days to the last purchase day and to the as-of
  date; it agrees with PyMC-Marketing's own `rfm_summary`.
* Parameter recovery: purchases simulated from known BG/NBD and Gamma-Gamma parameters (two parameter
  sets x two seeds, 4,000 customers each observed 180-720 days after their first purchase), dated as
  orders and summarised as the warehouse does, are fitted back. Relative tolerances: r, alpha and q 15%;
  the mean purchase rate r / alpha 10%; the mean probability to leave a / (a + b) 15%; the mean purchase
  value p v / (q - 1) 5%; a, b, p and v 50% each, because the likelihood hardly tells a from b or p from
  v apart (the ratios above are what it pins down). Over eight seeds the worst errors were r 5%, alpha
  9%, q 5%, r / alpha 7%, a / (a + b) 10%, p v / (q - 1) 3%, a 19%, b 35%, p 20%, v 23%: the tolerances
  are about three standard errors. The fitted models' 12-month CLV of the population is within 5% of
  the true parameters'.
* A large population (100,000 customers), where the optimiser alone stops short of the maximum, is
  fitted to it: both models converge.
* Predictions match the published closed forms (Fader, Hardie & Lee) computed here, in days.
* Too little data: nothing is fitted, every parameter row says why, every prediction is null, and a
  warehouse of four customers builds.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from omni.clv import (
    BG_NBD,
    GAMMA_GAMMA,
    PARAMETERS,
    BgNbd,
    ClvSettings,
    GammaGamma,
    customers_table,
    fit,
    orders_from_purchases,
    parameters_table,
    predict,
    refit_reason,
    simulate,
    summarize,
)
from tests.support import dbt

AS_OF = dt.date(2026, 1, 31)


def orders(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [(key, dt.date.fromisoformat(day), total) for key, day, total in rows],
        columns=["customer_key", "placed_date", "order_total_pln"],
    )


def known_parameters(bg: BgNbd, gg: GammaGamma, as_of: dt.date = AS_OF) -> pd.DataFrame:
    """A parameters table (as `fit` makes it) holding known values."""
    values = {**bg.__dict__, **gg.__dict__}
    return pd.DataFrame(
        [
            {"model": model, "parameter": name, "value": values[name], "is_fitted": True, "as_of_date": as_of}
            for model, names in PARAMETERS.items()
            for name in names
        ]
    )


# --- the summary -------------------------------------------------------------------------------------


def test_the_summary_counts_purchase_days_in_days_to_the_as_of_date():
    summary = summarize(
        orders(
            # two orders on 1 January are one purchase of 30; two on the 5th one of 36
            ("a", "2026-01-01", 10.0),
            ("a", "2026-01-01", 20.0),
            ("a", "2026-01-05", 30.0),
            ("a", "2026-01-05", 6.0),
            ("a", "2026-01-08", 40.0),
            # one order on the as-of date: T = 0
            ("b", "2026-01-10", 15.0),
            # the order after the as-of date is not known yet
            ("c", "2026-01-03", 5.0),
            ("c", "2026-01-12", 99.0),
        ),
        dt.date(2026, 1, 10),
    ).set_index("customer_id")
    assert summary.loc["a"].to_dict() == {"frequency": 2, "recency": 7, "T": 9, "monetary_value": 38.0}
    assert summary.loc["b"].to_dict() == {"frequency": 0, "recency": 0, "T": 0, "monetary_value": 0.0}
    assert summary.loc["c"].to_dict() == {"frequency": 0, "recency": 0, "T": 7, "monetary_value": 0.0}


def test_the_summary_agrees_with_pymc_marketing():
    from pymc_marketing.clv import rfm_summary

    rng = np.random.default_rng(3)
    n = 2000
    days = pd.to_datetime("2025-06-01") + pd.to_timedelta(rng.integers(0, 240, n), unit="D")
    data = pd.DataFrame(
        {
            "customer_key": [f"k{i}" for i in rng.integers(0, 400, n)],
            "placed_date": days.date,
            "order_total_pln": rng.gamma(2.0, 50.0, n).round(2),
        }
    )
    ours = summarize(data, AS_OF).set_index("customer_id").sort_index()
    theirs = (
        rfm_summary(
            data.assign(placed_date=pd.to_datetime(data["placed_date"])),
            "customer_key",
            "placed_date",
            monetary_value_col="order_total_pln",
            observation_period_end=pd.Timestamp(AS_OF),
        )
        .set_index("customer_id")
        .sort_index()
    )
    assert (ours["frequency"] > 0).sum() > 100  # same-day orders and repeat buyers are there to compare
    pd.testing.assert_frame_equal(ours, theirs[ours.columns], check_dtype=False, check_names=False)


def test_the_summary_refuses_an_order_without_a_total():
    with pytest.raises(ValueError, match=r"1 order\(s\) with a null order_total_pln"):
        summarize(orders(("a", "2026-01-01", 10.0), ("b", "2026-01-02", None)), AS_OF)


def test_no_as_of_date_means_no_customers():
    assert summarize(orders(("a", "2026-01-01", 10.0)), None).empty


# --- recovery of known parameters --------------------------------------------------------------------

TRUE = {
    "light_buyers": (BgNbd(r=0.8, alpha=60.0, a=0.8, b=4.0), GammaGamma(p=6.0, q=4.0, v=150.0)),
    "frequent_leavers": (BgNbd(r=0.5, alpha=30.0, a=1.2, b=6.0), GammaGamma(p=3.0, q=8.0, v=400.0)),
}
TOLERANCE = {"r": 0.15, "alpha": 0.15, "q": 0.15, "a": 0.5, "b": 0.5, "p": 0.5, "v": 0.5}


@pytest.fixture(
    scope="module",
    params=[(name, seed) for name in TRUE for seed in (1, 2)],
    ids=lambda param: f"{param[0]}-seed{param[1]}",
)
def recovered(request):
    name, seed = request.param
    bg, gg = TRUE[name]
    exact, purchases = simulate(4000, bg, gg, seed=seed)
    summary = summarize(orders_from_purchases(purchases, exact, AS_OF), AS_OF)
    return bg, gg, summary, fit(summary, AS_OF)


def test_fit_recovers_the_parameters(recovered):
    bg, gg, summary, parameters = recovered
    assert parameters["is_fitted"].all() and parameters["is_converged"].all(), parameters["note"].tolist()
    fitted = dict(zip(parameters["parameter"], parameters["value"], strict=True))
    true = {**bg.__dict__, **gg.__dict__}
    derived = {
        "r / alpha": (lambda x: x["r"] / x["alpha"], 0.10),
        "a / (a + b)": (lambda x: x["a"] / (x["a"] + x["b"]), 0.15),
        "p v / (q - 1)": (lambda x: x["p"] * x["v"] / (x["q"] - 1), 0.05),
    }
    errors = {k: fitted[k] / true[k] - 1 for k in TOLERANCE}
    errors |= {k: f(fitted) / f(true) - 1 for k, (f, _) in derived.items()}
    limits = TOLERANCE | {k: tol for k, (_, tol) in derived.items()}
    assert all(abs(errors[k]) <= limits[k] for k in limits), {k: round(v, 3) for k, v in errors.items()}
    assert parameters["customer_count"].tolist() == [4000] * 4 + [(summary["frequency"] > 0).sum()] * 3


def test_the_fitted_clv_is_near_the_true_models(recovered):
    bg, gg, summary, parameters = recovered
    fitted = predict(summary, parameters)
    true = predict(summary, known_parameters(bg, gg))
    for column in ("expected_purchases_90d", "expected_clv_12m_pln"):
        assert fitted[column].mean() == pytest.approx(true[column].mean(), rel=0.05), column
    assert fitted["p_alive"].between(0, 1).all()


def test_a_population_that_leaves_alike_is_fitted_on_the_ridge():
    """When every customer leaves with the same probability (no heterogeneity: a and b without bound,
    a / (a + b) fixed), the likelihood keeps rising along a ridge; the fit follows it to a maximum instead
    of stopping half-way, and says so."""
    bg, gg = BgNbd(r=0.8, alpha=60.0, a=2000.0, b=38000.0), GammaGamma(p=6.0, q=4.0, v=150.0)
    exact, purchases = simulate(4000, bg, gg, seed=1)
    summary = summarize(orders_from_purchases(purchases, exact, AS_OF), AS_OF)
    parameters = fit(summary, AS_OF)
    rows = parameters[parameters["model"] == BG_NBD].set_index("parameter")
    assert rows["is_fitted"].all() and rows["is_converged"].all(), rows["note"].iloc[0]
    a, b = rows.loc["a", "value"], rows.loc["b", "value"]
    assert a + b > 1e4 and a / (a + b) == pytest.approx(0.05, rel=0.15)
    assert rows.loc["r", "value"] / rows.loc["alpha", "value"] == pytest.approx(0.8 / 60.0, rel=0.10)
    assert rows["note"].iloc[0].startswith("the probability to leave hardly differs between customers")


def test_the_convergence_check_tells_a_stopped_fit_from_a_maximum():
    from omni.clv import _convergence, _model_columns, _new_model

    bg, gg = TRUE["light_buyers"]
    summary, _ = simulate(1000, bg, gg, seed=4)
    for maxeval, expected in ((10, False), (5000, True)):
        model = _new_model(BG_NBD)
        model.fit(
            data=summary[_model_columns(BG_NBD)], method="map", progressbar=False, maxeval=maxeval, tol=1e-10
        )
        converged, why = _convergence(model, ClvSettings())
        assert converged is expected, (maxeval, why)
        assert expected or why.startswith("the log-likelihood still rises by")


def test_a_large_population_is_fitted_to_the_maximum():
    """With 100,000 customers the log-likelihood is of the order of 1e6 and the optimiser, whose tolerance
    is relative to it, stops short of the maximum: in the flat valley of BG/NBD's a and b (customers who
    hardly ever leave) and on Gamma-Gamma's ridge (spend levels that do not differ between customers: q
    and v without bound). The fit climbs on to the maximum, and both models converge."""
    bg, gg = BgNbd(r=1.65, alpha=185.0, a=0.18, b=26.0), GammaGamma(p=0.64, q=1e9, v=1.7e12)
    summary, _ = simulate(100_000, bg, gg, seed=6, min_t_days=0.0, max_t_days=366.0)
    parameters = fit(summary, AS_OF)
    assert parameters["is_fitted"].all() and parameters["is_converged"].all(), parameters["note"].unique()
    fitted = dict(zip(parameters["parameter"], parameters["value"], strict=True))
    assert fitted["r"] / fitted["alpha"] == pytest.approx(bg.r / bg.alpha, rel=0.05)
    assert fitted["p"] * fitted["v"] / (fitted["q"] - 1) == pytest.approx(gg.p * gg.v / gg.q, rel=0.05)


# --- predictions -------------------------------------------------------------------------------------


def test_predictions_are_the_closed_forms_in_days():
    bg, gg = BgNbd(r=0.6, alpha=40.0, a=0.9, b=3.5), GammaGamma(p=4.0, q=5.0, v=120.0)
    summary = pd.DataFrame(
        {
            "customer_id": ["once", "twice", "often", "gone_quiet"],
            "frequency": [0.0, 1.0, 6.0, 6.0],
            "recency": [0.0, 30.0, 200.0, 40.0],
            "T": [50.0, 90.0, 210.0, 210.0],
            "monetary_value": [0.0, 80.0, 55.0, 55.0],
        }
    )
    undiscounted = predict(summary, known_parameters(bg, gg), ClvSettings(annual_discount_rate=0.0))
    x, t_x, T = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    r, alpha, a, b = bg.r, bg.alpha, bg.a, bg.b
    odds = (x > 0) * a / (b + np.maximum(x, 1) - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x)

    def purchases(t: float) -> np.ndarray:  # Fader, Hardie & Lee (2005), equation 10
        tail = ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1, t / (alpha + T + t)
        )
        return (a + b + x - 1) / (a - 1) * (1 - tail) / (1 + odds)

    spend = gg.p * (gg.v + x * summary["monetary_value"].to_numpy()) / (gg.p * x + gg.q - 1)
    np.testing.assert_allclose(undiscounted["p_alive"], 1 / (1 + odds), rtol=1e-9)
    np.testing.assert_allclose(undiscounted["expected_purchases_90d"], purchases(90.0), rtol=1e-9)
    np.testing.assert_allclose(undiscounted["expected_spend_pln"], spend, rtol=1e-9)
    # 12 months of 30 days
    np.testing.assert_allclose(undiscounted["expected_clv_12m_pln"], purchases(360.0) * spend, rtol=1e-9)
    # a customer who bought often and stopped is less likely alive than one who bought as often lately
    assert undiscounted["p_alive"].iloc[3] < 0.5 < undiscounted["p_alive"].iloc[2]
    # discounting 10% a year, monthly: less than undiscounted, more than all of it a year away
    discounted = predict(summary, known_parameters(bg, gg), ClvSettings(annual_discount_rate=0.10))
    assert (discounted["expected_clv_12m_pln"] < undiscounted["expected_clv_12m_pln"]).all()
    assert (discounted["expected_clv_12m_pln"] > undiscounted["expected_clv_12m_pln"] / 1.1).all()


# --- too little data ---------------------------------------------------------------------------------


def test_four_customers_fit_nothing_and_predict_nulls():
    summary = summarize(
        orders(
            ("a", "2026-01-01", 10.0),
            ("a", "2026-01-09", 12.0),
            ("b", "2026-01-02", 20.0),
            ("c", "2026-01-20", 30.0),
            ("d", "2026-01-30", 40.0),
        ),
        AS_OF,
    )
    parameters = fit(summary, AS_OF)
    assert len(parameters) == 7
    assert not parameters["is_fitted"].any()
    assert parameters["is_converged"].isna().all() and parameters["value"].isna().all()
    assert set(parameters.loc[parameters["model"] == BG_NBD, "note"]) == {
        "4 buyers, fewer than clv_min_customers = 50"
    }
    assert set(parameters.loc[parameters["model"] == GAMMA_GAMMA, "note"]) == {
        "1 repeat buyers with a positive spend, fewer than clv_min_repeat_customers = 20"
    }
    table = customers_table(summary, predict(summary, parameters))
    assert table.num_rows == 4
    for column in ("p_alive", "expected_purchases_90d", "expected_spend_pln", "expected_clv_12m_pln"):
        assert table.column(column).null_count == 4, column
    stored = parameters_table(parameters)
    assert stored.column("value").null_count == 7 and stored.column("as_of_date").to_pylist()[0] == AS_OF


def test_enough_buyers_but_few_repeat_buyers_fit_nothing():
    summary = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(200)],
            "frequency": [1.0] * 19 + [0.0] * 181,
            "recency": [10.0] * 19 + [0.0] * 181,
            "T": [60.0] * 200,
            "monetary_value": [50.0] * 19 + [0.0] * 181,
        }
    )
    parameters = fit(summary, AS_OF)
    assert not parameters["is_fitted"].any()
    assert set(parameters.loc[parameters["model"] == BG_NBD, "note"]) == {
        "19 repeat buyers, fewer than clv_min_repeat_customers = 20"
    }


def test_without_spend_to_model_purchases_are_predicted_and_clv_is_null():
    """Repeat buyers whose repeat purchases cost nothing (vouchers) leave Gamma-Gamma too little to fit:
    P(alive) and purchases are predicted, spend and CLV are null."""
    bg, gg = TRUE["light_buyers"]
    summary, _ = simulate(500, bg, gg, seed=5)
    summary["monetary_value"] = np.where(summary.index < 10, summary["monetary_value"], 0.0)
    parameters = fit(summary, AS_OF)
    by_model = parameters.groupby("model")["is_fitted"].all()
    assert by_model[BG_NBD] and not by_model[GAMMA_GAMMA]
    note = parameters.loc[parameters["model"] == GAMMA_GAMMA, "note"].iloc[0]
    assert "fewer than clv_min_repeat_customers" in note and "with no positive spend left out" in note
    predictions = predict(summary, parameters)
    assert predictions["p_alive"].notna().all() and predictions["expected_purchases_90d"].notna().all()
    assert predictions["expected_spend_pln"].isna().all() and predictions["expected_clv_12m_pln"].isna().all()


@pytest.mark.e2e
def test_a_warehouse_of_four_customers_builds_without_clv(xs_world, tmp_path):
    """A copy of a built demo warehouse keeps the orders of four customers; the CLV models and every mart
    downstream build again: parameters not fitted with the reason, predictions null."""
    world = xs_world(7)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(world.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        # the CLV models read the intermediate orders; the marts downstream read fct_orders (its copy)
        for table in ("intermediate.int_core__orders", "marts.fct_orders"):
            con.execute(
                f"delete from {table} where customer_key is null or customer_key not in "
                f"(select customer_key from {table} where customer_key is not null "
                "group by 1 order by 1 limit 4)"
            )
    out = dbt(
        warehouse, "build", "--select", "int_analytics__as_of_date+", "--exclude-resource-type", "unit_test"
    )
    assert out.returncode == 0, out.stdout[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        parameters = con.execute(
            "select model, count(*), bool_or(is_fitted), count(value), min(note), max(note) "
            "from marts.clv_model_parameters group by 1 order by 1"
        ).fetchall()
        segments = con.execute(
            "select count(*) filter (where order_count > 0), count(p_alive), count(predicted_clv_pln), "
            "count(expected_purchases_90d) from marts.customer_segments"
        ).fetchall()
        groups = con.execute("select avg_predicted_clv_pln from marts.kpi_customer_groups").fetchall()
    assert [row[:4] for row in parameters] == [(BG_NBD, 4, False, 0), (GAMMA_GAMMA, 3, False, 0)]
    assert parameters[0][4] == parameters[0][5] == "4 buyers, fewer than clv_min_customers = 50"
    assert segments == [(4, 0, 0, 0)]
    assert groups and all(value is None for (value,) in groups)


def test_an_incremental_build_keeps_a_fit_until_refit_days_passed():
    fitted = pd.DataFrame(
        {
            "model": ["bg_nbd", "gamma_gamma"],
            "is_fitted": [True, True],
            "as_of_date": [dt.date(2026, 5, 1)] * 2,
            "customer_count": [200, 150],
        }
    )
    assert refit_reason(fitted, dt.date(2026, 5, 1), 7) is None
    assert refit_reason(fitted, dt.date(2026, 5, 7), 7) is None
    assert refit_reason(fitted, dt.date(2026, 5, 8), 7) == "7 day(s) since the last fit, refit every 7"
    assert refit_reason(fitted, dt.date(2026, 5, 1), 0) == "0 day(s) since the last fit, refit every 0"
    assert (
        refit_reason(fitted, dt.date(2026, 4, 30), 7)
        == "the as-of date moved back 1 day(s) since the last fit"
    )
    assert refit_reason(None, dt.date(2026, 5, 1), 7) == "no fit yet"
    assert refit_reason(fitted.iloc[:0], dt.date(2026, 5, 1), 7) == "no fit yet"
    assert refit_reason(fitted, None, 7) == "no as-of date"
    # a model not fitted for too little data (not tried) is tried again; one whose fit was tried and failed
    # is kept like a fitted one until refit_days (it would fail again on nearly the same data)
    unfitted = fitted.assign(is_fitted=[True, False], fit_seconds=[1.5, None])
    assert refit_reason(unfitted, dt.date(2026, 5, 2), 7) == "the last fit has a model that was not fitted"
    failed = fitted.assign(is_fitted=[True, False], fit_seconds=[1.5, 30.7])
    assert refit_reason(failed, dt.date(2026, 5, 2), 7) is None
    assert refit_reason(failed, dt.date(2026, 5, 8), 7) == "7 day(s) since the last fit, refit every 7"
    mixed = fitted.assign(as_of_date=[dt.date(2026, 5, 1), dt.date(2026, 4, 1)])
    assert refit_reason(mixed, dt.date(2026, 5, 2), 7) == "the last fit has no single as-of date"
    # the buyers the BG/NBD fit was made on: a change of more than a tenth refits
    assert refit_reason(fitted, dt.date(2026, 5, 2), 7, buyers=220) is None
    assert refit_reason(fitted, dt.date(2026, 5, 2), 7, buyers=180) is None
    assert refit_reason(fitted, dt.date(2026, 5, 2), 7, buyers=221) == "200 buyers at the last fit, 221 now"
    assert refit_reason(fitted, dt.date(2026, 5, 2), 7, buyers=4) == "200 buyers at the last fit, 4 now"
    with pytest.raises(ValueError, match="refit_days"):
        refit_reason(fitted, dt.date(2026, 5, 2), -1)
