"""The forecast marts (issue 21, docs/decisions/0122) against lifetimes 0.11.3, fitted here
independently from the raw files (the orders recomputed in pandas: reference.expected_fct_orders),
on the generator's tiny dataset; the fallbacks; and the holdout check."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from .conftest import NO_UNIT_TESTS, DbtProject, build_vars
from .reference import expected_fct_orders

lifetimes = pytest.importorskip("lifetimes")
from lifetimes.utils import _customer_lifetime_value, summary_data_from_transaction_data  # noqa: E402

pytestmark = pytest.mark.dbt

KEY = ["shop_id", "member_id"]
RELATIVE = 1e-4
ABSOLUTE = 1e-9  # the marts round a member's values to 12 decimal places


def _close(actual, expected, name: str) -> None:
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, name
    assert np.allclose(actual, expected, rtol=RELATIVE, atol=ABSOLUTE, equal_nan=False), (
        name, float(np.max(np.abs(actual - expected) / np.maximum(np.abs(expected), ABSOLUTE))))


def _valid_purchases(raw_path, truth) -> pd.DataFrame:
    variables = build_vars(truth)
    orders = expected_fct_orders(raw_path, truth["as_of_date"], "1990-01-01",
                                 variables["member_analytics__validation__latest_valid_date"])
    valid = orders[orders["is_valid_purchase"]].copy()
    valid["net_amount"] = valid["net_amount"].map(float)
    return valid


def _summary(purchases: pd.DataFrame, as_of_date: str) -> pd.DataFrame:
    """lifetimes' own summary: one purchase per member-day, net amounts."""
    return summary_data_from_transaction_data(
        purchases, "member_id", "ordered_at", monetary_value_col="net_amount",
        observation_period_end=pd.Timestamp(as_of_date), freq="D")


@pytest.fixture(scope="module")
def lifetimes_per_shop(tiny_build, tiny_raw):
    """Per shop: the summary, the three fitters (Gamma-Gamma None when lifetimes' own fit
    raises ConvergenceError) and the mart's rows in the summary's member order."""
    project, truth = tiny_build
    raw_path, _ = tiny_raw
    purchases = _valid_purchases(raw_path, truth)
    forecasts = project.frame("select * from marts.fct_member_forecasts")
    shops = {}
    for shop_id, shop_purchases in purchases.groupby("shop_id"):
        summary = _summary(shop_purchases, truth["as_of_date"])
        bgf = lifetimes.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        mbgf = lifetimes.ModifiedBetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
        try:
            ggf = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
        except lifetimes.fitters.ConvergenceError:
            ggf = None
        rows = forecasts[forecasts["shop_id"] == shop_id].set_index("member_id").reindex(summary.index)
        shops[shop_id] = {"summary": summary, "bgf": bgf, "mbgf": mbgf, "ggf": ggf, "repeat": repeat, "rows": rows}
    return shops


def test_every_buyer_of_every_shop_has_lifetimes_summary(lifetimes_per_shop, tiny_build):
    project, _ = tiny_build
    buyers = project.query("select count(*) from marts.fct_member_rfm")[0][0]
    assert sum(len(shop["summary"]) for shop in lifetimes_per_shop.values()) == buyers > 1000
    for shop in lifetimes_per_shop.values():
        summary, rows = shop["summary"], shop["rows"]
        assert rows["repeat_purchase_days"].notna().all()
        assert list(rows["repeat_purchase_days"]) == list(summary["frequency"].astype(int))
        assert list(rows["purchase_span_days"]) == list(summary["recency"].astype(int))
        assert list(rows["customer_age_days"]) == list(summary["T"].astype(int))
        _close(rows["repeat_average_spend"], summary["monetary_value"], "repeat_average_spend")


