"""Points events: interaction rewards (positive), redemptions (negative), adjustments.

Rewards follow registered members' check-ins (+5), won games (+10 or +30) and
surveys (+20). Purchase points are not in this table: the project derives
them from orders. About 60% of members with 200+ reward points redeem half of
them once they have earned that much. Planted: a few retried writes (same
request_id, 1-3 seconds later, otherwise equal) and a few redemptions larger
than everything the member ever earned (members who never buy).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import text
from .behavior import CHECK_IN, GAME, SURVEY, Behavior
from .customers import OVERDRAWN, Customers
from .frames import concat, distinct, take
from .scales import Shop
from .seasons import NA, SECONDS_PER_DAY, Calendar

REASONS = ("check_in", "game", "survey", "redemption", "adjustment")
R_CHECK_IN, R_GAME, R_SURVEY, R_REDEMPTION, R_ADJUSTMENT = range(5)
RETRIED_PER_SHOP = 2
FUTURE_REWARDS = 2


@dataclass
class Points:
    customer: np.ndarray
    occurred: np.ndarray     # seconds
    points: np.ndarray
    reason: np.ndarray
    request: np.ndarray      # numeric part of request_id, NA = empty

    def __len__(self) -> int:
        return len(self.customer)

    def table(self, shop: Shop, member_ids: pa.Array) -> pa.Table:
        return text.table({
            "shop_id": text.constant(shop.shop_id, len(self)),
            "member_id": member_ids.take(pa.array(self.customer)),
            "occurred_at": text.timestamps(self.occurred),
            "points": text.integers(self.points),
            "reason": text.choices(REASONS, self.reason),
            "request_id": text.padded(self.request, "RQ", 12),
        })


def _rows(customer, occurred, points, reason) -> Points:
    n = len(customer)
    return Points(customer=customer, occurred=occurred, points=points,
                  reason=np.full(n, reason), request=np.zeros(n, np.int64))


def build_points(customers: Customers, behavior: Behavior, calendar: Calendar,
                 rng: np.random.Generator) -> Points:
    """Points events of a shop in time order."""
    rewards = _rewards(customers, behavior, rng)
    points = concat([rewards, _redemptions(customers, rewards, calendar, rng),
                      _adjustments(customers, calendar, rng),
                      _overdrawn(customers, rewards, calendar, rng),
                      _future_rewards(customers, calendar, rng)])
    points = distinct(take(points, np.argsort(points.occurred, kind="stable")), "occurred")
    points.request = 10_000_000 + np.cumsum(rng.integers(1, 50, len(points)))
    points.request[rng.random(len(points)) < 0.01] = NA
    return _with_retries(points, rng)


def _rewards(c: Customers, b: Behavior, rng) -> Points:
    registered = c.registered[b.customer]
    check_in = np.flatnonzero(registered & (b.event_type == CHECK_IN))
    games = np.flatnonzero(registered & (b.event_type == GAME))
    won = games[rng.random(len(games)) < 0.5]
    surveys = np.flatnonzero(registered & (b.event_type == SURVEY))
    return concat([
        _rows(b.customer[check_in], b.occurred[check_in] + 1, np.full(len(check_in), 5),
              R_CHECK_IN),
        _rows(b.customer[won], b.occurred[won] + 2, rng.choice([10, 30], len(won)), R_GAME),
        _rows(b.customer[surveys], b.occurred[surveys] + 60, np.full(len(surveys), 20),
              R_SURVEY),
    ])


def _earned(rewards: Points, n_customers: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rewards sorted by (customer, time), their running total and each customer's total."""
    order = np.lexsort((rewards.occurred, rewards.customer))
    running = np.cumsum(rewards.points[order])
    total = np.bincount(rewards.customer, weights=rewards.points, minlength=n_customers)
    return order, running, total.astype(np.int64)


def _redemptions(c: Customers, rewards: Points, calendar: Calendar, rng) -> Points:
    """Redeem half of the points once earned: never more than the balance."""
    order, running, total = _earned(rewards, len(c))
    who = np.flatnonzero((total >= 200) & (rng.random(len(c)) < 0.6) & (c.plant != OVERDRAWN))
    amount = 100 * (total[who] // 200)
    before = np.concatenate([[0], running])[np.searchsorted(rewards.customer[order], who)]
    reached = np.searchsorted(running, before + amount)     # row where the running total gets there
    when = rewards.occurred[order][reached] + rng.integers(3600, 7 * SECONDS_PER_DAY, len(who))
    keep = when <= calendar.as_of_end_second
    return _rows(who[keep], when[keep], -amount[keep], R_REDEMPTION)


def _adjustments(c: Customers, calendar: Calendar, rng) -> Points:
    """Goodwill credits (+50) for ~0.5% of the registered members."""
    who = np.flatnonzero(c.registered & (rng.random(len(c)) < 0.005)
                         & (c.start <= calendar.as_of_index))
    day = calendar.sample_days(rng, "browse", c.start[who], c.end[who])
    return _rows(who, calendar.sample_times(rng, day), np.full(len(who), 50), R_ADJUSTMENT)


def _overdrawn(c: Customers, rewards: Points, calendar: Calendar, rng) -> Points:
    """Planted: redemptions 1,000+ points above all the member ever earned."""
    who = c.planted(OVERDRAWN)
    total = np.bincount(rewards.customer, weights=rewards.points, minlength=len(c))[who]
    amount = 100 * ((total.astype(np.int64) + 1_000) // 100 + 1)
    day = calendar.sample_days(rng, "browse", c.start[who], c.end[who])
    return _rows(who, calendar.sample_times(rng, day), -amount, R_REDEMPTION)


def _future_rewards(c: Customers, calendar: Calendar, rng) -> Points:
    """Check-in rewards the day after the as-of date (valid, outside its metrics)."""
    who = rng.choice(np.flatnonzero(c.registered & (c.start <= calendar.as_of_index)),
                     FUTURE_REWARDS, replace=False)
    day = np.full(FUTURE_REWARDS, calendar.as_of_index + 1)
    return _rows(who, calendar.sample_times(rng, day), np.full(FUTURE_REWARDS, 5), R_CHECK_IN)


def _with_retries(p: Points, rng) -> Points:
    """Add a retried write after a few check-in rewards: same request_id, 1-3 s later."""
    candidates = np.flatnonzero((p.reason == R_CHECK_IN) & (p.request != NA)
                                & (p.occurred < p.occurred.max() - 60))
    retry = take(p, rng.choice(candidates, RETRIED_PER_SHOP, replace=False))
    retry.occurred = retry.occurred + rng.integers(1, 4, len(retry))
    joined = concat([p, retry])
    return take(joined, np.argsort(joined.occurred, kind="stable"))
