"""The campaign lift intervals (macros/rules/campaign_lift.sql, spec "Lift statistics"), rendered
by dbt and evaluated in DuckDB.

One `dbt compile --inline` (own target, log and warehouse paths under pytest's tmp) renders
every macro into one query over a table `lift_inputs`; each test registers its own rows as that
table. Three kinds of tests:
* hand-worked: Wilson against scipy's binomtest, Newcombe against the published values of
  Newcombe (1998, Table II, method 10) and an explicit formula, Katz against scipy's
  relative_risk, Welch against scipy's ttest_ind confidence interval (1e-4, the t quantile is
  an approximation), the delta method against the formula written out here; the null cases;
  t_quantile_975 against scipy.stats.t.ppf for df from 1 to 1e6;
* coverage: 2,000 simulated experiments per setting (fixed seed; small holdouts of 30-60 and
  conversion of 3-20%; net revenue per member zero-inflated lognormal) in one query each: the
  share of intervals that hold the true effect is near 0.95 where the method is sound, and the
  shortfall of the revenue intervals at small holdouts is pinned, not hidden;
* power: intervals narrow as n grows, and a wrong effect is covered far less often.
"""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import relative_risk

pytestmark = pytest.mark.dbt

ROOT = Path(__file__).resolve().parents[1]
Z = 1.959963984540054

BOUNDS = {
    "wilson": ("wilson_lower", "wilson_upper", "x_t, n_t"),
    "difference": ("proportion_difference_lower", "proportion_difference_upper", "x_t, n_t, x_h, n_h"),
    "conversion_lift": ("relative_conversion_lift_lower", "relative_conversion_lift_upper", "x_t, n_t, x_h, n_h"),
    "welch": ("welch_difference_lower", "welch_difference_upper", "mean_t, var_t, n_t, mean_h, var_h, n_h"),
    "revenue_lift": ("relative_mean_lift_lower", "relative_mean_lift_upper", "mean_t, var_t, n_t, mean_h, var_h, n_h"),
}
COLUMNS = ["x_t", "n_t", "x_h", "n_h", "mean_t", "var_t", "mean_h", "var_h", "df"]


def _inline_query() -> str:
    def call(macro: str, arguments: str) -> str:
        quoted = ", ".join(f"'{argument.strip()}'" for argument in arguments.split(","))
        return f"{{{{ member_analytics.{macro}({quoted}) }}}}"

    selects = ["{{ member_analytics.t_quantile_975('df') }} as t_quantile"]
    for name, (lower, upper, arguments) in BOUNDS.items():
        selects += [f"{call(lower, arguments)} as {name}_lower", f"{call(upper, arguments)} as {name}_upper"]
    return "select\n    lift_inputs.*,\n    " + ",\n    ".join(selects) + "\nfrom lift_inputs"


@pytest.fixture(scope="module")
def lift_sql(tmp_path_factory) -> str:
    """The compiled query: every bound as a column over the table lift_inputs."""
    home = tmp_path_factory.mktemp("campaign_lift")
    env = dict(os.environ)
    env.update(
        MEMBER_ANALYTICS_WAREHOUSE_DIR=str(home / "warehouse"),
        MEMBER_ANALYTICS_DUCKDB_PATH=str(home / "warehouse" / "lift.duckdb"),
        MEMBER_ANALYTICS_DUCKDB_TEMP_DIR=str(home / "warehouse" / "tmp"),
        DBT_TARGET_PATH=str(home / "target"),
        DBT_LOG_PATH=str(home / "logs"),
    )
    result = subprocess.run([str(ROOT / "bin" / "dbt"), "--quiet", "compile", "--inline", _inline_query()],
                            env=env, capture_output=True, text=True, cwd="/")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    sql = result.stdout.strip()
    assert sql.startswith("select") and sql.endswith("from lift_inputs"), sql[:2000]
    return sql


def evaluate(lift_sql: str, rows: pd.DataFrame | list[dict]) -> pd.DataFrame:
    """The bounds for each row of inputs (missing input columns are 1; counts stay integers, so
    an engine's integer division would show)."""
    frame = pd.DataFrame(rows).copy()
    for column in COLUMNS:
        if column not in frame:
            frame[column] = 1
    with duckdb.connect() as connection:
        connection.register("lift_inputs", frame[COLUMNS])
        return connection.execute(lift_sql).df()


# --- independent references -------------------------------------------------------------------

