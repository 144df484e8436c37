"""Service events and promotions (issue 8, part A) on the tiny sample: the
member service rates recomputed with pandas from the raw files, the
generator's planted post-promotion complaint rise seen in
rpt_promotion_periods, and the worked questions of analyses/service_events
executed and checked against recomputations from tables they do not read."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from .conftest import ROOT, build_vars
from .reference import expected_fct_orders, read_raw

pytestmark = pytest.mark.dbt

EVENT_TYPES = {"cancel", "reject", "return", "exchange", "complaint", "review", "suggestion", "referral"}
GROUPS = {"cancel": "cancels", "reject": "rejects", "return": "returns_exchanges", "exchange": "returns_exchanges",
          "complaint": "complaints", "review": "reviews", "suggestion": "suggestions", "referral": "referrals"}
RAW_COLUMNS = ["shop_id", "event_id", "member_id", "event_type", "occurred_at", "order_id", "product_id", "rating",
               "resolved_at"]


def _text(value):
    if value is None or (isinstance(value, float) and value != value):
        return None
    value = str(value).strip()
    return value or None


def _stamp(value):
    value = _text(value)
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return "bad"
    return "bad" if pd.isna(stamp) else stamp


def _rating(value):
    value = _text(value)
    if value is None:
        return None
    return int(value) if value.lstrip("-").isdigit() else "bad"


def kept_service_events(raw_path: Path, as_of_date: str, earliest: str, latest: str) -> pd.DataFrame:
    """Kept service events up to as_of_date, after the contract's rules, read from the raw file."""
    raw = read_raw(raw_path, "service_events")
    for column in RAW_COLUMNS:
        if column not in raw.columns:
            raw[column] = None
    raw = raw[RAW_COLUMNS]
    raw = raw[~raw.duplicated(keep="first")]
    rows = []
    for record in raw.to_dict("records"):
        row = {key: _text(record[key]) for key in ("shop_id", "event_id", "member_id", "order_id", "product_id")}
        row["event_type"] = (_text(record["event_type"]) or "").lower() or None
        row["occurred_at"], row["resolved_at"] = _stamp(record["occurred_at"]), _stamp(record["resolved_at"])
        row["rating"] = _rating(record["rating"])
        if not (row["shop_id"] and row["member_id"]):
            reason = "missing_key"
        elif row["occurred_at"] is None:
            reason = "missing_value"
        elif "bad" in (row["occurred_at"], row["resolved_at"], row["rating"]):
            reason = "bad_type"
        elif row["event_type"] not in EVENT_TYPES:
            reason = "unknown_code"
        elif row["rating"] is not None and not 1 <= row["rating"] <= 5:
            reason = "out_of_range"
        elif not pd.Timestamp(earliest).date() <= row["occurred_at"].date() <= pd.Timestamp(latest).date():
            reason = "date_window"
        else:
            reason = None
        row["reason"] = reason
        rows.append(row)
    events = pd.DataFrame(rows)
    events = events[events["reason"].isna()]
    with_id = events[events["event_id"].notna()]
    shared = with_id.groupby(["shop_id", "event_id"]).size()
    conflicts = set(shared[shared > 1].index)
    events = events[[(shop, event) not in conflicts for shop, event in zip(events["shop_id"], events["event_id"])]]
    as_of = date.fromisoformat(as_of_date)
    events = events[[stamp.date() <= as_of for stamp in events["occurred_at"]]].copy()
    events["group"] = events["event_type"].map(GROUPS)
    return events


@pytest.fixture(scope="module")
def service_analyses(tiny_build):
    project, truth = tiny_build
    project.dbt("compile", "--select", "path:analyses/service_events", vars=build_vars(truth))
    return project, truth


def _answer(project, name: str) -> pd.DataFrame:
    path = project.home / "target" / "compiled" / "member_analytics" / "analyses" / "service_events" / f"{name}.sql"
    return project.frame(path.read_text())


