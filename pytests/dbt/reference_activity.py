"""An independent pandas/Python recomputation of activity levels, loyalty
levels and the activity x loyalty matrix (decision 0040) from the raw files.

It reads the raw files only and applies docs/raw_data_contract.md and
docs/decisions/0040-activity-and-loyalty.md without looking at the SQL:
- orders come from reference.py (kept_orders, expected_fct_orders);
- members and points events come from reference_tiers.py (kept_members,
  kept_points_events);
- behaviour and service events are parsed here.
The SQL is set-based (window counts, a median aggregate, a month spine joined
to members); this module walks each member's sorted visit days with bisect.

Choices where the decision leaves room (see also the test module):
- "the N days ending on D" is D - N + 1 .. D (both ends included), for the
  visit window and the loyalty window alike;
- the history's snapshots are one spine for all shops, as int_months_spined:
  every month end from the month of the first kept order placed on or before
  as_of_date (over every shop) up to the month of as_of_date, whose own
  snapshot is as_of_date;
- a member with no start (a members row without registered_at, no order and no
  event: impossible to tell when they joined) is dormant when never visited
  and is in no history snapshot; the sample has none;
- a drop needs a rank at both snapshots: from or to `not_yet_visited` is never
  a drop (and a member cannot go back to not_yet_visited anyway);
- share_of_net_revenue is None when the shop's net revenue in the window is 0.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd

from .reference import expected_fct_orders, kept_orders
from .reference_tiers import BAD, _raw_table, kept_members, kept_points_events, parse_integer, parse_timestamp
from .reference_tiers import _clean

ROOT = Path(__file__).resolve().parents[2]

BEHAVIOR_TYPES = {"view", "favorite", "cart", "favorite_shop", "check_in", "game", "survey", "vote", "share"}
SERVICE_TYPES = {"cancel", "reject", "return", "exchange", "complaint", "review", "suggestion", "referral"}

ACTIVITY_DEFAULTS = {
    "window_days": 30,
    "not_yet_visited_max_days": 30,
    "dormant_min_days": 90,
    "excited_max_days": 7,
    "excited_min_visit_days": 4,
    "active_max_days": 30,
}
LOYALTY_DEFAULTS = {
    "window_days": 365,
    "high_min_purchases": 2,
    "high_min_purchase_days": 2,
}
LEVEL_RANKS = {"excited": 4, "active": 3, "inert": 2, "dormant": 1, "not_yet_visited": None}
LEVEL_GROUPS = {"excited": "high", "active": "high", "inert": "low", "dormant": "low", "not_yet_visited": "low"}
LEVELS = tuple(LEVEL_RANKS)


# --------------------------------------------------------------------------- raw events
def _in_window(stamp, earliest: str, latest: str) -> bool:
    return date.fromisoformat(earliest) <= stamp.date() <= date.fromisoformat(latest)


def kept_behavior_events(raw_path: Path, earliest: str, latest: str) -> pd.DataFrame:
    """Kept behavior_events rows: shop_id, member_id, event_type, occurred_at (datetime)."""
    columns = ["shop_id", "member_id", "event_type", "occurred_at", "product_id", "session_id"]
    raw = _raw_table(Path(raw_path), "behavior_events", columns)
    kept = []
    for record in ([] if raw is None else raw.to_dict("records")):
        shop_id, member_id = _clean(record["shop_id"]), _clean(record["member_id"])
        event_type = (_clean(record["event_type"]) or "").lower() or None
        occurred_at = parse_timestamp(record["occurred_at"])
        if shop_id is None or member_id is None:
            continue  # missing_key
        if occurred_at is None:
            continue  # missing_value
        if occurred_at is BAD:
            continue  # bad_type
        if event_type not in BEHAVIOR_TYPES:
            continue  # unknown_code
        if not _in_window(occurred_at, earliest, latest):
            continue  # date_before_earliest / date_after_latest
        kept.append((shop_id, member_id, event_type, occurred_at))
    return pd.DataFrame(kept, columns=["shop_id", "member_id", "event_type", "occurred_at"])


def kept_service_events(raw_path: Path, earliest: str, latest: str) -> pd.DataFrame:
    """Kept service_events rows: row rules, then a non-empty event_id shared by
    two or more different rule-passing rows rejects all of them."""
    columns = ["shop_id", "event_id", "member_id", "event_type", "occurred_at", "order_id", "product_id",
               "rating", "resolved_at"]
    raw = _raw_table(Path(raw_path), "service_events", columns)
    candidates = []
    for record in ([] if raw is None else raw.to_dict("records")):
        shop_id, member_id = _clean(record["shop_id"]), _clean(record["member_id"])
        event_type = (_clean(record["event_type"]) or "").lower() or None
        occurred_at = parse_timestamp(record["occurred_at"])
        resolved_at = parse_timestamp(record["resolved_at"])
        rating = parse_integer(record["rating"])
        if shop_id is None or member_id is None:
            continue  # missing_key
        if occurred_at is None:
            continue  # missing_value
        if BAD in (occurred_at, resolved_at, rating):
            continue  # bad_type
        if event_type not in SERVICE_TYPES:
            continue  # unknown_code
        if rating is not None and not 1 <= rating <= 5:
            continue  # out_of_range
        if not _in_window(occurred_at, earliest, latest):
            continue  # date_before_earliest / date_after_latest
        candidates.append((shop_id, _clean(record["event_id"]), member_id, occurred_at))
    per_key = defaultdict(int)
    for shop_id, event_id, _, _ in candidates:
        if event_id is not None:
            per_key[(shop_id, event_id)] += 1
    kept = [(shop_id, member_id, occurred_at) for shop_id, event_id, member_id, occurred_at in candidates
            if event_id is None or per_key[(shop_id, event_id)] == 1]
    return pd.DataFrame(kept, columns=["shop_id", "member_id", "occurred_at"])


# --------------------------------------------------------------------------- members
def expected_dim_members(raw_path: Path, earliest: str, latest: str, orders: pd.DataFrame | None = None,
                         behavior: pd.DataFrame | None = None) -> pd.DataFrame:
    """dim_members' population and dates: registered members, buyers (any kept
    order) and actors of kept behaviour, service and points events (any date).
    Columns: shop_id, member_id, registered_date, first_seen_date, start_date."""
    raw_path = Path(raw_path)
    if orders is None:
        orders = kept_orders(raw_path, earliest, latest)
    if behavior is None:
        behavior = kept_behavior_events(raw_path, earliest, latest)
    registered = {(row["shop_id"], row["member_id"]): row["registered_at"]
                  for row in kept_members(raw_path, earliest, latest)}
    first_seen: dict[tuple[str, str], object] = {}

    def see(key, stamp):
        if stamp is None or pd.isna(stamp):
            return
        stamp = pd.Timestamp(stamp).to_pydatetime()
        if key not in first_seen or first_seen[key] is None or stamp < first_seen[key]:
            first_seen[key] = stamp

    for key, stamp in registered.items():
        first_seen.setdefault(key, None)
        see(key, stamp)
    if len(orders):
        for shop_id, member_id, stamp in orders[["shop_id", "member_id", "ordered_at"]].itertuples(index=False):
            first_seen.setdefault((shop_id, member_id), None)
            see((shop_id, member_id), stamp)
    service = kept_service_events(raw_path, earliest, latest)
    points = [(row["shop_id"], row["member_id"], row["occurred_at"])
              for row in kept_points_events(raw_path, earliest, latest)]
    for frame in (behavior[["shop_id", "member_id", "occurred_at"]].itertuples(index=False),
                  service.itertuples(index=False), points):
        for shop_id, member_id, stamp in frame:
            first_seen.setdefault((shop_id, member_id), None)
            see((shop_id, member_id), stamp)

    rows = []
    for (shop_id, member_id), seen in sorted(first_seen.items()):
        stamp = registered.get((shop_id, member_id))
        registered_date = stamp.date() if stamp is not None else None
        first_seen_date = seen.date() if seen is not None else None
        start = registered_date if registered_date is not None else first_seen_date
        rows.append((shop_id, member_id, registered_date, first_seen_date, start))
    return pd.DataFrame(rows, columns=["shop_id", "member_id", "registered_date", "first_seen_date", "start_date"])


# --------------------------------------------------------------------------- visits
def visit_days_by_member(orders: pd.DataFrame, behavior: pd.DataFrame) -> dict[tuple[str, str], list[date]]:
    """Per member, the sorted distinct days with a kept behaviour event or a kept
    order (any status, any date: callers cut at the snapshot)."""
    days = defaultdict(set)
    for frame, column in ((orders, "ordered_at"), (behavior, "occurred_at")):
        if not len(frame):
            continue
        for shop_id, member_id, stamp in frame[["shop_id", "member_id", column]].itertuples(index=False):
            days[(shop_id, member_id)].add(pd.Timestamp(stamp).date())
    return {key: sorted(values) for key, values in days.items()}


def _median_gap(days: list[date]) -> Decimal | None:
    """The exact median of the gaps between consecutive visit days (x.0 or x.5)."""
    if len(days) < 2:
        return None
    gaps = sorted((later - earlier).days for earlier, later in zip(days, days[1:]))
    middle = len(gaps) // 2
    doubled = 2 * gaps[middle] if len(gaps) % 2 else gaps[middle - 1] + gaps[middle]
    return Decimal(doubled) / 2


def _overdue(days_since: int | None, cycle: Decimal | None) -> Decimal | None:
    """days_since / cycle to two decimals, rounded half up (exact fractions)."""
    if days_since is None or cycle is None:
        return None
    ratio = Fraction(days_since) / Fraction(cycle)
    hundredths = (ratio * 100 * 2 + 1) // 2  # half up for a non-negative ratio
    return Decimal(int(hundredths)) / 100


def activity_level(days_since_last: int | None, visits_in_window: int, days_since_start: int | None,
                   window_days: int = 30, not_yet_visited_max_days: int = 30, dormant_min_days: int = 90,
                   excited_max_days: int = 7, excited_min_visit_days: int = 4, active_max_days: int = 30) -> str:
    """The first rule that applies, in the decision's order."""
    if days_since_last is None:
        if days_since_start is not None and days_since_start <= not_yet_visited_max_days:
            return "not_yet_visited"
        return "dormant"
    if days_since_last >= dormant_min_days:
        return "dormant"
    if days_since_last <= excited_max_days and visits_in_window >= excited_min_visit_days:
        return "excited"
    if days_since_last <= active_max_days:
        return "active"
    return "inert"