def wilson(x: int, n: int) -> tuple[float, float]:
    interval = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    return interval.low, interval.high


def newcombe(x_t: int, n_t: int, x_h: int, n_h: int) -> tuple[float, float]:
    """Newcombe (1998), method 10, from the arms' Wilson intervals."""
    (l_t, u_t), (l_h, u_h) = wilson(x_t, n_t), wilson(x_h, n_h)
    p_t, p_h = x_t / n_t, x_h / n_h
    return (p_t - p_h - math.hypot(p_t - l_t, u_h - p_h), p_t - p_h + math.hypot(u_t - p_t, p_h - l_h))


def delta_log_ratio(mean_t, var_t, n_t, mean_h, var_h, n_h) -> tuple[float, float]:
    centre = math.log(mean_t / mean_h)
    half = Z * math.sqrt(var_t / (n_t * mean_t ** 2) + var_h / (n_h * mean_h ** 2))
    return math.exp(centre - half) - 1, math.exp(centre + half) - 1


# --- hand-worked values ------------------------------------------------------------------------

PROPORTIONS = [(0, 10), (1, 10), (7, 40), (40, 40), (123, 2000), (3, 31)]


def test_wilson_matches_scipy(lift_sql):
    result = evaluate(lift_sql, [{"x_t": x, "n_t": n} for x, n in PROPORTIONS])
    for (x, n), lower, upper in zip(PROPORTIONS, result.wilson_lower, result.wilson_upper):
        assert (lower, upper) == pytest.approx(wilson(x, n), abs=1e-9), (x, n)


# Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10 (to 4 decimals).
NEWCOMBE_PUBLISHED = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]
CAMPAIGNS = [(240, 2000, 18, 200), (61, 1000, 3, 50), (36, 600, 0, 30), (250, 5000, 20, 500), (1, 3, 1, 2)]


def test_newcombe_matches_the_published_table_and_the_formula(lift_sql):
    cases = [case for case, _ in NEWCOMBE_PUBLISHED] + CAMPAIGNS
    result = evaluate(lift_sql, [dict(zip(["x_t", "n_t", "x_h", "n_h"], case)) for case in cases])
    for case, lower, upper in zip(cases, result.difference_lower, result.difference_upper):
        assert (lower, upper) == pytest.approx(newcombe(*case), abs=1e-9), case
    for (case, published), lower, upper in zip(NEWCOMBE_PUBLISHED, result.difference_lower, result.difference_upper):
        assert (round(lower, 4), round(upper, 4)) == pytest.approx(published, abs=1e-12), case


def test_katz_relative_conversion_lift_matches_scipy(lift_sql):
    cases = [(240, 2000, 18, 200), (61, 1000, 3, 50), (30, 200, 20, 210), (5, 5, 2, 2), (1, 40, 7, 33)]
    result = evaluate(lift_sql, [dict(zip(["x_t", "n_t", "x_h", "n_h"], case)) for case in cases])
    for case, lower, upper in zip(cases, result.conversion_lift_lower, result.conversion_lift_upper):
        interval = relative_risk(*case).confidence_interval(confidence_level=0.95)
        assert (lower, upper) == pytest.approx((interval.low - 1, interval.high - 1), abs=1e-9), case


def test_welch_matches_scipy_on_raw_samples(lift_sql):
    rng = np.random.default_rng(11)
    samples = [
        (rng.lognormal(3.0, 1.0, 400) * (rng.random(400) < 0.2), rng.lognormal(3.0, 1.0, 40) * (rng.random(40) < 0.15)),
        (rng.normal(10, 2, 12), rng.normal(9, 5, 7)),
        (rng.normal(5, 1, 3), rng.normal(4, 1, 3)),  # df near 2: the small-df fit
        (rng.normal(0, 1, 2), rng.normal(1, 3, 2)),  # df between 1 and 2
        (np.array([0.0, 0.0, 30.0, 0.0]), np.zeros(6)),  # one arm without spread: df = n_t - 1
    ]
    rows, expected = [], []
    for treatment, holdout in samples:
        rows.append({"mean_t": treatment.mean(), "var_t": treatment.var(ddof=1), "n_t": len(treatment),
                     "mean_h": holdout.mean(), "var_h": holdout.var(ddof=1), "n_h": len(holdout)})
        test = stats.ttest_ind(treatment, holdout, equal_var=False)
        interval = test.confidence_interval(confidence_level=0.95)
        expected.append((treatment.mean() - holdout.mean(), interval.low, interval.high, test.df))
    result = evaluate(lift_sql, rows)
    for (difference, low, high, df), lower, upper in zip(expected, result.welch_lower, result.welch_upper):
        assert (lower + upper) / 2 == pytest.approx(difference, abs=1e-9)
        assert (upper - lower) == pytest.approx(high - low, rel=1e-4), df


