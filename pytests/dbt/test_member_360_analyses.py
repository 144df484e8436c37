"""The member 360's worked questions (analyses/member_360) on the tiny sample: each
answer recomputed from the facts it summarises (orders, behaviour events, products,
tiers, today's audiences), not from dim_member_360 itself."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from .conftest import build_vars

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def analyses(tiny_build):
    project, truth = tiny_build
    project.dbt("compile", "--select", "path:analyses/member_360", vars=build_vars(truth))
    return project, date.fromisoformat(truth["as_of_date"])


def _answer(project, name: str) -> pd.DataFrame:
    path = project.home / "target" / "compiled" / "member_analytics" / "analyses" / "member_360" / f"{name}.sql"
    return project.frame(path.read_text())


def _valid_orders(project, as_of: date) -> pd.DataFrame:
    orders = project.frame("select shop_id, member_id, ordered_date, net_amount from marts.fct_orders "
                           "where is_valid_purchase")
    orders["ordered_date"] = pd.to_datetime(orders["ordered_date"]).dt.date
    return orders[orders["ordered_date"] <= as_of]


def test_favourited_this_week_not_bought_this_month(analyses):
    project, as_of = analyses
    answer = _answer(project, "favourited_this_week_not_bought_this_month")
    events = project.frame(
        "select events.shop_id, events.member_id, cast(events.occurred_at as date) as day, products.category "
        "from staging.stg_shop__behavior_events as events left join marts.dim_products as products "
        "on events.shop_id = products.shop_id and events.product_id = products.product_id "
        "where events.row_status = 'kept' and events.event_type = 'favorite'")
    events["day"] = pd.to_datetime(events["day"]).dt.date
    week = events[(events["day"] > as_of - timedelta(days=7)) & (events["day"] <= as_of)]
    orders = _valid_orders(project, as_of)
    bought = set(map(tuple, orders[orders["ordered_date"] > as_of - timedelta(days=30)][["shop_id", "member_id"]].values))
    members = {key for key in map(tuple, week[["shop_id", "member_id"]].values) if key not in bought}
    assert members, "the sample should have members who favourited this week and did not buy this month"
    # the favourite category: most favourites in 90 days, then the latest, then the smallest code
    quarter = events[(events["day"] > as_of - timedelta(days=90)) & (events["day"] <= as_of) & events["category"].notna()]
    counted = quarter.groupby(["shop_id", "member_id", "category"]).agg(n=("day", "size"), last=("day", "max")).reset_index()
    counted = counted.sort_values(["n", "last", "category"], ascending=[False, False, True])
    favourite = counted.drop_duplicates(["shop_id", "member_id"]).set_index(["shop_id", "member_id"])["category"]
    today = project.frame("select shop_id, member_id, audience, is_suppressed, is_holdout from marts.fct_campaign_audiences")
    contacted = set(map(tuple, today[~today["is_suppressed"]][["shop_id", "member_id"]].values))
    held_out = set(map(tuple, today[today["is_holdout"]][["shop_id", "member_id"]].values))
    year = orders[orders["ordered_date"] > as_of - timedelta(days=365)]
    spend = year.groupby(["shop_id", "member_id"])["net_amount"].sum()
    expected: dict[tuple[str, str], list] = {}
    for key in members:
        row = expected.setdefault((key[0], favourite.get(key, "unknown")), [0, 0, 0, 0])
        row[0] += 1
        row[1] += key in contacted
        row[2] += key in held_out
        row[3] += spend.get(key, 0)
    expected = {key: [*counts, round(float(money), 2)] for key, (*counts, money) in expected.items()}
    got = {(row.shop_id, row.favourite_category): [row.members, row.contacted_today, row.held_out_today,
                                                   round(float(row.net_spend_last_365_days), 2)]
           for row in answer.itertuples()}
    assert got == expected


def test_top_spenders_at_a_glance(analyses):
    project, as_of = analyses
    answer = _answer(project, "top_spenders_at_a_glance")
    orders = _valid_orders(project, as_of)
    year = orders[orders["ordered_date"] > as_of - timedelta(days=365)]
    spend = year.groupby(["shop_id", "member_id"]).agg(net=("net_amount", "sum"), orders=("net_amount", "size")).reset_index()
    spend = spend[spend["net"] > 0].sort_values(["shop_id", "net", "member_id"], ascending=[True, False, True])
    top = spend.groupby("shop_id").head(5)
    assert len(top) == len(answer) > 5
    assert list(zip(answer["shop_id"], answer["member_id"])) == list(zip(top["shop_id"], top["member_id"]))
    assert [round(float(value), 2) for value in answer["net_spend_last_365_days"]] == [
        round(float(value), 2) for value in top["net"]]
    assert list(answer["orders_last_365_days"]) == list(top["orders"])
    assert list(answer["spend_rank"]) == [rank for _, group in top.groupby("shop_id", sort=True)
                                          for rank in range(1, len(group) + 1)]
    tiers = project.frame("select shop_id, member_id, tier_name, gap_to_next_tier from marts.fct_member_tiers_current "
                          "where scheme_name = 'by_net_spend'").set_index(["shop_id", "member_id"])
    stages = project.frame("select shop_id, member_id, lifecycle_stage from marts.fct_member_lifecycle"
                           ).set_index(["shop_id", "member_id"])["lifecycle_stage"]
    for row in answer.itertuples():
        key = (row.shop_id, row.member_id)
        assert row.lifecycle_stage == stages[key]
        assert row.tier_name == tiers.loc[key, "tier_name"]
