"""Buy-till-you-die models, reproducing lifetimes 0.11.3 without lifetimes or autograd.

What each function reproduces (lifetimes names):

* ``fit_bgnbd`` / ``fit_mbgnbd`` / ``fit_gamma_gamma``: ``BetaGeoFitter.fit``, ``ModifiedBetaGeoFitter.fit``,
  ``GammaGammaFitter.fit``. Lifetimes (``BaseFitter._fit``) minimises the weighted MEAN negative
  log-likelihood over the log parameters with ``scipy.optimize.minimize(method=None -> BFGS, or L-BFGS-B
  with GammaGamma's q_constraint bounds; jac=True, tol=1e-7 -> gtol)`` from log params 0.1 (params e^0.1),
  plus ``penalizer_coef * sum(params**2)``; BG and MBG first scale time by 1 / max(T) and divide the
  fitted alpha by that scale. Here the same objective is written out with its analytic gradient
  (autograd's result, in closed form) and given to the same minimiser from the same start.
  Lifetimes raises ConvergenceError when ``success`` is false; these functions return the parameters
  with a ``FitReport`` instead (the caller decides).
* ``bgnbd_*`` / ``mbgnbd_*`` / ``gamma_gamma_*`` scoring: the fitters' ``conditional_probability_alive``,
  ``conditional_expected_number_of_purchases_up_to_time`` and ``conditional_expected_average_profit``,
  expression for expression; vectorised over numpy arrays or pandas Series, given fitted parameters.
* ``customer_lifetime_value``: ``GammaGammaFitter.customer_lifetime_value`` (``utils._customer_lifetime_value``).

The fits take compact input: distinct (frequency, recency, T) or (frequency, monetary_value) with a
weight (how many members share it), as the models build it in SQL (int_forecast_model_fits) from the
summary of int_member_purchase_summaries.
Nothing is random: the same input gives the same bits.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

LIFETIMES_START = 0.1  # BaseFitter._fit: x0 = 0.1 * ones (log parameters)
LIFETIMES_TOL = 1e-7  # the fitters' default tol (BFGS gtol)
CLV_PERIOD_FACTOR = {"W": 4.345, "M": 1.0, "D": 30, "H": 30 * 24}  # utils._customer_lifetime_value


@dataclass(frozen=True)
class BetaGeoParams:
    """BG/NBD or MBG/NBD parameters (alpha in the input's time unit, as lifetimes' params_)."""
    r: float
    alpha: float
    a: float
    b: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters. The population mean spend v*p/(q-1) exists only when q > 1."""
    p: float
    q: float
    v: float

    @property
    def population_mean_defined(self) -> bool:
        """False when q <= 1: lifetimes' expected average profit is then meaningless (fall back)."""
        return bool(self.q > 1)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class FitReport:
    """How the minimisation ended (scipy's OptimizeResult, kept as plain values).

    ``neg_log_likelihood`` is lifetimes' ``_negative_log_likelihood_``: the weighted mean over members,
    penalizer included, on the fit's time axis (BG/MBG: time divided by max T)."""
    success: bool
    status: int
    message: str
    iterations: int
    function_evaluations: int
    neg_log_likelihood: float
    params_finite: bool
    members: float
    patterns: int

    @property
    def converged(self) -> bool:
        """What lifetimes would accept (it raises ConvergenceError unless success) and finite params."""
        return self.success and self.params_finite


@dataclass(frozen=True)
class BetaGeoFit:
    params: BetaGeoParams
    report: FitReport
    time_scale: float  # lifetimes' _scale: 1 / max(T)


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    report: FitReport

    @property
    def population_mean_defined(self) -> bool:
        return self.params.population_mean_defined


# --- negative log-likelihoods (value and gradient in the log parameters) ----------------------

def _mean_and_gradient(ll, d_ll, params, weights, penalizer_coef):
    """-(sum w*ll)/sum w + pen*sum(params^2) and its gradient in log params (d/dlog p = p d/dp)."""
    value = -(weights * ll).sum() / weights.sum() + penalizer_coef * sum(params ** 2)
    gradient = -params * (weights[:, None] * d_ll).sum(axis=0) / weights.sum()
    return value, gradient + penalizer_coef * 2 * params ** 2


