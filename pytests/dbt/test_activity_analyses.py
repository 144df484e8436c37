"""The worked activity and loyalty questions (analyses/activity_loyalty) on the
tiny sample, executed, and checked against pandas recomputations from tables
the analysis does not read."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from .conftest import build_vars

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def activity_analyses(tiny_build):
    project, truth = tiny_build
    project.dbt("compile", "--select", "path:analyses/activity_loyalty", vars=build_vars(truth))
    return project, truth


def _answer(project, name: str) -> pd.DataFrame:
    path = project.home / "target" / "compiled" / "member_analytics" / "analyses" / "activity_loyalty" / f"{name}.sql"
    return project.frame(path.read_text())


def test_analysis_active_members_who_went_quiet_this_month(activity_analyses):
    project, truth = activity_analyses
    answer = _answer(project, "active_members_who_went_quiet_this_month")
    # recomputed from the level history, not from the drops mart the analysis reads
    history = project.frame("select shop_id, member_id, snapshot_date, activity_level from marts.fct_member_activity_history")
    snapshots = sorted(history["snapshot_date"].unique())
    latest, previous = snapshots[-1], snapshots[-2]
    assert pd.Timestamp(latest) == pd.Timestamp(truth["as_of_date"])
    now = history[history["snapshot_date"] == latest].set_index(["shop_id", "member_id"])["activity_level"]
    before = history[history["snapshot_date"] == previous].set_index(["shop_id", "member_id"])["activity_level"]
    both = pd.concat([before.rename("before"), now.rename("now")], axis=1, join="inner")
    fell = both[both["before"].isin(["excited", "active"]) & both["now"].isin(["inert", "dormant"])]
    assert set(zip(answer["shop_id"], answer["member_id"])) == set(fell.index)
    assert len(answer) > 10
    assert set(answer["transition"]) <= {"excited -> inert", "excited -> dormant", "active -> inert",
                                         "active -> dormant"}
    assert (answer["days_since_last_visit"] > 30).all()


def test_analysis_biggest_problem_cell_per_shop(activity_analyses):
    project, truth = activity_analyses
    answer = _answer(project, "biggest_problem_cell_per_shop").set_index("shop_id")
    members = project.frame(
        "select activity.shop_id, activity.activity_group, loyalty.loyalty_level "
        "from marts.fct_member_activity as activity inner join marts.fct_member_loyalty as loyalty "
        "using (shop_id, member_id)"
    )
    cells = members[~((members["activity_group"] == "high") & (members["loyalty_level"] == "high"))]
    counts = cells.groupby(["shop_id", "activity_group", "loyalty_level"]).size()
    names = {("high", "low"): "browsing_not_buying", ("low", "high"): "buying_not_visiting", ("low", "low"): "neither"}
    assert set(answer.index) == set(truth["shops"])
    for shop, row in answer.iterrows():
        shop_counts = counts[shop]
        top = shop_counts.max()
        assert row["members"] == top
        assert row["cell_name"] in {names[key] for key, value in shop_counts.items() if value == top}
        assert row["share_of_members"] == pytest.approx(top / (members["shop_id"] == shop).sum())
        assert row["diagnosis"] and row["suggested_action"]


def test_analysis_regulars_overdue_for_a_visit(activity_analyses):
    project, _ = activity_analyses
    answer = _answer(project, "regulars_overdue_for_a_visit")
    # the cycle recomputed from the visit days, not from fct_member_activity's median
    visits = project.frame("select shop_id, member_id, visit_date from intermediate.int_member_visit_days")
    visits = visits.sort_values(["shop_id", "member_id", "visit_date"])
    visits["gap"] = visits.groupby(["shop_id", "member_id"])["visit_date"].diff().dt.days
    cycle = visits.groupby(["shop_id", "member_id"])["gap"].median()
    days = visits.groupby(["shop_id", "member_id"]).agg(visit_days=("visit_date", "size"), last=("visit_date", "max"))
    (as_of,), = project.query("select as_of_date from marts.rpt_build_metadata")
    days["away"] = (pd.Timestamp(as_of) - days["last"]).dt.days
    days["cycle"] = cycle
    regular = days[(days["visit_days"] >= 5) & (days["cycle"] <= 7)]
    overdue = regular[[Decimal(400 * away + 2 * c) // Decimal(4 * c) >= 300  # factor to the hundredth, half up
                       for away, c in zip(regular["away"], regular["cycle"])]]
    assert set(zip(answer["shop_id"], answer["member_id"])) == set(overdue.index)
    assert len(answer) > 5
    assert (answer["overdue_factor"].astype(float) >= 3).all()
