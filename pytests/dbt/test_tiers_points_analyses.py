"""The worked tier and points questions (analyses/tiers_points) on the tiny
sample, executed and checked against the generator's ground truth or a pandas
recomputation that does not use the SQL being tested."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from .conftest import build_vars

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def tier_analyses(tiny_build):
    project, truth = tiny_build
    project.dbt("compile", "--select", "path:analyses/tiers_points", vars=build_vars(truth))
    return project, truth


def _answer(project, name: str) -> pd.DataFrame:
    path = project.home / "target" / "compiled" / "member_analytics" / "analyses" / "tiers_points" / f"{name}.sql"
    return project.frame(path.read_text())


def test_analysis_tipping_point_nudge_list(tier_analyses):
    project, _ = tier_analyses
    answer = _answer(project, "tipping_point_nudge_list")
    current = project.frame(
        "select shop_id, member_id, scheme_name, basis, tier_rank, is_in_programme, cumulative_count, "
        "cumulative_net_spend from marts.fct_member_tiers_current"
    )
    schemes = project.frame("select scheme_name, tier_rank, tier_name, lower_bound from reference.tier_schemes")
    bounds = {(row.scheme_name, int(row.tier_rank)): (row.tier_name, Decimal(str(row.lower_bound)))
              for row in schemes.itertuples()}
    expected = {}
    for row in current.itertuples():
        following = bounds.get((row.scheme_name, int(row.tier_rank) + 1))
        if not row.is_in_programme or following is None:
            continue
        name, bound = following
        measure = Decimal(int(row.cumulative_count)) if row.basis == "purchase_count" else Decimal(str(row.cumulative_net_spend))
        gap = bound - measure
        near = gap <= 1 if row.basis == "purchase_count" else gap <= bound / 10
        if near:
            expected[(row.shop_id, row.scheme_name, row.member_id)] = (name, gap)
    actual = {(row.shop_id, row.scheme_name, row.member_id): (row.next_tier_name, Decimal(str(row.gap_to_next_tier)))
              for row in answer.itertuples()}
    assert actual == expected
    assert len(actual) > 50
    # both schemes have members at the tipping point, every one with a lapse date ahead
    assert set(answer["scheme_name"]) == {"by_purchase_count", "by_net_spend"}
    assert answer["lapses_on"].notna().all()


def test_analysis_refund_downgrades_last_30_days(tier_analyses):
    project, truth = tier_analyses
    answer = _answer(project, "refund_downgrades_last_30_days")
    as_of = date.fromisoformat(truth["as_of_date"])
    window = {(row["shop_id"], row["member_id"], row["refund_date"]) for row in truth["refund_downgrades"]
              if as_of - timedelta(days=30) < date.fromisoformat(row["refund_date"]) <= as_of}
    actual = {(row.shop_id, row.member_id, pd.Timestamp(row.change_date).date().isoformat())
              for row in answer.itertuples()}
    # every late refund that crossed a spend threshold in the window is there
    assert window <= actual
    assert len(answer) > 0
    assert set(answer["change_direction"]) <= {"down", "lapse"}
    assert answer["change_date"].map(lambda value: as_of - timedelta(days=30) < pd.Timestamp(value).date() <= as_of).all()


def test_analysis_tier_mix_then_and_now(tier_analyses):
    project, truth = tier_analyses
    answer = _answer(project, "tier_mix_then_and_now")
    history = project.frame("select shop_id, member_id, scheme_name, tier_name, valid_from, valid_to "
                            "from marts.fct_member_tier_history")
    as_of = pd.Timestamp(truth["as_of_date"])
    expected = {}
    for label, day in (("members_90_days_ago", as_of - pd.Timedelta(days=90)), ("members_now", as_of)):
        holds = (history["valid_from"] <= day) & (history["valid_to"].isna() | (history["valid_to"] > day))
        held = history[holds]
        assert not held.duplicated(["shop_id", "member_id", "scheme_name"]).any()  # one tier per member and date
        for key, members in held.groupby(["shop_id", "scheme_name", "tier_name"]).size().items():
            expected.setdefault(key, {"members_90_days_ago": 0, "members_now": 0})[label] = members
    actual = {(row.shop_id, row.scheme_name, row.tier_name): {"members_90_days_ago": row.members_90_days_ago,
                                                              "members_now": row.members_now}
              for row in answer.itertuples()}
    assert actual == expected
    # now: every member with a history holds exactly one tier (lapsed included)
    buyers = history.groupby(["shop_id", "scheme_name"])["member_id"].nunique()
    now = answer.groupby(["shop_id", "scheme_name"])["members_now"].sum()
    assert now.to_dict() == buyers.to_dict()


def test_analysis_points_liability_by_shop(tier_analyses):
    project, truth = tier_analyses
    answer = _answer(project, "points_liability_by_shop").set_index("shop_id")
    ledger = project.frame("select shop_id, member_id, movement_sequence, balance_after, shortfall_points "
                           "from marts.fct_member_points_ledger")
    last = ledger.sort_values("movement_sequence").groupby(["shop_id", "member_id"]).tail(1)
    assert answer["outstanding_points"].to_dict() == last.groupby("shop_id")["balance_after"].sum().to_dict()
    short = ledger[ledger["shortfall_points"] > 0].groupby("shop_id")["member_id"].nunique()
    assert answer["members_with_shortfall"].to_dict() == short.reindex(answer.index, fill_value=0).to_dict()
    # the planted over-redemptions are shortfalls: at least those members per shop
    planted = pd.Series([row["shop_id"] for row in truth["overdrawn_redemptions"]]).value_counts()
    assert len(planted) > 0
    for shop, members in planted.items():
        assert answer.loc[shop, "members_with_shortfall"] >= members
    assert (answer["outstanding_points"] > 0).all() and (answer["expired_points"] > 0).all()
