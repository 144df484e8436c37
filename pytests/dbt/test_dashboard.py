"""The dashboard (issue 11) on the tiny sample: every chart of every view
recomputed from the marts (points and totals, read from the figures the page
embeds); a one-shop page and a one-shop export bundle show that shop only;
shop ids are data (bound, escaped); and the page, opened from disk in headless
Chromium with the network switched off, draws every chart with data and logs no
error. Screenshots go to reports/test-artifacts/."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from member_analytics.bi import dashboard
from member_analytics.bi.dashboard import ALL_SHOPS, DashboardError, build_dashboard

from .conftest import ROOT
from .reference_campaigns import newcombe

pytestmark = pytest.mark.dbt

ARTIFACTS = ROOT / "reports" / "test-artifacts"
HOSTILE_SHOP = "o'hara\"; drop table marts.dim_members; --<script>alert(1)</script>"


# --- fixtures ------------------------------------------------------------------------------

def _bundle(source: Path, target: Path, shop: str, rename_to: str | None = None) -> Path:
    """What an export bundle holds: the public marts of one shop, schema marts,
    types kept (rename_to: the same rows under another shop id)."""
    with duckdb.connect(str(target)) as bundle:
        bundle.execute(f"attach '{str(source).replace(chr(39), chr(39) * 2)}' as source (read_only)")
        bundle.execute("create schema marts")
        marts = bundle.execute("""
            select table_name, bool_or(column_name = 'shop_id') from information_schema.columns
            where table_catalog = 'source' and table_schema = 'marts' group by 1""").fetchall()
        for mart, has_shop in marts:
            # Mart names come from the catalog; the shop ids are bound.
            if not has_shop:
                bundle.execute(f'create table marts."{mart}" as select * from source.marts."{mart}"')
            elif rename_to is None:
                bundle.execute(f'create table marts."{mart}" as select * from source.marts."{mart}" '
                               "where shop_id = ?", [shop])
            else:
                bundle.execute(f'create table marts."{mart}" as select * replace (? as shop_id) '
                               f'from source.marts."{mart}" where shop_id = ?', [rename_to, shop])
        bundle.execute("detach source")
    return target


@pytest.fixture(scope="module")
def built(tiny_build, tmp_path_factory):
    project, truth = tiny_build
    out = tmp_path_factory.mktemp("dashboard")
    shops = [row[0] for row in project.query("select distinct shop_id from marts.dim_members order by 1")]
    assert len(shops) >= 2
    started = time.perf_counter()
    every_shop = build_dashboard(project.warehouse, out / "all" / "dashboard.html")
    seconds = time.perf_counter() - started
    one_shop = build_dashboard(project.warehouse, out / "one" / "dashboard.html", shops=[shops[0]])
    bundle = _bundle(project.warehouse, out / "bundle.duckdb", shops[0])
    from_bundle = build_dashboard(bundle, out / "bundle" / "dashboard.html")
    print(f"dashboard of {len(shops)} shops built in {seconds:.1f}s, {every_shop.stat().st_size / 1e6:.1f} MB")
    return project, truth, shops, {"all": every_shop, "one": one_shop, "bundle": from_bundle}


def _page_data(page: Path) -> dict:
    """The chart data the page renders (its <script type="application/json">)."""
    match = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>',
                      page.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"{page} embeds no chart data"
    return json.loads(match.group(1))


# --- chart data against the marts ------------------------------------------------------------

def _trace(figure: dict, key: str) -> dict:
    traces = [trace for trace in figure["data"] if (trace.get("meta") or {}).get("key") == key]
    assert len(traces) == 1, (key, [trace.get("meta") for trace in figure["data"]])
    return traces[0]


def _pairs(x, y) -> dict:
    return dict(zip(x, y))


def _near(left, right) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-6)


def _assert_near_maps(got: dict, expected: dict, label: str):
    assert set(got) == set(expected), (label, sorted(set(got) ^ set(expected), key=str)[:10])
    for key, value in expected.items():
        assert _near(got[key], value), (label, key, got[key], value)


class Marts:
    """Independent queries on the marts for one view (a list of shops)."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, shops: list[str]):
        self.connection, self.shops = connection, shops

    def rows(self, sql: str, **parameters) -> list[tuple]:
        return self.connection.execute(sql.replace("{shops}", "list_contains($shops, shop_id)"),
                                       {"shops": self.shops, **parameters}).fetchall()


