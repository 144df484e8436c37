"""An independent replay of tier histories (decision 0030) and the points
ledger (decision 0031) from the raw files.

The SQL models are set-based (per-order intervals, gaps and islands, window
sums, a reflected running sum). This module does the opposite on purpose: it
walks each member's days one event at a time, keeps the state in plain Python
variables (standing orders, in the programme or not, count, spend, balance)
and writes a row whenever the state says so. Orders come from the pandas
contract implementation in reference.py; members and points events are parsed
here from the raw files by docs/raw_data_contract.md, without the SQL.

Choices where the decisions leave room (see the test module's docstring too):
- a refund dated on the day a term ends (the lapse day) still belongs to that
  term: it is applied before the lapse, like every other change of that day;
  only refunds dated after the lapse day are ignored under `restart`;
- a lapse is caused by a `refund` when one of the orders that stood at the end
  of the day before stopped standing because of its full refund that day (and
  before its lapse_days were up); otherwise by `lapse`. So when on one day an
  old order reaches lapse_days and a younger one is refunded in full, the
  cause is `refund` (without the refund the member would still be in);
- an order refunded in full on its own order day never stands (its interval
  is empty): it opens no term and changes no measure at the end of the day;
- a refund is never dated before its order day (the date is moved up to the
  order day; the sample has no such refund);
- ordering ties in the ledger: movements without an order id or request id
  sort after those with one (SQL's default NULLS LAST).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pandas as pd

from .reference import _clean, kept_orders, read_raw

# (scheme_name, basis, tier_rank, tier_name, lower_bound): the seed's defaults
DEFAULT_TIER_SCHEMES = (
    ("by_purchase_count", "purchase_count", 1, "new", 1),
    ("by_purchase_count", "purchase_count", 2, "regular", 2),
    ("by_purchase_count", "purchase_count", 3, "senior", 5),
    ("by_purchase_count", "purchase_count", 4, "super", 10),
    ("by_net_spend", "net_spend", 1, "basic", 0),
    ("by_net_spend", "net_spend", 2, "silver", 100),
    ("by_net_spend", "net_spend", 3, "gold", 500),
    ("by_net_spend", "net_spend", 4, "diamond", 1000),
)
LAPSE_DAYS = 365
COUNTERS_AFTER_LAPSE = "restart"
YUAN_PER_POINT = 20
BIRTHDAY_MULTIPLIER = 2

LAPSED = ("lapsed", 0)
BELOW_ENTRY = ("below_entry", 0)
PURCHASE_STATUSES = {"paid", "shipped", "completed", "refunded"}
PAID_STATUSES = {"paid", "shipped", "completed"}
MOVEMENT_TYPES = ("purchase_earned", "purchase_reversed", "event_earned", "event_spent", "lapse_expired")

BAD = object()  # a non-empty raw value that does not parse
_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_BOOLEANS = {"true": True, "1": True, "yes": True, "y": True,
             "false": False, "0": False, "no": False, "n": False}


# --------------------------------------------------------------------------- raw values
def parse_timestamp(value):
    """None (empty), BAD, or a datetime: 'YYYY-MM-DD HH:MM:SS', the ISO 'T' or a date only."""
    text = _clean(value)
    if text is None:
        return None
    match = _TIMESTAMP.match(text)
    if not match:
        return BAD
    try:
        return datetime(*(int(part) for part in match.groups() if part is not None))
    except ValueError:  # 2025-02-29, 2024-13-01, 25:61:00
        return BAD


def parse_integer(value):
    text = _clean(value)
    if text is None:
        return None
    return int(text) if _INTEGER.match(text) else BAD


def parse_boolean(value):
    text = _clean(value)
    if text is None:
        return None
    return _BOOLEANS.get(text.lower(), BAD)


def _raw_table(raw_path: Path, table: str, columns: list[str]) -> pd.DataFrame | None:
    """The raw table as text with the contract's columns (shop_id 'default' when
    absent), exact copies collapsed; None when the optional file is missing."""
    raw_path = Path(raw_path)
    if not (raw_path / f"{table}.parquet").exists() and not (raw_path / f"{table}.csv").exists():
        return None
    raw = read_raw(raw_path, table)
    has_shop = "shop_id" in raw.columns
    for column in columns:
        if column not in raw.columns:
            raw[column] = None
    raw = raw[columns].copy()
    raw = raw[~raw.duplicated(keep="first")]  # an exact copy (every column equal) is one row
    if not has_shop:
        raw["shop_id"] = "default"
    return raw


def _in_window(stamp: datetime, earliest: str, latest: str) -> bool:
    return date.fromisoformat(earliest) <= stamp.date() <= date.fromisoformat(latest)


def kept_points_events(raw_path: Path, earliest: str, latest: str) -> list[dict]:
    """Kept points_events rows, typed (every row after the contract's rules)."""
    columns = ["shop_id", "member_id", "occurred_at", "points", "reason", "request_id"]
    raw = _raw_table(raw_path, "points_events", columns)
    if raw is None:
        return []
    kept = []
    for record in raw.to_dict("records"):
        row = {
            "shop_id": _clean(record["shop_id"]), "member_id": _clean(record["member_id"]),
            "request_id": _clean(record["request_id"]),
            "reason": (_clean(record["reason"]) or "").lower() or None,
            "occurred_at": parse_timestamp(record["occurred_at"]), "points": parse_integer(record["points"]),
        }
        if row["shop_id"] is None or row["member_id"] is None:
            continue  # missing_key
        if row["occurred_at"] is None or row["points"] is None or row["reason"] is None:
            continue  # missing_value
        if row["occurred_at"] is BAD or row["points"] is BAD:
            continue  # bad_type
        if row["points"] == 0:
            continue  # out_of_range
        if not _in_window(row["occurred_at"], earliest, latest):
            continue  # date_before_earliest / date_after_latest
        kept.append(row)
    return kept


def kept_members(raw_path: Path, earliest: str, latest: str) -> list[dict]:
    """Kept members rows: row rules first, then a key shared by two or more
    different rule-passing rows rejects all of them (duplicate_key)."""
    columns = ["shop_id", "member_id", "registered_at", "gender", "birth_date", "province", "city",
               "phone", "nickname", "is_marketing_opt_out"]
    raw = _raw_table(raw_path, "members", columns)
    if raw is None:
        return []
    candidates = defaultdict(list)
    for record in raw.to_dict("records"):
        row = {
            "shop_id": _clean(record["shop_id"]), "member_id": _clean(record["member_id"]),
            "registered_at": parse_timestamp(record["registered_at"]),
            "birth_date": parse_timestamp(record["birth_date"]),
            "is_marketing_opt_out": parse_boolean(record["is_marketing_opt_out"]),
        }
        if row["shop_id"] is None or row["member_id"] is None:
            continue  # missing_key
        if any(row[key] is BAD for key in ("registered_at", "birth_date", "is_marketing_opt_out")):
            continue  # bad_type
        if row["registered_at"] is not None and not _in_window(row["registered_at"], earliest, latest):
            continue  # date_before_earliest / date_after_latest
        candidates[(row["shop_id"], row["member_id"])].append(row)
    return [rows[0] for rows in candidates.values() if len(rows) == 1]


def birth_months(raw_path: Path, earliest: str, latest: str) -> dict[tuple[str, str], int]:
    return {(row["shop_id"], row["member_id"]): row["birth_date"].month
            for row in kept_members(raw_path, earliest, latest) if row["birth_date"] is not None}


# --------------------------------------------------------------------------- orders
@dataclass
class CountingOrder:
    """An order that was a purchase when placed, with its refund as of as_of_date."""

    shop_id: str
    member_id: str
    order_id: str
    ordered_at: datetime
    paid: Decimal
    refunded: Decimal          # 0 when there is no refund or it is dated after as_of_date
    refund_at: datetime | None  # None when no refund applies by as_of_date

    @property
    def order_day(self) -> date:
        return self.ordered_at.date()

    @property
    def refund_day(self) -> date | None:
        return max(self.refund_at.date(), self.order_day) if self.refund_at else None

    @property
    def is_full_refund(self) -> bool:
        return self.refund_at is not None and self.paid > 0 and self.refunded >= self.paid

    def stands_until(self, lapse_days: int) -> date:
        """The first day the order no longer keeps the member in the programme."""
        end = self.order_day + timedelta(days=lapse_days)
        return min(end, self.refund_day) if self.is_full_refund else end

    def ended_by_refund(self, lapse_days: int) -> bool:
        return self.is_full_refund and self.refund_day < self.order_day + timedelta(days=lapse_days)


def _as_datetime(value) -> datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def counting_orders(raw_path: Path, as_of_date: str, earliest: str,
                    latest: str) -> dict[tuple[str, str], list[CountingOrder]]:
    """Per member, the orders that count (decision 0030) placed up to as_of_date."""
    as_of = date.fromisoformat(as_of_date)
    by_member = defaultdict(list)
    for row in kept_orders(Path(raw_path), earliest, latest).to_dict("records"):
        paid, status = row["paid_amount"], row["status"]
        ordered_at = _as_datetime(row["ordered_at"])
        counts = (status in PURCHASE_STATUSES and paid > 0) or (paid == 0 and status in PAID_STATUSES)
        if not counts or ordered_at.date() > as_of:
            continue
        given = row["refunded_amount"]
        refunded = given if given is not None and not pd.isna(given) else (
            paid if status == "refunded" else Decimal("0.00"))
        refund_at = next(value for value in (_as_datetime(row["refunded_at"]), _as_datetime(row["updated_at"]),
                                             ordered_at) if value is not None)
        if refunded <= 0 or max(refund_at.date(), ordered_at.date()) > as_of:
            refunded, refund_at = Decimal("0.00"), None
        by_member[(row["shop_id"], row["member_id"])].append(
            CountingOrder(row["shop_id"], row["member_id"], row["order_id"], ordered_at, paid, refunded, refund_at))
    for orders in by_member.values():
        orders.sort(key=lambda order: (order.ordered_at, order.order_id))
    return dict(by_member)


# --------------------------------------------------------------------------- tiers
def _schemes(tier_schemes) -> dict[str, tuple[str, list[tuple[int, str, Decimal]]]]:
    """scheme_name -> (basis, [(rank, name, lower_bound)] by rank)."""
    schemes: dict[str, tuple[str, list]] = {}
    for scheme_name, basis, rank, name, lower_bound in tier_schemes:
        schemes.setdefault(scheme_name, (basis, []))[1].append((int(rank), name, Decimal(str(lower_bound))))
    for _, tiers in schemes.values():
        tiers.sort()
    return schemes


def _tier(tiers: list[tuple[int, str, Decimal]], measure) -> tuple[str, int]:
    """The highest tier whose lower bound the measure reaches."""
    reached = [(name, rank) for rank, name, lower_bound in tiers if measure >= lower_bound]
    return reached[-1] if reached else BELOW_ENTRY


def replay_member(orders: list[CountingOrder], as_of: date, tier_schemes=DEFAULT_TIER_SCHEMES,
                  lapse_days: int = LAPSE_DAYS, counters_after_lapse: str = COUNTERS_AFTER_LAPSE):
    """Walk one member's days with a change, evaluating at the end of each.

    Returns (changes, lapses): changes are dicts (one per new period of a scheme,
    in day order), lapses are (day, cause) pairs.
    """
    assert counters_after_lapse in ("restart", "keep")
    schemes = _schemes(tier_schemes)
    placed_on, refunded_on = defaultdict(list), defaultdict(list)
    for order in orders:
        placed_on[order.order_day].append(order)
        if order.refund_at is not None:
            refunded_on[order.refund_day].append(order)
    expiring = {order.order_day + timedelta(days=lapse_days) for order in orders}
    days = sorted(set(placed_on) | set(refunded_on) | {day for day in expiring if day <= as_of})

    standing: dict[str, CountingOrder] = {}  # orders keeping the member in the programme
    counted: set[str] = set()                # orders in the measures (restart: of the current term)
    in_programme, term, count, spend = False, 0, 0, Decimal("0.00")
    held = {scheme: None for scheme in schemes}  # (tier_name, rank) per scheme, None before the first term
    changes, lapses = [], []

    for day in days:
        # which orders stand at the end of the day
        ended = [order for order in standing.values() if order.stands_until(lapse_days) <= day]
        for order in ended:
            del standing[order.order_id]
        for order in placed_on[day]:
            if order.stands_until(lapse_days) > day:
                standing[order.order_id] = order
        now_in = bool(standing)
        if now_in and not in_programme:
            term += 1
            if counters_after_lapse == "restart":
                count, spend, counted = 0, Decimal("0.00"), set()
        # the day's orders and refunds move the measures
        for order in placed_on[day]:
            if now_in or counters_after_lapse == "keep":
                counted.add(order.order_id)
                count += 1
                spend += order.paid
        for order in refunded_on[day]:
            if order.order_id in counted:
                spend -= order.refunded
                if order.is_full_refund:
                    count -= 1
                    counted.discard(order.order_id)
        lapse_cause = None
        if in_programme and not now_in:
            lapse_cause = "refund" if any(order.refund_day == day and order.ended_by_refund(lapse_days)
                                          for order in ended) else "lapse"
            lapses.append((day, lapse_cause))
        in_programme = now_in

        # one evaluation per scheme at the end of the day
        for scheme_name, (basis, tiers) in schemes.items():
            if in_programme:
                new = _tier(tiers, count if basis == "purchase_count" else spend)
            elif term > 0:
                new = LAPSED
            else:
                new = None
            old = held[scheme_name]
            if new == old:
                continue
            if old is None:
                direction, cause = "first", "purchase"
            elif new == LAPSED:
                direction, cause = "lapse", lapse_cause
            elif old == LAPSED:
                direction, cause = "return", "purchase"
            elif new[1] > old[1]:
                direction, cause = "up", "purchase"
            else:
                direction, cause = "down", "refund"
            changes.append({
                "scheme_name": scheme_name, "basis": basis, "tier_name": new[0], "tier_rank": new[1],
                "previous_tier_name": old[0] if old else None, "valid_from": day,
                "change_direction": direction, "change_cause": cause, "term_number": term,
                "cumulative_count": count, "cumulative_net_spend": spend,
            })
            held[scheme_name] = new

        if lapse_cause and counters_after_lapse == "restart":
            counted = set()  # later refunds of the ended term's orders are ignored
    return changes, lapses


def replay_tiers(orders_by_member: dict, as_of_date: str, tier_schemes=DEFAULT_TIER_SCHEMES,
                 lapse_days: int = LAPSE_DAYS, counters_after_lapse: str = COUNTERS_AFTER_LAPSE):
    """(tier history frame like fct_member_tier_history, {member key: [(lapse day, cause)]})."""
    as_of = date.fromisoformat(as_of_date)
    rows, lapses = [], {}
    for (shop_id, member_id), orders in sorted(orders_by_member.items()):
        changes, member_lapses = replay_member(orders, as_of, tier_schemes, lapse_days, counters_after_lapse)
        lapses[(shop_id, member_id)] = member_lapses
        by_scheme = defaultdict(list)
        for change in changes:
            by_scheme[change["scheme_name"]].append(change)
        for periods in by_scheme.values():
            for number, period in enumerate(periods, start=1):
                following = periods[number] if number < len(periods) else None
                rows.append({
                    "shop_id": shop_id, "member_id": member_id, "period_number": number, **period,
                    "valid_to": following["valid_from"] if following else None,
                    "is_current": following is None, "as_of_date": as_of,
                })
    columns = ["shop_id", "member_id", "scheme_name", "basis", "period_number", "tier_name", "tier_rank",
               "previous_tier_name", "valid_from", "valid_to", "is_current", "change_direction", "change_cause",
               "term_number", "cumulative_count", "cumulative_net_spend", "as_of_date"]
    return pd.DataFrame(rows, columns=columns), lapses


# --------------------------------------------------------------------------- points
def _points(money: Decimal, yuan_per_point) -> int:
    return int((money / Decimal(str(yuan_per_point))).to_integral_value(rounding=ROUND_FLOOR))


def points_event_movements(events: list[dict], as_of: date) -> list[dict]:
    """Kept points events as movements: once per (shop_id, request_id), the earliest row."""
    requests = defaultdict(list)
    movements = []
    for event in events:
        if event["request_id"] is None:
            movements.append((event, 0))
        else:
            requests[(event["shop_id"], event["request_id"])].append(event)
    for rows in requests.values():
        rows.sort(key=lambda row: (row["occurred_at"], row["member_id"], row["points"], row["reason"]))
        movements.append((rows[0], len(rows) - 1))
    result = []
    for event, retried in movements:
        if event["occurred_at"].date() > as_of:
            continue
        result.append({
            "shop_id": event["shop_id"], "member_id": event["member_id"], "movement_date": event["occurred_at"].date(),
            "occurred_at": event["occurred_at"],
            "movement_type": "event_earned" if event["points"] > 0 else "event_spent",
            "reason": event["reason"], "order_id": None, "request_id": event["request_id"],
            "requested_points": event["points"], "duplicate_request_rows": retried,
        })
    return result


def purchase_movements(orders: list[CountingOrder], birth_month: int | None, yuan_per_point=YUAN_PER_POINT,
                       birthday_multiplier: int = BIRTHDAY_MULTIPLIER) -> list[dict]:
    """purchase_earned at the order time, purchase_reversed at the refund time."""
    result = []
    for order in orders:
        if order.paid <= 0:
            continue
        birthday = birth_month is not None and order.ordered_at.month == birth_month
        multiplier = birthday_multiplier if birthday else 1
        earned = _points(order.paid, yuan_per_point) * multiplier
        base = {"shop_id": order.shop_id, "member_id": order.member_id, "reason": None, "order_id": order.order_id,
                "request_id": None, "is_birthday_month": birthday, "duplicate_request_rows": 0}
        if earned:
            result.append({**base, "movement_date": order.order_day, "occurred_at": order.ordered_at,
                           "movement_type": "purchase_earned", "requested_points": earned})
        if order.refund_at is not None:
            reversed_points = earned - _points(order.paid - order.refunded, yuan_per_point) * multiplier
            if reversed_points:
                result.append({**base, "movement_date": order.refund_day, "occurred_at": order.refund_at,
                               "movement_type": "purchase_reversed", "requested_points": -reversed_points})
    return result


def _movement_order(movement: dict) -> tuple:
    identifier = movement["order_id"] or movement["request_id"]
    return (movement["movement_date"], movement["movement_type"] == "lapse_expired",
            movement["occurred_at"] or datetime.max, MOVEMENT_TYPES.index(movement["movement_type"]),
            identifier is None, identifier or "", movement["requested_points"] or 0, movement["reason"] or "")


def walk_ledger(movements: list[dict], lapse_days_of_member: list[date]) -> list[dict]:
    """One member's movements in order with the balance, which never goes below zero;
    at the end of a lapse day whatever is left expires."""
    if not movements:
        return []
    shop_id, member_id = movements[0]["shop_id"], movements[0]["member_id"]
    markers = [{"shop_id": shop_id, "member_id": member_id, "movement_date": day, "occurred_at": None,
                "movement_type": "lapse_expired", "reason": None, "order_id": None, "request_id": None,
                "requested_points": None, "duplicate_request_rows": 0} for day in lapse_days_of_member]
    balance, sequence, ledger = 0, 0, []
    for movement in sorted(movements + markers, key=_movement_order):
        movement = dict(movement)
        if movement["movement_type"] == "lapse_expired":
            if balance == 0:
                continue
            movement["requested_points"] = -balance
        requested = movement["requested_points"]
        after = max(0, balance + requested)
        sequence += 1
        movement.update(movement_sequence=sequence, points=after - balance,
                        shortfall_points=(after - balance) - requested, balance_after=after)
        movement["shortfall_reason"] = "insufficient_balance" if movement["shortfall_points"] else None
        movement.setdefault("is_birthday_month", False)
        balance = after
        ledger.append(movement)
    return ledger


def replay_points(orders_by_member: dict, events: list[dict], months: dict, lapses: dict, as_of_date: str,
                  yuan_per_point=YUAN_PER_POINT, birthday_multiplier: int = BIRTHDAY_MULTIPLIER):
    """(ledger frame like fct_member_points_ledger, balance frame like fct_member_points_balance)."""
    as_of = date.fromisoformat(as_of_date)
    movements = defaultdict(list)
    for key, orders in orders_by_member.items():
        movements[key] += purchase_movements(orders, months.get(key), yuan_per_point, birthday_multiplier)
    for movement in points_event_movements(events, as_of):
        movements[(movement["shop_id"], movement["member_id"])].append(movement)
    rows, balances = [], []
    for key in sorted(movements):
        ledger = walk_ledger(movements[key], [day for day, _ in lapses.get(key, [])])
        if not ledger:
            continue  # buyers whose orders earn no points have no ledger and no balance row
        rows += ledger

        def applied(kind: str) -> int:
            return sum(row["points"] for row in ledger if row["movement_type"] == kind)

        balances.append({
            "shop_id": key[0], "member_id": key[1], "as_of_date": as_of,
            "earned_points": applied("purchase_earned") + applied("event_earned"),
            "redeemed_points": -applied("event_spent"), "reversed_points": -applied("purchase_reversed"),
            "expired_points": -applied("lapse_expired"),
            "shortfall_points": sum(row["shortfall_points"] for row in ledger),
            "balance_points": ledger[-1]["balance_after"], "movements": len(ledger),
        })
    columns = ["shop_id", "member_id", "movement_sequence", "movement_date", "occurred_at", "movement_type", "reason",
               "order_id", "request_id", "is_birthday_month", "requested_points", "points", "shortfall_points",
               "shortfall_reason", "balance_after", "duplicate_request_rows"]
    return pd.DataFrame(rows, columns=columns), pd.DataFrame(balances)


# --------------------------------------------------------------------------- all of it
@dataclass
class Replay:
    orders: dict            # member key -> [CountingOrder]
    tier_history: pd.DataFrame
    lapses: dict            # member key -> [(lapse day, cause)]
    ledger: pd.DataFrame
    balance: pd.DataFrame


def replay(raw_path: Path, as_of_date: str, earliest: str, latest: str, tier_schemes=DEFAULT_TIER_SCHEMES,
           lapse_days: int = LAPSE_DAYS, counters_after_lapse: str = COUNTERS_AFTER_LAPSE,
           yuan_per_point=YUAN_PER_POINT, birthday_multiplier: int = BIRTHDAY_MULTIPLIER) -> Replay:
    """Tier histories and the points ledger replayed from the raw files as of as_of_date."""
    orders = counting_orders(raw_path, as_of_date, earliest, latest)
    history, lapses = replay_tiers(orders, as_of_date, tier_schemes, lapse_days, counters_after_lapse)
    ledger, balance = replay_points(orders, kept_points_events(raw_path, earliest, latest),
                                    birth_months(raw_path, earliest, latest), lapses, as_of_date,
                                    yuan_per_point, birthday_multiplier)
    return Replay(orders, history, lapses, ledger, balance)
