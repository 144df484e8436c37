"""The semantic layer, the docs page and the exposures (issue 11) on the tiny
sample: MetricFlow validates the semantic models against the built warehouse,
and its answers equal independent queries on the marts (often another mart
than the one the metric reads); `dbt docs generate --static` gives one page
with every model and column described; the exposures list exactly the marts
the dashboard and the contact export query."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from member_analytics.bi import dashboard
from member_analytics.bi import queries
from member_analytics.bi import semantic as bi

from .conftest import ROOT, build_vars

pytestmark = pytest.mark.dbt


def _mf_query(project, metrics: list[str], group_by: list[str], *options: str) -> pd.DataFrame:
    """`mf query` as a frame (group-by columns as text)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.csv"
        bi.run_mf(["query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by), "--csv", str(path),
                   "--quiet", *options], env=project.env())
        return pd.read_csv(path, dtype={name: str for name in group_by})


def _close(left, right, tolerance=1e-6) -> bool:
    return abs(float(left) - float(right)) <= tolerance * max(1.0, abs(float(right)))


def _assert_frames_equal(got: pd.DataFrame, expected: pd.DataFrame, keys: list[str]):
    """Same keys, same values (floats to 1e-6 relative); None and NaN alike."""
    got = got.set_index(keys).sort_index()
    expected = expected.set_index(keys).sort_index()
    assert list(got.index) == list(expected.index)
    for column in expected.columns:
        for key, value in expected[column].items():
            actual = got.loc[key, column]
            if pd.isna(value):
                assert pd.isna(actual), (column, key, actual)
            else:
                assert _close(actual, value), (column, key, actual, value)


@pytest.fixture(scope="module")
def semantic(tiny_build):
    project, truth = tiny_build
    assert (project.home / "target" / "semantic_manifest.json").exists()
    return project, truth


def test_metricflow_validates_the_semantic_models_against_the_warehouse(semantic):
    project, _ = semantic
    result = bi.run_mf(["validate-configs"], env=project.env())
    output = result.stdout + result.stderr
    assert "Successfully validated the semantics of built manifest" in output, output[-3000:]
    for check in ["semantic models", "dimensions", "entities", "measures", "metrics"]:
        assert f"Successfully validated {check} against data warehouse" in output, (check, output[-3000:])
    assert not re.search(r"ERRORS: [1-9]", output), output[-3000:]


def test_order_metrics_per_shop_match_the_marts(semantic):
    project, _ = semantic
    got = _mf_query(project, ["net_revenue", "valid_orders", "average_order_value", "buyers", "new_buyers",
                              "repeat_purchase_rate"], ["shop"])
    orders = project.frame("""
        select shop_id as shop, sum(net_amount) as net_revenue, count(*) as valid_orders,
            sum(net_amount) / count(*) as average_order_value
        from marts.fct_orders where is_valid_purchase group by shop_id""")
    # Buyers, first-time buyers and repeat buyers from the RFM mart: one row per buyer.
    buyers = project.frame("""
        select shop_id as shop, count(*) as buyers, count(*) as new_buyers,
            avg(case when frequency >= 2 then 1.0 else 0.0 end) as repeat_purchase_rate
        from marts.fct_member_rfm group by shop_id""")
    _assert_frames_equal(got, orders.merge(buyers, on="shop"), ["shop"])


def test_the_dashboards_headline_figures_are_the_governed_metrics(semantic):
    """The dashboard's query layer computes its headline figures (query shop_kpis)
    with the governed metrics' definitions: MetricFlow gives the same per shop."""
    project, _ = semantic
    kpis = queries.QUERIES["shop_kpis"]
    with duckdb.connect(str(project.warehouse), read_only=True) as connection:
        figures = queries.fetch(connection, "shop_kpis", queries.shop_ids(connection))
    got = _mf_query(project, sorted(set(kpis.metrics.values())), ["shop"])
    expected = figures.rename(columns={"shop_id": "shop", **kpis.metrics})[["shop", *sorted(set(kpis.metrics.values()))]]
    _assert_frames_equal(got, expected, ["shop"])


def test_buyers_and_new_buyers_per_month_match_the_orders(semantic):
    project, _ = semantic
    got = _mf_query(project, ["buyers", "new_buyers", "net_revenue"], ["shop", "metric_time__month"])
    got["metric_time__month"] = got["metric_time__month"].str[:10]
    expected = project.frame("""
        select shop_id as shop, strftime(date_trunc('month', ordered_date), '%Y-%m-%d') as metric_time__month,
            count(distinct member_id) as buyers,
            count(*) filter (where purchase_sequence_number = 1) as new_buyers,
            sum(net_amount) as net_revenue
        from marts.fct_orders where is_valid_purchase group by all""")
    assert len(expected) > 24
    _assert_frames_equal(got, expected, ["shop", "metric_time__month"])