def _check_rfm_segments(marts: Marts, chart: dict):
    rows = marts.rows("select rfm_segment, count(*), sum(monetary) from marts.fct_member_rfm where {shops} group by 1")
    figure = chart["figure"]
    members, spend = _trace(figure, "members"), _trace(figure, "net_spend")
    _assert_near_maps(_pairs(members["x"], members["y"]), {r[0]: r[1] for r in rows}, "members")
    _assert_near_maps(_pairs(spend["x"], spend["y"]), {r[0]: r[2] for r in rows}, "net spend")
    return len(rows)


def _check_segment_transitions(marts: Marts, chart: dict):
    (latest,) = marts.rows("select max(snapshot_date) from marts.fct_member_segment_changes "
                           "where changed_attribute = 'rfm_segment' and {shops}")[0]
    rows = marts.rows("""
        select previous_value, new_value, count(*) from marts.fct_member_segment_changes
        where changed_attribute = 'rfm_segment' and snapshot_date = $latest and {shops} group by all""",
                      latest=latest)
    heatmap = _trace(chart["figure"], "moves")
    cells = {(previous, new): value for previous, line in zip(heatmap["y"], heatmap["z"])
             for new, value in zip(heatmap["x"], line) if value is not None}
    _assert_near_maps(cells, {(r[0], r[1]): r[2] for r in rows}, "moves")
    assert str(latest) in chart["figure"]["layout"]["xaxis"]["title"]["text"]
    return len(rows)


def _check_segment_changes_by_month(marts: Marts, chart: dict):
    rows = marts.rows("""
        select cast(snapshot_date as varchar), count(*) filter (where not is_downgrade),
            count(*) filter (where is_downgrade)
        from marts.fct_member_segment_changes where changed_attribute = 'rfm_segment' and {shops} group by 1""")
    up, down = _trace(chart["figure"], "upgrades"), _trace(chart["figure"], "downgrades_negative")
    _assert_near_maps(_pairs(up["x"], up["y"]), {r[0]: r[1] for r in rows}, "up")
    _assert_near_maps(_pairs(down["x"], [-v for v in down["y"]]), {r[0]: r[2] for r in rows}, "down")
    return len(rows)


def _check_tier_distribution(marts: Marts, chart: dict):
    rows = marts.rows("select scheme_name, tier_name, count(*) from marts.fct_member_tiers_current "
                      "where {shops} group by all")
    got = {}
    for trace in chart["figure"]["data"]:
        scheme = trace["meta"]["key"].split(":", 1)[1]
        got.update({(scheme, tier): value for tier, value in zip(trace["x"], trace["y"])})
    _assert_near_maps(got, {(r[0], r[1]): r[2] for r in rows}, "tiers")
    return len(rows)


def _check_tier_changes_by_month(marts: Marts, chart: dict):
    rows = marts.rows("""
        select scheme_name, strftime(change_date, '%Y-%m-01'), change_direction, count(*)
        from marts.fct_member_tier_changes where {shops} group by all""")
    got = {}
    for trace in chart["figure"]["data"]:
        _, scheme, direction = trace["meta"]["key"].split(":")
        got.update({(scheme, month, direction): value for month, value in zip(trace["x"], trace["y"])})
    _assert_near_maps(got, {(r[0], r[1], r[2]): r[3] for r in rows}, "tier changes")
    return len(rows)


