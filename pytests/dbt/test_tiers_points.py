"""Tier histories and the points ledger (decisions 0030, 0031) on the generator's
tiny dataset: compared row by row with an independent replay from the raw
files (reference_tiers.py walks each member's days with explicit state; the
SQL is set-based), and with the generator's ground truth.

Where the decisions leave room the replay chooses (details in its docstring):
a refund dated on a lapse day is applied before the lapse and is part of the
ended term's measures; a lapse is caused by a `refund` when an order standing
the day before stopped standing that day because of its full refund; an order
refunded in full on its own order day never stands.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from .conftest import NO_UNIT_TESTS, build_vars
from .reference import expected_fct_orders
from .reference_tiers import LAPSE_DAYS, replay

pytestmark = pytest.mark.dbt

EARLIEST = "1990-01-01"
HISTORY_COLUMNS = ["shop_id", "member_id", "scheme_name", "tier_name", "valid_from", "valid_to",
                   "change_direction", "change_cause", "cumulative_count", "cumulative_net_spend"]
LEDGER_COLUMNS = ["shop_id", "member_id", "movement_sequence", "movement_date", "movement_type", "order_id",
                  "request_id", "requested_points", "points", "shortfall_points", "balance_after"]
BALANCE_COLUMNS = ["shop_id", "member_id", "earned_points", "redeemed_points", "reversed_points", "expired_points",
                   "shortfall_points", "balance_points", "movements"]


def _latest(truth: dict) -> str:
    return build_vars(truth)["member_analytics__validation__latest_valid_date"]


@pytest.fixture(scope="module")
def replayed(tiny_raw):
    raw_path, truth = tiny_raw
    return replay(raw_path, truth["as_of_date"], EARLIEST, _latest(truth))


def _rows(frame, columns: list[str]) -> list[tuple]:
    """Plain Python values (dates, ints, Decimals, None) per row."""
    return [tuple(None if value is None or value != value else value for value in row)
            for row in frame[columns].itertuples(index=False, name=None)]


def _assert_same_rows(actual: list[tuple], expected: list[tuple], what: str) -> None:
    only_mart = Counter(actual) - Counter(expected)
    only_replay = Counter(expected) - Counter(actual)
    assert not only_mart and not only_replay, (
        f"{what}: {len(actual)} mart rows, {len(expected)} replayed; "
        f"{sum(only_mart.values())} only in the mart, e.g. {sorted(only_mart, key=repr)[:8]}; "
        f"{sum(only_replay.values())} only in the replay, e.g. {sorted(only_replay, key=repr)[:8]}"
    )


def test_tier_history_equals_an_independent_day_by_day_replay(tiny_build, replayed):
    project, truth = tiny_build
    expected = replayed.tier_history
    actual = project.query(f"select {', '.join(HISTORY_COLUMNS)} from marts.fct_member_tier_history")

    # the replay is not trivial: every kind of change, in both schemes, for many members
    changes = Counter(zip(expected["scheme_name"], expected["change_direction"], expected["change_cause"]))
    for scheme in ("by_purchase_count", "by_net_spend"):
        for direction, cause, at_least in [("first", "purchase", 1000), ("up", "purchase", 100),
                                           ("down", "refund", 10), ("lapse", "lapse", 100),
                                           ("lapse", "refund", 10), ("return", "purchase", 10)]:
            assert changes[(scheme, direction, cause)] >= at_least, (scheme, direction, cause)
    assert set(changes) <= {(scheme, direction, cause) for scheme in ("by_purchase_count", "by_net_spend")
                            for direction, cause in [("first", "purchase"), ("up", "purchase"), ("down", "refund"),
                                                     ("lapse", "lapse"), ("lapse", "refund"),
                                                     ("return", "purchase")]}

    _assert_same_rows(actual, _rows(expected, HISTORY_COLUMNS), "fct_member_tier_history")
    (as_of,), = project.query("select distinct as_of_date from marts.fct_member_tier_history")
    assert as_of == date.fromisoformat(truth["as_of_date"])


def test_points_ledger_and_balance_equal_an_independent_event_by_event_replay(tiny_build, replayed):
    project, truth = tiny_build
    ledger, balance = replayed.ledger, replayed.balance

    # the replay is not trivial
    types = Counter(ledger["movement_type"])
    assert types["purchase_earned"] > 1000 and types["event_earned"] > 1000
    assert types["purchase_reversed"] > 10 and types["lapse_expired"] > 10 and types["event_spent"] > 5
    assert (ledger["shortfall_points"] > 0).sum() >= 3
    assert (ledger["is_birthday_month"] & (ledger["movement_type"] == "purchase_earned")).sum() > 10
    assert (ledger["duplicate_request_rows"] > 0).sum() >= 3

    actual = project.query(f"select {', '.join(LEDGER_COLUMNS)} from marts.fct_member_points_ledger")
    _assert_same_rows(actual, _rows(ledger, LEDGER_COLUMNS), "fct_member_points_ledger")

    actual_balance = [(shop, member, *map(int, numbers), as_of) for shop, member, *numbers, as_of in project.query(
        f"select {', '.join(BALANCE_COLUMNS)}, as_of_date from marts.fct_member_points_balance")]
    # members without a movement, if the mart lists them at all, have nothing
    assert all(row[2:-1] == (0,) * 7 for row in actual_balance if row[-2] == 0)
    assert {row[-1] for row in actual_balance} == {date.fromisoformat(truth["as_of_date"])}
    _assert_same_rows([row[:-1] for row in actual_balance if row[-2] > 0], _rows(balance, BALANCE_COLUMNS),
                      "fct_member_points_balance")

    # ground truth: planted redemptions above everything earned are short; retried requests count once
    short = {(shop, request): shortfall for shop, request, shortfall in project.query(
        "select shop_id, request_id, shortfall_points from marts.fct_member_points_ledger where request_id is not null")}
    assert truth["overdrawn_redemptions"]
    for row in truth["overdrawn_redemptions"]:
        assert short[(row["shop_id"], row["request_id"])] > 0, row
    folded = {(shop, request): rows for shop, request, rows in project.query(
        "select shop_id, request_id, duplicate_request_rows from marts.fct_member_points_ledger "
        "where duplicate_request_rows > 0")}
    assert folded == {(row["shop_id"], row["request_id"]): row["rows"] - 1 for row in truth["duplicate_request_ids"]}


def test_ground_truth_lapsed_members_are_lapsed_and_every_other_lapse_is_explained(tiny_build, tiny_raw, replayed):
    """Ground truth `lapsed_members`: no valid purchase in the 365 days up to
    as_of_date (as_of_date - last purchase > 365). The marts lapse one day
    earlier too (exactly 365 days: the lapse day is as_of_date itself) and
    lapse members whose purchases were all refunded in full."""
    project, truth = tiny_build
    raw_path, _ = tiny_raw
    as_of = date.fromisoformat(truth["as_of_date"])
    listed = {(row["shop_id"], row["member_id"]) for row in truth["lapsed_members"]}
    assert len(listed) > 100
    current = project.query("select shop_id, member_id, scheme_name, tier_name "
                            "from marts.fct_member_tier_history where is_current")
    lapsed = {scheme: {(shop, member) for shop, member, name, tier in current if name == scheme and tier == "lapsed"}
              for scheme in ("by_purchase_count", "by_net_spend")}
    for scheme, members in lapsed.items():
        assert listed <= members, (scheme, sorted(listed - members)[:10])

    orders = expected_fct_orders(raw_path, truth["as_of_date"], EARLIEST, _latest(truth))
    valid = orders[orders["is_valid_purchase"]]
    last_purchase = {key: stamp.date() for key, stamp in valid.groupby(["shop_id", "member_id"])["ordered_at"].max().items()}
    exactly, refunded = set(), set()
    for key in lapsed["by_net_spend"] | lapsed["by_purchase_count"]:
        if key in listed:
            continue
        if key in last_purchase:
            assert as_of - last_purchase[key] == timedelta(days=LAPSE_DAYS), (key, last_purchase[key])
            exactly.add(key)
        else:
            bought = replayed.orders.get(key, [])
            assert bought and all(order.is_full_refund for order in bought), key
            refunded.add(key)
    assert lapsed["by_net_spend"] == lapsed["by_purchase_count"] == listed | exactly | refunded
    assert refunded


def test_ground_truth_refund_downgrades_are_refund_changes(tiny_build, replayed):
    """Ground truth `refund_downgrades`: keep-style cumulative net spend (no
    lapse) falls below 100/500/1000 on a refund day. The spend tiers have the
    same bounds, so by_net_spend changes down (or lapses) that day, caused by
    the refund. With `restart` spend differs after a lapse, so a row may be
    missing only when the member lapsed before its refund date."""
    project, truth = tiny_build
    changes = {(shop, member, day): (direction, cause) for shop, member, day, direction, cause in project.query(
        "select shop_id, member_id, change_date, change_direction, change_cause "
        "from marts.fct_member_tier_changes where scheme_name = 'by_net_spend'")}
    rows = truth["refund_downgrades"]
    assert sum(row["planted"] for row in rows) >= 1
    for row in rows:
        key = (row["shop_id"], row["member_id"])
        refund_date = date.fromisoformat(row["refund_date"])
        change = changes.get(key + (refund_date,))
        found = change is not None and change[1] == "refund" and change[0] in ("down", "lapse")
        if row["planted"]:
            assert found, (row, change)
        elif not found:
            assert any(day < refund_date for day, _ in replayed.lapses[key]), (row, change)


OTHER_RULES = {"member_analytics__tiers__lapse_days": 120, "member_analytics__tiers__counters_after_lapse": "keep",
               "member_analytics__points__yuan_per_point": 7, "member_analytics__points__birthday_multiplier": 3}


def test_other_rules_set_by_vars_equal_the_replay_with_the_same_rules(tmp_path_factory, tiny_raw):
    """The rules are vars, not constants: a 120-day lapse, counters kept across
    lapses, 7 yuan per point and a triple birthday month, built and replayed."""
    from .conftest import DbtProject

    raw_path, truth = tiny_raw
    project = DbtProject(tmp_path_factory.mktemp("tiers_other_rules"), raw_path)
    # models, seeds and data tests, not the unit tests: those test the models' code on fixed
    # inputs, whatever the raw data or these vars, and tiny_build runs every one of them once
    project.dbt("build", "--select", "+fct_member_tier_history", "+fct_member_points_balance", "--indirect-selection", "cautious",
                *NO_UNIT_TESTS, vars={**build_vars(truth), **OTHER_RULES})
    replayed = replay(raw_path, truth["as_of_date"], EARLIEST, _latest(truth), lapse_days=120,
                      counters_after_lapse="keep", yuan_per_point=7, birthday_multiplier=3)
    history = replayed.tier_history
    # the shorter lapse makes many more lapses and returns than the default sample has
    assert (history["change_direction"] == "return").sum() > 100
    _assert_same_rows(project.query(f"select {', '.join(HISTORY_COLUMNS)} from marts.fct_member_tier_history"),
                      _rows(history, HISTORY_COLUMNS), "fct_member_tier_history (other rules)")
    _assert_same_rows(project.query(f"select {', '.join(LEDGER_COLUMNS)} from marts.fct_member_points_ledger"),
                      _rows(replayed.ledger, LEDGER_COLUMNS), "fct_member_points_ledger (other rules)")
