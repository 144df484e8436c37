"""The campaign loop (issue 23, docs/decisions/0123) on the tiny sample, whose generator
plants a campaign history with a known true uplift per audience (ground_truth.json
"campaigns"): the planted uplift inside the lift intervals; outcomes recomputed from the raw
orders and sends with pandas; the lift report recomputed from the outcomes with textbook
formulas and scipy; imported holdouts and today's arms from one hash; holdouts never in the
contact list; the assignment log appended by each build and kept by a full refresh."""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from .conftest import DbtProject, build_vars
from .reference import expected_fct_orders, read_raw
from .reference_campaigns import DEFAULT_WINDOW, WINDOWS, holdout_arm, newcombe, welch

pytestmark = pytest.mark.dbt

EARLIEST, LATEST = "2015-01-01", "2030-12-31"


@pytest.fixture(scope="module")
def loop(tiny_build):
    project, truth = tiny_build
    outcomes = project.frame("select * from marts.fct_campaign_outcomes")
    lift = project.frame("select * from marts.rpt_campaign_lift")
    assert len(outcomes) > 0 and len(lift) > 0
    return project, truth, outcomes, lift


def test_planted_uplift_lies_inside_the_intervals(loop):
    _, truth, _, lift = loop
    planted = pd.DataFrame(truth["campaigns"])
    planted["assignment_month"] = pd.to_datetime(planted["month"] + "-01")
    lift = lift.assign(assignment_month=pd.to_datetime(lift["assignment_month"]))
    rows = planted.merge(lift, on=["shop_id", "audience", "assignment_month"], how="left", validate="one_to_one")
    # every planted campaign is one row of the report, with the arms the generator drew
    assert rows["treatment_members_y"].notna().all()
    assert (rows["treatment_members_x"] == rows["treatment_members_y"]).all()
    assert (rows["holdout_members_x"] == rows["holdout_members_y"]).all()
    assert (rows["treatment_conversions_x"] == rows["treatment_conversions_y"]).all()
    assert (rows["holdout_conversions_x"] == rows["holdout_conversions_y"]).all()
    assert len(rows) >= 20
    inside = (rows["conversion_lift_lower_95"] <= rows["true_conversion_uplift"]) & (
        rows["true_conversion_uplift"] <= rows["conversion_lift_upper_95"])
    assert inside.mean() >= 0.9, f"{inside.sum()} of {len(rows)} intervals hold the planted uplift"
    # and the intervals are informative: a planted uplift of 0 would be rejected somewhere,
    # and the pooled estimate is near the pooled truth
    assert (rows["conversion_lift_lower_95"] > 0).any()
    weights = rows["treatment_members_y"]
    pooled = (rows["conversion_lift"] * weights).sum() / weights.sum()
    truth_pooled = (rows["true_conversion_uplift"] * weights).sum() / weights.sum()
    assert abs(pooled - truth_pooled) < 0.03
    revenue_inside = (rows["revenue_lift_lower_95"] <= rows["true_revenue_uplift_per_member"]) & (
        rows["true_revenue_uplift_per_member"] <= rows["revenue_lift_upper_95"])
    assert revenue_inside.mean() >= 0.85, f"{revenue_inside.sum()} of {len(rows)} revenue intervals"


def test_outcomes_recomputed_from_the_raw_files(loop, tiny_raw):
    project, truth, outcomes, _ = loop
    raw_path, _ = tiny_raw
    as_of = pd.Timestamp(truth["as_of_date"])
    orders = expected_fct_orders(raw_path, truth["as_of_date"], EARLIEST, LATEST)
    orders = orders[orders["is_valid_purchase"]].copy()
    orders["ordered_date"] = pd.to_datetime(orders["ordered_at"]).dt.normalize()
    orders = orders.sort_values(["ordered_at", "order_id"])
    by_member = {key: group for key, group in orders.groupby(["shop_id", "member_id"])}
    sends = read_raw(raw_path, "campaign_sends")
    sends["sent_date"] = pd.to_datetime(sends["sent_at"].astype(str).str[:10])
    sent = set(zip(sends["shop_id"], sends["member_id"], sends["audience"], sends["sent_date"]))
    assignments = project.frame(
        "select shop_id, member_id, audience, assignment_date, channel from marts.fct_campaign_assignments")
    assert len(assignments) == len(outcomes)
    expected = {}
    for row in assignments.itertuples():
        day = pd.Timestamp(row.assignment_date)
        window = WINDOWS.get(row.channel, DEFAULT_WINDOW) if isinstance(row.channel, str) else DEFAULT_WINDOW
        end = day + timedelta(days=window)
        mine = by_member.get((row.shop_id, row.member_id))
        first = None
        if mine is not None:
            hits = mine[(mine["ordered_date"] > day) & (mine["ordered_date"] <= end)]
            if len(hits):
                first = hits.iloc[0]
        expected[(row.shop_id, row.member_id, row.audience, day)] = (
            window, end <= as_of,
            any((row.shop_id, row.member_id, row.audience, d) in sent for d in (day, day + timedelta(days=1))),
            first is not None,
            None if first is None else first["order_id"],
            0.0 if first is None else float(first["net_amount"]))
    got = {
        (r.shop_id, r.member_id, r.audience, pd.Timestamp(r.assignment_date)): (
            r.window_days, bool(r.is_window_complete), bool(r.was_sent), bool(r.converted),
            None if pd.isna(r.first_order_id) else r.first_order_id, float(r.outcome_net_amount))
        for r in outcomes.itertuples()}
    assert got == expected
    assert outcomes["converted"].sum() > 0 and outcomes["was_sent"].sum() > 0