def test_member_service_rates_equal_a_pandas_recomputation_from_the_raw_files(tiny_build, tiny_raw):
    project, truth = tiny_build
    raw_path, _ = tiny_raw
    latest = build_vars(truth)["member_analytics__validation__latest_valid_date"]
    as_of = date.fromisoformat(truth["as_of_date"])
    events = kept_service_events(raw_path, truth["as_of_date"], "1990-01-01", latest)
    orders = expected_fct_orders(raw_path, truth["as_of_date"], "1990-01-01", latest)
    orders = orders[[stamp.date() <= as_of for stamp in orders["ordered_at"]]]

    key = ["shop_id", "member_id"]
    counts = events.pivot_table(index=key, columns="group", values="occurred_at", aggfunc="size", fill_value=0)
    rated = events[(events["event_type"] == "review") & events["rating"].notna()]
    ratings = rated.groupby(key)["rating"].agg(lambda values: sum(values) / len(values)).rename("average_rating")
    expected = counts.join(orders.groupby(key).size().rename("number_of_orders"), how="outer")
    expected = expected.join(ratings, how="left")
    for group in set(GROUPS.values()) | {"number_of_orders"}:
        if group not in expected.columns:
            expected[group] = 0
    expected = expected.fillna({column: 0 for column in set(GROUPS.values()) | {"number_of_orders"}})

    actual = project.frame("select * from marts.fct_member_service_rates").set_index(key).sort_index()
    expected = expected.sort_index()
    assert len(actual) == len(expected) > 1000
    assert list(actual.index) == list(expected.index)
    assert list(actual["number_of_orders"]) == [int(value) for value in expected["number_of_orders"]]
    rate_names = {"cancels": "cancel", "rejects": "reject", "returns_exchanges": "return_exchange",
                  "complaints": "complaint", "reviews": "review", "suggestions": "suggestion", "referrals": "referral"}
    for group, rate in rate_names.items():
        assert list(actual[f"number_of_{group}"]) == [int(value) for value in expected[group]], group
        with_orders = expected["number_of_orders"] > 0
        expected_rate = (expected[group] / expected["number_of_orders"]).where(with_orders)
        assert actual[f"{rate}_rate"].isna().tolist() == expected_rate.isna().tolist(), rate
        assert actual[f"{rate}_rate"].fillna(-1).tolist() == pytest.approx(expected_rate.fillna(-1).tolist()), rate
    assert actual["average_rating"].fillna(-1).tolist() == pytest.approx(expected["average_rating"].fillna(-1).tolist())
    # the sample has every kind of event, and members with events but no order
    assert (actual[[f"number_of_{group}" for group in rate_names]].sum() > 0).all()
    assert (actual["number_of_orders"] == 0).any()


def test_the_planted_post_promotion_complaint_rise_is_visible_in_rpt_promotion_periods(tiny_build):
    project, truth = tiny_build
    # the ground truth's own windows (the promotion day -30..-1 and +1..+30), counted from
    # fct_service_events: the mart's events are the generator's complaints, day for day
    complaints = project.frame(
        "select shop_id, occurred_date from marts.fct_service_events where event_group = 'complaint'")
    complaints["occurred_date"] = [pd.Timestamp(value).date() for value in complaints["occurred_date"]]
    for row in truth["promotion_complaints"]:
        day = date.fromisoformat(row["promotion_date"])
        shop = complaints[complaints["shop_id"] == row["shop_id"]]["occurred_date"]
        before = sum(day - timedelta(days=30) <= value <= day - timedelta(days=1) for value in shop)
        after = sum(day + timedelta(days=1) <= value <= day + timedelta(days=30) for value in shop)
        assert (before, after) == (row["complaints_before_30d"], row["complaints_after_30d"]), row

    # every complete 11.11 of the truth has its before and after periods in the mart, complete too
    planted = [row for row in truth["promotion_complaints"] if row["promotion"].startswith("11.11")
               and row["before_window_complete"] and row["after_window_complete"]]
    assert len(planted) >= 3, "the sample has too few complete 11.11s"
    periods = project.frame("select * from marts.rpt_promotion_periods where promotion_name = '11.11'")
    periods = periods.set_index(["shop_id", "promotion_id", "period"])
    before = periods.loc[[(row["shop_id"], row["promotion"], "before") for row in planted]]
    after = periods.loc[[(row["shop_id"], row["promotion"], "after") for row in planted]]
    assert before["is_complete"].all() and after["is_complete"].all()
    # the rise, as the truth has it (tiny shops have 0-8 complaints a window: pooled over
    # shops and years, as in the truth, where single windows may go either way)
    assert sum(row["complaints_after_30d"] for row in planted) > sum(row["complaints_before_30d"] for row in planted)
    assert after["number_of_complaints"].sum() > before["number_of_complaints"].sum()
    pooled_after = after["number_of_complaints"].sum() / after["number_of_orders"].sum()
    pooled_before = before["number_of_complaints"].sum() / before["number_of_orders"].sum()
    assert pooled_after > 1.5 * pooled_before
    # and in most windows one by one
    assert (after["complaint_rate"].to_numpy() > before["complaint_rate"].to_numpy()).sum() > len(planted) / 2


