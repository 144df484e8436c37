"""An independent pandas/Python recomputation of the lifecycle history, its
changes and the monthly flow (docs/decisions/0012, 0125) from the raw files.

It reads the raw files only, through the existing references (orders:
reference.py; members, first-seen dates, behaviour events and the month
spine: reference_activity.py), and walks each member's sorted purchase days at
every snapshot with bisect, where the SQL is set-based (running sums over
count changes). Choices, as the decision record states them:
- a purchase is valid as fct_orders says at as_of_date (refunds dated up to
  as_of_date applied), at every snapshot;
- a purchase day p is in the loyal window ending on d when 0 <= d - p < L;
- snapshots: the month spine (from the month of the first kept order placed
  on or before as_of_date, over every shop) from the member's first-seen date,
  and as_of_date for every member;
- a member's first snapshot is a change from nothing; the flow's newcomers
  come from `none`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pandas as pd

from .reference import expected_fct_orders, kept_orders
from .reference_activity import expected_dim_members, kept_behavior_events, snapshot_dates

INTEREST_TYPES = {"favorite", "cart", "favorite_shop"}
STAGE_ORDER = {"registered": 1, "potential": 2, "new": 3, "sleeping": 4, "repeat": 5, "loyal": 6}


def stage(days: list[date], first_interest: date | None, snapshot: date, rules: dict) -> tuple[str, int, int]:
    """(stage, purchase days to date, purchase days in the loyal window) at the end of `snapshot`."""
    upto = days[:bisect_right(days, snapshot)]
    in_window = sum(1 for day in upto if (snapshot - day).days < rules["loyal_window_days"])
    if upto and in_window >= rules["loyal_min_purchase_days"]:
        name = "loyal"
    elif len(upto) >= 2:
        name = "repeat"
    elif len(upto) == 1:
        name = "new" if (snapshot - upto[0]).days <= rules["new_buyer_window_days"] else "sleeping"
    elif first_interest is not None and first_interest <= snapshot:
        name = "potential"
    else:
        name = "registered"
    return name, len(upto), in_window


def change_type(previous: str | None, current: str) -> str:
    """The kind of move, as docs/decisions/0125 lists them (first match wins)."""
    if previous is None and current == "registered":
        return "first_seen"
    if current == "potential":
        return "first_interest"
    if previous == "sleeping" and current in ("repeat", "loyal"):
        return "came_back"
    if current == "loyal":
        return "became_loyal"
    if previous == "loyal":
        return "left_loyal"
    if current == "repeat":
        return "became_repeat"
    if previous == "new" and current == "sleeping":
        return "fell_asleep"
    return "first_purchase"


def recompute(raw_path: Path, as_of_date: str, earliest: str, latest: str, rules: dict) -> dict[str, list[tuple]]:
    """The three marts' rows as sorted tuples:
    history (shop, member, snapshot, stage, purchase days, in window, has interest, first purchase),
    changes (shop, member, snapshot, change_type, previous stage, stage, previous snapshot),
    flow (shop, snapshot, from, to, members, is_change, previous snapshot)."""
    as_of = date.fromisoformat(as_of_date)
    orders_kept = kept_orders(Path(raw_path), earliest, latest)
    orders = expected_fct_orders(Path(raw_path), as_of_date, earliest, latest)
    behavior = kept_behavior_events(Path(raw_path), earliest, latest)
    members = expected_dim_members(Path(raw_path), earliest, latest, orders=orders_kept, behavior=behavior)

    purchase_days: dict[tuple[str, str], list[date]] = defaultdict(list)
    valid = orders[orders["is_valid_purchase"]]
    for shop_id, member_id, ordered_at in valid[["shop_id", "member_id", "ordered_at"]].itertuples(index=False):
        purchase_days[(shop_id, member_id)].append(pd.Timestamp(ordered_at).date())
    purchase_days = {key: sorted(set(days)) for key, days in purchase_days.items()}

    first_interest: dict[tuple[str, str], date] = {}
    interest = behavior[behavior["event_type"].isin(INTEREST_TYPES)]
    for shop_id, member_id, occurred_at in interest[["shop_id", "member_id", "occurred_at"]].itertuples(index=False):
        day = pd.Timestamp(occurred_at).date()
        if day <= as_of and ((shop_id, member_id) not in first_interest or day < first_interest[(shop_id, member_id)]):
            first_interest[(shop_id, member_id)] = day

    calendar = sorted(set(snapshot_dates(orders_kept, as_of_date)) | {as_of})
    previous_of = {day: (calendar[index - 1] if index else None) for index, day in enumerate(calendar)}

    history, changes, flow = [], [], Counter()
    for shop_id, member_id, first_seen in members[["shop_id", "member_id", "first_seen_date"]].itertuples(index=False):
        key = (shop_id, member_id)
        seen = None if first_seen is None or pd.isna(first_seen) else first_seen
        snapshots = [day for day in calendar if day == as_of or (seen is not None and day >= seen)]
        days, interest_day = purchase_days.get(key, []), first_interest.get(key)
        previous_stage, previous_snapshot = None, None
        for snapshot in snapshots:
            name, to_date, in_window = stage(days, interest_day, snapshot, rules)
            history.append((shop_id, member_id, snapshot, name, to_date, in_window,
                            interest_day is not None and interest_day <= snapshot, days[0] if to_date else None))
            if previous_stage != name:
                changes.append((shop_id, member_id, snapshot, change_type(previous_stage, name), previous_stage,
                                name, previous_snapshot))
            flow[(shop_id, snapshot, previous_stage or "none", name)] += 1
            previous_stage, previous_snapshot = name, snapshot
    flow_rows = [(shop_id, snapshot, source_stage, target_stage, members, source_stage != target_stage,
                  previous_of[snapshot])
                 for (shop_id, snapshot, source_stage, target_stage), members in flow.items()]
    return {"history": sorted(history), "changes": sorted(changes), "flow": sorted(flow_rows)}