def _check_activity_loyalty_matrix(marts: Marts, chart: dict):
    # Recomputed from the member-level marts, not from the matrix report.
    rows = marts.rows("""
        select activity.activity_group, loyalty.loyalty_level, count(*)
        from marts.fct_member_activity as activity
        inner join marts.fct_member_loyalty as loyalty
            on activity.shop_id = loyalty.shop_id and activity.member_id = loyalty.member_id
        where list_contains($shops, activity.shop_id) group by all""")
    (members,) = marts.rows("select count(*) from marts.dim_members where {shops}")[0]
    heatmap = _trace(chart["figure"], "members")
    cells = {(group.split()[-1], level.split()[-1]): value
             for group, line in zip(heatmap["y"], heatmap["z"]) for level, value in zip(heatmap["x"], line)}
    expected = {(group, level): 0 for group in ("high", "low") for level in ("high", "low")}
    expected.update({(r[0], r[1]): r[2] for r in rows})
    _assert_near_maps(cells, expected, "matrix")
    assert sum(cells.values()) == members
    diagnoses = marts.rows("select distinct diagnosis from marts.rpt_activity_loyalty_matrix where {shops}")
    for (diagnosis,) in diagnoses:
        assert diagnosis.split(":")[0] in chart["extra_html"]
    return 4


def _check_lifecycle_funnel(marts: Marts, chart: dict):
    rows = marts.rows("select lifecycle_stage, min(stage_order), count(*) from marts.fct_member_lifecycle "
                      "where {shops} group by 1 order by 2")
    funnel = _trace(chart["figure"], "members")
    assert funnel["y"] == [r[0] for r in rows] and funnel["x"] == [r[2] for r in rows]
    return len(rows)


def _check_cohort_retention(marts: Marts, chart: dict):
    rows = marts.rows("""
        select strftime(first_purchase_month, '%Y-%m'), months_since_first_purchase,
            sum(purchasing_members) / sum(cohort_size)
        from marts.rpt_cohort_retention where {shops} group by all""")
    heatmap = _trace(chart["figure"], "retention_rate")
    cells = {(cohort, month): value for cohort, line in zip(heatmap["y"], heatmap["z"])
             for month, value in zip(heatmap["x"], line) if value is not None}
    _assert_near_maps(cells, {(r[0], r[1]): r[2] for r in rows}, "retention")
    (buyers,) = marts.rows("select count(*) from marts.fct_member_rfm where {shops}")[0]
    assert chart["totals"]["cohort_members"] == buyers
    return len(rows)


def _check_top_product_pairs(marts: Marts, chart: dict):
    rows = marts.rows(f"""
        select lift, n_ab from marts.fct_product_pairs where {{shops}}
        order by lift desc, n_ab desc, shop_id, product_id_a, product_id_b limit {dashboard.TOP_PAIRS}""")
    bars = _trace(chart["figure"], "lift")
    assert [round(v, 9) for v in bars["x"]] == [round(r[0], 9) for r in rows]
    assert [point[0] for point in bars["customdata"]] == [r[1] for r in rows]
    return len(rows)


def _check_bundle_candidates(marts: Marts, chart: dict):
    rows = marts.rows(f"""
        select n_ab, lift from marts.rpt_bundle_candidates where {{shops}}
        order by lift desc, n_ab desc, shop_id, product_id_a, product_id_b limit {dashboard.TOP_BUNDLES}""")
    if not rows:
        return 0
    table = _trace(chart["figure"], "bundles")
    headers = table["header"]["values"]
    assert table["cells"]["values"][headers.index("baskets with both")] == [r[0] for r in rows]
    return len(rows)


def _check_audiences_today(marts: Marts, chart: dict):
    # Recomputed from the member-level audience mart, not from the summary.
    rows = marts.rows("""
        select audience_name, count(*), count(*) filter (where not is_suppressed)
        from marts.fct_campaign_audiences where {shops} group by 1""")
    (audiences,) = marts.rows("select count(distinct audience) from marts.rpt_audience_summary where {shops}")[0]
    reachable, held_back = _trace(chart["figure"], "reachable_members"), _trace(chart["figure"], "held_back_members")
    got_reachable = {name: value for name, value in zip(reachable["y"], reachable["x"]) if value}
    got_members = {name: a + b for name, a, b in zip(reachable["y"], reachable["x"], held_back["x"]) if a + b}
    _assert_near_maps(got_members, {r[0]: r[1] for r in rows}, "audience members")
    _assert_near_maps(got_reachable, {r[0]: r[2] for r in rows if r[2]}, "reachable members")
    return audiences