def test_lift_recomputed_from_the_outcomes(loop):
    _, _, outcomes, lift = loop
    units = outcomes[outcomes["is_window_complete"]].copy()
    units = units.sort_values("assignment_date").groupby(
        ["shop_id", "audience", "member_id", "assignment_month"], as_index=False).first()
    checked = 0
    for row in lift.itertuples():
        mine = units[(units["shop_id"] == row.shop_id) & (units["audience"] == row.audience)
                     & (pd.to_datetime(units["assignment_month"]) == pd.Timestamp(row.assignment_month))]
        t, h = mine[mine["arm"] == "treatment"], mine[mine["arm"] == "holdout"]
        assert (len(t), len(h)) == (row.treatment_members, row.holdout_members)
        x_t, x_h = int(t["converted"].sum()), int(h["converted"].sum())
        assert (x_t, x_h) == (row.treatment_conversions, row.holdout_conversions)
        low, high = newcombe(x_t, len(t), x_h, len(h))
        assert row.conversion_lift == pytest.approx(x_t / len(t) - x_h / len(h), abs=1e-12)
        assert (row.conversion_lift_lower_95, row.conversion_lift_upper_95) == pytest.approx((low, high), abs=1e-9)
        revenue_t = t["outcome_net_amount"].astype(float).to_numpy()
        revenue_h = h["outcome_net_amount"].astype(float).to_numpy()
        assert row.revenue_lift_per_member == pytest.approx(revenue_t.mean() - revenue_h.mean(), abs=1e-9)
        if len(t) > 1 and len(h) > 1 and (revenue_t.var() > 0 or revenue_h.var() > 0):
            low, high = welch(revenue_t, revenue_h)
            # the t quantile is a series expansion in SQL (docs/decisions/0123)
            width = high - low
            assert row.revenue_lift_lower_95 == pytest.approx(low, abs=1e-3 * width)
            assert row.revenue_lift_upper_95 == pytest.approx(high, abs=1e-3 * width)
            checked += 1
        assert row.treatment_sent_share == pytest.approx(t["was_sent"].mean())
        assert row.holdout_sent_share == pytest.approx(h["was_sent"].mean())
    assert checked >= 20


def test_one_hash_gives_imported_and_todays_arms(loop):
    project, _, _, _ = loop
    assignments = project.frame(
        "select shop_id, member_id, audience, arm, assignment_source from marts.fct_campaign_assignments")
    assert set(assignments["assignment_source"]) == {"build", "import"}
    arms = [holdout_arm(r.shop_id, r.member_id, r.audience) for r in assignments.itertuples()]
    assert (assignments["arm"] == np.array(arms)).all()
    # a member imported in an audience's holdout and in today's audience is held out today too
    today = project.frame("select shop_id, member_id, audience, arm from marts.fct_campaign_audiences")
    both = today.merge(assignments[assignments["assignment_source"] == "import"].drop_duplicates(
        ["shop_id", "member_id", "audience"]), on=["shop_id", "member_id", "audience"], suffixes=("", "_imported"))
    assert len(both) > 0
    assert (both["arm"] == both["arm_imported"]).all()


def test_holdouts_never_reach_the_contact_list(tiny_build, tmp_path):
    project, truth = tiny_build
    audiences = project.frame("select shop_id, member_id, audience, arm, is_suppressed from marts.fct_campaign_audiences")
    held = audiences[audiences["arm"] == "holdout"]
    assert len(held) > 0 and held["is_suppressed"].all()
    from member_analytics.exports.contacts import export_contacts

    export_contacts(project.warehouse, tmp_path)
    exported = pd.concat([pd.read_csv(path, dtype=str).assign(shop_id=path.stem) for path in tmp_path.glob("*.csv")])
    keys = set(zip(exported["shop_id"], exported["member_id"], exported["audience"]))
    assert not keys & set(zip(held["shop_id"], held["member_id"], held["audience"]))
    assert len(exported) == int((~audiences["is_suppressed"]).sum())


def test_the_assignment_log_appends_days_and_survives_a_full_refresh(tiny_build, tiny_raw, tmp_path):
    project, truth = tiny_build
    raw_path, _ = tiny_raw
    home = tmp_path / "log"
    shutil.copytree(project.home / "warehouse", home / "warehouse",
                    ignore=shutil.ignore_patterns("tmp", "*.wal"))
    copy = DbtProject(home, raw_path)
    as_of = date.fromisoformat(truth["as_of_date"])
    first = copy.query("select count(*) from marts.fct_campaign_assignment_log")[0][0]
    assert first > 0
    next_day = {**build_vars(truth), "as_of_date": (as_of + timedelta(days=1)).isoformat()}
    # the next day's build of the log alone (its upstream stays at as_of_date: the rows are
    # today's audiences under the next day's date, which is all the append needs)
    copy.dbt("run", "--select", "fct_campaign_assignment_log", vars=next_day)
    # a rerun of the day replaces its rows; a full refresh keeps the earlier day's
    copy.dbt("run", "--select", "fct_campaign_assignment_log", "--full-refresh", vars=next_day)
    days = dict(copy.query(
        "select assignment_date, count(*) from marts.fct_campaign_assignment_log group by 1"))
    assert days == {as_of: first, as_of + timedelta(days=1): first}