def test_purchase_models_equal_lifetimes_parameters_and_member_values(lifetimes_per_shop, tiny_build):
    project, _ = tiny_build
    models = project.frame("select * from marts.rpt_forecast_models").set_index("shop_id")
    assert set(models.index) == set(lifetimes_per_shop)
    for shop_id, shop in lifetimes_per_shop.items():
        summary, rows, bgf, mbgf = shop["summary"], shop["rows"], shop["bgf"], shop["mbgf"]
        assert models.loc[shop_id, "purchase_model_scope"] == "shop"  # ~670 buyers per shop, minimum 500
        assert models.loc[shop_id, "buyers"] == len(summary)
        for name in ["r", "alpha", "a", "b"]:
            _close(models.loc[shop_id, f"bgnbd_{name}"], bgf.params_[name], f"bgnbd_{name}")
            _close(models.loc[shop_id, f"mbgnbd_{name}"], mbgf.params_[name], f"mbgnbd_{name}")
        x, t_x, T = summary["frequency"], summary["recency"], summary["T"]
        _close(rows["p_alive"], bgf.conditional_probability_alive(x, t_x, T), "p_alive")
        for days in (30, 90, 365):
            _close(rows[f"expected_purchases_{days}d"],
                   bgf.conditional_expected_number_of_purchases_up_to_time(days, x, t_x, T), f"{days}d")
        p_alive_mbgnbd = mbgf.conditional_probability_alive(x, t_x, T)
        _close(rows["p_alive_mbgnbd"], p_alive_mbgnbd, "p_alive_mbgnbd")
        # MBG/NBD does not take a one-time buyer as certainly alive; BG/NBD does
        assert (rows.loc[x == 0, "p_alive"] == 1).all() and (rows.loc[x == 0, "p_alive_mbgnbd"] < 1).all()
        expected_band = np.where(p_alive_mbgnbd < 0.3, "high", np.where(p_alive_mbgnbd < 0.7, "medium", "low"))
        assert list(rows["churn_risk_band"]) == list(expected_band)


def test_spend_and_value_equal_lifetimes_or_fall_back_to_the_shop_mean(lifetimes_per_shop, tiny_build):
    project, _ = tiny_build
    models = project.frame("select * from marts.rpt_forecast_models").set_index("shop_id")
    statuses = set()
    for shop_id, shop in lifetimes_per_shop.items():
        summary, rows, bgf, ggf, repeat = shop["summary"], shop["rows"], shop["bgf"], shop["ggf"], shop["repeat"]
        x, t_x, T, m = summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
        assert models.loc[shop_id, "repeat_buyers"] == len(repeat)
        if ggf is not None and ggf.params_["q"] > 1:
            for name in ["p", "q", "v"]:
                _close(models.loc[shop_id, f"gamma_gamma_{name}"], ggf.params_[name], f"gamma_gamma_{name}")
            spend = ggf.conditional_expected_average_profit(x, m)
            assert set(rows["model_status"]) == {"fitted"}
            _close(rows["predicted_clv_365d_discounted"],
                   ggf.customer_lifetime_value(bgf, x, t_x, T, m, time=12, discount_rate=0.01, freq="D"),
                   "predicted_clv_365d_discounted")
        else:  # lifetimes raised ConvergenceError (or q <= 1): the shop's mean repeat spend
            spend = pd.Series(repeat["monetary_value"].mean(), index=summary.index)
            assert not models.loc[shop_id, "gamma_gamma_converged"] or models.loc[shop_id, "gamma_gamma_q"] <= 1
            assert set(rows["model_status"]) <= {"spend_mean_not_converged", "spend_mean_q_at_most_1"}
            _close(rows["predicted_clv_365d_discounted"],
                   _customer_lifetime_value(bgf, x, t_x, T, spend, time=12, discount_rate=0.01, freq="D"),
                   "predicted_clv_365d_discounted (fallback spend)")
        statuses |= set(rows["model_status"])
        _close(rows["expected_average_spend"], spend, "expected_average_spend")
        _close(rows["predicted_clv_365d"],
               bgf.conditional_expected_number_of_purchases_up_to_time(365, x, t_x, T) * spend, "predicted_clv_365d")
    assert "fitted" in statuses  # the sample fits Gamma-Gamma on at least one shop


def test_purchase_rhythm_by_hand_from_the_purchase_days(lifetimes_per_shop, tiny_build, tiny_raw):
    project, truth = tiny_build
    raw_path, _ = tiny_raw
    purchases = _valid_purchases(raw_path, truth)
    purchases["day"] = purchases["ordered_at"].dt.normalize()
    as_of = pd.Timestamp(truth["as_of_date"])
    forecasts = project.frame("select * from marts.fct_member_forecasts").set_index(KEY)
    checked = 0
    for (shop_id, member_id), days in purchases.groupby(KEY)["day"]:
        days = sorted(set(days))
        row = forecasts.loc[(shop_id, member_id)]
        if len(days) == 1:
            assert pd.isna(row["median_days_between_purchases"]) and pd.isna(row["expected_next_purchase_date"])
            continue
        gaps = [(later - earlier).days for earlier, later in zip(days, days[1:])]
        median = float(np.median(gaps))
        assert row["median_days_between_purchases"] == pytest.approx(median)
        assert row["mean_days_between_purchases"] == pytest.approx(np.mean(gaps))
        assert pd.Timestamp(row["expected_next_purchase_date"]) == days[-1] + pd.Timedelta(days=int(np.ceil(median)))
        if median > 0:
            assert row["purchase_overdue_factor"] == pytest.approx((as_of - days[-1]).days / median)
        checked += 1
    assert checked > 500