def test_delta_method_relative_revenue_lift_matches_the_formula(lift_sql):
    cases = [(11.2, 900.0, 2000, 9.5, 700.0, 200), (3.1, 250.0, 1000, 1.4, 60.0, 50), (52.0, 10.0, 3, 48.0, 0.0, 2)]
    names = ["mean_t", "var_t", "n_t", "mean_h", "var_h", "n_h"]
    result = evaluate(lift_sql, [dict(zip(names, case)) for case in cases])
    for case, lower, upper in zip(cases, result.revenue_lift_lower, result.revenue_lift_upper):
        assert (lower, upper) == pytest.approx(delta_log_ratio(*case), abs=1e-9), case


def test_undefined_bounds_are_null_not_errors(lift_sql):
    rows = [
        {"x_t": 0, "n_t": 0, "x_h": 3, "n_h": 50},  # empty treatment arm
        {"x_t": 5, "n_t": 100, "x_h": 0, "n_h": 40},  # no holdout conversion: Katz undefined
        {"x_t": 0, "n_t": 100, "x_h": 2, "n_h": 40},  # no treatment conversion: Katz undefined
        {"x_t": 7, "n_t": 5, "x_h": 1, "n_h": 10},  # more conversions than members
        {"mean_t": 4.0, "var_t": 2.0, "n_t": 1, "mean_h": 3.0, "var_h": 1.0, "n_h": 10},  # n < 2
        {"mean_t": 4.0, "var_t": 0.0, "n_t": 10, "mean_h": 3.0, "var_h": 0.0, "n_h": 10},  # no spread
        {"mean_t": 0.0, "var_t": 0.0, "n_t": 10, "mean_h": 3.0, "var_h": 1.0, "n_h": 10},  # a zero mean
        {"mean_t": 2.0, "var_t": 1.0, "n_t": 10, "mean_h": -1.0, "var_h": 1.0, "n_h": 10},  # a negative mean
        {"df": 0.5},
    ]
    result = evaluate(lift_sql, rows)
    null = result.isna()
    assert null.loc[0, ["wilson_lower", "wilson_upper", "difference_lower", "difference_upper",
                        "conversion_lift_lower", "conversion_lift_upper"]].all()
    assert null.loc[1, ["conversion_lift_lower", "conversion_lift_upper"]].all()
    assert not null.loc[1, ["difference_lower", "difference_upper"]].any()
    assert null.loc[2, ["conversion_lift_lower", "conversion_lift_upper"]].all()
    assert null.loc[3, ["wilson_lower", "difference_lower", "conversion_lift_upper"]].all()
    assert null.loc[4, ["welch_lower", "welch_upper", "revenue_lift_lower", "revenue_lift_upper"]].all()
    assert null.loc[5, ["welch_lower", "welch_upper"]].all()
    assert result.loc[5, "revenue_lift_lower"] == pytest.approx(4.0 / 3.0 - 1)  # no spread: a point
    assert null.loc[6, ["revenue_lift_lower", "revenue_lift_upper"]].all()
    assert not null.loc[6, ["welch_lower", "welch_upper"]].any()
    assert null.loc[7, ["revenue_lift_lower", "revenue_lift_upper"]].all()
    assert null.loc[8, "t_quantile"]


def test_t_quantile_is_within_2e_5_of_scipy_from_df_1_to_a_million(lift_sql):
    df = np.unique(np.concatenate([np.geomspace(1, 1e6, 3000), np.arange(1, 61), [4.999999, 5.0, 5.000001]]))
    result = evaluate(lift_sql, {"df": df})
    relative_error = np.abs(result.t_quantile.to_numpy() / stats.t.ppf(0.975, df) - 1)
    assert relative_error.max() < 2e-5  # measured: 1.52e-5, at df = 5
    assert relative_error[df >= 3].max() < 1e-3  # the brief's bound
    assert relative_error[df < 5].max() < 1e-6  # the small-df fit; measured 5.7e-7
    assert relative_error[df >= 10].max() < 1e-6  # the Cornish-Fisher series; measured 2.8e-7