def test_member_state_metrics_match_the_marts(semantic):
    project, _ = semantic
    segments = _mf_query(project, ["rfm_segment_members"], ["shop", "member__rfm_segment"])
    _assert_frames_equal(segments, project.frame("""
        select shop_id as shop, rfm_segment as member__rfm_segment, count(*) as rfm_segment_members
        from marts.fct_member_rfm group by all"""), ["shop", "member__rfm_segment"])

    # Activity levels against the finer activity x loyalty report, a separate mart.
    activity = _mf_query(project, ["activity_level_members", "active_members"], ["shop", "member__activity_level"])
    _assert_frames_equal(activity, project.frame("""
        select shop_id as shop, activity_level as member__activity_level, sum(members) as activity_level_members,
            sum(case when activity_level in ('excited', 'active') then members else 0 end) as active_members
        from marts.rpt_activity_loyalty_levels group by all"""), ["shop", "member__activity_level"])

    stages = _mf_query(project, ["lifecycle_stage_members"], ["shop", "member__lifecycle_stage"])
    _assert_frames_equal(stages, project.frame("""
        select shop_id as shop, lifecycle_stage as member__lifecycle_stage, count(*) as lifecycle_stage_members
        from marts.fct_member_lifecycle group by all"""), ["shop", "member__lifecycle_stage"])

    tiers = _mf_query(project, ["tier_members", "near_upgrade_members"],
                      ["shop", "member_tier__scheme_name", "member_tier__tier_name"])
    _assert_frames_equal(tiers, project.frame("""
        select shop_id as shop, scheme_name as member_tier__scheme_name, tier_name as member_tier__tier_name,
            count(*) as tier_members, count(*) filter (where is_near_upgrade) as near_upgrade_members
        from marts.fct_member_tiers_current group by all"""),
        ["shop", "member_tier__scheme_name", "member_tier__tier_name"])


def test_demographic_dimensions_match_the_demographics_report(semantic):
    project, truth = semantic
    # The report counts members first seen by as_of_date: `members` is timed by that day.
    got = _mf_query(project, ["members"], ["shop", "member__age_band"], "--end-time", truth["as_of_date"])
    _assert_frames_equal(got, project.frame("""
        select shop_id as shop, dimension_value as member__age_band, members
        from marts.rpt_member_demographics where dimension = 'age_band' and members > 0"""),
        ["shop", "member__age_band"])
    # Orders of members with no valid purchase give a 0 row in MetricFlow; none in the report.
    revenue = _mf_query(project, ["net_revenue"], ["shop", "member__province"])
    revenue = revenue[revenue["net_revenue"] != 0].fillna({"member__province": "unknown"})
    _assert_frames_equal(revenue, project.frame("""
        select shop_id as shop, dimension_value as member__province, net_revenue
        from marts.rpt_member_demographics where dimension = 'province' and net_revenue <> 0"""),
        ["shop", "member__province"])


def test_segment_members_month_by_month_are_the_month_end_snapshots(semantic):
    project, truth = semantic
    got = _mf_query(project, ["rfm_segment_members_monthly"], ["metric_time__month", "rfm_snapshot__rfm_segment"])
    got["metric_time__month"] = got["metric_time__month"].str[:10]
    expected = project.frame("""
        with last_snapshots as (
            select date_trunc('month', snapshot_date) as month, max(snapshot_date) as snapshot_date
            from marts.fct_member_rfm_history group by all
        )
        select strftime(last_snapshots.month, '%Y-%m-%d') as metric_time__month,
            history.rfm_segment as rfm_snapshot__rfm_segment, count(*) as rfm_segment_members_monthly
        from marts.fct_member_rfm_history as history
        inner join last_snapshots on history.snapshot_date = last_snapshots.snapshot_date
        group by all""")
    _assert_frames_equal(got, expected, ["metric_time__month", "rfm_snapshot__rfm_segment"])
    latest = got[got["metric_time__month"] == truth["as_of_date"][:8] + "01"]
    assert latest["rfm_segment_members_monthly"].sum() == project.query(
        "select count(*) from marts.fct_member_rfm")[0][0]


def test_retention_by_cohort_month_matches_the_cohort_mart(semantic):
    project, _ = semantic
    got = _mf_query(project, ["cohort_retention_rate", "cohort_purchasing"],
                    ["metric_time__month", "cohort_month__months_since_first_purchase"])
    got["metric_time__month"] = got["metric_time__month"].str[:10]
    expected = project.frame("""
        select strftime(first_purchase_month, '%Y-%m-%d') as metric_time__month,
            cast(months_since_first_purchase as varchar) as cohort_month__months_since_first_purchase,
            sum(purchasing_members) / sum(cohort_size) as cohort_retention_rate,
            sum(purchasing_members) as cohort_purchasing
        from marts.rpt_cohort_retention group by all""")
    _assert_frames_equal(got, expected, ["metric_time__month", "cohort_month__months_since_first_purchase"])
    # Cohort sizes add up to the buyers.
    sizes = _mf_query(project, ["cohort_size"], ["shop"])
    _assert_frames_equal(sizes, project.frame(
        "select shop_id as shop, count(*) as cohort_size from marts.fct_member_rfm group by all"), ["shop"])


