"""member_analytics.forecasts.btyd: BG/NBD, MBG/NBD, Gamma-Gamma and CLV reproducing lifetimes 0.11.3.

Two kinds of tests:
* hand-worked: three members with fixed parameters, the expected values computed here from the
  textbook formulas written out plainly (and a few pinned numbers worked out with a calculator);
* parity with lifetimes (skipped when lifetimes is not installed): on a simulated shop (fixed seed)
  summarised by lifetimes, the three fits (compact weighted input against lifetimes on the
  uncompressed rows) and every member's scores equal lifetimes' to 1e-4 relative. (The build's
  summary is SQL, int_member_purchase_summaries, checked against lifetimes' in
  pytests/dbt/test_forecasts.py.)
And a Gamma-Gamma fit that does not converge, and one with q <= 1, are reported as such.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from member_analytics.forecasts import btyd

RTOL = 1e-4  # the brief: lifetimes' results to 1e-4 relative (observed: ~1e-12)

# Fixed parameters for the hand-worked tests, and three members (x, t_x, T) in days.
BG = btyd.BetaGeoParams(r=0.25, alpha=4.0, a=0.8, b=2.5)
GG = btyd.GammaGammaParams(p=6.0, q=4.0, v=15.0)
X = np.array([0.0, 2.0, 5.0])
T_X = np.array([0.0, 20.0, 28.0])
T = np.array([30.0, 30.0, 40.0])


def compact_rfm(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (frequency, recency, T) triples and how many members have each (the weights): the
    compact input int_forecast_model_fits builds in SQL."""
    rows = np.column_stack([np.asarray(v, dtype=float) for v in (frequency, recency, T)])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    return distinct[:, 0], distinct[:, 1], distinct[:, 2], counts.astype(float)


def compact_frequency_monetary(frequency, monetary_value) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (frequency, monetary_value) of the Gamma-Gamma members (frequency > 0 and
    monetary_value > 0) with their counts."""
    frequency, monetary_value = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    keep = (frequency > 0) & (monetary_value > 0)
    rows = np.column_stack([frequency[keep], monetary_value[keep]])
    distinct, counts = np.unique(rows, axis=0, return_counts=True)
    return distinct[:, 0], distinct[:, 1], counts.astype(float)


def _hyp2f1_series(a, b, c, z):
    """Gauss's series 2F1(a, b; c; z) = sum_k (a)_k (b)_k / ((c)_k k!) z^k, |z| < 1."""
    term, total, k = 1.0, 1.0, 0
    while k < 100_000 and (k < 10 or abs(term) > 1e-17 * abs(total)):
        term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
        k += 1
    return total


def _bgnbd_expected(p, t, x, t_x, T):
    """Fader, Hardie & Lee (2005), eq. 10."""
    r, alpha, a, b = p.r, p.alpha, p.a, p.b
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * _hyp2f1_series(r + x, b + x, a + b + x - 1, z)
    alive_odds = (a / (b + x - 1)) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    return (a + b + x - 1) / (a - 1) * bracket / (1 + alive_odds)


def _mbgnbd_expected(p, t, x, t_x, T):
    """Batislam, Denizel & Filiztekin (2007) with Wagner & Hoppe's (2008) erratum."""
    r, alpha, a, b = p.r, p.alpha, p.a, p.b
    z = t / (alpha + T + t)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * _hyp2f1_series(r + x, b + x + 1, a + b + x, z)
    return (a + b + x) / (a - 1) * bracket / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def _gg_expected(p, x, m):
    """Fader, Hardie & Lee (2005, RFM and CLV), E(M | p, q, v, m_x, x) = p (v + x m_x) / (p x + q - 1)."""
    return p.p * (p.v + x * m) / (p.p * x + p.q - 1)


# --- hand-worked --------------------------------------------------------------------------------

