"""A shop's customers: who registers, who buys how often and when, and planted cases.

Kinds: registered members who buy, registered "potential" members who browse,
favourite and cart but never buy, idle registered members, guests who buy
without joining (absent from the members file) and visitors seen only in
behaviour events. Each customer has a purchase window [start, end] (day
indices) from which the order days are drawn.

Planted member-level cases (ground truth lists them; see truth.py):
loyal buyers who turn at risk, comeback buyers, first purchases exactly 3 days,
3 weeks and 3 months before the as-of date, quiet visitors, members whose
late refund drops them a spend tier, and members who redeem more points than
they have.
"""
from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np

from .seasons import Calendar

BUYER_MEMBER, POTENTIAL, IDLE, GUEST, VISITOR = range(5)
REGISTERED_KINDS = (BUYER_MEMBER, POTENTIAL, IDLE)
BUYING_KINDS = (BUYER_MEMBER, GUEST)

NONE, LOYAL_AT_RISK, COMEBACK, FOLLOWUP, QUIET, DOWNGRADE, OVERDRAWN, FUTURE = range(8)
FUTURE_REGISTRATIONS = 2
OVERDRAWN_PER_SHOP = 2
ONE_TIME_SHARE = 0.64
EXISTING_SHARE = 0.12   # repeat buyers already active when the history begins


@dataclass
class Customers:
    number: np.ndarray     # numeric part of member_id
    kind: np.ndarray
    n_orders: np.ndarray
    start: np.ndarray      # first day of the purchase (or browsing) window
    end: np.ndarray        # last day of it
    plant: np.ndarray      # planted case code (NONE, LOYAL_AT_RISK, ...)
    fixed_day: np.ndarray  # planted day: last order, comeback order, last visit, ... or -1

    def __len__(self) -> int:
        return len(self.number)

    @property
    def registered(self) -> np.ndarray:
        return np.isin(self.kind, REGISTERED_KINDS)

    def planted(self, code: int) -> np.ndarray:
        return np.flatnonzero(self.plant == code)