def _check_service_event_trends(marts: Marts, chart: dict):
    rows = marts.rows("""
        select cast(event_month as varchar),
            sum(number_of_returns_exchanges) / nullif(sum(number_of_orders), 0),
            sum(number_of_complaints) / nullif(sum(number_of_orders), 0),
            sum(number_of_cancels) / nullif(sum(number_of_orders), 0)
        from marts.rpt_service_events_monthly where {shops} group by 1""")
    figure = chart["figure"]
    for index, key in enumerate(["return_exchange_rate", "complaint_rate", "cancel_rate"], start=1):
        line = _trace(figure, key)
        _assert_near_maps(_pairs(line["x"], line["y"]), {r[0]: r[index] for r in rows}, key)
    first, last = min(r[0] for r in rows), max(r[0] for r in rows)
    (promotions,) = marts.rows("""
        select count(distinct promotion_date) from marts.rpt_promotion_periods
        where {shops} and promotion_date between cast($first as date) and cast($last as date)""",
                               first=first, last=last)[0]
    assert len(figure["layout"].get("shapes", [])) == promotions
    return len(rows)


def _check_promotion_periods(marts: Marts, chart: dict):
    rows = marts.rows("""
        select promotion_id, period,
            sum(number_of_returns_exchanges) / nullif(sum(number_of_orders), 0),
            sum(number_of_complaints) / nullif(sum(number_of_orders), 0)
        from marts.rpt_promotion_periods where {shops} group by all""")
    figure = chart["figure"]
    for index, key in enumerate(["return_exchange_rate", "complaint_rate"], start=2):
        bars = _trace(figure, key)
        got = {(promotion, period): value for promotion, period, value in zip(bars["x"][0], bars["x"][1], bars["y"])}
        _assert_near_maps(got, {(r[0], r[1]): r[index] for r in rows}, key)
    return len(rows)


def _check_churn_risk_bands(marts: Marts, chart: dict):
    rows = marts.rows("select churn_risk_band, count(*) from marts.fct_member_forecasts "
                      "where churn_risk_band is not null and {shops} group by 1")
    bars = _trace(chart["figure"], "members")
    _assert_near_maps(_pairs(bars["x"], bars["y"]), {r[0]: r[1] for r in rows}, "churn risk members")
    # high risk first, then medium, then low
    assert bars["x"] == [band for band in ("high", "medium", "low") if band in {r[0] for r in rows}]
    return len(rows)


def _check_forecast_holdout(marts: Marts, chart: dict):
    rows = marts.rows("select prediction_decile, sum(predicted_purchase_days), sum(actual_purchase_days) "
                      "from marts.rpt_forecast_holdout_deciles where {shops} group by 1")
    figure = chart["figure"]
    for index, key in enumerate(["predicted", "actual"], start=1):
        bars = _trace(figure, key)
        _assert_near_maps(_pairs(bars["x"], bars["y"]), {r[0]: r[index] for r in rows}, key)
    return len(rows)


def _check_campaign_lift(marts: Marts, chart: dict):
    rows = marts.rows("select audience, sum(treatment_members), sum(treatment_conversions), sum(holdout_members), "
                      "sum(holdout_conversions) from marts.rpt_campaign_lift where {shops} group by 1 "
                      "having sum(treatment_members) > 0 and sum(holdout_members) > 0")
    points = _trace(chart["figure"], "conversion_lift")
    expected = {r[0]: 100 * (r[2] / r[1] - r[4] / r[3]) for r in rows}
    _assert_near_maps(_pairs(points["y"], points["x"]), expected, "conversion lift")
    # the interval: Newcombe's, from the pooled counts (statsmodels' confint_proportions_2indep
    # method 'newcomb' gives the same; written out in pytests/dbt/reference_campaigns.py)
    for audience, n_t, x_t, n_h, x_h in rows:
        low, high = newcombe(int(x_t), int(n_t), int(x_h), int(n_h))
        index = list(points["y"]).index(audience)
        lift = points["x"][index]
        assert abs(lift + points["error_x"]["array"][index] - 100 * high) < 1e-6
        assert abs(lift - points["error_x"]["arrayminus"][index] - 100 * low) < 1e-6
    return len(rows)