def test_audience_sizes_match_the_audience_summary(semantic):
    project, _ = semantic
    got = _mf_query(project, ["audience_members", "reachable_audience_members"], ["shop", "audience_member__audience"])
    expected = project.frame("""
        select shop_id as shop, audience as audience_member__audience, members as audience_members,
            reachable_members as reachable_audience_members
        from marts.rpt_audience_summary where members > 0""")
    assert len(expected) >= 10
    _assert_frames_equal(got, expected, ["shop", "audience_member__audience"])


def test_the_time_spine_is_the_validity_window_day_by_day(semantic):
    project, _ = semantic
    first, last, days, distinct = project.query(
        "select min(date_day), max(date_day), count(*), count(distinct date_day) from semantic.time_spine_daily")[0]
    assert days == distinct == (last - first).days + 1
    assert (first, last) == project.query(
        "select earliest_valid_date, latest_valid_date from marts.rpt_build_metadata")[0]
    earliest, latest = project.query(
        "select min(ordered_date), max(ordered_date) from marts.fct_orders")[0]
    assert first <= earliest and latest <= last


def test_static_docs_page_is_self_contained_and_describes_everything(semantic, tmp_path):
    project, truth = semantic
    page = bi.generate_docs(tmp_path / "docs.html", build_vars(truth), env=project.env())
    text = page.read_text(encoding="utf-8")
    assert page.stat().st_size > 1_000_000
    # One file: no script, style sheet or image fetched from elsewhere.
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", text, re.IGNORECASE)
    for name in ["member_dashboard", "campaign_contact_export", "rfm_segment_members", "fct_member_rfm"]:
        assert name in text
    assert bi.undocumented(project.home / "target") == []


def _exposures() -> dict[str, set[str]]:
    spec = yaml.safe_load((ROOT / "models" / "exposures" / "_exposures.yml").read_text())
    return {exposure["name"]: {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]}
            for exposure in spec["exposures"]}


def _marts_queried(path: Path) -> set[str]:
    return set(re.findall(r"\bmarts\.(\w+)", path.read_text()))


def test_exposures_list_exactly_the_marts_each_consumer_reads():
    exposures = _exposures()
    source = ROOT / "src" / "member_analytics"
    assert exposures["member_dashboard"] == set(dashboard.MARTS_READ) == _marts_queried(source / "bi" / "queries.py")
    assert exposures["campaign_contact_export"] == _marts_queried(source / "exports" / "contacts.py")


def test_forecast_metrics_per_churn_band_match_the_mart(semantic):
    project, _ = semantic
    got = _mf_query(project, ["churn_risk_members", "expected_purchases_365d", "predicted_clv_365d",
                              "predicted_clv_365d_discounted"], ["shop", "member__churn_risk_band"])
    _assert_frames_equal(got, project.frame("""
        select shop_id as shop, churn_risk_band as member__churn_risk_band, count(*) as churn_risk_members,
            sum(expected_purchases_365d) as expected_purchases_365d, sum(predicted_clv_365d) as predicted_clv_365d,
            sum(predicted_clv_365d_discounted) as predicted_clv_365d_discounted
        from marts.fct_member_forecasts group by all"""), ["shop", "member__churn_risk_band"])


def test_campaign_lift_metrics_per_audience_match_the_mart(semantic):
    project, _ = semantic
    got = _mf_query(project, ["campaign_treatment_members", "campaign_holdout_members", "campaign_conversion_lift",
                              "campaign_conversion_lift_lower_95", "campaign_conversion_lift_upper_95",
                              "campaign_incremental_net_revenue"], ["shop", "campaign_month__audience"])
    frame = project.frame("""
        select shop_id as shop, audience as campaign_month__audience,
            sum(treatment_members) as n_t, sum(holdout_members) as n_h,
            sum(treatment_conversions) as x_t, sum(holdout_conversions) as x_h,
            sum(incremental_net_revenue) as campaign_incremental_net_revenue
        from marts.rpt_campaign_lift group by all""")
    assert len(frame) >= 10
    p_t, p_h = frame["x_t"] / frame["n_t"], frame["x_h"] / frame["n_h"]
    error = 1.959963984540054 * ((p_t * (1 - p_t) / frame["n_t"] + p_h * (1 - p_h) / frame["n_h"]) ** 0.5)
    expected = frame.assign(
        campaign_treatment_members=frame["n_t"], campaign_holdout_members=frame["n_h"],
        campaign_conversion_lift=p_t - p_h, campaign_conversion_lift_lower_95=p_t - p_h - error,
        campaign_conversion_lift_upper_95=p_t - p_h + error).drop(columns=["n_t", "n_h", "x_t", "x_h"])
    _assert_frames_equal(got, expected, ["shop", "campaign_month__audience"])