def bgnbd_negative_log_likelihood(log_params, frequency, recency, T, weights, penalizer_coef=0.0):
    """BetaGeoFitter._negative_log_likelihood (Fader, Hardie & Lee 2005, section 7) and its gradient:
    ll = A1 + A2 + log(e^A3 + [x>0] e^A4), A1 = lnG(r+x) - lnG(r) + r ln(alpha),
    A2 = lnG(a+b) + lnG(b+x) - lnG(b) - lnG(a+b+x), A3 = -(r+x) ln(alpha+T),
    A4 = ln(a) - ln(b+max(x,1)-1) - (r+x) ln(t_x+alpha)."""
    params = np.exp(log_params)
    r, alpha, a, b = params
    x, t_x = frequency, recency
    A_1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A_2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A_3 = -(r + x) * np.log(alpha + T)
    A_4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(t_x + alpha)
    top = np.maximum(A_3, A_4)
    e_3, e_4 = np.exp(A_3 - top), np.exp(A_4 - top) * (x > 0)
    ll = A_1 + A_2 + np.log(e_3 + e_4) + top
    s_3, s_4 = e_3 / (e_3 + e_4), e_4 / (e_3 + e_4)  # the softmax weights of A3 and A4
    d_ll = np.column_stack([
        digamma(r + x) - digamma(r) + np.log(alpha) - s_3 * np.log(alpha + T) - s_4 * np.log(t_x + alpha),
        r / alpha - s_3 * (r + x) / (alpha + T) - s_4 * (r + x) / (t_x + alpha),
        digamma(a + b) - digamma(a + b + x) + s_4 / a,
        digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x) - s_4 / (b + np.maximum(x, 1) - 1),
    ])
    return _mean_and_gradient(ll, d_ll, params, weights, penalizer_coef)


def mbgnbd_negative_log_likelihood(log_params, frequency, recency, T, weights, penalizer_coef=0.0):
    """ModifiedBetaGeoFitter._negative_log_likelihood and its gradient:
    ll = A1 + A2 + A3 + log(1 + e^A4), A1 as BG/NBD, A2 = lnG(a+b) + lnG(b+x+1) - lnG(b) - lnG(a+b+x+1),
    A3 = -(r+x) ln(alpha+T), A4 = ln(a) - ln(b+x) + (r+x) (ln(alpha+T) - ln(alpha+t_x)) (x = 0 included)."""
    params = np.exp(log_params)
    r, alpha, a, b = params
    x, t_x = frequency, recency
    A_1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A_2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    A_3 = -(r + x) * np.log(alpha + T)
    A_4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    ll = A_1 + A_2 + A_3 + np.logaddexp(A_4, 0)
    s = expit(A_4)  # d log(1 + e^A4) / dA4
    d_ll = np.column_stack([
        digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + T)
        + s * (np.log(alpha + T) - np.log(alpha + t_x)),
        r / alpha - (r + x) / (alpha + T) + s * (r + x) * (1 / (alpha + T) - 1 / (alpha + t_x)),
        digamma(a + b) - digamma(a + b + x + 1) + s / a,
        digamma(a + b) + digamma(b + x + 1) - digamma(b) - digamma(a + b + x + 1) - s / (b + x),
    ])
    return _mean_and_gradient(ll, d_ll, params, weights, penalizer_coef)


def gamma_gamma_negative_log_likelihood(log_params, frequency, monetary_value, weights, penalizer_coef=0.0):
    """GammaGammaFitter._negative_log_likelihood (Hardie's note 025, eq. 1a) and its gradient:
    ll = lnG(px+q) - lnG(px) - lnG(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(xm+v)."""
    params = np.exp(log_params)
    p, q, v = params
    x, m = frequency, monetary_value
    ll = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
          + (p * x) * np.log(x) - (p * x + q) * np.log(x * m + v))
    d_ll = np.column_stack([
        x * (digamma(p * x + q) - digamma(p * x) + np.log(m) + np.log(x) - np.log(x * m + v)),
        digamma(p * x + q) - digamma(q) + np.log(v) - np.log(x * m + v),
        q / v - (p * x + q) / (x * m + v),
    ])
    return _mean_and_gradient(ll, d_ll, params, weights, penalizer_coef)