def test_holdout_check_equals_lifetimes_fitted_on_the_calibration_period(tiny_build, tiny_raw):
    """The calibration fit sees only the orders dated by the calibration end, refunds dated
    after it not applied (lifetimes' calibration_and_holdout_data on those purchases)."""
    project, truth = tiny_build
    raw_path, _ = tiny_raw
    variables = build_vars(truth)
    calibration_end = pd.Timestamp(truth["as_of_date"]) - pd.Timedelta(days=90)
    then = expected_fct_orders(raw_path, str(calibration_end.date()), "1990-01-01",
                               variables["member_analytics__validation__latest_valid_date"])
    then = then[then["is_valid_purchase"]].copy()
    now = _valid_purchases(raw_path, truth)
    models = project.frame("select * from marts.rpt_forecast_models").set_index("shop_id")
    deciles = project.frame("select * from marts.rpt_forecast_holdout_deciles")
    for shop_id, shop_then in then.groupby("shop_id"):
        shop_then = shop_then.assign(net_amount=shop_then["net_amount"].map(float))
        summary = _summary(shop_then, str(calibration_end.date()))
        bgf = lifetimes.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        predicted = bgf.conditional_expected_number_of_purchases_up_to_time(
            90, summary["frequency"], summary["recency"], summary["T"])
        shop_now = now[(now["shop_id"] == shop_id) & (now["ordered_at"].dt.normalize() > calibration_end)]
        actual = shop_now.assign(day=shop_now["ordered_at"].dt.normalize()).groupby("member_id")["day"].nunique()
        actual = actual.reindex(summary.index, fill_value=0)
        row = models.loc[shop_id]
        assert row["calibration_buyers"] == len(summary)
        assert row["actual_holdout_purchase_days"] == actual.sum()
        _close(row["predicted_holdout_purchase_days"], predicted.sum(), "predicted_holdout_purchase_days")
        _close(row["holdout_mean_absolute_error"], (predicted - actual).abs().mean(), "holdout_mean_absolute_error")
        shop_deciles = deciles[deciles["shop_id"] == shop_id].sort_values("prediction_decile")
        assert list(shop_deciles["prediction_decile"]) == list(range(1, 11))
        assert shop_deciles["members"].sum() == len(summary)
        assert shop_deciles["actual_purchase_days"].sum() == actual.sum()
        # a prediction that works: the top decile buys more in the holdout than the bottom one
        assert shop_deciles["mean_actual_purchase_days"].iloc[-1] > shop_deciles["mean_actual_purchase_days"].iloc[0]


def _rebuilt_forecasts(tiny_build, tmp_path, min_buyers: int) -> DbtProject:
    """The forecast models rebuilt on a copy of the tiny build's warehouse with another minimum."""
    project, truth = tiny_build
    copy = DbtProject(tmp_path / "home", project.raw_path)
    copy.warehouse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(project.warehouse, copy.warehouse)
    # models and data tests, not the unit tests: those test the models' code on fixed inputs,
    # whatever the warehouse or these vars, and tiny_build runs every one of them once
    copy.dbt("build", "-s", "int_member_purchase_summaries+", *NO_UNIT_TESTS,
             vars={**build_vars(truth), "member_analytics__forecasts__min_buyers": min_buyers})
    return copy


