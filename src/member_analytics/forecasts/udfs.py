"""The forecast fits and scores as SQL functions (docs/decisions/0122).

The models stay set-based SQL: they compact each shop's buyers to distinct (frequency, recency, T)
rows, hand them to a fit function as arrays, and score every member with the fitted parameters,
all through the functions below. Each engine registers the same Python code under the same names:
DuckDB through dbt-duckdb's plugin hook (``duckdb_plugin.Plugin``, named in the profile), in the
build's process. Nothing in a function is random or depends on row order (the fits sort their
input), so the same data gives the same bits on every run and engine.

Every function takes and returns plain numbers; a null input gives a null output.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from member_analytics.forecasts import btyd

PREFIX = "member_analytics_"

# The fields of a fit's result (a struct in SQL), in order, with their SQL types.
PURCHASE_FIT_FIELDS = (("r", "DOUBLE"), ("alpha", "DOUBLE"), ("a", "DOUBLE"), ("b", "DOUBLE"))
SPEND_FIT_FIELDS = (("p", "DOUBLE"), ("q", "DOUBLE"), ("v", "DOUBLE"))
REPORT_FIELDS = (("converged", "BOOLEAN"), ("message", "VARCHAR"), ("iterations", "INTEGER"),
                 ("mean_negative_log_likelihood", "DOUBLE"), ("members", "DOUBLE"), ("patterns", "INTEGER"))
_PURCHASE_FITTERS = {"bgnbd": btyd.fit_bgnbd, "mbgnbd": btyd.fit_mbgnbd}


def _report(report: btyd.FitReport | None, message: str | None = None) -> dict:
    if report is None:
        return {"converged": False, "message": message, "iterations": 0, "mean_negative_log_likelihood": None,
                "members": 0.0, "patterns": 0}
    return {"converged": report.converged, "message": report.message, "iterations": report.iterations,
            "mean_negative_log_likelihood": report.neg_log_likelihood, "members": report.members,
            "patterns": report.patterns}


def _sorted_rows(*columns) -> list[np.ndarray]:
    """The rows sorted by every column (so the fit's sums run in one order whatever the engine's)."""
    rows = np.column_stack([np.asarray(column, dtype=float) for column in columns])
    order = np.lexsort(rows.T[::-1])
    return [rows[order, i] for i in range(rows.shape[1])]


def fit_purchase_model(model: str, frequency, recency, T, weight) -> dict:
    """BG/NBD (model 'bgnbd') or MBG/NBD ('mbgnbd') fitted on compact rows: r, alpha, a, b and
    the report (not converged, with the reason, when the input is empty or invalid)."""
    empty = {name: None for name, _ in PURCHASE_FIT_FIELDS}
    if frequency is None or len(frequency) == 0:
        return {**empty, **_report(None, "no buyers")}
    frequency, recency, T, weight = _sorted_rows(frequency, recency, T, weight)
    try:
        fit = _PURCHASE_FITTERS[model](frequency, recency, T, weights=weight)
    except ValueError as error:
        return {**empty, **_report(None, str(error))}
    return {**fit.params.to_dict(), **_report(fit.report)}


def fit_spend_model(frequency, monetary_value, weight) -> dict:
    """Gamma-Gamma fitted on compact rows of repeat buyers with a positive repeat spend: p, q, v and
    the report."""
    empty = {name: None for name, _ in SPEND_FIT_FIELDS}
    if frequency is None or len(frequency) == 0:
        return {**empty, **_report(None, "no repeat buyers with a positive repeat spend")}
    frequency, monetary_value, weight = _sorted_rows(frequency, monetary_value, weight)
    try:
        fit = btyd.fit_gamma_gamma(frequency, monetary_value, weights=weight)
    except ValueError as error:
        return {**empty, **_report(None, str(error))}
    return {**fit.params.to_dict(), **_report(fit.report)}


def _purchase_params(r, alpha, a, b) -> btyd.BetaGeoParams:
    return btyd.BetaGeoParams(r=r, alpha=alpha, a=a, b=b)


def bgnbd_p_alive(r, alpha, a, b, frequency, recency, T):
    return btyd.bgnbd_conditional_probability_alive(_purchase_params(r, alpha, a, b), frequency, recency, T)


def bgnbd_expected_purchases(r, alpha, a, b, t, frequency, recency, T):
    return btyd.bgnbd_conditional_expected_purchases(_purchase_params(r, alpha, a, b), t, frequency, recency, T)


def mbgnbd_p_alive(r, alpha, a, b, frequency, recency, T):
    return btyd.mbgnbd_conditional_probability_alive(_purchase_params(r, alpha, a, b), frequency, recency, T)


def gamma_gamma_expected_spend(p, q, v, frequency, monetary_value):
    return btyd.gamma_gamma_conditional_expected_average_profit(btyd.GammaGammaParams(p=p, q=q, v=v),
                                                                frequency, monetary_value)


def discounted_value(r, alpha, a, b, months, monthly_discount_rate, frequency, recency, T, expected_spend):
    """lifetimes' customer_lifetime_value(BG/NBD, ..., time=months, discount_rate, freq='D') with the
    member's expected spend per purchase given (Gamma-Gamma's, or the fallback)."""
    return btyd.discounted_value(_purchase_params(r, alpha, a, b), expected_spend, frequency, recency, T,
                                 time=months, discount_rate=monthly_discount_rate, freq="D")


# name -> (function, number of arguments, how many leading arguments are constant over a shop's
# rows: its fitted parameters, and the horizon or the months and rate). Every argument and result
# is a DOUBLE.
SCORERS: dict[str, tuple[Callable, int, int]] = {
    "bgnbd_p_alive": (bgnbd_p_alive, 7, 4),
    "bgnbd_expected_purchases": (bgnbd_expected_purchases, 8, 5),
    "mbgnbd_p_alive": (mbgnbd_p_alive, 7, 4),
    "gamma_gamma_expected_spend": (gamma_gamma_expected_spend, 5, 3),
    "discounted_value": (discounted_value, 10, 6),
}


def score_columns(name: str, columns: list[np.ndarray]) -> np.ndarray:
    """The scorer `name` over columns of equal length: one vectorised call per distinct set of
    leading arguments (a shop's parameters), NaN where any input is NaN (a null)."""
    function, _, leading = SCORERS[name]
    columns = [np.asarray(column, dtype=float) for column in columns]
    size = columns[0].shape[0]
    result = np.full(size, np.nan)
    valid = ~np.any(np.isnan(np.column_stack(columns)), axis=1) if size else np.zeros(0, dtype=bool)
    if not valid.any():
        return result
    keys = np.column_stack(columns[:leading])[valid]
    distinct, groups = np.unique(keys, axis=0, return_inverse=True)
    positions = np.flatnonzero(valid)
    for index, params in enumerate(distinct):
        rows = positions[groups.reshape(-1) == index]
        others = [column[rows] for column in columns[leading:]]
        with np.errstate(all="ignore"):
            result[rows] = function(*params, *others)
    return result