def _check_lifecycle_flow(marts: Marts, chart: dict):
    (latest,) = marts.rows("select max(snapshot_date) from marts.rpt_lifecycle_flow where {shops}")[0]
    rows = marts.rows("select from_stage, to_stage, sum(members) from marts.rpt_lifecycle_flow "
                      "where snapshot_date = $latest and {shops} group by all", latest=latest)
    sankey = _trace(chart["figure"], "flows")
    stages = [label.split(" ")[0] for label in sankey["node"]["label"]]
    links = {(stages[s], stages[t]): v for s, t, v in zip(sankey["link"]["source"], sankey["link"]["target"],
                                                          sankey["link"]["value"])}
    _assert_near_maps(links, {(r[0], r[1]): r[2] for r in rows}, "lifecycle flows")
    # the latest snapshot is as_of_date: the flow's arrivals are today's lifecycle stages
    arrivals = {}
    for (_, to_stage), members in links.items():
        arrivals[to_stage] = arrivals.get(to_stage, 0) + members
    stages_today = marts.rows("select lifecycle_stage, count(*) from marts.fct_member_lifecycle "
                              "where {shops} group by 1")
    _assert_near_maps(arrivals, dict(stages_today), "lifecycle stages today")
    return len(rows)


CHECKS = {
    "rfm_segments": _check_rfm_segments,
    "segment_transitions": _check_segment_transitions,
    "segment_changes_by_month": _check_segment_changes_by_month,
    "tier_distribution": _check_tier_distribution,
    "tier_changes_by_month": _check_tier_changes_by_month,
    "activity_loyalty_matrix": _check_activity_loyalty_matrix,
    "lifecycle_funnel": _check_lifecycle_funnel,
    "cohort_retention": _check_cohort_retention,
    "top_product_pairs": _check_top_product_pairs,
    "bundle_candidates": _check_bundle_candidates,
    "audiences_today": _check_audiences_today,
    "service_event_trends": _check_service_event_trends,
    "promotion_periods": _check_promotion_periods,
    "churn_risk_bands": _check_churn_risk_bands,
    "forecast_holdout": _check_forecast_holdout,
    "campaign_lift": _check_campaign_lift,
    "lifecycle_flow": _check_lifecycle_flow,
}


def _check_kpis(marts: Marts, kpis: dict):
    expected = {
        "members": marts.rows("select count(*) from marts.dim_members where {shops}")[0][0],
        "buyers": marts.rows("select count(*) from (select distinct shop_id, member_id from marts.fct_orders "
                             "where is_valid_purchase and {shops})")[0][0],
        "valid_orders": marts.rows("select count(*) from marts.fct_orders where is_valid_purchase and {shops}")[0][0],
        "net_revenue": marts.rows("select sum(net_amount) from marts.fct_orders "
                                  "where is_valid_purchase and {shops}")[0][0],
        "active_members": marts.rows("select count(*) from marts.fct_member_activity "
                                     "where activity_level in ('excited', 'active') and {shops}")[0][0],
        "contacts_today": marts.rows("select count(*) from marts.fct_campaign_audiences "
                                     "where not is_suppressed and {shops}")[0][0],
    }
    _assert_near_maps({key: kpis[key] for key in expected}, expected, "kpis")
    assert _near(kpis["average_order_value"], float(expected["net_revenue"]) / expected["valid_orders"])


def test_the_page_offers_every_shop_and_an_all_shops_view(built):
    _, truth, shops, pages = built
    data = _page_data(pages["all"])
    assert list(data["views"]) == [ALL_SHOPS, *shops] and data["default_view"] == ALL_SHOPS
    assert data["as_of_date"] == truth["as_of_date"] and data["charts"] == list(CHECKS)
    text = pages["all"].read_text(encoding="utf-8")
    assert 'id="view-select"' in text and all(f'<option value="{shop}">' in text for shop in shops)
    # The JSON written beside the page holds the same charts.
    beside = json.loads(pages["all"].with_suffix(".json").read_text(encoding="utf-8"))
    for view, charts in beside["views"].items():
        for chart_id, chart in charts["charts"].items():
            assert chart["figure"] == data["views"][view]["charts"][chart_id]["figure"]