# --- fits ------------------------------------------------------------------------------------

def _check_inputs(frequency, recency=None, T=None, monetary_value=None):
    """lifetimes.utils._check_inputs: the same ValueErrors on the same inputs."""
    if recency is not None:
        if T is not None and np.any(recency > T):
            raise ValueError("Some values in recency vector are larger than T vector.")
        if np.any(recency[frequency == 0] != 0):
            raise ValueError("There exist non-zero recency values when frequency is zero.")
        if np.any(recency < 0):
            raise ValueError("There exist negative recency (ex: last order set before first order)")
        if any(v.shape[0] == 0 for v in (recency, frequency, T)):
            raise ValueError("There exists a zero length vector in one of frequency, recency or T.")
    if np.sum((frequency - frequency.astype(int)) ** 2) != 0:
        raise ValueError("There exist non-integer values in the frequency vector.")
    if monetary_value is not None and np.any(monetary_value <= 0):
        raise ValueError("There exist non-positive (<= 0) values in the monetary_value vector.")


def _weights(weights, n):
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != (n,) or not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
        raise ValueError("weights must be finite, non-negative, one per row and not all zero")
    return weights


def _minimize(objective, args, weights, size, tol, bounds=None, options=None):
    """BaseFitter._fit's call: minimize(value_and_grad, jac=True, x0=0.1*ones, tol=tol) with BFGS
    (scipy's choice for method=None without bounds) or L-BFGS-B with bounds; returns (x, report)."""
    with np.errstate(all="ignore"):  # the line search may try overflowing steps, as in lifetimes
        output = minimize(objective, x0=LIFETIMES_START * np.ones(size), args=args, jac=True,
                          method="L-BFGS-B" if bounds is not None else "BFGS", tol=tol, bounds=bounds,
                          options=dict(options or {}))
    params = np.exp(output.x)
    report = FitReport(success=bool(output.success), status=int(output.status), message=str(output.message),
                       iterations=int(output.nit), function_evaluations=int(output.nfev),
                       neg_log_likelihood=float(output.fun), params_finite=bool(np.all(np.isfinite(params))),
                       members=float(weights.sum()), patterns=int(weights.shape[0]))
    return params, report


def _fit_beta_geo(objective, frequency, recency, T, weights, penalizer_coef, tol, options) -> BetaGeoFit:
    frequency = np.asarray(frequency).astype(int)
    recency, T = np.asarray(recency, dtype=float), np.asarray(T, dtype=float)
    _check_inputs(frequency, recency, T)
    weights = _weights(weights, frequency.shape[0])
    scale = 1.0 / T.max()  # lifetimes.utils._scale_time
    args = (frequency.astype(float), recency * scale, T * scale, weights, penalizer_coef)
    params, report = _minimize(objective, args, weights, 4, tol, options=options)
    r, alpha, a, b = params
    return BetaGeoFit(BetaGeoParams(float(r), float(alpha / scale), float(a), float(b)), report, float(scale))


def fit_bgnbd(frequency, recency, T, weights=None, penalizer_coef=0.0, tol=LIFETIMES_TOL,
              options=None) -> BetaGeoFit:
    """BetaGeoFitter(penalizer_coef).fit(frequency, recency, T, weights, tol=tol, **options)."""
    return _fit_beta_geo(bgnbd_negative_log_likelihood, frequency, recency, T, weights, penalizer_coef, tol,
                         options)


def fit_mbgnbd(frequency, recency, T, weights=None, penalizer_coef=0.0, tol=LIFETIMES_TOL,
               options=None) -> BetaGeoFit:
    """ModifiedBetaGeoFitter(penalizer_coef).fit(frequency, recency, T, weights, tol=tol, **options)."""
    return _fit_beta_geo(mbgnbd_negative_log_likelihood, frequency, recency, T, weights, penalizer_coef, tol,
                         options)