def measure(days: list[date], snapshot: date, start: date | None, rules: dict, with_cycle: bool = True) -> dict:
    """One member's visit measures and level on one snapshot date."""
    upto = bisect_right(days, snapshot)
    window_from = bisect_left(days, snapshot - timedelta(days=rules["window_days"] - 1))
    in_window = max(0, upto - window_from)
    last = days[upto - 1] if upto else None
    days_since_last = (snapshot - last).days if last else None
    days_since_start = (snapshot - start).days if start else None
    result = {
        "visit_days_in_window": in_window,
        "first_visit_date": days[0] if upto else None,
        "last_visit_date": last,
        "days_since_last_visit": days_since_last,
        "total_visit_days": upto,
        "activity_level": activity_level(days_since_last, in_window, days_since_start, **rules),
    }
    if with_cycle:
        cycle = _median_gap(days[:upto])
        result["typical_visit_cycle_days"] = cycle
        result["overdue_factor"] = _overdue(days_since_last, cycle)
    return result


def snapshot_dates(orders: pd.DataFrame, as_of_date: str) -> list[date]:
    """Month ends from the month of the first kept order placed on or before
    as_of_date (all shops) to the month of as_of_date; as_of_date itself for
    its own month."""
    as_of = date.fromisoformat(as_of_date)
    placed = [pd.Timestamp(stamp).date() for stamp in orders["ordered_at"]] if len(orders) else []
    placed = [day for day in placed if day <= as_of]
    if not placed:
        return []
    year, month = min(placed).year, min(placed).month
    snapshots = []
    while (year, month) <= (as_of.year, as_of.month):
        following = date(year + (month == 12), month % 12 + 1, 1)
        snapshots.append(min(following - timedelta(days=1), as_of))
        year, month = following.year, following.month
    return snapshots


