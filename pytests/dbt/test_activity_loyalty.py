"""Activity levels, loyalty levels and the activity x loyalty matrix (decision
0040) on the generator's tiny dataset: compared row by row and column by column
with an independent recomputation from the raw files (reference_activity.py
walks each member's sorted visit days; the SQL is set-based), and with the
generator's ground truth (`quiet_members`).

Where the decision leaves room the recomputation chooses (details in its
docstring): "the N days ending on D" are D - N + 1 .. D; the history's
snapshots are one month spine for all shops (int_months_spined: from the month
of the first kept order placed on or before as_of_date); a drop needs a ranked
level at both snapshots; share_of_net_revenue is null when the shop's net
revenue in the window is 0.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from .conftest import build_vars
from .reference_activity import LEVELS, recompute

pytestmark = pytest.mark.dbt

EARLIEST = "1990-01-01"
ACTIVITY_COLUMNS = ["shop_id", "member_id", "as_of_date", "membership_start_date", "days_since_membership_start",
                    "visit_days_in_window", "first_visit_date", "last_visit_date", "days_since_last_visit",
                    "total_visit_days", "typical_visit_cycle_days", "overdue_factor", "activity_level",
                    "activity_group", "activity_level_rank"]
HISTORY_COLUMNS = ["shop_id", "member_id", "snapshot_date", "activity_level", "visit_days_in_window",
                   "days_since_last_visit", "days_since_membership_start", "last_visit_date", "activity_group",
                   "activity_level_rank"]
DROP_COLUMNS = ["shop_id", "member_id", "snapshot_date", "previous_snapshot_date", "from_activity_level",
                "to_activity_level", "levels_fallen", "days_since_last_visit", "last_visit_date"]
LOYALTY_COLUMNS = ["shop_id", "member_id", "as_of_date", "purchases_in_window", "purchase_days_in_window",
                   "net_revenue_in_window", "lifetime_purchases", "loyalty_level"]
MATRIX_COLUMNS = ["shop_id", "activity_group", "loyalty_level", "cell_name", "members", "net_revenue_in_window", "diagnosis",
                  "suggested_action"]
SHARE_COLUMNS = ["share_of_members", "share_of_net_revenue"]
MEMBER_COLUMNS = ["shop_id", "member_id", "registered_date", "first_seen_date"]

DATE_COLUMNS = {"as_of_date", "membership_start_date", "first_visit_date", "last_visit_date", "snapshot_date",
                "previous_snapshot_date", "registered_date", "first_seen_date"}
INT_COLUMNS = {"days_since_membership_start", "visit_days_in_window", "days_since_last_visit", "total_visit_days",
               "purchases_in_window", "purchase_days_in_window", "lifetime_purchases", "members",
               "activity_level_rank", "levels_fallen"}
DECIMAL_COLUMNS = {"typical_visit_cycle_days": "DECIMAL(10,1)", "overdue_factor": "DECIMAL(10,2)",
                   "net_revenue_in_window": "DECIMAL(38,2)"}  # a sum: decimal(38,2) (decision 0005)


def _latest(truth: dict) -> str:
    return build_vars(truth)["member_analytics__validation__latest_valid_date"]


@pytest.fixture(scope="module")
def recomputed(tiny_raw):
    raw_path, truth = tiny_raw
    return recompute(raw_path, truth["as_of_date"], EARLIEST, _latest(truth))


def _plain(column: str, value):
    """One value as plain Python (None, date, int, Decimal, str), whichever side it comes from."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if column in DATE_COLUMNS:
        return pd.Timestamp(value).date()
    if column in INT_COLUMNS:
        return int(value)
    if column in DECIMAL_COLUMNS:
        return Decimal(str(value))
    return value


def _rows(records, columns: list[str]) -> list[tuple]:
    return [tuple(_plain(column, value) for column, value in zip(columns, record)) for record in records]


def _frame_rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return _rows(frame[columns].itertuples(index=False, name=None), columns)


def _mart_rows(project, table: str, columns: list[str]) -> list[tuple]:
    return _rows(project.query(f"select {', '.join(columns)} from {table}"), columns)