def test_bgnbd_probability_alive_hand_worked():
    """P(alive) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) (Hardie's note 021).
    Worked by calculator: member 1 (x = 0): 1. Member 2: (34/24)^2.25 = 2.1895369, a/(b+1) = 0.8/3.5
    = 0.2285714 -> 1/(1 + 0.5004656) = 0.6664598. Member 3: (44/32)^5.25 = 5.3221752,
    0.8/6.5 = 0.1230769 -> 1/(1 + 0.6550370) = 0.6042161."""
    expected = [1.0 / (1 + (x > 0) * BG.a / (BG.b + x - 1) * ((BG.alpha + T_) / (BG.alpha + t_x)) ** (BG.r + x))
                for x, t_x, T_ in zip(X, T_X, T)]
    got = btyd.bgnbd_conditional_probability_alive(BG, X, T_X, T)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(got, [1.0, 0.6664598, 0.6042161], rtol=1e-6)


def test_mbgnbd_probability_alive_hand_worked():
    """MBG/NBD P(alive) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)), x = 0 included (a member can
    drop out at the first purchase). By calculator: member 1: 8.5^0.25 = 1.7074765, 0.8/2.5 = 0.32 ->
    0.6466664; member 2: 0.8/4.5 * 2.1895369 -> 0.7198123; member 3: 0.8/7.5 * 5.3221752 -> 0.6378777."""
    expected = [1.0 / (1 + BG.a / (BG.b + x) * ((BG.alpha + T_) / (BG.alpha + t_x)) ** (BG.r + x))
                for x, t_x, T_ in zip(X, T_X, T)]
    got = btyd.mbgnbd_conditional_probability_alive(BG, X, T_X, T)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(got, [0.6466664, 0.7198123, 0.6378777], rtol=1e-6)


@pytest.mark.parametrize("t", [0.0, 30.0, 90.0, 365.0])
def test_expected_purchases_hand_worked(t):
    """Both conditional expectations against the papers' formulas with 2F1 summed as Gauss's series;
    nothing bought in no time (t = 0)."""
    bg = [_bgnbd_expected(BG, t, x, t_x, T_) for x, t_x, T_ in zip(X, T_X, T)]
    mbg = [_mbgnbd_expected(BG, t, x, t_x, T_) for x, t_x, T_ in zip(X, T_X, T)]
    np.testing.assert_allclose(btyd.bgnbd_conditional_expected_purchases(BG, t, X, T_X, T), bg, rtol=1e-10, atol=0)
    np.testing.assert_allclose(btyd.mbgnbd_conditional_expected_purchases(BG, t, X, T_X, T), mbg, rtol=1e-10, atol=0)
    if t == 0:
        assert bg == [0.0, 0.0, 0.0]


def test_gamma_gamma_expected_profit_hand_worked():
    """p (v + x m) / (p x + q - 1) with p 6, q 4, v 15: (1, 20) -> 6*35/9 = 210/9; (3, 35.5) ->
    6*121.5/21 = 729/21; (10, 12) -> 6*135/63 = 810/63."""
    got = btyd.gamma_gamma_conditional_expected_average_profit(GG, [1, 3, 10], [20.0, 35.5, 12.0])
    np.testing.assert_allclose(got, [210 / 9, 729 / 21, 810 / 63], rtol=1e-13)
    assert GG.population_mean_defined and not btyd.GammaGammaParams(1.0, 1.0, 1.0).population_mean_defined