def test_a_shop_with_too_few_buyers_uses_every_shops_buyers_fitted_together(tiny_build, tiny_raw, tmp_path):
    _, truth = tiny_build
    raw_path, _ = tiny_raw
    copy = _rebuilt_forecasts(tiny_build, tmp_path, min_buyers=1000)  # each shop ~670, together ~2,000
    rows = copy.frame("select * from marts.fct_member_forecasts")
    assert set(rows["model_status"]) <= {"pooled_too_few_buyers"} and len(rows) > 1000
    assert set(rows["purchase_model_scope"]) == {"all_shops"}
    # every shop's buyers in one lifetimes fit (member ids are per shop: key on both)
    purchases = _valid_purchases(raw_path, truth)
    purchases["member_key"] = purchases["shop_id"] + "/" + purchases["member_id"]
    summary = summary_data_from_transaction_data(
        purchases, "member_key", "ordered_at", observation_period_end=pd.Timestamp(truth["as_of_date"]), freq="D")
    bgf = lifetimes.BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    rows = rows.assign(member_key=rows["shop_id"] + "/" + rows["member_id"]).set_index("member_key")
    rows = rows.reindex(summary.index)
    _close(rows["p_alive"], bgf.conditional_probability_alive(summary["frequency"], summary["recency"], summary["T"]),
           "pooled p_alive")


def test_too_few_buyers_everywhere_leaves_the_purchase_forecasts_null_and_says_why(tiny_build, tmp_path):
    copy = _rebuilt_forecasts(tiny_build, tmp_path, min_buyers=100000)
    rows = copy.frame("select * from marts.fct_member_forecasts")
    assert set(rows["model_status"]) == {"unscored_too_few_buyers"}
    for column in ["p_alive", "expected_purchases_365d", "p_alive_mbgnbd", "predicted_clv_365d",
                   "predicted_clv_365d_discounted", "churn_risk_band", "purchase_model_scope"]:
        assert rows[column].isna().all(), column
    assert rows["expected_average_spend"].notna().all()  # the spend model does not depend on the buyers' count
    assert set(copy.frame("select model_status from marts.rpt_forecast_models")["model_status"]) == {
        "unscored_too_few_buyers"}


@pytest.fixture(scope="module")
def forecast_analyses(tiny_build):
    project, truth = tiny_build
    project.dbt("compile", "--select", "path:analyses/forecasts", vars=build_vars(truth))
    return project


def _analysis(project: DbtProject, name: str) -> pd.DataFrame:
    path = project.home / "target" / "compiled" / "member_analytics" / "analyses" / "forecasts" / f"{name}.sql"
    return project.frame(path.read_text())


def test_analysis_valuable_members_at_risk(forecast_analyses):
    project = forecast_analyses
    answer = _analysis(project, "valuable_members_at_risk")
    forecasts = project.frame("select * from marts.fct_member_forecasts")
    assert len(answer) > 0 and set(answer["churn_risk_band"]) <= {"high", "medium"}
    for shop_id, shop in forecasts.groupby("shop_id"):
        # the top tenth by discounted value, recomputed: strictly fewer than 10% rank above each listed member
        listed = answer[answer["shop_id"] == shop_id]
        values = shop["predicted_clv_365d_discounted"]
        for value in listed["predicted_clv_365d_discounted"]:
            assert (values > value).sum() < 0.1 * (len(values) - 1) + 1
        at_risk = shop[shop["churn_risk_band"].isin(["high", "medium"])]
        # nobody at risk with a higher value than the lowest listed one is missing
        floor = listed["predicted_clv_365d_discounted"].min()
        assert set(at_risk.loc[at_risk["predicted_clv_365d_discounted"] > floor, "member_id"]) <= set(listed["member_id"])
        assert list(listed["p_alive_mbgnbd"]) == sorted(listed["p_alive_mbgnbd"])


def test_analysis_expected_purchases_by_churn_risk(forecast_analyses):
    project = forecast_analyses
    answer = _analysis(project, "expected_purchases_by_churn_risk")
    forecasts = project.frame("select * from marts.fct_member_forecasts")
    expected = forecasts.groupby(["shop_id", "churn_risk_band"]).agg(
        members=("member_id", "size"), value=("predicted_clv_365d", "sum"))
    got = answer.set_index(["shop_id", "churn_risk_band"])
    assert got["members"].to_dict() == expected["members"].to_dict()
    assert np.allclose(got["predicted_value"], expected.loc[got.index, "value"], atol=0.01)
    assert np.allclose(got.groupby("shop_id")["share_of_predicted_value"].sum(), 1, atol=1e-3)
    # members at low risk are expected to bring more per head than those at high risk
    per_member = got["predicted_value"] / got["members"]
    for shop_id in got.index.get_level_values("shop_id").unique():
        assert per_member[(shop_id, "low")] > per_member[(shop_id, "high")]