# --------------------------------------------------------------------------- loyalty
def loyalty(valid_orders: dict, key: tuple[str, str], as_of: date, window_days: int = 365,
            high_min_purchases: int = 2, high_min_purchase_days: int = 2) -> dict:
    rows = valid_orders.get(key, [])
    window_from = as_of - timedelta(days=window_days - 1)
    in_window = [(day, net) for day, net in rows if window_from <= day <= as_of]
    purchases, purchase_days = len(in_window), len({day for day, _ in in_window})
    return {
        "purchases_in_window": purchases,
        "purchase_days_in_window": purchase_days,
        "net_revenue_in_window": sum((net for _, net in in_window), Decimal("0.00")),
        "lifetime_purchases": len(rows),
        "loyalty_level": "high" if purchases >= high_min_purchases and purchase_days >= high_min_purchase_days
        else "low",
    }


def read_diagnoses() -> pd.DataFrame:
    return pd.read_csv(ROOT / "seeds" / "activity_loyalty_diagnoses.csv", dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- all of it
@dataclass
class Recomputed:
    members: pd.DataFrame            # dim_members' population: registered/first-seen/start dates
    activity: pd.DataFrame           # like fct_member_activity
    history: pd.DataFrame            # like fct_member_activity_history
    drops: pd.DataFrame              # like fct_member_activity_drops
    loyalty: pd.DataFrame            # like fct_member_loyalty
    matrix: pd.DataFrame             # like rpt_activity_loyalty_matrix
    snapshots: list = field(default_factory=list)
    visit_days: dict = field(default_factory=dict)


def recompute(raw_path: Path, as_of_date: str, earliest: str, latest: str, activity_rules: dict | None = None,
              loyalty_rules: dict | None = None) -> Recomputed:
    """Every activity/loyalty mart of decision 0040 recomputed from the raw files."""
    raw_path = Path(raw_path)
    rules = {**ACTIVITY_DEFAULTS, **(activity_rules or {})}
    loyalty_rules = {**LOYALTY_DEFAULTS, **(loyalty_rules or {})}
    as_of = date.fromisoformat(as_of_date)

    # every kept order (any status, any date) with its validity and net amount as of as_of_date
    fct_orders = expected_fct_orders(raw_path, as_of_date, earliest, latest)
    behavior = kept_behavior_events(raw_path, earliest, latest)
    members = expected_dim_members(raw_path, earliest, latest, fct_orders, behavior)
    visits = visit_days_by_member(fct_orders, behavior)
    valid = defaultdict(list)
    for shop_id, member_id, stamp, net, is_valid in fct_orders[
            ["shop_id", "member_id", "ordered_at", "net_amount", "is_valid_purchase"]].itertuples(index=False):
        if is_valid:
            valid[(shop_id, member_id)].append((pd.Timestamp(stamp).date(), net))

    snapshots = snapshot_dates(fct_orders, as_of_date)
    activity_rows, history_rows, loyalty_rows = [], [], []
    for shop_id, member_id, start in members[["shop_id", "member_id", "start_date"]].itertuples(index=False):
        key = (shop_id, member_id)
        days = visits.get(key, [])
        now = measure(days, as_of, start, rules)
        activity_rows.append({
            "shop_id": shop_id, "member_id": member_id, "as_of_date": as_of, "membership_start_date": start,
            "days_since_membership_start": (as_of - start).days if start else None, **now,
            "activity_group": LEVEL_GROUPS[now["activity_level"]],
            "activity_level_rank": LEVEL_RANKS[now["activity_level"]],
        })
        if start is not None:
            for snapshot in snapshots[bisect_left(snapshots, start):]:
                then = measure(days, snapshot, start, rules, with_cycle=False)
                history_rows.append({"shop_id": shop_id, "member_id": member_id, "snapshot_date": snapshot,
                                     "days_since_membership_start": (snapshot - start).days,
                                     "visit_days_in_window": then["visit_days_in_window"],
                                     "last_visit_date": then["last_visit_date"],
                                     "days_since_last_visit": then["days_since_last_visit"],
                                     "activity_level": then["activity_level"],
                                     "activity_group": LEVEL_GROUPS[then["activity_level"]],
                                     "activity_level_rank": LEVEL_RANKS[then["activity_level"]]})
        loyalty_rows.append({"shop_id": shop_id, "member_id": member_id, "as_of_date": as_of,
                             **loyalty(valid, key, as_of, **loyalty_rules)})

    activity = pd.DataFrame(activity_rows)
    history = pd.DataFrame(history_rows, columns=[
        "shop_id", "member_id", "snapshot_date", "days_since_membership_start", "visit_days_in_window",
        "last_visit_date", "days_since_last_visit", "activity_level", "activity_group", "activity_level_rank"])
    drops = expected_drops(history)
    loyalty_frame = pd.DataFrame(loyalty_rows)
    matrix = expected_matrix(activity, loyalty_frame, read_diagnoses())
    return Recomputed(members, activity, history, drops, loyalty_frame, matrix, snapshots, visits)


def expected_drops(history: pd.DataFrame) -> pd.DataFrame:
    """A member's snapshot whose ranked level is below the ranked level of the
    member's previous snapshot."""
    rows = []
    previous_key, previous = None, None
    for row in history.sort_values(["shop_id", "member_id", "snapshot_date"]).to_dict("records"):
        key = (row["shop_id"], row["member_id"])
        if key == previous_key and previous is not None:
            before, after = LEVEL_RANKS[previous["activity_level"]], LEVEL_RANKS[row["activity_level"]]
            if before is not None and after is not None and after < before:
                rows.append({"shop_id": key[0], "member_id": key[1], "snapshot_date": row["snapshot_date"],
                             "previous_snapshot_date": previous["snapshot_date"],
                             "from_activity_level": previous["activity_level"],
                             "to_activity_level": row["activity_level"], "levels_fallen": before - after,
                             "days_since_last_visit": row["days_since_last_visit"],
                             "last_visit_date": row["last_visit_date"]})
        previous_key, previous = key, row
    return pd.DataFrame(rows, columns=["shop_id", "member_id", "snapshot_date", "previous_snapshot_date",
                                       "from_activity_level", "to_activity_level", "levels_fallen",
                                       "days_since_last_visit", "last_visit_date"])


def expected_matrix(activity: pd.DataFrame, loyalty_frame: pd.DataFrame, diagnoses: pd.DataFrame) -> pd.DataFrame:
    """Per shop all four cells (also empty), shares of members and net revenue."""
    joined = activity[["shop_id", "member_id", "activity_group"]].merge(
        loyalty_frame[["shop_id", "member_id", "loyalty_level", "net_revenue_in_window"]],
        on=["shop_id", "member_id"], how="left", validate="one_to_one")
    texts = {(row["activity_group"], row["loyalty_level"]): row for row in diagnoses.to_dict("records")}
    rows = []
    for shop_id, shop in joined.groupby("shop_id", sort=True):
        shop_members = len(shop)
        shop_revenue = sum(shop["net_revenue_in_window"], Decimal("0.00"))
        for group in ("high", "low"):
            for level in ("high", "low"):
                cell = shop[(shop["activity_group"] == group) & (shop["loyalty_level"] == level)]
                revenue = sum(cell["net_revenue_in_window"], Decimal("0.00"))
                rows.append({
                    "shop_id": shop_id, "activity_group": group, "loyalty_level": level,
                    "cell_name": texts.get((group, level), {}).get("cell_name"), "members": len(cell), "share_of_members": len(cell) / shop_members,
                    "net_revenue_in_window": revenue,
                    "share_of_net_revenue": float(revenue / shop_revenue) if shop_revenue else None,
                    "diagnosis": texts.get((group, level), {}).get("diagnosis"),
                    "suggested_action": texts.get((group, level), {}).get("suggested_action"),
                })
    return pd.DataFrame(rows)