def fit_gamma_gamma(frequency, monetary_value, weights=None, penalizer_coef=0.0, tol=LIFETIMES_TOL,
                    q_constraint=False, options=None) -> GammaGammaFit:
    """GammaGammaFitter(penalizer_coef).fit(frequency, monetary_value, weights, tol=tol,
    q_constraint=q_constraint, **options). Give it members with frequency > 0 and monetary_value > 0
    (monetary_value <= 0 raises, as in lifetimes; frequency 0 makes the likelihood nan). No time scaling.
    q_constraint bounds log q >= 0 (q >= 1), which makes scipy use L-BFGS-B, as in lifetimes."""
    frequency, monetary_value = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    _check_inputs(frequency, monetary_value=monetary_value)
    weights = _weights(weights, frequency.shape[0])
    bounds = ((None, None), (0, None), (None, None)) if q_constraint else None
    params, report = _minimize(gamma_gamma_negative_log_likelihood,
                               (frequency, monetary_value, weights, penalizer_coef), weights, 3, tol, bounds,
                               options)
    p, q, v = params
    return GammaGammaFit(GammaGammaParams(float(p), float(q), float(v)), report)


# --- scoring (vectorised; numpy arrays or pandas Series in, numpy arrays out) -------------------

def _arrays(*values):
    return [np.asarray(v, dtype=float) for v in values]