def months_before(day: dt.date, months: int) -> dt.date:
    """Same day `months` calendar months earlier, clamped to the month's end (like DateOffset)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = stdlib_calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def followup_days(calendar: Calendar) -> dict[str, int]:
    """Day indices of first purchases due for the 3+3+3 follow-up on the as-of date."""
    as_of = calendar.as_of.astype(object)
    return {"3_days": calendar.as_of_index - 3, "3_weeks": calendar.as_of_index - 21,
            "3_months": calendar.index_of(np.datetime64(months_before(as_of, 3)))}


def build_customers(members: int, orders_per_member: float, planted: int,
                    calendar: Calendar, rng: np.random.Generator) -> Customers:
    counts = {BUYER_MEMBER: round(0.68 * members), POTENTIAL: round(0.17 * members),
              GUEST: round(0.40 * members), VISITOR: round(0.10 * members)}
    counts[IDLE] = members - counts[BUYER_MEMBER] - counts[POTENTIAL]
    kind = np.repeat(np.array(list(counts)), list(counts.values()))
    n = len(kind)
    today = calendar.as_of_index
    buyer = np.isin(kind, BUYING_KINDS)
    repeat = buyer & (rng.random(n) >= ONE_TIME_SHARE)
    start = np.where(
        buyer & ~repeat, calendar.sample_days(rng, "orders", np.zeros(n), np.full(n, today)),
        calendar.sample_days(rng, "signup", np.zeros(n), np.full(n, today - 14)))
    start[repeat & (rng.random(n) < EXISTING_SHARE)] = 0
    length = np.where(repeat, 14 + rng.exponential(700, n),
                      np.where(buyer, 0, rng.exponential(250, n)))
    end = np.minimum(start + length.astype(np.int64), today)
    n_orders = _order_counts(buyer, repeat, end - start + 1, orders_per_member * members, rng)
    customers = Customers(number=np.zeros(n, np.int64), kind=kind, n_orders=n_orders,
                          start=start, end=end, plant=np.zeros(n, np.int8),
                          fixed_day=np.full(n, -1, np.int64))
    _plant_cases(customers, planted, calendar, rng)
    _add_future_registrations(customers, today)
    _number(customers, rng)
    return customers


def _order_counts(buyer: np.ndarray, repeat: np.ndarray, window: np.ndarray,
                  target_orders: float, rng) -> np.ndarray:
    """1 order for one-time buyers; repeat buyers 2 + Poisson(rate x window days) with a
    heavy-tailed (lognormal) rate scaled so the shop gets about target orders in total."""
    rate = rng.lognormal(0.0, 1.0, len(buyer)) * window * repeat
    extra = max(target_orders - (buyer & ~repeat).sum() - 2 * repeat.sum(), 0)
    expected = rate * extra / max(rate.sum(), 1.0)
    counts = 2 + np.minimum(rng.poisson(expected), 400)
    return np.where(repeat, counts, buyer.astype(np.int64))


def _pick(customers: Customers, eligible: np.ndarray, k: int, rng) -> np.ndarray:
    pool = np.flatnonzero(eligible & (customers.plant == NONE))
    return np.sort(rng.choice(pool, min(k, len(pool)), replace=False))


def _plant_cases(c: Customers, k: int, calendar: Calendar, rng) -> None:
    today = calendar.as_of_index
    repeat_member = (c.kind == BUYER_MEMBER) & (c.n_orders > 1)

    chosen = _pick(c, repeat_member, k, rng)          # >= 10 orders, last 125-195 days ago
    c.plant[chosen] = LOYAL_AT_RISK
    c.n_orders[chosen] = np.clip(c.n_orders[chosen], 10, 40)
    c.end[chosen] = today - rng.integers(125, 196, len(chosen))
    c.start[chosen] = np.maximum(c.end[chosen] - 330, 0)
    c.fixed_day[chosen] = c.end[chosen]

    few_orders = repeat_member & (c.n_orders <= 4) & (c.end <= today - 130)
    chosen = _pick(c, few_orders, 4 * k, rng)          # candidates: orders.py keeps k of them
    c.plant[chosen] = DOWNGRADE
    c.fixed_day[chosen] = c.end[chosen] + 3

    buyers_gone = np.isin(c.kind, BUYING_KINDS) & (c.n_orders > 1) & (c.end <= today - 400)
    chosen = _pick(c, buyers_gone, k, rng)             # one more order in the last 60 days
    c.plant[chosen] = COMEBACK
    c.fixed_day[chosen] = today - rng.integers(1, 61, len(chosen))

    one_timer = np.isin(c.kind, BUYING_KINDS) & (c.n_orders == 1)
    for day in followup_days(calendar).values():
        chosen = _pick(c, one_timer, k, rng)
        c.plant[chosen] = FOLLOWUP
        c.start[chosen] = c.end[chosen] = c.fixed_day[chosen] = day

    chosen = _pick(c, c.kind == POTENTIAL, k, rng)     # frequent visits, then silence
    c.plant[chosen] = QUIET
    c.fixed_day[chosen] = today - rng.integers(45, 151, len(chosen))
    c.start[chosen] = np.maximum(c.fixed_day[chosen] - 130, 0)
    c.end[chosen] = c.fixed_day[chosen]

    chosen = _pick(c, c.kind == POTENTIAL, OVERDRAWN_PER_SHOP, rng)
    c.plant[chosen] = OVERDRAWN


def _add_future_registrations(c: Customers, today: int) -> None:
    """Members who register the day after the as-of date (valid rows, outside its metrics)."""
    k = FUTURE_REGISTRATIONS
    c.kind = np.concatenate([c.kind, np.full(k, IDLE)])
    c.n_orders = np.concatenate([c.n_orders, np.zeros(k, np.int64)])
    c.start = np.concatenate([c.start, np.full(k, today + 1)])
    c.end = np.concatenate([c.end, np.full(k, today + 1)])
    c.plant = np.concatenate([c.plant, np.full(k, FUTURE, np.int8)])
    c.fixed_day = np.concatenate([c.fixed_day, np.full(k, -1)])
    c.number = np.zeros(len(c.kind), np.int64)


def _number(c: Customers, rng) -> None:
    """Id numbers grow with the start day, with gaps (other shops' or deleted accounts)."""
    numbers = np.sort(rng.choice(7 * len(c.kind), len(c.kind), replace=False)) + 1
    c.number[np.argsort(c.start, kind="stable")] = numbers
