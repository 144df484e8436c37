"""The lifecycle history, its changes and the monthly flow (issue 24 part 3,
docs/decisions/0125) on the tiny sample, against an independent recomputation
from the raw files (reference_lifecycle.py): every row of
fct_member_lifecycle_history, fct_member_lifecycle_changes and
rpt_lifecycle_flow. Reads the session's tiny build; builds nothing."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from .conftest import ROOT, build_vars
from .reference_lifecycle import STAGE_ORDER, recompute

pytestmark = pytest.mark.dbt

EARLIEST = "1990-01-01"


def _rules() -> dict:
    """The lifecycle vars as dbt_project.yml sets them (the tiny build overrides none)."""
    project_vars = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    return {name: int(project_vars[f"member_analytics__lifecycle__{name}"])
            for name in ("new_buyer_window_days", "loyal_window_days", "loyal_min_purchase_days")}


@pytest.fixture(scope="module")
def expected(tiny_raw):
    raw_path, truth = tiny_raw
    return recompute(raw_path, truth["as_of_date"], EARLIEST,
                     build_vars(truth)["member_analytics__validation__latest_valid_date"], _rules())


def _diff(got: list[tuple], want: list[tuple]) -> str:
    extra, missing = Counter(got) - Counter(want), Counter(want) - Counter(got)
    return f"{sum(extra.values())} rows only in the mart, e.g. {list(extra)[:3]}; " \
           f"{sum(missing.values())} only in the reference, e.g. {list(missing)[:3]}"


def test_history_equals_the_reference_row_for_row(tiny_build, expected):
    project, truth = tiny_build
    got = sorted(project.query("""
        select shop_id, member_id, snapshot_date, lifecycle_stage, number_of_purchase_days,
            purchase_days_in_loyal_window, has_favorite_or_cart, first_purchase_date
        from marts.fct_member_lifecycle_history"""))
    assert len(got) > 10_000 and got == expected["history"], _diff(got, expected["history"])
    # the rest of each row follows from the stage and the dates
    (bad,) = project.query(f"""
        select count(*) from marts.fct_member_lifecycle_history
        where stage_order <> case lifecycle_stage {' '.join(f"when '{s}' then {o}" for s, o in STAGE_ORDER.items())} end
            or is_as_of_date <> (snapshot_date = as_of_date)
            or as_of_date <> date '{truth["as_of_date"]}'
            or is_partial_month <> (snapshot_date = as_of_date and last_day(as_of_date) <> as_of_date)""")[0]
    assert bad == 0


def test_changes_equal_the_reference_row_for_row(tiny_build, expected):
    project, _ = tiny_build
    got = sorted(project.query("""
        select shop_id, member_id, snapshot_date, change_type, previous_stage, lifecycle_stage, previous_snapshot_date
        from marts.fct_member_lifecycle_changes"""))
    assert got == expected["changes"], _diff(got, expected["changes"])
    kinds = Counter(row[3] for row in got)
    # the tiny sample walks the main path and both ways back
    for kind in ["first_seen", "first_interest", "first_purchase", "became_repeat", "became_loyal", "fell_asleep",
                 "came_back", "left_loyal"]:
        assert kinds[kind] > 0, (kind, kinds)


def test_flow_equals_the_reference_and_sums_to_the_stage_counts(tiny_build, expected):
    project, truth = tiny_build
    got = sorted(project.query("""
        select shop_id, snapshot_date, from_stage, to_stage, members, is_change, previous_snapshot_date
        from marts.rpt_lifecycle_flow"""))
    assert got == expected["flow"], _diff(got, expected["flow"])
    # at as_of_date the flow's arrivals are fct_member_lifecycle's stage counts
    arrivals = Counter()
    for shop_id, snapshot, _, to_stage, members, _, _ in got:
        if str(snapshot) == truth["as_of_date"]:
            arrivals[(shop_id, to_stage)] += members
    current = {(shop_id, stage): members for shop_id, stage, members in project.query(
        "select shop_id, lifecycle_stage, count(*) from marts.fct_member_lifecycle group by all")}
    assert dict(arrivals) == current