def bgnbd_conditional_probability_alive(params: BetaGeoParams, frequency, recency, T) -> np.ndarray:
    """BetaGeoFitter.conditional_probability_alive (Hardie's note 021), in log space as lifetimes:
    1 for x = 0, else expit(-log_div), log_div = (r+x) ln((alpha+T)/(alpha+t_x)) + ln(a/(b+max(x,1)-1)),
    i.e. 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))."""
    x, t_x, T = _arrays(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_div = (r + x) * np.log((alpha + T) / (alpha + t_x)) + np.log(a / (b + np.maximum(x, 1) - 1))
    return np.atleast_1d(np.where(x == 0, 1.0, expit(-log_div)))


def bgnbd_conditional_expected_purchases(params: BetaGeoParams, t, frequency, recency, T) -> np.ndarray:
    """BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time (FHL 2005, eq. 10):
    (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
    / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)). As lifetimes, ln 2F1 is replaced by Euler's
    transform ln 2F1(c-a, c-b; c; z) + (c-a-b) ln(1-z) where it is infinite. Only difference: for x = 0
    the denominator is exactly 1 where lifetimes' 0 * inf (huge ((alpha+T)/alpha)^r) would give nan."""
    t, x, t_x, T = _arrays(t, frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(all="ignore"):
        _a, _b, _c, _z = np.broadcast_arrays(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        ln_hyp_term = np.asarray(np.log(hyp2f1(_a, _b, _c, _z)))
        # the transform only where the series is infinite (elementwise: the same values as
        # computing it everywhere and choosing; hyp2f1 is most of a forecast's time)
        infinite = np.isinf(ln_hyp_term)
        if infinite.any():
            ln_hyp_term = ln_hyp_term.copy()
            _ai, _bi, _ci, _zi = _a[infinite], _b[infinite], _c[infinite], _z[infinite]
            ln_hyp_term[infinite] = (np.log(hyp2f1(_ci - _ai, _ci - _bi, _ci, _zi))
                                     + (_ci - _ai - _bi) * np.log(1 - _zi))
        first_term = (a + b + x - 1) / (a - 1)
        second_term = 1 - np.exp(ln_hyp_term + (r + x) * np.log((alpha + T) / (alpha + t + T)))
        odds_dead = np.where(x > 0, (a / (b + x - 1)) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
        return (first_term * second_term) / (1 + odds_dead)


def mbgnbd_conditional_probability_alive(params: BetaGeoParams, frequency, recency, T) -> np.ndarray:
    """ModifiedBetaGeoFitter.conditional_probability_alive (Batislam et al. 2007, eq. 5), x = 0 included:
    1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))."""
    x, t_x, T = _arrays(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(over="ignore"):
        return np.atleast_1d(1.0 / (1 + (a / (b + x)) * ((alpha + T) / (alpha + t_x)) ** (r + x)))


def mbgnbd_conditional_expected_purchases(params: BetaGeoParams, t, frequency, recency, T) -> np.ndarray:
    """ModifiedBetaGeoFitter.conditional_expected_number_of_purchases_up_to_time (Wagner & Hoppe 2008):
    (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))]
    / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)); no log-space fallback (as lifetimes), so, as in
    lifetimes, nan (inf * 0) for very large x at long horizons (e.g. x >= 300 at t = 36500 days)."""
    t, x, t_x, T = _arrays(t, frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(all="ignore"):
        hyp_term = hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
        first_term = (a + b + x) / (a - 1)
        second_term = 1 - hyp_term * ((alpha + T) / (alpha + t + T)) ** (r + x)
        denominator = 1 + (a / (b + x)) * ((alpha + T) / (alpha + t_x)) ** (r + x)
        return first_term * second_term / denominator


def gamma_gamma_conditional_expected_average_profit(params: GammaGammaParams, frequency,
                                                    monetary_value) -> np.ndarray:
    """GammaGammaFitter.conditional_expected_average_profit (Hardie's note 025, eq. 5):
    (1 - w) v p/(q-1) + w m, w = p x / (p x + q - 1). Meaningless when q <= 1 (check
    params.population_mean_defined): the population mean v p/(q-1) is then negative or infinite."""
    x, m = _arrays(frequency, monetary_value)
    p, q, v = params.p, params.q, params.v
    with np.errstate(divide="ignore", invalid="ignore"):
        individual_weight = p * x / (p * x + q - 1)
        population_mean = v * p / (q - 1)
        return (1 - individual_weight) * population_mean + individual_weight * m


_PURCHASE_MODELS = {"bgnbd": bgnbd_conditional_expected_purchases, "mbgnbd": mbgnbd_conditional_expected_purchases}


def discounted_value(purchase_params: BetaGeoParams, expected_spend, frequency, recency, T, time=12,
                     discount_rate=0.01, freq="D", purchase_model="bgnbd") -> np.ndarray:
    """lifetimes.utils._customer_lifetime_value's loop, given each member's expected spend per
    purchase: for the months i = 1..time, at t = i*factor (factor 30 for "D", 4.345 "W", 1 "M",
    720 "H"), value += spend * (E[purchases up to t] - E[purchases up to t - factor]) / (1 + discount_rate)^i,
    the expected purchases from the BG/NBD model ("mbgnbd": the MBG/NBD one), in the unit of T."""
    x, t_x, T, spend = _arrays(frequency, recency, T, expected_spend)
    predict = _PURCHASE_MODELS[purchase_model]
    factor = CLV_PERIOD_FACTOR[freq]
    value = np.zeros(x.shape, dtype=float)
    # each horizon predicted once: a month's "up to t - factor" is the month before's "up to t"
    # (for freq "D", whose factor is an integer, the same t and so the same bits as predicting
    # it twice; for a fractional factor t may differ by an ulp from lifetimes')
    previous = predict(purchase_params, 0 * factor, x, t_x, T)
    for i in np.arange(1, int(time) + 1) * factor:
        current = predict(purchase_params, i, x, t_x, T)
        expected_number_of_transactions = current - previous
        value += (spend * expected_number_of_transactions) / (1 + discount_rate) ** (i / factor)
        previous = current
    return value


def customer_lifetime_value(purchase_params: BetaGeoParams, spend_params: GammaGammaParams, frequency, recency, T,
                            monetary_value, time=12, discount_rate=0.01, freq="D",
                            purchase_model="bgnbd") -> np.ndarray:
    """GammaGammaFitter.customer_lifetime_value(model, frequency, recency, T, monetary_value, time,
    discount_rate, freq): discounted_value with Gamma-Gamma's conditional expected spend."""
    spend = gamma_gamma_conditional_expected_average_profit(spend_params, frequency, monetary_value)
    return discounted_value(purchase_params, spend, frequency, recency, T, time, discount_rate, freq, purchase_model)
