"""Customer lifetime value: how many purchases a buyer will make, whether they are still a customer, and
what they will spend, from the orders up to the analytics as-of date.

Two standard probabilistic models, fitted with PyMC-Marketing (maximum a posteriori with flat priors, i.e.
maximum likelihood, as the models' authors fit them; the optimiser's result is polished with Newton steps,
as it stops short on large data sets) on every full build (incremental builds: refit_reason):

* **BG/NBD** (Fader, Hardie & Lee 2005, `pymc_marketing.clv.BetaGeoModel`) for purchases: while a
  customer is alive they buy at a rate lambda ~ Gamma(shape r, rate alpha) per day; after each repeat
  purchase they leave for good with probability p ~ Beta(a, b). It gives P(alive) and the expected number
  of purchases in a coming period.
* **Gamma-Gamma** (Fader & Hardie 2013, `pymc_marketing.clv.GammaGammaModel`) for spend: a customer's
  purchases are worth z ~ Gamma(shape p, rate nu), nu ~ Gamma(shape q, rate v) across customers. It
  gives the expected spend of a customer's future purchases, their own mean shrunk towards the
  population mean. It is fitted on repeat buyers only (it needs frequency > 0) and assumes spend does
  not depend on how often a customer buys (the fit notes the correlation between the two).

Customer lifetime value over the next `CLV_HORIZON_MONTHS` months is the expected purchases of each
month times the expected spend, discounted monthly (`expected_customer_lifetime_value`).

**The summary** (`summarize`): time is in days. A purchase is a day with at least one order: two orders
of one customer on the same day (a web order and a store receipt) are one purchase occasion worth their
sum, as BG/NBD counts occasions, not baskets. `frequency` = purchase days after the first (repeat
purchases), `recency` = days from the first to the last purchase day, `T` = days from the first purchase
day to the as-of date (an order on the as-of date gives T = 0), `monetary_value` = mean spend of the
repeat purchase days (0 without any; the first purchase is left out as the models expect).

**When there is too little data** (`ClvSettings`): fewer buyers than `min_customers` or fewer repeat
buyers than `min_repeat_customers` and nothing is fitted; a fit that does not reach a maximum
(`max_likelihood_gain`) or gives unusable parameters is kept but marked not fitted. The parameters table
always has one row per model parameter saying what happened (`note`), and the predictions of a model
that was not fitted are null: a small retailer's build never fails on this.

`simulate` draws purchases from known parameters (the tests recover them with `fit`).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

BG_NBD = "bg_nbd"
GAMMA_GAMMA = "gamma_gamma"

# what each parameter means, in the units of the summary (days, PLN)
PARAMETERS: dict[str, dict[str, str]] = {
    BG_NBD: {
        "r": "shape of the gamma distribution of purchase rates across customers",
        "alpha": "rate (in days) of that gamma distribution: mean purchases per day = r / alpha",
        "a": "first shape of the beta distribution of the probability to leave after a purchase",
        "b": "second shape of that beta distribution: mean probability to leave = a / (a + b)",
    },
    GAMMA_GAMMA: {
        "p": "shape of the gamma distribution of one customer's purchase values",
        "q": "shape of the gamma distribution of nu (the rate of a customer's purchase values)",
        "v": "rate of that gamma distribution, PLN: mean purchase value = p v / (q - 1)",
    },
}

SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")
PURCHASES_HORIZON_DAYS = 90
# PyMC-Marketing counts a month as 30 days for daily data: 12 months are 360 days
CLV_HORIZON_MONTHS = 12
# past this, a population distribution hardly varies between customers: Gamma-Gamma's q (nu varies by
# 1 / sqrt(q) < 1%), BG/NBD's a + b (the probability to leave varies by less than 1 point)
HOMOGENEOUS = 1e4
# the optimiser's tolerance (scipy L-BFGS-B through pymc.find_MAP): its default stops on the flat ridge
# along which the likelihood still rises when everyone leaves with the same probability (a and b large).
# It is relative to the size of the log-likelihood, which grows with the number of customers: the fit
# polishes the optimiser's result (`_polish`)
OPTIMIZER_TOLERANCE = 1e-10
# the polish takes at most this many steps (each costs about one convergence check) and aims at this share
# of `max_likelihood_gain`, to end clear of it
POLISH_STEPS = 10
POLISH_TARGET = 0.1
# the steps (in the optimiser's parameters, both ways) at which the convergence check looks at the
# log-likelihood directly along the directions where it does not curve down clearly
PROBE_STEPS = (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class ClvSettings:
    min_customers: int = 50  # buyers needed to fit BG/NBD
    min_repeat_customers: int = 20  # repeat buyers needed to fit BG/NBD and Gamma-Gamma
    annual_discount_rate: float = 0.10  # discounts future spend in the CLV (monthly: (1 + rate)^(1/12) - 1)
    # a fit has converged when the log-likelihood rises by less than this near the fitted point
    # (log-likelihood units; the parameters' sampling noise is of the order of 1)
    max_likelihood_gain: float = 1e-3

    def __post_init__(self) -> None:
        if self.min_customers < 1 or self.min_repeat_customers < 1:
            raise ValueError(
                "CLV settings: min_customers and min_repeat_customers must be at least 1, got "
                f"{self.min_customers} and {self.min_repeat_customers}"
            )
        if not -1 < self.annual_discount_rate < 10:
            raise ValueError(
                f"CLV settings: annual_discount_rate must be a yearly fraction (0.1 = 10%), got {self.annual_discount_rate}"
            )

    @property
    def monthly_discount_rate(self) -> float:
        return (1 + self.annual_discount_rate) ** (1 / 12) - 1


# --- the summary -------------------------------------------------------------------------------------


def summarize(orders: pd.DataFrame, as_of: dt.date | None) -> pd.DataFrame:
    """Per customer: frequency, recency, T (days) and monetary_value from `orders` (columns customer_key,
    placed_date, order_total_pln), as the module docstring defines them. Orders after `as_of` are not
    known on that day and are left out (no as-of date: a warehouse without data, no customers); a
    missing key, date or total is an error."""
    columns = ["customer_key", "placed_date", "order_total_pln"]
    missing_columns = [c for c in columns if c not in orders.columns]
    if missing_columns:
        raise ValueError(f"CLV summary: orders lack column(s) {', '.join(missing_columns)}")
    for column in columns:
        nulls = orders[orders[column].isna()]
        if len(nulls):
            raise ValueError(
                f"CLV summary: {len(nulls)} order(s) with a null {column}, e.g. "
                f"{nulls.head(3).to_dict('records')}"
            )
    if as_of is None:
        orders = orders.iloc[0:0]
    as_of_ts = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(0)
    frame = pd.DataFrame(
        {
            "customer_id": orders["customer_key"].astype(str),
            "day": pd.to_datetime(orders["placed_date"]).dt.normalize(),
            "value": orders["order_total_pln"].astype(float),
        }
    )
    frame = frame[frame["day"] <= as_of_ts]
    if frame.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=object if c == "customer_id" else float) for c in SUMMARY_COLUMNS}
        )
    # one purchase occasion per customer and day, worth the day's orders; summed in one order whatever the
    # order the engine returned the rows in (a sum of doubles depends on it, and the fit on the sums:
    # DuckDB and Spark must give the same model)
    frame = frame.sort_values(["customer_id", "day", "value"], kind="stable")
    days = (
        frame.groupby(["customer_id", "day"], as_index=False)["value"]
        .sum()
        .sort_values(["customer_id", "day"])
    )
    days["is_first"] = ~days.duplicated("customer_id")
    per_customer = days.groupby("customer_id").agg(
        purchase_days=("day", "size"), first_day=("day", "min"), last_day=("day", "max")
    )
    repeat_value = days[~days["is_first"]].groupby("customer_id")["value"].mean()
    summary = pd.DataFrame(
        {
            "customer_id": per_customer.index,
            "frequency": (per_customer["purchase_days"] - 1).astype(float).to_numpy(),
            "recency": (per_customer["last_day"] - per_customer["first_day"])
            .dt.days.astype(float)
            .to_numpy(),
            "T": (as_of_ts - per_customer["first_day"]).dt.days.astype(float).to_numpy(),
            "monetary_value": repeat_value.reindex(per_customer.index).fillna(0.0).to_numpy(),
        }
    )
    return summary.reset_index(drop=True)


def summary_from_warehouse(as_of_date, orders) -> tuple[dt.date | None, pd.DataFrame]:
    """In a dbt Python model: the analytics as-of date and the summary of the known customers' orders up
    to it, from the DuckDB relations of int_analytics__as_of_date and fct_orders (the model itself calls
    `dbt.ref`, so that dbt sees the dependencies)."""
    as_of = as_of_date.fetchall()[0][0]
    known = orders.filter("customer_key is not null").project(
        "customer_key, placed_date, cast(order_total_pln as double) as order_total_pln"
    )
    return as_of, summarize(known.df(), as_of)


# --- fitting -----------------------------------------------------------------------------------------


def fit(summary: pd.DataFrame, as_of: dt.date | None, settings: ClvSettings | None = None) -> pd.DataFrame:
    """Fit BG/NBD and Gamma-Gamma on `summary` (see `summarize`). One row per model parameter: model,
    parameter, value (null when not fitted), is_fitted, is_converged, customer_count (customers the model
    was fitted on, or would have been), repeat_customer_count, as_of_date, fit_seconds, note,
    description."""
    settings = settings or ClvSettings()
    buyers = len(summary)
    repeat = summary[summary["frequency"] > 0]
    rows = []

    bg_reason = _not_enough(buyers, len(repeat), settings)
    rows += _fit_model(BG_NBD, summary, bg_reason, settings, repeat_count=len(repeat))

    spenders = repeat[repeat["monetary_value"] > 0]
    gg_reason = None
    if len(spenders) < settings.min_repeat_customers:
        gg_reason = (
            f"{len(spenders)} repeat buyers with a positive spend, fewer than "
            f"clv_min_repeat_customers = {settings.min_repeat_customers}"
        )
    gg_rows = _fit_model(GAMMA_GAMMA, spenders, gg_reason, settings, repeat_count=len(spenders))
    notes = []
    if len(spenders) < len(repeat):
        notes.append(f"{len(repeat) - len(spenders)} repeat buyers with no positive spend left out")
    if (
        len(spenders) >= 3
        and spenders["frequency"].nunique() > 1
        and spenders["monetary_value"].nunique() > 1
    ):
        correlation = float(np.corrcoef(spenders["frequency"], spenders["monetary_value"])[0, 1])
        notes.append(f"correlation of frequency and spend {correlation:.2f} (the model assumes none)")
    for row in gg_rows:
        row["note"] = "; ".join([row["note"], *notes]) if row["note"] else "; ".join(notes)
    rows += gg_rows

    table = pd.DataFrame(rows)
    table["as_of_date"] = as_of
    return table


def _not_enough(buyers: int, repeat: int, settings: ClvSettings) -> str | None:
    if buyers == 0:
        return "no buyers up to the as-of date"
    if buyers < settings.min_customers:
        return f"{buyers} buyers, fewer than clv_min_customers = {settings.min_customers}"
    if repeat < settings.min_repeat_customers:
        return (
            f"{repeat} repeat buyers, fewer than clv_min_repeat_customers = {settings.min_repeat_customers}"
        )
    return None


def _fit_model(
    name: str, data: pd.DataFrame, reason: str | None, settings: ClvSettings, repeat_count: int
) -> list[dict]:
    values: dict[str, float | None] = dict.fromkeys(PARAMETERS[name])
    converged: bool | None = None
    seconds = None
    if reason is None:
        started = time.perf_counter()
        try:
            model = _new_model(name)
            model.fit(
                data=data[_model_columns(name)].reset_index(drop=True),
                method="map",
                progressbar=False,
                tol=OPTIMIZER_TOLERANCE,
            )
            values = {k: float(model.fit_result[k].values.squeeze()) for k in PARAMETERS[name]}
            converged, check = _polish(model, settings)  # the optimiser's values stay if this fails
            values = {k: float(model.fit_result[k].values.squeeze()) for k in PARAMETERS[name]}
            reason = _unusable(name, values, converged, check)
        except Exception as exc:  # an optimiser failure is a finding of this build, not a failed build
            converged = False
            reason = f"fit failed: {type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - started
    fitted = reason is None
    note = reason or ""
    if fitted and name == GAMMA_GAMMA and values["q"] > HOMOGENEOUS:
        note = (
            "spend levels hardly differ between customers (q and v very large): "
            "expected spend is the population mean"
        )
    if fitted and name == BG_NBD and values["a"] + values["b"] > HOMOGENEOUS:
        leave = values["a"] / (values["a"] + values["b"])
        note = (
            "the probability to leave hardly differs between customers (a and b very large): "
            f"each leaves after a repeat purchase with probability a / (a + b) = {leave:.2%}"
        )
    return [
        {
            "model": name,
            "parameter": parameter,
            "value": values[parameter]
            if values[parameter] is not None and math.isfinite(values[parameter])
            else None,
            "is_fitted": fitted,
            "is_converged": converged,
            "customer_count": len(data),
            "repeat_customer_count": repeat_count,
            "fit_seconds": seconds,
            "note": note,
            "description": PARAMETERS[name][parameter],
        }
        for parameter in PARAMETERS[name]
    ]


def _unusable(name: str, values: dict[str, float], converged: bool, check: str) -> str | None:
    if not all(math.isfinite(v) and v > 0 for v in values.values()):
        shown = ", ".join(f"{k} = {v:.3g}" for k, v in values.items())
        return f"the fit gave parameters that are not positive numbers: {shown}"
    if not converged:
        return f"the fit did not converge: {check}"
    if name == GAMMA_GAMMA and values["q"] <= 1:
        return f"q = {values['q']:.3g} <= 1: the mean purchase value is not finite"
    return None


def _model_columns(name: str) -> list[str]:
    return (
        ["customer_id", "frequency", "recency", "T"]
        if name == BG_NBD
        else ["customer_id", "frequency", "monetary_value"]
    )


def _new_model(name: str):
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

    # flat priors: the maximum a posteriori is the maximum likelihood estimate, whatever the time unit
    if name == BG_NBD:
        return BetaGeoModel(model_config={k: Prior("HalfFlat") for k in PARAMETERS[BG_NBD]})
    return GammaGammaModel(model_config={k: Prior("HalfFlat") for k in PARAMETERS[GAMMA_GAMMA]})


def _convergence(model, settings: ClvSettings) -> tuple[bool, str]:
    """Whether the fitted point is a maximum of the log-likelihood: how much it could still rise nearby,
    in the parameters the optimiser moves (their logarithms), is under `settings.max_likelihood_gain`.
    Along the directions where the likelihood curves down clearly (the Hessian's eigenvectors with
    curvature below -1: a step of 1, a factor e on the parameters, costs more than half a unit) the rise
    is the Newton step's; along the others, flat or curving up, it is looked at directly, at steps of
    0.5 to 2 both ways, and at the Newton step where the likelihood curves down gently and that step is
    shorter than 2 (a rise closer than 0.5 would escape the other steps). A ridge (a parameter pair
    running off to infinity together, as a and b do when every customer leaves with the same
    probability) is a maximum when it has levelled off. Returns (converged, why not)."""
    likelihood = _LogLikelihood(model)
    return _verdict(likelihood.ascent(likelihood.start), settings)


def _polish(model, settings: ClvSettings) -> tuple[bool, str]:
    """Climb from the optimiser's result to the maximum `_convergence` looks for, and judge the point
    reached as `_convergence` does; that point becomes the model's fit result. Returns (converged, why
    not).

    The optimiser stops short on large data sets: it stops when a step improves the log-likelihood by
    less than OPTIMIZER_TOLERANCE times the log-likelihood, which grows with the number of customers
    (with 150,000 customers, a step under 2e-4 ends the fit while the flat valley of BG/NBD's a and b
    still rises by more than 1), and its line search fails along a ridge that rises by thousandths
    while rounding moves a log-likelihood of 1e5 customers by about 1e-4 (Gamma-Gamma's q and v when
    spend levels hardly differ). Each step here is what `_convergence` measures: the Newton step along
    the directions where the likelihood curves down clearly and the best looked-at step along the
    others; the first of both together, each alone, or the Newton step halved or quartered that raises
    the log-likelihood by more than the target is taken. The polish stops once the possible gain is
    under POLISH_TARGET * `settings.max_likelihood_gain`, when no step rises by that much, or after
    POLISH_STEPS steps; on a fit that has already converged it costs one check."""
    likelihood = _LogLikelihood(model)
    target = POLISH_TARGET * settings.max_likelihood_gain
    x = likelihood.start
    ascent = likelihood.ascent(x)
    for _ in range(POLISH_STEPS):
        if not ascent.gain > target:  # nan (not finite) too: nothing to climb
            break
        candidates = (
            ascent.newton + ascent.probe,
            ascent.newton,
            ascent.probe,
            ascent.newton / 2,
            ascent.newton / 4,
        )
        tried: list[np.ndarray] = []
        for step in candidates:
            if not np.any(step) or any(np.array_equal(step, other) for other in tried):
                continue
            tried.append(step)
            if likelihood(x + step) - ascent.level > target:
                break
        else:
            break
        x = x + step
        ascent = likelihood.ascent(x)
    if x is not likelihood.start:
        likelihood.keep(x)
    return _verdict(ascent, settings)


@dataclass(frozen=True)
class _Ascent:
    """What the log-likelihood does near a point: its `level` there, how much it could still rise nearby
    (`gain`; nan when the log-likelihood or its derivatives are not finite there), the Newton step along
    the directions where it curves down clearly (`newton`) and the best looked-at step along the others
    (`probe`, zero where none rises)."""

    level: float
    gain: float
    newton: np.ndarray
    probe: np.ndarray


class _LogLikelihood:
    """The log-likelihood of a fitted model, as a function of the parameters the optimiser moves (their
    logarithms: `start` is the model's fit result), with what it does near a point (`ascent`)."""

    def __init__(self, model):
        self.model = model
        pm_model = model.model
        for rv in pm_model.free_RVs:
            pm_model.set_initval(rv, model.fit_result[rv.name].values.squeeze())
        self._point = pm_model.initial_point()
        self._names = [v.name for v in pm_model.continuous_value_vars]  # every parameter is a scalar here
        self._logp = pm_model.compile_logp(jacobian=False)
        self._dlogp = pm_model.compile_dlogp(jacobian=False)
        self.start = np.array([float(self._point[n]) for n in self._names])

    def _at(self, x: np.ndarray) -> dict:
        return {**self._point, **{n: np.asarray(v) for n, v in zip(self._names, x, strict=True)}}

    def __call__(self, x: np.ndarray) -> float:
        return float(self._logp(self._at(x)))

    def _gradient(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._dlogp(self._at(x)), dtype=float)

    def ascent(self, x: np.ndarray) -> _Ascent:
        """The gain `_convergence` describes, with the steps that would take it."""
        level = self(x)
        gradient = self._gradient(x)
        # the Hessian by central differences of the exact gradient (compiling its own graph takes far longer)
        step = 1e-3
        hessian = np.column_stack(
            [
                (self._gradient(x + step * e) - self._gradient(x - step * e)) / (2 * step)
                for e in np.eye(len(x))
            ]
        )
        zero = np.zeros_like(x)
        if not (np.isfinite(level) and np.all(np.isfinite(gradient)) and np.all(np.isfinite(hessian))):
            return _Ascent(level, math.nan, zero, zero)
        curvature, directions = np.linalg.eigh((hessian + hessian.T) / 2)
        slopes = directions.T @ gradient
        curved = curvature < -1.0
        gain = float(np.sum(slopes[curved] ** 2 / (2 * -curvature[curved])))
        newton = directions[:, curved] @ (slopes[curved] / -curvature[curved])
        probe = zero.copy()
        flat = ~curved
        for direction, slope, bend in zip(directions[:, flat].T, slopes[flat], curvature[flat], strict=True):
            steps = list(PROBE_STEPS)
            if bend < 0 and 0 < abs(slope / bend) < max(PROBE_STEPS):
                steps.append(float(slope / -bend))
            rises = {t: self(x + t * direction) - level for t in steps}
            best = max((t for t in rises if np.isfinite(rises[t])), key=rises.get, default=None)
            if best is not None and rises[best] > 0:
                gain += rises[best]
                probe += best * direction
        return _Ascent(level, gain, newton, probe)

    def keep(self, x: np.ndarray) -> None:
        """Make the point `x` the model's fit result."""
        pm_model = self.model.model
        values = pm_model.compile_fn(
            pm_model.replace_rvs_by_values(pm_model.free_RVs),
            inputs=pm_model.value_vars,
            on_unused_input="ignore",
        )(self._at(x))
        for rv, value in zip(pm_model.free_RVs, values, strict=True):
            self.model.fit_result[rv.name].values[...] = value


def _verdict(ascent: _Ascent, settings: ClvSettings) -> tuple[bool, str]:
    if math.isnan(ascent.gain):
        return False, "the log-likelihood or its derivatives are not finite at the fitted point"
    if ascent.gain > settings.max_likelihood_gain:
        return False, f"the log-likelihood still rises by {ascent.gain:.3g} near the fitted point"
    return True, ""


# --- predictions -------------------------------------------------------------------------------------


def predict(
    summary: pd.DataFrame, parameters: pd.DataFrame, settings: ClvSettings | None = None
) -> pd.DataFrame:
    """Per customer of `summary`: p_alive, expected_purchases_90d, expected_spend_pln (expected value of
    a future purchase) and expected_clv_12m_pln (discounted), from the parameters table of `fit`; null
    where the model it needs was not fitted."""
    settings = settings or ClvSettings()
    out = pd.DataFrame({"customer_id": summary["customer_id"].astype(str).to_numpy()})
    for column in ("p_alive", "expected_purchases_90d", "expected_spend_pln", "expected_clv_12m_pln"):
        out[column] = np.nan
    if summary.empty:
        return out
    data = summary[list(SUMMARY_COLUMNS)].reset_index(drop=True)
    bg = _restore(BG_NBD, parameters, data)
    gg = _restore(GAMMA_GAMMA, parameters, data)
    if bg is not None:
        out["p_alive"] = _values(bg.expected_probability_alive(data=data))
        out["expected_purchases_90d"] = _values(
            bg.expected_purchases(data=data, future_t=PURCHASES_HORIZON_DAYS)
        )
    if gg is not None:
        out["expected_spend_pln"] = _values(gg.expected_customer_spend(data=data))
    if bg is not None and gg is not None:
        out["expected_clv_12m_pln"] = _values(
            gg.expected_customer_lifetime_value(
                transaction_model=bg,
                data=data.copy(),
                future_t=CLV_HORIZON_MONTHS,
                discount_rate=settings.monthly_discount_rate,
                time_unit="D",
            )
        )
    return out


def _restore(name: str, parameters: pd.DataFrame, data: pd.DataFrame):
    """The fitted model of `parameters` (a table of `fit`), or None when it was not fitted. The fitted
    point is the model's posterior, as a MAP fit leaves it (one chain, one draw)."""
    import arviz as az
    import xarray as xr

    rows = parameters[parameters["model"] == name]
    if rows.empty or not rows["is_fitted"].all():
        return None
    values = dict(zip(rows["parameter"], rows["value"].astype(float), strict=True))
    model = _new_model(name)
    model.build_model(data[_model_columns(name)])
    model.idata = az.InferenceData(
        posterior=xr.Dataset({k: (("chain", "draw"), [[values[k]]]) for k in PARAMETERS[name]})
    )
    return model


def _values(array) -> np.ndarray:
    return np.asarray(array.transpose(..., "customer_id").values, dtype=float).reshape(-1)


# --- warehouse tables --------------------------------------------------------------------------------


# an incremental build fits again when the buyers changed by more than this share since the last fit
REFIT_BUYERS_CHANGE = 0.1


def refit_reason(
    previous: pd.DataFrame | None, as_of: dt.date | None, refit_days: int, buyers: int | None = None
) -> str | None:
    """Why an incremental build fits the models again instead of keeping `previous` (the parameters table
    of the last fit), or None to keep it: the models are refitted when `refit_days` have passed since
    the as-of date of the last fit (0: every build), when a model was not fitted for too little data
    (no `fit_seconds`: the fit was not tried, and with more data it may be), when the as-of date moved
    back, or when the number of `buyers` now differs from the number the fit was made on by more than
    REFIT_BUYERS_CHANGE. A fit that was tried and did not converge is kept like a fitted one until one
    of these holds: the same optimiser on nearly the same data would fail again, at the cost of a whole
    fit in every build. The predictions always use the current data."""
    if refit_days < 0:
        raise ValueError(f"CLV refit_days must be 0 or more, not {refit_days}")
    if previous is None or previous.empty:
        return "no fit yet"
    tried = previous["fit_seconds"].notna() if "fit_seconds" in previous else True
    if not (previous["is_fitted"] | tried).all():
        return "the last fit has a model that was not fitted"
    fitted_buyers = previous.loc[previous["model"] == BG_NBD, "customer_count"]
    if buyers is not None and not fitted_buyers.empty:
        before = int(fitted_buyers.iloc[0])
        if abs(buyers - before) > REFIT_BUYERS_CHANGE * max(before, 1):
            return f"{before} buyers at the last fit, {buyers} now"
    if as_of is None:
        return "no as-of date"
    fitted = pd.to_datetime(previous["as_of_date"]).dt.date
    if fitted.isna().any() or fitted.nunique() != 1:
        return "the last fit has no single as-of date"
    age = (as_of - fitted.iloc[0]).days
    if age < 0:
        return f"the as-of date moved back {-age} day(s) since the last fit"
    if age >= refit_days:
        return f"{age} day(s) since the last fit, refit every {refit_days}"
    return None


def parameters_table(parameters: pd.DataFrame) -> pa.Table:
    """The parameters of `fit` as int_analytics__clv_model stores them."""
    return pa.Table.from_pandas(
        parameters[PARAMETERS_SCHEMA.names], schema=PARAMETERS_SCHEMA, preserve_index=False
    )


def customers_table(summary: pd.DataFrame, predictions: pd.DataFrame) -> pa.Table:
    """The summary and predictions of each customer as int_analytics__clv stores them."""
    table = summary.merge(predictions, on="customer_id", how="left", validate="one_to_one").rename(
        columns={
            "customer_id": "customer_key",
            "recency": "recency_days",
            "T": "t_days",
            "monetary_value": "monetary_value_pln",
        }
    )
    table["frequency"] = table["frequency"].astype("int64")
    return pa.Table.from_pandas(table[CUSTOMERS_SCHEMA.names], schema=CUSTOMERS_SCHEMA, preserve_index=False)


PARAMETERS_SCHEMA = pa.schema(
    [
        ("model", pa.string()),
        ("parameter", pa.string()),
        ("value", pa.float64()),
        ("is_fitted", pa.bool_()),
        ("is_converged", pa.bool_()),
        ("customer_count", pa.int64()),
        ("repeat_customer_count", pa.int64()),
        ("as_of_date", pa.date32()),
        ("fit_seconds", pa.float64()),
        ("note", pa.string()),
        ("description", pa.string()),
    ]
)
CUSTOMERS_SCHEMA = pa.schema(
    [
        ("customer_key", pa.string()),
        ("frequency", pa.int64()),
        ("recency_days", pa.float64()),
        ("t_days", pa.float64()),
        ("monetary_value_pln", pa.float64()),
        ("p_alive", pa.float64()),
        ("expected_purchases_90d", pa.float64()),
        ("expected_spend_pln", pa.float64()),
        ("expected_clv_12m_pln", pa.float64()),
    ]
)


# --- simulation --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    v: float


def simulate(
    n: int,
    bg: BgNbd,
    gg: GammaGamma,
    *,
    seed: int,
    min_t_days: float = 180.0,
    max_t_days: float = 720.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`n` customers drawn from BG/NBD and Gamma-Gamma with known parameters, each observed for T days
    (uniform between `min_t_days` and `max_t_days`) after their first purchase. Returns (summary,
    purchases): the exact summary in continuous time (columns of `summarize`), and one row per purchase,
    the first included: customer_id, day (days after the first purchase), value."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(min_t_days, max_t_days, n)
    rate = rng.gamma(bg.r, 1 / bg.alpha, n)
    leave = rng.beta(bg.a, bg.b, n)
    nu = rng.gamma(gg.q, 1 / gg.v, n)
    customers, days, values = [], [], []
    frequency, recency, monetary = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        t, spend = 0.0, []
        customers.append(i)
        days.append(0.0)
        values.append(rng.gamma(gg.p, 1 / nu[i]))
        while True:
            t += rng.exponential(1 / rate[i])
            if t > T[i]:
                break
            value = rng.gamma(gg.p, 1 / nu[i])
            customers.append(i)
            days.append(t)
            values.append(value)
            spend.append(value)
            frequency[i] += 1
            recency[i] = t
            if rng.random() < leave[i]:  # BG/NBD: a customer may leave after each repeat purchase
                break
        monetary[i] = float(np.mean(spend)) if spend else 0.0
    ids = np.array([f"c{i}" for i in range(n)], dtype=object)
    summary = pd.DataFrame(
        {"customer_id": ids, "frequency": frequency, "recency": recency, "T": T, "monetary_value": monetary}
    )
    purchases = pd.DataFrame({"customer_id": ids[customers], "day": days, "value": values})
    return summary, purchases


def orders_from_purchases(purchases: pd.DataFrame, summary: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Simulated purchases as dated orders (customer_key, placed_date, order_total_pln) observed up to
    `as_of`: each customer's first purchase falls T days before it, purchase times are cut to the day."""
    T = purchases["customer_id"].map(summary.set_index("customer_id")["T"])
    first = pd.Timestamp(as_of) - pd.to_timedelta(np.floor(T.to_numpy()), unit="D")
    placed = first + pd.to_timedelta(np.floor(purchases["day"].to_numpy()), unit="D")
    return pd.DataFrame(
        {
            "customer_key": purchases["customer_id"].to_numpy(),
            "placed_date": placed.date,
            "order_total_pln": purchases["value"].round(2).to_numpy(),
        }
    )