def test_every_chart_of_every_view_matches_the_marts(built):
    project, _, shops, pages = built
    data = _page_data(pages["all"])
    with duckdb.connect(str(project.warehouse), read_only=True) as connection:
        for view, content in data["views"].items():
            marts = Marts(connection, shops if view == ALL_SHOPS else [view])
            _check_kpis(marts, content["kpis"])
            for chart_id, check in CHECKS.items():
                chart = content["charts"][chart_id]
                points = check(marts, chart)
                assert chart["points"] == points, (view, chart_id, chart["points"], points)
                assert points > 0, f"{chart_id} has no data in view {view}: the tiny sample should fill every chart"


def test_a_one_shop_page_and_a_one_shop_bundle_show_that_shop_only(built):
    project, _, shops, pages = built
    full = _page_data(pages["all"])
    for name in ["one", "bundle"]:
        text = pages[name].read_text(encoding="utf-8")
        data = _page_data(pages[name])
        assert list(data["views"]) == [shops[0]] and data["shops"] == [shops[0]]
        assert 'id="view-select"' not in text
        for other in shops[1:]:
            assert other not in text, f"{name}: shop {other} appears in a page of {shops[0]}"
        # The same charts as the shop's view of the all-shops page.
        assert data["views"][shops[0]]["charts"] == full["views"][shops[0]]["charts"], name


def test_the_same_marts_give_the_same_page(built, tmp_path):
    project, _, shops, pages = built
    again = build_dashboard(project.warehouse, tmp_path / "dashboard.html", shops=[shops[0]])
    assert again.read_bytes() == pages["one"].read_bytes()
    assert again.with_suffix(".json").read_bytes() == pages["one"].with_suffix(".json").read_bytes()


def test_shop_ids_are_bound_and_escaped(built, tmp_path):
    project, _, shops, _ = built
    with pytest.raises(DashboardError, match="unknown shop"):
        build_dashboard(project.warehouse, tmp_path / "x.html", shops=["x' or '1'='1"])
    assert project.query("select count(*) from marts.dim_members")[0][0] > 0
    # A bundle whose shop id is hostile text: drawn as data, escaped in the page.
    bundle = _bundle(project.warehouse, tmp_path / "hostile.duckdb", shops[1], rename_to=HOSTILE_SHOP)
    page = build_dashboard(bundle, tmp_path / "hostile" / "dashboard.html", shops=[HOSTILE_SHOP])
    text = page.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in text
    data = _page_data(page)
    assert data["shops"] == [HOSTILE_SHOP]
    own = _page_data(build_dashboard(bundle, tmp_path / "own" / "dashboard.html"))
    assert own["views"][HOSTILE_SHOP]["kpis"] == data["views"][HOSTILE_SHOP]["kpis"]


def test_clear_errors_for_a_missing_warehouse_or_missing_marts(tmp_path):
    with pytest.raises(DashboardError, match="no warehouse"):
        build_dashboard(tmp_path / "none.duckdb", tmp_path / "x.html")
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as connection:
        connection.execute("create schema marts; create table marts.dim_members (shop_id varchar)")
    with pytest.raises(DashboardError, match="lacks the public mart"):
        build_dashboard(tmp_path / "empty.duckdb", tmp_path / "x.html")


# --- in a real browser ---------------------------------------------------------------------------

def _browser_paths() -> tuple[str, str]:
    """Chromium and chromedriver, installed by bin/_browser.sh when missing."""
    script = 'source "$1" >&2; printf "%s\\n%s\\n" "$MEMBER_ANALYTICS_CHROMIUM" "$MEMBER_ANALYTICS_CHROMEDRIVER"'
    result = subprocess.run(["bash", "-c", script, "_", str(ROOT / "bin" / "_browser.sh")],
                            capture_output=True, text=True, env=dict(os.environ))
    lines = (result.stdout.splitlines() + ["", ""])[:2]
    if not all(lines):
        pytest.fail("headless Chromium is needed for the dashboard test and could not be found or installed "
                    "(Debian: apt-get install chromium chromium-driver):\n" + result.stderr[-2000:])
    return lines[0], lines[1]


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = _browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1000",
                     # No network at all: anything the page tried to fetch would fail and log an error.
                     "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