# --- coverage on simulated experiments ---------------------------------------------------------

EXPERIMENTS = 2000
# (name, n_t, n_h, p_t, p_h): conversion rates, and revenue per converter lognormal with mean
# SPEND (log-sd SIGMA) in both arms, so the true revenue lift equals the conversion lift.
SETTINGS = [
    ("very large holdout", 20000, 5000, 0.12, 0.10),
    ("large holdout", 5000, 500, 0.05, 0.04),
    ("typical", 2000, 200, 0.12, 0.10),
    ("small holdout, 20%", 1000, 60, 0.20, 0.15),
    ("small holdout, 10%", 1500, 45, 0.10, 0.07),
    ("tiny holdout, 3%", 600, 30, 0.06, 0.03),
]
SPEND, SIGMA = 40.0, 1.0


def simulate(n_t: int, n_h: int, p_t: float, p_h: float, rng: np.random.Generator) -> pd.DataFrame:
    """EXPERIMENTS summaries of two arms: conversions, and mean and sample variance of net revenue
    per member (0 for non-converters, lognormal for converters)."""
    columns = {}
    for arm, n, p in (("t", n_t, p_t), ("h", n_h, p_h)):
        converted = rng.binomial(n, p, EXPERIMENTS)
        spend = rng.lognormal(math.log(SPEND) - SIGMA ** 2 / 2, SIGMA, converted.sum())
        experiment = np.repeat(np.arange(EXPERIMENTS), converted)
        total = np.bincount(experiment, weights=spend, minlength=EXPERIMENTS)
        squares = np.bincount(experiment, weights=spend ** 2, minlength=EXPERIMENTS)
        columns[f"x_{arm}"] = converted
        columns[f"n_{arm}"] = np.full(EXPERIMENTS, n)
        columns[f"mean_{arm}"] = total / n
        columns[f"var_{arm}"] = (squares - total ** 2 / n) / (n - 1)
    return pd.DataFrame(columns)


def truths(p_t: float, p_h: float) -> dict[str, float]:
    return {"difference": p_t - p_h, "conversion_lift": p_t / p_h - 1,
            "welch": (p_t - p_h) * SPEND, "revenue_lift": p_t / p_h - 1}


def chance_of_a_conversion_in_both_arms(n_t: int, n_h: int, p_t: float, p_h: float) -> float:
    """When the ratios (Katz, the log of mean revenue) are defined."""
    return (1 - (1 - p_t) ** n_t) * (1 - (1 - p_h) ** n_h)


def coverage(result: pd.DataFrame, name: str, value: float) -> tuple[float, float]:
    """The share of defined intervals holding value, and the share of experiments with one."""
    lower, upper = result[f"{name}_lower"], result[f"{name}_upper"]
    defined = lower.notna() & upper.notna()
    held = (lower[defined] <= value) & (value <= upper[defined])
    return float(held.mean()), float(defined.mean())


@pytest.fixture(scope="module")
def simulated(lift_sql) -> dict[str, tuple[pd.DataFrame, dict[str, float]]]:
    rng = np.random.default_rng(20261215)
    frames, truth = [], {}
    for name, n_t, n_h, p_t, p_h in SETTINGS:
        frames.append(simulate(n_t, n_h, p_t, p_h, rng).assign(setting=name))
        truth[name] = truths(p_t, p_h) | {"defined": chance_of_a_conversion_in_both_arms(n_t, n_h, p_t, p_h)}
    inputs = pd.concat(frames, ignore_index=True)
    result = evaluate(lift_sql, inputs)  # one query over every simulated experiment
    result["setting"] = inputs["setting"]
    return {name: (result[result.setting == name], truth[name]) for name, *_ in SETTINGS}


