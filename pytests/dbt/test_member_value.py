"""The member-value marts (RFM, history, segment changes, lifecycle, cohorts,
loyalty ladder) on the generator's tiny dataset: an independent pandas
recomputation of fct_member_rfm from the raw files, the generator's ground
truth, and the worked analyses with assertions on their answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from .conftest import build_vars
from .reference_rfm import expected_fct_member_rfm

pytestmark = pytest.mark.dbt

KEY = ["shop_id", "member_id"]


def _as_dates(series: pd.Series) -> list[date]:
    return [pd.Timestamp(value).date() for value in series]


def test_fct_member_rfm_equals_an_independent_pandas_recomputation_from_the_raw_files(tiny_build, tiny_raw):
    project, truth = tiny_build
    raw_path, _ = tiny_raw
    variables = build_vars(truth)
    expected = expected_fct_member_rfm(
        raw_path, truth["as_of_date"], "1990-01-01", variables["member_analytics__validation__latest_valid_date"]
    ).sort_values(KEY).reset_index(drop=True)
    actual = project.frame("select * from marts.fct_member_rfm").sort_values(KEY).reset_index(drop=True)

    assert len(actual) == len(expected) > 1000
    assert list(actual["member_id"]) == list(expected["member_id"])
    assert list(actual["shop_id"]) == list(expected["shop_id"])
    for column in ["frequency", "purchase_days", "recency_days", "r_score", "f_score", "m_score", "loyalty_ladder_step"]:
        assert list(actual[column].astype(int)) == list(expected[column].astype(int)), column
    for column in ["rfm_segment", "recency_band"]:
        assert list(actual[column]) == list(expected[column]), column
    for column in ["monetary", "average_order_value"]:
        assert [Decimal(str(value)) for value in actual[column]] == list(expected[column]), column
    for column in ["first_purchase_date", "last_purchase_date"]:
        assert _as_dates(actual[column]) == _as_dates(expected[column]), column
    assert set(_as_dates(actual["as_of_date"])) == {date.fromisoformat(truth["as_of_date"])}
    # every column of the mart was compared
    compared = {"shop_id", "member_id", "frequency", "purchase_days", "recency_days", "r_score", "f_score", "m_score",
                "loyalty_ladder_step", "rfm_segment", "recency_band", "monetary", "average_order_value",
                "first_purchase_date", "last_purchase_date", "as_of_date"}
    assert set(actual.columns) == compared
    # bands mode (the default): R follows the days; a member silent for more than 90 days is
    # never R4 or R5, and no such member is in a segment for active buyers (issue 22)
    assert (actual.loc[actual["recency_days"] > 90, "r_score"] <= 3).all()
    assert (actual.loc[actual["recency_days"] <= 30, "r_score"] == 5).all()
    silent = actual.loc[actual["recency_days"] > 90, "rfm_segment"]
    assert len(silent) > 100
    assert not set(silent) & {"champions", "loyal", "potential_loyalist", "new_customers", "promising"}
    # F and M behave like quintiles with shared ties: every shop uses 1 and 5
    for column in ["f_score", "m_score"]:
        assert actual.groupby("shop_id")[column].agg(["min", "max"]).values.tolist() == [[1, 5]] * actual["shop_id"].nunique()


def test_quantiles_mode_scores_recency_within_the_shop_as_before_issue_22(tiny_build, tiny_raw, tmp_path):
    """var member_analytics__rfm__recency_scoring: quantiles gives today's relative R
    (1 + floor(5 (rank - 1) / n)) and the quantiles rows of the segment map: fct_member_rfm
    rebuilt in that mode on a copy of the tiny build equals the pandas recomputation in
    that mode, and differs from the default build."""
    import shutil

    from .conftest import DbtProject

    project, truth = tiny_build
    raw_path, _ = tiny_raw
    copy = DbtProject(tmp_path / "quantiles", raw_path)
    copy.warehouse.parent.mkdir(parents=True)
    shutil.copy(project.warehouse, copy.warehouse)
    variables = build_vars(truth) | {"member_analytics__rfm__recency_scoring": "quantiles"}
    copy.dbt("run", "-s", "int_member_rfm_current", "int_member_rfm_scored", "fct_member_rfm", vars=variables)
    expected = expected_fct_member_rfm(
        raw_path, truth["as_of_date"], "1990-01-01", variables["member_analytics__validation__latest_valid_date"],
        recency_scoring="quantiles",
    ).sort_values(KEY).reset_index(drop=True)
    actual = copy.frame("select * from marts.fct_member_rfm").sort_values(KEY).reset_index(drop=True)
    default = project.frame("select * from marts.fct_member_rfm").sort_values(KEY).reset_index(drop=True)
    assert len(actual) == len(expected) == len(default) > 1000
    for column in ["r_score", "f_score", "m_score"]:
        assert list(actual[column].astype(int)) == list(expected[column].astype(int)), column
    assert list(actual["rfm_segment"]) == list(expected["rfm_segment"])
    # quintiles: every shop uses R 1 and 5, and lapsed members still rank R4 or R5 somewhere
    assert actual.groupby("shop_id")["r_score"].agg(["min", "max"]).values.tolist() == [[1, 5]] * actual["shop_id"].nunique()
    assert (actual.loc[actual["recency_days"] > 90, "r_score"] >= 4).any()
    # F and M do not depend on the mode; R and the segments do
    assert list(actual["f_score"]) == list(default["f_score"]) and list(actual["m_score"]) == list(default["m_score"])
    assert list(actual["r_score"]) != list(default["r_score"])


def test_the_generators_loyal_members_who_stopped_buying_appear_as_band_and_segment_transitions(tiny_build):
    """Ground truth `loyal_to_at_risk`: last valid purchase 120-200 days before
    as_of_date after >= 6 valid orders in the year before it.

    Asserted transition: each of them has, in fct_member_segment_changes, the
    recency_band change active_period -> silent_period (a downgrade) at the
    first snapshot more than 90 days after their last purchase. It must exist:
    at the month end after the last purchase recency is at most 31 days
    (active), at as_of_date it is 120-200 days, and snapshots are at most 31
    days apart, so the first snapshot past 90 days is at most 121 days out and
    lands in silent_period (91-180), never skipping it.

    And since issue 22 (R in day bands by default): each of them reaches `at_risk`
    or `cannot_lose` by segment, a change in fct_member_segment_changes at or
    before as_of_date; they are in it at as_of_date; and their r_score at
    as_of_date is lower than at the first snapshot after their last purchase.
    (With R as quintiles they stayed champions or loyal: most of a shop's buyers
    are long-lapsed one-time buyers, so 120-200 days still ranked R4;
    docs/decisions/0011.)
    """
    project, truth = tiny_build
    members = truth["loyal_to_at_risk"]
    assert len(members) >= 10
    snapshots = sorted(row[0] for row in project.query("select snapshot_date from intermediate.int_months_spined"))
    changes = {
        (shop, member, snapshot): (previous, new, downgrade)
        for shop, member, snapshot, previous, new, downgrade in project.query(
            "select shop_id, member_id, snapshot_date, previous_value, new_value, is_downgrade "
            "from marts.fct_member_segment_changes where changed_attribute = 'recency_band'"
        )
    }
    current = {
        (shop, member): (last, frequency, band, r_score, segment)
        for shop, member, last, frequency, band, r_score, segment in project.query(
            "select shop_id, member_id, last_purchase_date, frequency, recency_band, r_score, rfm_segment "
            "from marts.fct_member_rfm"
        )
    }
    segment_changes: dict[tuple, list[str]] = {}
    for shop, member, new in project.query(
        "select shop_id, member_id, new_value from marts.fct_member_segment_changes "
        "where changed_attribute = 'rfm_segment'"
    ):
        segment_changes.setdefault((shop, member), []).append(new)
    history = {
        (shop, member, snapshot): r_score
        for shop, member, snapshot, r_score in project.query(
            "select shop_id, member_id, snapshot_date, r_score from marts.fct_member_rfm_history"
        )
    }
    for member in members:
        key = (member["shop_id"], member["member_id"])
        last = date.fromisoformat(member["last_purchase_date"])
        crossing = next(snapshot for snapshot in snapshots if (snapshot - last).days > 90)
        assert changes.get(key + (crossing,)) == ("active_period", "silent_period", True), key
        assert current[key][0] == last and current[key][1] >= 6, key
        assert current[key][2] in {"silent_period", "sleeping_period"}, key
        first_after = next(snapshot for snapshot in snapshots if snapshot >= last)
        assert current[key][3] < history[key + (first_after,)], key
        assert current[key][4] in {"at_risk", "cannot_lose"}, key
        assert any(new in {"at_risk", "cannot_lose"} for new in segment_changes.get(key, [])), key


def test_lapsed_members_are_lost_by_band_and_not_new_or_loyal(tiny_build):
    project, truth = tiny_build
    lapsed = {(row["shop_id"], row["member_id"]): row for row in truth["lapsed_members"]}
    assert len(lapsed) > 100
    rfm = {(shop, member): (band, last) for shop, member, band, last in project.query(
        "select shop_id, member_id, recency_band, last_purchase_date from marts.fct_member_rfm")}
    stages = dict(((shop, member), stage) for shop, member, stage in project.query(
        "select shop_id, member_id, lifecycle_stage from marts.fct_member_lifecycle"))
    for key, row in lapsed.items():
        assert rfm[key] == ("lost_period", date.fromisoformat(row["last_purchase_date"])), key
        assert stages[key] in {"sleeping", "repeat"}, key
    # and every buyer silent for more than 365 days is in the ground truth list
    silent = {key for key, (band, last) in rfm.items()
              if (date.fromisoformat(truth["as_of_date"]) - last).days > 365}
    assert silent == set(lapsed)


def test_lifecycle_stages_every_member_and_agrees_with_first_purchases(tiny_build):
    project, truth = tiny_build
    (members, staged), = project.query(
        "select (select count(*) from marts.dim_members), (select count(*) from marts.fct_member_lifecycle)"
    )
    assert members == staged
    stages = dict(project.query("select lifecycle_stage, count(*) from marts.fct_member_lifecycle group by all"))
    assert set(stages) == {"registered", "potential", "new", "sleeping", "repeat", "loyal"}
    first = dict(((shop, member), first_date) for shop, member, first_date in project.query(
        "select shop_id, member_id, first_purchase_date from marts.fct_member_lifecycle"))
    for row in truth["first_purchase_followups"]:
        assert first[(row["shop_id"], row["member_id"])] == date.fromisoformat(row["first_purchase_date"])
    # buyers are exactly the members of fct_member_rfm
    (mismatch,), = project.query(
        "select count(*) from marts.fct_member_lifecycle as lifecycle "
        "full outer join marts.fct_member_rfm as rfm using (shop_id, member_id) "
        "where (lifecycle.number_of_purchase_days > 0) <> (rfm.member_id is not null) "
        "or lifecycle.number_of_purchase_days <> rfm.purchase_days"
    )
    assert mismatch == 0


def test_history_scores_each_snapshot_on_its_own_and_never_uses_later_orders(tiny_build):
    project, truth = tiny_build
    rows = project.frame(
        "select shop_id, snapshot_date, count(*) as members, min(r_score) as low, max(r_score) as high, "
        "max(last_purchase_date) as latest_purchase from marts.fct_member_rfm_history group by all"
    )
    assert (rows["latest_purchase"] <= rows["snapshot_date"]).all()
    assert (rows["high"] == 5).all()
    # R in day bands at every snapshot (the default mode), from that snapshot's recency
    (off_band,), = project.query(
        "select count(*) from marts.fct_member_rfm_history where r_score <> case "
        "when recency_days <= 30 then 5 when recency_days <= 90 then 4 when recency_days <= 180 then 3 "
        "when recency_days <= 270 then 2 else 1 end"
    )
    assert off_band == 0
    # members only leave the scored set when all their purchases are refunded: the count barely dips
    dips = rows.sort_values("snapshot_date").groupby("shop_id")["members"].diff().fillna(0)
    assert dips.min() >= -5
    latest = rows[rows["snapshot_date"] == pd.Timestamp(truth["as_of_date"])]
    assert len(latest) == len(truth["shops"])


@pytest.fixture(scope="module")
def member_value_analyses(tiny_build):
    project, truth = tiny_build
    project.dbt("compile", "--select", "path:analyses/member_value", vars=build_vars(truth))
    return project


def _analysis(project, name: str) -> str:
    path = project.home / "target" / "compiled" / "member_analytics" / "analyses" / "member_value" / f"{name}.sql"
    return path.read_text()


def test_analysis_segment_sizes_and_revenue_share(member_value_analyses):
    project = member_value_analyses
    answer = project.frame(_analysis(project, "segment_sizes_and_revenue_share"))
    rfm = project.frame("select shop_id, rfm_segment, monetary from marts.fct_member_rfm")
    expected = rfm.groupby(["shop_id", "rfm_segment"]).size()
    assert dict(zip(zip(answer["shop_id"], answer["rfm_segment"]), answer["members"])) == expected.to_dict()
    shares = answer.groupby("shop_id")[["share_of_members", "share_of_net_revenue"]].sum()
    assert ((shares - 1).abs() < 1e-9).all().all()
    # champions are a minority of buyers but bring most of the money
    champions = answer[answer["rfm_segment"] == "champions"]
    assert (champions["share_of_members"] < 0.3).all() and (champions["share_of_net_revenue"] > 0.4).all()
    assert answer["suggested_action"].notna().all()


def test_analysis_best_members_slipping_at_latest_snapshot(member_value_analyses):
    project = member_value_analyses
    answer = project.frame(_analysis(project, "best_members_slipping_at_latest_snapshot"))
    (expected,), = project.query(
        "select count(*) from marts.fct_member_segment_changes as changes "
        "inner join marts.rpt_build_metadata as metadata on changes.snapshot_date = metadata.as_of_date "
        "where changed_attribute = 'rfm_segment' and previous_value in ('champions', 'loyal', 'cannot_lose') "
        "and is_downgrade"
    )
    assert answer["members"].sum() == expected > 0
    assert all(transition.split(" -> ")[0] in {"champions", "loyal", "cannot_lose"} for transition in answer["transition"])
    # no upgrade slips in: champions can only fall
    assert not any(transition.endswith("-> champions") for transition in answer["transition"])


def test_analysis_second_purchase_rate_by_month(member_value_analyses):
    project = member_value_analyses
    answer = project.frame(_analysis(project, "second_purchase_rate_by_month"))
    history = project.frame("select shop_id, member_id, snapshot_date, frequency from marts.fct_member_rfm_history")
    snapshots = sorted(history["snapshot_date"].unique())
    following = dict(zip(snapshots[:-1], snapshots[1:]))
    recomputed = {}
    by_key = history.set_index(["shop_id", "member_id", "snapshot_date"])["frequency"].to_dict()
    # every one-time buyer at a snapshot, and whether they have more purchases at the next one
    for (shop, member, snapshot), frequency in by_key.items():
        if frequency != 1 or snapshot not in following:
            continue
        later = by_key.get((shop, member, following[snapshot]), 0)
        before, moved = recomputed.get((shop, following[snapshot]), (0, 0))
        recomputed[(shop, following[snapshot])] = (before + 1, moved + (later > 1))
    actual = {(shop, pd.Timestamp(snapshot)): (before, moved) for shop, snapshot, before, moved in zip(
        answer["shop_id"], answer["snapshot_date"], answer["one_time_buyers_before"], answer["moved_to_second_purchase"])}
    assert actual == {(shop, pd.Timestamp(snapshot)): value for (shop, snapshot), value in recomputed.items()}
    assert ((answer["second_purchase_rate"] >= 0) & (answer["second_purchase_rate"] < 0.5)).all()


def test_analysis_month_three_retention_by_cohort(member_value_analyses):
    project = member_value_analyses
    answer = project.frame(_analysis(project, "month_three_retention_by_cohort"))
    orders = project.frame("select shop_id, member_id, ordered_date from marts.fct_orders where is_valid_purchase")
    orders["month"] = pd.to_datetime(orders["ordered_date"]).dt.to_period("M")
    orders["cohort"] = orders.groupby(["shop_id", "member_id"])["month"].transform("min")
    third = orders[orders["month"] == orders["cohort"] + 3]
    sizes = orders.drop_duplicates(["shop_id", "member_id"]).groupby(["shop_id", "cohort"]).size()
    retained = third.drop_duplicates(["shop_id", "member_id"]).groupby(["shop_id", "cohort"]).size()
    for shop, cohort_month, size, purchasing, rate in zip(
        answer["shop_id"], answer["first_purchase_month"], answer["cohort_size"],
        answer["purchasing_members"], answer["month_three_retention_rate"],
    ):
        key = (shop, pd.Timestamp(cohort_month).to_period("M"))
        assert size == sizes[key]
        assert purchasing == retained.get(key, 0)
        assert rate == pytest.approx(purchasing / size)
    # complete cohorts only: the latest is at least three full months before as_of_date
    assert len(answer) > 30


def test_member_value_marts_build_from_one_history_query(tiny_build):
    """The history is one model (one statement), not one query per month: the scoring
    model int_member_rfm_scored that the history mart selects from. The as_of_date
    snapshot is scored on its own (int_member_rfm_current, docs/decisions/0129), which
    the current mart selects from and the history takes as its latest snapshot."""
    project, _ = tiny_build
    run = project.home / "target" / "run" / "member_analytics" / "models"
    for path in (run / "intermediate" / "member_value" / "int_member_rfm_scored.sql",
                 run / "marts" / "member_value" / "fct_member_rfm_history.sql"):
        compiled = path.read_text()
        assert compiled.count("create") <= 2, path.name
        assert "2026-10-31" not in compiled, path.name  # no month end is written into the SQL
    scored = (run / "intermediate" / "member_value" / "int_member_rfm_scored.sql").read_text()
    current = (run / "intermediate" / "member_value" / "int_member_rfm_current.sql").read_text()
    # the scoring happens in the two, each snapshot once: the month ends in one, as_of_date in the other
    assert "rank() over" in scored and "rank() over" in current
    assert "int_member_rfm_current" in scored
    assert "rank() over" not in (run / "marts" / "member_value" / "fct_member_rfm.sql").read_text()