_RENDERED = """
var data = JSON.parse(document.getElementById("dashboard-data").textContent);
return data.charts.map(function (chartId) {
  var gd = document.getElementById("chart-" + chartId);
  var expected = 0, heatmaps = 0, tables = 0;
  (gd.data || []).forEach(function (trace) {
    if (trace.type === "heatmap") { heatmaps += 1; }
    else if (trace.type === "table") { tables += 1; }
    else if (trace.type === "sankey") { expected += trace.link.value.length; }  // one band per link
    else {
      var values = trace.type === "funnel" || trace.orientation === "h" ? trace.y : trace.x;
      expected += Array.isArray(values[0]) ? values[0].length : values.length;  // multi-category axis
    }
  });
  var images = Array.prototype.filter.call(gd.querySelectorAll("g.hm image"), function (image) {
    return image.getBoundingClientRect().width > 0 && image.getAttribute("href"); });
  return {chart: chartId, svg: gd.querySelectorAll("svg.main-svg").length, traces: (gd._fullData || []).length,
          expected_points: expected, points: gd.querySelectorAll("g.point, path.point, path.sankey-link").length,
          heatmaps: heatmaps, heatmap_images: images.length, tables: tables,
          table_cells: gd.querySelectorAll("rect.cell-rect").length,
          width: gd.getBoundingClientRect().width, height: gd.getBoundingClientRect().height};
});
"""


def _wait_rendered(driver, view: str):
    deadline = time.monotonic() + 60
    while driver.execute_script("return document.body.getAttribute('data-rendered')") != view:
        assert time.monotonic() < deadline, f"view {view} did not finish rendering"
        time.sleep(0.1)


def _assert_every_chart_drawn(driver, view: str, data: dict):
    rendered, deadline = driver.execute_script(_RENDERED), time.monotonic() + 5
    # A Sankey's old links fade out (about half a second) after Plotly.react has resolved.
    while any(chart["points"] != chart["expected_points"] for chart in rendered) and time.monotonic() < deadline:
        time.sleep(0.2)
        rendered = driver.execute_script(_RENDERED)
    for chart in rendered:
        spec = data["views"][view]["charts"][chart["chart"]]
        where = f"{chart['chart']} in view {view}: {chart}"
        assert chart["svg"] > 0 and chart["traces"] > 0 and chart["width"] > 100 and chart["height"] > 100, where
        assert spec["points"] > 0, where
        assert chart["points"] == chart["expected_points"], where  # every bar, marker and funnel step drawn
        assert chart["heatmap_images"] == chart["heatmaps"], where
        if chart["tables"]:
            assert chart["table_cells"] >= 2 * len(spec["figure"]["data"][0]["header"]["values"]), where


def _screenshot(driver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(height, 16000))
    time.sleep(0.5)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    return path


def _severe(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_the_page_renders_every_chart_in_headless_chromium(built, browser):
    from selenium.webdriver.support.ui import Select

    _, _, shops, pages = built
    data = _page_data(pages["all"])
    browser.get(pages["all"].as_uri())
    _wait_rendered(browser, ALL_SHOPS)
    _assert_every_chart_drawn(browser, ALL_SHOPS, data)
    assert _screenshot(browser, "dashboard-all-shops.png").stat().st_size > 50_000
    select = Select(browser.find_element("id", "view-select"))
    for shop in shops:
        select.select_by_value(shop)
        _wait_rendered(browser, shop)
        _assert_every_chart_drawn(browser, shop, data)
        kpis = browser.find_element("id", "kpis").text
        assert f"{data['views'][shop]['kpis']['members']:,.0f}" in kpis
    assert _screenshot(browser, f"dashboard-{shops[-1]}.png").stat().st_size > 50_000
    assert _severe(browser) == []


def test_one_shop_bundle_page_renders_in_headless_chromium(built, browser):
    _, _, shops, pages = built
    data = _page_data(pages["bundle"])
    browser.get(pages["bundle"].as_uri())
    _wait_rendered(browser, shops[0])
    _assert_every_chart_drawn(browser, shops[0], data)
    assert not browser.find_elements("id", "view-select")
    assert _screenshot(browser, "dashboard-one-shop-bundle.png").stat().st_size > 50_000
    assert _severe(browser) == []