# The coverage each method must reach per setting (about 3-5 Monte Carlo SE under what we see),
# and at most 0.975 everywhere. Observed (seed 20261215, 2,000 experiments per setting), in
# SETTINGS order (very large, large, typical, small 20%, small 10%, tiny 3%):
#   Newcombe        0.952 0.952 0.951 0.956 0.957 0.958
#   Katz            0.950 0.953 0.954 0.956 0.958 0.928 (of the 96% / 58% with a conversion in both arms)
#   Welch           0.961 0.904 0.894 0.872 0.762 0.778
#   delta, log      0.956 0.924 0.921 0.899 0.870 0.901 (of the 96% / 58% with revenue in both arms)
# Newcombe and Katz (score and log intervals) hold 95% down to holdouts of 30-60. The revenue
# intervals rest on the mean of a heavily skewed variable (most members 0, converters lognormal,
# log-sd 1): with 500 holdout converters they reach 95%, with 10-20 they cover about 90%, with a
# handful 76-87%. That is the limit of a normal approximation to a skewed mean, not a bug: read
# revenue lift on small holdouts with care (or require a minimum of holdout converters).
EXPECTED_COVERAGE = {
    "difference": dict.fromkeys([name for name, *_ in SETTINGS], 0.925),
    "conversion_lift": {**dict.fromkeys([name for name, *_ in SETTINGS], 0.925), "tiny holdout, 3%": 0.895},
    "welch": {"very large holdout": 0.925, "large holdout": 0.875, "typical": 0.865, "small holdout, 20%": 0.84,
              "small holdout, 10%": 0.72, "tiny holdout, 3%": 0.73},
    "revenue_lift": {"very large holdout": 0.925, "large holdout": 0.89, "typical": 0.89, "small holdout, 20%": 0.865,
                     "small holdout, 10%": 0.83, "tiny holdout, 3%": 0.86},
}


@pytest.mark.parametrize("method", list(EXPECTED_COVERAGE))
def test_coverage_of_the_true_effect(simulated, method, record_property):
    figures = {}
    for setting, (result, truth) in simulated.items():
        share, defined = coverage(result, method, truth[method])
        figures[setting] = (round(share, 4), round(defined, 4))
        # Defined in every experiment; the ratios only when both arms have a conversion.
        expected = truth["defined"] if method in ("conversion_lift", "revenue_lift") else 1.0
        assert defined == pytest.approx(expected, abs=0.035), (method, setting, defined, expected)
    record_property("coverage", figures)
    print(method, figures)
    for setting, (share, defined) in figures.items():
        assert EXPECTED_COVERAGE[method][setting] <= share <= 0.975, (method, setting, share, figures)


@pytest.mark.parametrize("method", list(EXPECTED_COVERAGE))
def test_a_wrong_effect_is_covered_far_less_often(simulated, method):
    """Move the truth by the median interval width, up and down (on the log scale for the
    ratios): it is held far less often (observed at most 0.26) than the truth."""
    ratio = method in ("conversion_lift", "revenue_lift")
    for setting, (result, truth) in simulated.items():
        lower, upper = result[f"{method}_lower"], result[f"{method}_upper"]
        right, _ = coverage(result, method, truth[method])
        if ratio:
            width = float((np.log1p(upper) - np.log1p(lower)).median())
            wrongs = [(1 + truth[method]) * math.exp(sign * width) - 1 for sign in (1, -1)]
        else:
            width = float((upper - lower).median())
            wrongs = [truth[method] + sign * width for sign in (1, -1)]
        for wrong in wrongs:
            shifted, _ = coverage(result, method, wrong)
            assert shifted < 0.35 and shifted < right - 0.4, (method, setting, right, wrong, shifted)


def test_power_grows_with_the_holdout(simulated):
    """The same lift (12% against 10%) is rarely shown (lower bound above 0) with a holdout of 200,
    and almost always with 5,000."""
    shown = {setting: float((simulated[setting][0].difference_lower > 0).mean())
             for setting in ("typical", "very large holdout")}
    assert shown["typical"] < 0.3 and shown["very large holdout"] > 0.9, shown


def test_intervals_narrow_as_the_arms_grow(lift_sql):
    """The same observed rates and spread on 1x, 4x and 16x the members: every interval narrows,
    about by half per fourfold (1/sqrt(n))."""
    rows = [{"x_t": 12 * k, "n_t": 100 * k, "x_h": 5 * k, "n_h": 50 * k, "mean_t": 4.8, "var_t": 260.0,
             "mean_h": 4.0, "var_h": 230.0} for k in (1, 4, 16)]
    result = evaluate(lift_sql, rows)
    for name in ("wilson", *EXPECTED_COVERAGE):
        width = (result[f"{name}_upper"] - result[f"{name}_lower"]).to_numpy()
        assert width[0] > width[1] > width[2] > 0, (name, width)
        assert 0.35 < width[2] / width[1] < 0.65, (name, width)