def test_clv_hand_worked():
    """CLV = sum over months k = 1..12 of E[spend] (E[Y(30k)] - E[Y(30(k-1))]) / (1 + d)^k, E[Y] from
    BG/NBD eq. 10 (series), E[spend] the Gamma-Gamma expectation; monetary 0 for the one-time buyer."""
    m = np.array([0.0, 25.0, 40.0])
    expected = [sum(_gg_expected(GG, x, m_) * (_bgnbd_expected(BG, 30 * k, x, t_x, T_)
                                               - _bgnbd_expected(BG, 30 * (k - 1), x, t_x, T_)) / 1.01 ** k
                    for k in range(1, 13)) for x, t_x, T_, m_ in zip(X, T_X, T, m)]
    got = btyd.customer_lifetime_value(BG, GG, X, T_X, T, m, time=12, discount_rate=0.01, freq="D")
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def _log_beta(a, b):
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def test_likelihoods_and_gradients_hand_worked():
    """The objectives are minus the weighted mean of the papers' log-likelihoods, and their gradients
    (in log parameters) agree with central differences.
    BG/NBD (FHL 2005 eq. 6): L = B(a,b+x)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        + [x>0] B(a+1,b+x-1)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x));
    MBG/NBD: L = B(a,b+x+1)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        + B(a+1,b+x)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x));
    Gamma-Gamma (Hardie's note 025): f(m | x) = G(px+q) / (G(px) G(q)) v^q m^(px-1) x^(px) / (v+xm)^(px+q)."""
    r, alpha, a, b = BG.r, BG.alpha, BG.a, BG.b
    weights = np.array([1.0, 2.0, 3.0])

    def lam(x, t):
        return math.exp(math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) - (r + x) * math.log(alpha + t))

    bg_ll = [math.log(math.exp(_log_beta(a, b + x) - _log_beta(a, b)) * lam(x, T_)
                      + (x > 0) * math.exp(_log_beta(a + 1, b + x - 1 if x > 0 else b) - _log_beta(a, b)) * lam(x, t_x))
             for x, t_x, T_ in zip(X, T_X, T)]
    mbg_ll = [math.log(math.exp(_log_beta(a, b + x + 1) - _log_beta(a, b)) * lam(x, T_)
                       + math.exp(_log_beta(a + 1, b + x) - _log_beta(a, b)) * lam(x, t_x))
              for x, t_x, T_ in zip(X, T_X, T)]
    x_gg, m_gg = np.array([1.0, 3.0, 10.0]), np.array([20.0, 35.5, 12.0])
    p, q, v = GG.p, GG.q, GG.v
    gg_ll = [math.lgamma(p * x + q) - math.lgamma(p * x) - math.lgamma(q) + q * math.log(v)
             + (p * x - 1) * math.log(m) + p * x * math.log(x) - (p * x + q) * math.log(v + x * m)
             for x, m in zip(x_gg, m_gg)]
    cases = [(btyd.bgnbd_negative_log_likelihood, [r, alpha, a, b], (X, T_X, T, weights), bg_ll),
             (btyd.mbgnbd_negative_log_likelihood, [r, alpha, a, b], (X, T_X, T, weights), mbg_ll),
             (btyd.gamma_gamma_negative_log_likelihood, [p, q, v], (x_gg, m_gg, weights), gg_ll)]
    for objective, params, args, ll in cases:
        log_params = np.log(params)
        value, gradient = objective(log_params, *args, 0.0)
        assert value == pytest.approx(-np.dot(weights, ll) / weights.sum(), rel=1e-12)
        step = 1e-6
        numeric = [(objective(log_params + step * e, *args)[0] - objective(log_params - step * e, *args)[0])
                   / (2 * step) for e in np.eye(len(params))]
        np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-9)
        penalised, penalised_gradient = objective(log_params, *args, 0.5)  # + 0.5 sum(params^2)
        assert penalised == pytest.approx(value + 0.5 * sum(np.square(params)), rel=1e-12)
        np.testing.assert_allclose(penalised_gradient, gradient + 0.5 * 2 * np.square(params), rtol=1e-12)


def test_scores_take_series_and_scalars():
    series = pd.Series(X, index=[7, 8, 9])
    np.testing.assert_array_equal(btyd.bgnbd_conditional_probability_alive(BG, series, T_X, T),
                                  btyd.bgnbd_conditional_probability_alive(BG, X, T_X, T))
    assert btyd.bgnbd_conditional_expected_purchases(BG, 30, 2, 20, 30).shape == ()
    assert btyd.mbgnbd_conditional_probability_alive(BG, 0, 0, 30).shape == (1,)