def test_repurchase_cycles_recomputed_from_the_order_lines(tiny_build):
    """Per product and per category: the median of every gap between a member's consecutive
    purchase days of it (pandas over fct_order_items and dim_products)."""
    project, _ = tiny_build
    lines = project.frame(
        "select items.shop_id, items.member_id, items.product_id, products.category, items.ordered_date "
        "from marts.fct_order_items as items inner join marts.dim_products as products "
        "on items.shop_id = products.shop_id and items.product_id = products.product_id "
        "where items.is_valid_purchase")
    actual = project.frame("select * from marts.fct_product_repurchase_cycles").set_index(
        ["shop_id", "cycle_level", "item_id"])
    expected = {}
    for level, column in (("product", "product_id"), ("category", "category")):
        days = lines.dropna(subset=[column]).drop_duplicates(["shop_id", column, "member_id", "ordered_date"])
        days = days.sort_values(["shop_id", column, "member_id", "ordered_date"])
        days["gap"] = days.groupby(["shop_id", column, "member_id"])["ordered_date"].diff().dt.days
        gaps = days.dropna(subset=["gap"])
        for (shop_id, item), item_gaps in gaps.groupby(["shop_id", column]):
            expected[(shop_id, level, item)] = (item_gaps["member_id"].nunique(), len(item_gaps),
                                                float(item_gaps["gap"].median()))
    assert len(expected) > 50 and set(actual.index) == set(expected)
    for key, (members, count, median) in expected.items():
        row = actual.loc[key]
        assert (row["repeat_members"], row["repurchase_gaps"]) == (members, count), key
        assert row["median_repurchase_days"] == pytest.approx(median), key


def test_repurchase_due_recomputed_from_the_order_lines(tiny_build):
    """On as_of_date and on the day before: each member's item waiting between 1.0 and 2.0 cycles
    (cycles from at least 5 repeat buyers, from the purchase days up to that day), a product
    before a category, then the longest wait in cycles, then the item id (pandas)."""
    project, truth = tiny_build
    lines = project.frame(
        "select items.shop_id, items.member_id, items.product_id, products.category, items.ordered_date "
        "from marts.fct_order_items as items inner join marts.dim_products as products "
        "on items.shop_id = products.shop_id and items.product_id = products.product_id "
        "where items.is_valid_purchase")
    as_of = pd.Timestamp(truth["as_of_date"])
    actual = project.frame("select * from audience_rules.fct_audience_repurchase_due")
    for day in (as_of, as_of - pd.Timedelta(days=1)):
        candidates = []
        for level, column in (("product", "product_id"), ("category", "category")):
            days = lines[lines["ordered_date"] <= day].dropna(subset=[column])
            days = days.drop_duplicates(["shop_id", column, "member_id", "ordered_date"]).sort_values(
                ["shop_id", column, "member_id", "ordered_date"])
            days["gap"] = days.groupby(["shop_id", column, "member_id"])["ordered_date"].diff().dt.days
            gaps = days.dropna(subset=["gap"]).groupby(["shop_id", column])
            cycles = pd.DataFrame({"cycle": gaps["gap"].median(), "members": gaps["member_id"].nunique()})
            cycles = cycles[cycles["members"] >= 5]
            last = days.groupby(["shop_id", column, "member_id"])["ordered_date"].max().rename("last").reset_index()
            joined = last.merge(cycles.reset_index(), on=["shop_id", column])
            joined["wait"] = (day - joined["last"]).dt.days
            joined = joined[(joined["wait"] >= joined["cycle"]) & (joined["wait"] < 2 * joined["cycle"])]
            candidates.append(pd.DataFrame({
                "shop_id": joined["shop_id"], "member_id": joined["member_id"], "item_id": joined[column],
                "level_order": 0 if level == "product" else 1, "cycle_level": level,
                "ratio": joined["wait"] / joined["cycle"], "wait": joined["wait"], "cycle": joined["cycle"]}))
        due = pd.concat(candidates).sort_values(["shop_id", "member_id", "level_order", "ratio", "item_id"],
                                                ascending=[True, True, True, False, True])
        expected = due.drop_duplicates(["shop_id", "member_id"]).set_index(["shop_id", "member_id"])
        got = actual[actual["evaluation_date"] == day].set_index(["shop_id", "member_id"])
        assert len(expected) > 100 and set(got.index) == set(expected.index), day
        got = got.loc[expected.index]
        assert list(got["item_id"]) == list(expected["item_id"]) and list(got["cycle_level"]) == list(
            expected["cycle_level"]), day
        assert list(got["days_since_purchase"]) == list(expected["wait"])
        assert np.allclose(got["cycle_days"], expected["cycle"])