def _assert_same(actual: list[tuple], expected: list[tuple], columns: list[str], key_size: int, what: str) -> None:
    """Same keys (unique on both sides) and the same value in every column, with
    per-column counts and examples of the differences when not."""
    def keyed(rows, side):
        counts = Counter(row[:key_size] for row in rows)
        repeated = [key for key, count in counts.items() if count > 1]
        assert not repeated, f"{what}: {len(repeated)} keys repeated in the {side}, e.g. {sorted(repeated)[:5]}"
        return {row[:key_size]: row for row in rows}

    mart, reference = keyed(actual, "mart"), keyed(expected, "recomputation")
    problems = []
    only_mart, only_reference = sorted(set(mart) - set(reference)), sorted(set(reference) - set(mart))
    if only_mart:
        problems.append(f"{len(only_mart)} keys only in the mart, e.g. {[mart[key] for key in only_mart[:5]]}")
    if only_reference:
        problems.append(f"{len(only_reference)} keys only in the recomputation, "
                        f"e.g. {[reference[key] for key in only_reference[:5]]}")
    common = sorted(set(mart) & set(reference))
    for index, column in enumerate(columns[key_size:], start=key_size):
        differing = [key for key in common if mart[key][index] != reference[key][index]]
        if differing:
            examples = [(key, mart[key][index], reference[key][index]) for key in differing[:5]]
            problems.append(f"{column}: {len(differing)} of {len(common)} rows differ, "
                            f"e.g. (key, mart, recomputation) {examples}")
    assert not problems, f"{what} ({len(mart)} mart rows, {len(reference)} recomputed):\n  " + "\n  ".join(problems)