def test_fit_rejects_what_lifetimes_rejects():
    with pytest.raises(ValueError, match="larger than T"):
        btyd.fit_bgnbd([1, 2], [5.0, 40.0], [10.0, 30.0])
    with pytest.raises(ValueError, match="non-positive"):
        btyd.fit_gamma_gamma([1, 2], [5.0, 0.0])


# --- Gamma-Gamma that does not converge / has no population mean ---------------------------------

def _spend(seed=3, members=400):
    rng = np.random.default_rng(seed)
    return rng.integers(1, 6, members).astype(float), rng


def test_gamma_gamma_without_spread_does_not_converge():
    """Every member spends exactly 50 a purchase: the likelihood grows without bound as p, q -> inf,
    BFGS stops on precision loss (lifetimes would raise ConvergenceError): reported, not hidden."""
    frequency, _ = _spend()
    fit = btyd.fit_gamma_gamma(*compact_frequency_monetary(frequency, np.full(frequency.shape, 50.0)))
    assert not fit.report.success and not fit.report.converged
    assert fit.report.status == 2 and "precision loss" in fit.report.message
    assert fit.params.p > 1e6 and fit.report.patterns == 5 and fit.report.members == 400


def test_gamma_gamma_heavy_tail_has_no_population_mean():
    """Log-normal spend with sigma 2.5 (a very heavy tail): converges with q ~ 0.51 <= 1, so the
    population mean v p / (q - 1) is undefined and the caller must fall back."""
    frequency, rng = _spend()
    fit = btyd.fit_gamma_gamma(frequency, rng.lognormal(3, 2.5, frequency.shape[0]))
    assert fit.report.converged and fit.params.q <= 1 and not fit.population_mean_defined


# --- parity with lifetimes ---------------------------------------------------------------------