def test_analysis_complaining_members_not_followed_up(service_analyses):
    project, truth = service_analyses
    answer = _answer(project, "complaining_members_not_followed_up")
    # recomputed from the cleaned events, not from fct_complaint_followups
    events = project.frame(
        "select shop_id, service_event_id, member_id, event_group, rating, is_resolved, occurred_date, occurred_at "
        "from marts.fct_service_events where event_group in ('complaint', 'review')")
    events["occurred_date"] = [pd.Timestamp(value).date() for value in events["occurred_date"]]
    as_of = date.fromisoformat(truth["as_of_date"])
    recent = pd.Series([(as_of - value).days < 30 for value in events["occurred_date"]], index=events.index)
    complaints = events[(events["event_group"] == "complaint") & ~events["is_resolved"].astype(bool) & recent]
    good = events[(events["event_group"] == "review") & (events["rating"].fillna(0) >= 4)]
    good_by_member = {key: frame for key, frame in good.groupby(["shop_id", "member_id"])}
    expected: dict[tuple[str, str], int] = {}
    for row in complaints.itertuples():
        reviews = good_by_member.get((row.shop_id, row.member_id))
        followed = reviews is not None and any(
            later and soon for later, soon in zip(
                reviews["occurred_at"] > row.occurred_at,
                [value <= row.occurred_date + timedelta(days=7) for value in reviews["occurred_date"]]))
        if not followed:
            expected[(row.shop_id, row.member_id)] = expected.get((row.shop_id, row.member_id), 0) + 1
    actual = {(row.shop_id, row.member_id): int(row.open_complaints) for row in answer.itertuples()}
    assert actual == expected
    assert len(actual) >= 5
    assert (answer["days_since_latest_complaint"] < 30).all()


def test_analysis_did_returns_rise_after_11_11(service_analyses):
    project, truth = service_analyses
    answer = _answer(project, "did_returns_rise_after_11_11").set_index(["shop_id", "promotion_id"])
    # recomputed from the seed, the orders and the events, not from rpt_promotion_periods
    seed = pd.read_csv(ROOT / "seeds" / "promotion_windows.csv", dtype=str)
    seed = seed[seed["promotion_name"] == "11.11"]
    orders = project.frame("select shop_id, ordered_date from marts.fct_orders where not is_after_as_of_date")
    events = project.frame("select shop_id, event_group, occurred_date from marts.fct_service_events")
    orders["ordered_date"] = [pd.Timestamp(value).date() for value in orders["ordered_date"]]
    events["occurred_date"] = [pd.Timestamp(value).date() for value in events["occurred_date"]]
    as_of = date.fromisoformat(truth["as_of_date"])
    expected = {}
    for shop in truth["shops"]:
        shop_orders = orders[orders["shop_id"] == shop]["ordered_date"]
        shop_events = events[events["shop_id"] == shop]
        first = min(shop_orders)
        for promotion in seed.itertuples():
            preheat, day = date.fromisoformat(promotion.preheat_start_date), date.fromisoformat(promotion.promotion_date)
            end = day + timedelta(days=int(promotion.promotion_days) - 1)
            before = (preheat - timedelta(days=30), preheat - timedelta(days=1))
            after = (end + timedelta(days=1), end + timedelta(days=30))
            if before[0] < first or after[1] > as_of:
                continue
            rates = []
            for start, stop in (before, after):
                placed = sum(start <= value <= stop for value in shop_orders)
                inside = shop_events[[start <= value <= stop for value in shop_events["occurred_date"]]]
                rates.append(((inside["event_group"] == "return_exchange").sum() / placed,
                              (inside["event_group"] == "complaint").sum() / placed))
            expected[(shop, promotion.promotion_id)] = rates
    assert set(answer.index) == set(expected)
    assert expected
    for key, ((returns_before, complaints_before), (returns_after, complaints_after)) in expected.items():
        row = answer.loc[key]
        assert row["return_exchange_rate_before"] == pytest.approx(returns_before)
        assert row["return_exchange_rate_after"] == pytest.approx(returns_after)
        assert row["complaint_rate_before"] == pytest.approx(complaints_before)
        assert row["complaint_rate_after"] == pytest.approx(complaints_after)
        assert bool(row["did_return_rate_rise"]) == (returns_after > returns_before)
    # the answer: returns per order rose after every complete 11.11 in every shop; complaints
    # per order in most of them (a tiny shop has 0-8 complaints a window)
    assert answer["did_return_rate_rise"].all()
    assert answer["did_complaint_rate_rise"].sum() > len(answer) / 2