def _assert_decimal_types(project, table: str, columns: list[str]) -> None:
    types = dict(project.query(
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = 'marts' and table_name = '{table}'"))
    for column in columns:
        assert types.get(column) == DECIMAL_COLUMNS[column], (table, column, types.get(column))


def test_dim_members_population_and_dates_equal_the_recomputation(tiny_build, recomputed):
    """The population every mart below is measured on: registered members,
    buyers (any kept order) and actors of kept events, whatever their date."""
    project, _ = tiny_build
    members = recomputed.members
    assert len(members) > 2000 and members["registered_date"].isna().sum() > 500  # buyers/actors without a row
    _assert_same(_mart_rows(project, "marts.dim_members", MEMBER_COLUMNS), _frame_rows(members, MEMBER_COLUMNS),
                 MEMBER_COLUMNS, 2, "dim_members")


def test_fct_member_activity_equals_the_recomputation(tiny_build, recomputed):
    project, truth = tiny_build
    expected = recomputed.activity

    # the recomputation is not trivial: every level, half-day cycles, overdue members
    levels = Counter(expected["activity_level"])
    for level, at_least in {"excited": 50, "active": 200, "inert": 100, "dormant": 1000,
                            "not_yet_visited": 5}.items():
        assert levels[level] >= at_least, (level, levels)
    assert set(levels) == set(LEVELS)
    cycles = [value for value in expected["typical_visit_cycle_days"] if value is not None]
    assert len(cycles) > 1000 and sum(value % 1 == Decimal("0.5") for value in cycles) > 50
    assert sum(value is not None and value >= 3 for value in expected["overdue_factor"]) > 100
    assert (expected["days_since_membership_start"] < 0).sum() >= 1  # registered after as_of_date

    actual = _mart_rows(project, "marts.fct_member_activity", ACTIVITY_COLUMNS)
    _assert_same(actual, _frame_rows(expected, ACTIVITY_COLUMNS), ACTIVITY_COLUMNS, 2, "fct_member_activity")
    _assert_decimal_types(project, "fct_member_activity", ["typical_visit_cycle_days", "overdue_factor"])
    # every column of the mart was compared
    assert [name for (name,) in project.query(
        "select column_name from information_schema.columns where table_schema = 'marts' "
        "and table_name = 'fct_member_activity' order by ordinal_position")] == ACTIVITY_COLUMNS
    # every member of dim_members, once
    assert sorted(row[:2] for row in actual) == sorted(project.query("select shop_id, member_id from marts.dim_members"))
    assert {row[2] for row in actual} == {date.fromisoformat(truth["as_of_date"])}


def test_activity_history_and_drops_equal_the_recomputation(tiny_build, recomputed):
    project, _ = tiny_build
    history, drops = recomputed.history, recomputed.drops

    # the recomputation is not trivial
    assert len(recomputed.snapshots) >= 24 and len(history) > 20000
    assert set(history["activity_level"]) == set(LEVELS)
    kinds = Counter(zip(drops["from_activity_level"], drops["to_activity_level"]))
    for kind, at_least in {("excited", "active"): 100, ("excited", "inert"): 20, ("active", "inert"): 1000,
                           ("inert", "dormant"): 1000}.items():
        assert kinds[kind] >= at_least, (kind, kinds)

    actual_snapshots = sorted(day for (day,) in project.query(
        "select distinct snapshot_date from marts.fct_member_activity_history"))
    assert actual_snapshots == recomputed.snapshots, (actual_snapshots[:3], actual_snapshots[-3:],
                                                      recomputed.snapshots[:3], recomputed.snapshots[-3:])
    _assert_same(_mart_rows(project, "marts.fct_member_activity_history", HISTORY_COLUMNS),
                 _frame_rows(history, HISTORY_COLUMNS), HISTORY_COLUMNS, 3, "fct_member_activity_history")
    _assert_same(_mart_rows(project, "marts.fct_member_activity_drops", DROP_COLUMNS),
                 _frame_rows(drops, DROP_COLUMNS), DROP_COLUMNS, 3, "fct_member_activity_drops")


def test_loyalty_and_the_matrix_equal_the_recomputation(tiny_build, recomputed):
    project, truth = tiny_build
    loyalty, matrix = recomputed.loyalty, recomputed.matrix

    # the recomputation is not trivial: both levels, and one-day baskets of several orders stay low
    levels = Counter(loyalty["loyalty_level"])
    assert levels["high"] >= 200 and levels["low"] >= 1000, levels
    assert ((loyalty["purchases_in_window"] >= 2) & (loyalty["purchase_days_in_window"] < 2)).sum() >= 1
    assert ((loyalty["lifetime_purchases"] > 0) & (loyalty["purchases_in_window"] == 0)).sum() >= 100

    actual = _mart_rows(project, "marts.fct_member_loyalty", LOYALTY_COLUMNS)
    _assert_same(actual, _frame_rows(loyalty, LOYALTY_COLUMNS), LOYALTY_COLUMNS, 2, "fct_member_loyalty")
    _assert_decimal_types(project, "fct_member_loyalty", ["net_revenue_in_window"])
    assert sorted(row[:2] for row in actual) == sorted(project.query("select shop_id, member_id from marts.dim_members"))
    assert {row[2] for row in actual} == {date.fromisoformat(truth["as_of_date"])}

    # the matrix: every shop has its four cells, also when empty
    assert len(matrix) == 4 * len(truth["shops"]) and (matrix["members"] > 0).all()
    actual_matrix = _mart_rows(project, "marts.rpt_activity_loyalty_matrix", MATRIX_COLUMNS)
    _assert_same(actual_matrix, _frame_rows(matrix, MATRIX_COLUMNS), MATRIX_COLUMNS, 3, "rpt_activity_loyalty_matrix")
    shares = {tuple(row[:3]): row[3:] for row in project.query(
        f"select shop_id, activity_group, loyalty_level, {', '.join(SHARE_COLUMNS)} "
        "from marts.rpt_activity_loyalty_matrix")}
    for row in matrix.to_dict("records"):
        key = (row["shop_id"], row["activity_group"], row["loyalty_level"])
        for column, value in zip(SHARE_COLUMNS, shares[key]):
            wanted = row[column]
            assert (value is None) == (wanted is None), (key, column, value, wanted)
            if wanted is not None:
                assert abs(float(value) - wanted) <= 1e-9, (key, column, value, wanted)
    # the cells of a shop sum to its members in dim_members
    shop_members = dict(project.query("select shop_id, count(*) from marts.dim_members group by shop_id"))
    cells = Counter()
    for shop_id, _, _, _, members, *_ in actual_matrix:
        cells[shop_id] += members
    assert dict(cells) == shop_members


def test_ground_truth_quiet_members_drop_after_their_last_visit(tiny_build):
    """Ground truth `quiet_members`: last visit (a day with a behaviour event)
    30-180 days before as_of_date after >= 20 visit days in the 90 days up to
    it. Those whose last visit is 31 or more days before as_of_date are past
    the active range: each has a drop dated after the last visit and is inert
    or dormant now. Their last visit in the mart is the listed one (they stop
    ordering when they stop visiting; orders would only make it later)."""
    project, truth = tiny_build
    as_of = date.fromisoformat(truth["as_of_date"])
    listed = [row for row in truth["quiet_members"]
              if (as_of - date.fromisoformat(row["last_visit_date"])).days >= 31]
    assert len(listed) >= 5
    drops = {}
    for shop_id, member_id, snapshot, level in project.query(
            "select shop_id, member_id, snapshot_date, to_activity_level from marts.fct_member_activity_drops"):
        drops.setdefault((shop_id, member_id), []).append((snapshot, level))
    now = {(shop_id, member_id): (level, last) for shop_id, member_id, level, last in project.query(
        "select shop_id, member_id, activity_level, last_visit_date from marts.fct_member_activity")}
    for row in listed:
        key = (row["shop_id"], row["member_id"])
        last_visit = date.fromisoformat(row["last_visit_date"])
        assert key in now, row
        level, mart_last_visit = now[key]
        assert mart_last_visit == last_visit, (row, mart_last_visit)
        assert level in ("inert", "dormant"), (row, level)
        later = [drop for drop in drops.get(key, []) if drop[0] > last_visit]
        assert later, (row, sorted(drops.get(key, [])))