def _simulated_shop(members=3000, seed=20240630):
    """BG/NBD-like purchases (gamma rates, beta drop-out) for two shops, first purchases up to 500 days
    before the observation day (a few after it), purchases up to 60 days past it (dropped by the
    summary), 10% extra orders on the same day, whole-unit gamma amounts, 5% of them 0."""
    rng = np.random.default_rng(seed)
    observed = pd.Timestamp("2024-06-30 10:00")
    rate, dropout = rng.gamma(0.7, 1 / 20.0, members), rng.beta(0.8, 3.0, members)
    age, spend = rng.uniform(-20, 500, members), rng.gamma(4.0, 15.0, members)
    member, offset = [], []
    for i in range(members):
        t = 0.0
        member.append(i), offset.append(t)
        while (t := t + rng.exponential(1 / rate[i])) <= age[i] + 60:
            member.append(i), offset.append(t)
            if rng.random() < dropout[i]:
                break
    member, offset = np.array(member), np.array(offset)
    when = observed.normalize() - pd.to_timedelta(age[member] - offset, unit="D")
    tx = pd.DataFrame({"key": member, "shop_id": np.where(member % 2, "s2", "s1"), "member_id": member // 2,
                       "ordered_at": when,
                       "amount": np.round(rng.gamma(3.0, spend[member] / 3.0)) * (rng.random(len(member)) > 0.05)})
    extra = tx.iloc[rng.choice(len(tx), len(tx) // 10, replace=False)].copy()
    extra["ordered_at"] = extra["ordered_at"].dt.normalize() + pd.Timedelta(hours=23, minutes=59)
    return pd.concat([tx, extra], ignore_index=True), observed


def _rel(ours, theirs):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape and np.all(np.isfinite(ours)) and np.all(np.isfinite(theirs))
    return float(np.max(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-300)))


@pytest.fixture(scope="module")
def shop():
    lifetimes = pytest.importorskip("lifetimes")
    from lifetimes.utils import summary_data_from_transaction_data

    tx, observed = _simulated_shop()
    theirs = summary_data_from_transaction_data(tx, "key", "ordered_at", monetary_value_col="amount",
                                                observation_period_end=observed, freq="D").sort_index()
    keep = (theirs["frequency"] > 0) & (theirs["monetary_value"] > 0)
    with contextlib.redirect_stdout(io.StringIO()):  # lifetimes prints the OptimizeResult on failure
        fitters = {"bg": lifetimes.BetaGeoFitter().fit(theirs["frequency"], theirs["recency"], theirs["T"]),
                   "mbg": lifetimes.ModifiedBetaGeoFitter().fit(theirs["frequency"], theirs["recency"], theirs["T"]),
                   "gg": lifetimes.GammaGammaFitter().fit(theirs.loc[keep, "frequency"],
                                                          theirs.loc[keep, "monetary_value"])}
    return theirs, fitters


@pytest.mark.parametrize("model", ["bg", "mbg"])
def test_beta_geo_fits_equal_lifetimes(shop, model):
    theirs, fitters = shop
    fit = {"bg": btyd.fit_bgnbd, "mbg": btyd.fit_mbgnbd}[model]
    lifetimes_params = fitters[model].params_[["r", "alpha", "a", "b"]].to_numpy()
    full = fit(theirs["frequency"], theirs["recency"], theirs["T"])
    compact = fit(*compact_rfm(theirs["frequency"], theirs["recency"], theirs["T"]))
    assert compact.report.patterns < full.report.patterns == compact.report.members == len(theirs)
    for result in (full, compact):
        assert result.report.converged
        assert _rel(list(result.params.to_dict().values()), lifetimes_params) < RTOL
        assert result.report.neg_log_likelihood == pytest.approx(fitters[model]._negative_log_likelihood_, rel=RTOL)
    assert fit(theirs["frequency"], theirs["recency"], theirs["T"]) == full  # deterministic, to the bit


def test_gamma_gamma_fit_equals_lifetimes(shop):
    theirs, fitters = shop
    compact = compact_frequency_monetary(theirs["frequency"], theirs["monetary_value"])
    fit = btyd.fit_gamma_gamma(*compact)
    assert fit.report.converged and fit.population_mean_defined and fit.report.patterns < fit.report.members
    assert fit.report.members == fitters["gg"].data["weights"].sum()
    assert _rel(list(fit.params.to_dict().values()), fitters["gg"].params_[["p", "q", "v"]]) < RTOL
    lifetimes = pytest.importorskip("lifetimes")
    with warnings.catch_warnings():  # lifetimes passes L-BFGS-B the `disp` option scipy 1.17 deprecates
        warnings.simplefilter("ignore", DeprecationWarning)
        constrained = lifetimes.GammaGammaFitter().fit(fitters["gg"].data["frequency"],
                                                       fitters["gg"].data["monetary_value"],
                                                       q_constraint=True)  # bounds log q >= 0: L-BFGS-B
    assert _rel(list(btyd.fit_gamma_gamma(*compact, q_constraint=True).params.to_dict().values()),
                constrained.params_[["p", "q", "v"]]) < RTOL


def test_scores_equal_lifetimes(shop):
    theirs, fitters = shop
    f, r, T, m = (theirs[c].to_numpy() for c in ["frequency", "recency", "T", "monetary_value"])
    bg = btyd.fit_bgnbd(*compact_rfm(f, r, T)).params
    mbg = btyd.fit_mbgnbd(*compact_rfm(f, r, T)).params
    gg = btyd.fit_gamma_gamma(*compact_frequency_monetary(f, m)).params
    assert _rel(btyd.bgnbd_conditional_probability_alive(bg, f, r, T),
                fitters["bg"].conditional_probability_alive(f, r, T)) < RTOL
    assert _rel(btyd.mbgnbd_conditional_probability_alive(mbg, f, r, T),
                fitters["mbg"].conditional_probability_alive(f, r, T)) < RTOL
    for t in (30, 90, 365):
        assert _rel(btyd.bgnbd_conditional_expected_purchases(bg, t, f, r, T),
                    fitters["bg"].conditional_expected_number_of_purchases_up_to_time(t, f, r, T)) < RTOL
        assert _rel(btyd.mbgnbd_conditional_expected_purchases(mbg, t, f, r, T),
                    fitters["mbg"].conditional_expected_number_of_purchases_up_to_time(t, f, r, T)) < RTOL
    repeat = (f > 0) & (m > 0)
    assert _rel(btyd.gamma_gamma_conditional_expected_average_profit(gg, f[repeat], m[repeat]),
                fitters["gg"].conditional_expected_average_profit(f[repeat], m[repeat])) < RTOL
    for rate in (0.01, 0.005):  # every member, one-time buyers (monetary 0) included, as lifetimes allows
        theirs_clv = fitters["gg"].customer_lifetime_value(fitters["bg"], theirs["frequency"], theirs["recency"],
                                                           theirs["T"], theirs["monetary_value"], time=12,
                                                           discount_rate=rate, freq="D")
        assert _rel(btyd.customer_lifetime_value(bg, gg, f, r, T, m, time=12, discount_rate=rate), theirs_clv) < RTOL
    theirs_clv = fitters["gg"].customer_lifetime_value(fitters["mbg"], theirs["frequency"], theirs["recency"],
                                                       theirs["T"], theirs["monetary_value"])  # MBG/NBD purchases
    assert _rel(btyd.customer_lifetime_value(mbg, gg, f, r, T, m, purchase_model="mbgnbd"), theirs_clv) < RTOL


def test_euler_transform_only_where_the_series_is_infinite_and_each_horizon_once():
    """The expected purchases compute Euler's transform only where ln 2F1 is infinite, and the
    discounted value predicts each monthly horizon once: both give exactly the values of the
    plain forms (the transform computed everywhere and chosen; two predictions per month), on
    members whose series overflow (thousands of repeat days, a century's horizon)."""
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.poisson(1.5, 500), rng.integers(0, 3000, 500), [0, 1, 2999]]).astype(float)
    T = np.concatenate([rng.uniform(30, 700, 500), rng.uniform(1, 40000, 500), [1.0, 36500.0, 36500.0]])
    t_x = np.where(x > 0, T * rng.uniform(0, 1, x.size), 0.0)
    spend = rng.uniform(10, 300, x.size)
    params = btyd.BetaGeoParams(r=0.8, alpha=120.0, a=0.9, b=3.0)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b

    def plain_expected(t):
        with np.errstate(all="ignore"):
            _a, _b, _c, _z = r + x, b + x, a + b + x - 1, t / (alpha + T + t)
            ln_hyp = np.log(btyd.hyp2f1(_a, _b, _c, _z))
            ln_alt = np.log(btyd.hyp2f1(_c - _a, _c - _b, _c, _z)) + (_c - _a - _b) * np.log(1 - _z)
            ln_hyp = np.where(np.isinf(ln_hyp), ln_alt, ln_hyp)
            second = 1 - np.exp(ln_hyp + (r + x) * np.log((alpha + T) / (alpha + t + T)))
            odds_dead = np.where(x > 0, (a / (b + x - 1)) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
            return ((a + b + x - 1) / (a - 1) * second) / (1 + odds_dead)

    for t in (30, 365, 36500):
        with np.errstate(all="ignore"):
            overflowing = np.isinf(np.log(btyd.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))))
        if t == 36500:
            assert overflowing.sum() > 100  # the transform's branch is exercised
        assert np.array_equal(btyd.bgnbd_conditional_expected_purchases(params, t, x, t_x, T), plain_expected(t),
                              equal_nan=True)
    plain_value = np.zeros(x.size)
    for i in np.arange(1, 13) * 30:
        plain_value += spend * (plain_expected(i) - plain_expected(i - 30)) / (1 + 0.01) ** (i / 30)
    assert np.array_equal(btyd.discounted_value(params, spend, x, t_x, T, time=12, discount_rate=0.01), plain_value,
                          equal_nan=True)
