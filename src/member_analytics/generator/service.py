"""Service events: what happens around orders, plus suggestions and referrals.

Cancels follow cancelled orders, rejections and returns follow refunds,
exchanges and reviews (rating 1-5) follow completed orders, complaints follow
paid orders (1.5%), far more often for orders of the 6.18 and 11.11 days (9%)
and of the days right after them (3%), so the 30 days after a big promotion
see clearly more complaints (and worse reviews) than the 30 days before. About
60% of complaints are resolved (`resolved_at`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import text
from .customers import BUYER_MEMBER, GUEST, Customers
from .frames import concat, distinct, take
from .orders import CANCELLED, COMPLETED, FULL_REFUND, PAID, REFUNDED, SHIPPED, Items, Orders
from .scales import Shop
from .seasons import NA, SECONDS_PER_DAY, Calendar

EVENT_TYPES = ("cancel", "reject", "return", "exchange", "complaint", "review", "suggestion",
               "referral")
CANCEL, REJECT, RETURN, EXCHANGE, COMPLAINT, REVIEW, SUGGESTION, REFERRAL = range(8)
RATING_SHARES = {"normal": [0.04, 0.03, 0.07, 0.16, 0.70],
                 "promotion": [0.10, 0.06, 0.12, 0.20, 0.52]}
FUTURE_REVIEWS = 2
DAY = SECONDS_PER_DAY


@dataclass
class Service:
    customer: np.ndarray
    event_type: np.ndarray
    occurred: np.ndarray     # seconds
    order: np.ndarray        # index into Orders, -1 for none
    product: np.ndarray      # index into Catalog, -1 for none
    rating: np.ndarray       # 1-5 or NA
    resolved: np.ndarray     # seconds or NA
    number: np.ndarray       # numeric part of event_id, NA = empty event_id

    def __len__(self) -> int:
        return len(self.customer)

    def table(self, shop: Shop, member_ids: pa.Array, order_ids: pa.Array,
              product_ids: pa.Array) -> pa.Table:
        return text.table({
            "shop_id": text.constant(shop.shop_id, len(self)),
            "event_id": text.padded(self.number, "SE", 10),
            "member_id": member_ids.take(pa.array(self.customer)),
            "event_type": text.choices(EVENT_TYPES, self.event_type),
            "occurred_at": text.timestamps(self.occurred),
            "order_id": text.choices(order_ids.to_pylist(), self.order),
            "product_id": text.choices(product_ids.to_pylist(), self.product),
            "rating": text.integers(self.rating),
            "resolved_at": text.timestamps(self.resolved),
        })


def _events(customer, event_type, occurred, order, product, rating=None, resolved=None):
    n = len(customer)
    return Service(customer=customer, event_type=np.full(n, event_type), occurred=occurred,
                   order=order, product=product,
                   rating=np.full(n, NA) if rating is None else rating,
                   resolved=np.full(n, NA) if resolved is None else resolved,
                   number=np.zeros(n, np.int64))


def build_service(customers: Customers, orders: Orders, items: Items, calendar: Calendar,
                  rng: np.random.Generator) -> Service:
    """All service events of a shop in time order, none after the snapshot but a few
    reviews written the day after the as-of date."""
    first = np.minimum(np.searchsorted(items.order, np.arange(len(orders))), len(items) - 1)
    first_item = np.where(items.order[first] == np.arange(len(orders)), items.product[first], -1)
    parts = [take(part, part.occurred <= calendar.as_of_end_second)
             for part in _order_events(orders, first_item, calendar, rng)
             + _member_events(customers, calendar, rng)]
    parts.append(_future_reviews(orders, first_item, calendar, rng))
    events = concat(parts)
    events = distinct(take(events, np.argsort(events.occurred, kind="stable")), "occurred")
    events.number = 1_000_000 + np.cumsum(rng.integers(1, 9, len(events)))
    events.number[rng.random(len(events)) < 0.02] = NA                # some exports lack ids
    return events


def _order_events(o: Orders, first_item: np.ndarray, calendar: Calendar, rng) -> list[Service]:
    n = len(o)
    u = rng.random((6, n))
    promo = calendar.in_promotion_rush(calendar.day_of(o.ordered))
    order_day = calendar.day_of(o.ordered)
    complaint_rate = np.select([calendar.is_big_day(order_day),
                                calendar.is_return_period(order_day)], [0.09, 0.03], 0.015)
    refunded = o.refund_time != NA
    parts = []

    rows = np.flatnonzero((o.status == CANCELLED) & (o.updated != NA) & (u[0] < 0.7))
    parts.append(_events(o.customer[rows], CANCEL, o.updated[rows], rows, np.full(len(rows), -1)))

    reject = refunded & (o.fate == FULL_REFUND) & (o.shipped != NA) & (o.shipped < o.refund_time) \
        & (u[1] < 0.15)
    rows = np.flatnonzero(reject)
    when = np.minimum(o.shipped[rows] + rng.integers(DAY, 3 * DAY, len(rows)),
                      o.refund_time[rows] - 60)
    parts.append(_events(o.customer[rows], REJECT, when, rows, first_item[rows]))

    rows = np.flatnonzero(refunded & ~reject & (u[2] < 0.7))
    when = np.maximum(o.refund_time[rows] - rng.integers(3600, 48 * 3600, len(rows)),
                      o.ordered[rows] + 3600)
    parts.append(_events(o.customer[rows], RETURN, when, rows, first_item[rows]))

    completed = (o.status == COMPLETED) & (o.completed != NA)
    rows = np.flatnonzero(completed & (u[3] < 0.01))
    when = o.completed[rows] + rng.integers(DAY, 7 * DAY, len(rows))
    parts.append(_events(o.customer[rows], EXCHANGE, when, rows, first_item[rows]))

    paid = np.isin(o.status, (PAID, SHIPPED, COMPLETED, REFUNDED))
    rows = np.flatnonzero(paid & (u[4] < complaint_rate))
    delay = np.clip(rng.lognormal(np.log(6 * DAY), 0.7, len(rows)), 3600, 30 * DAY)
    when = o.ordered[rows] + delay.astype(np.int64)
    resolved = np.where(rng.random(len(rows)) < 0.6,
                        when + rng.integers(2 * 3600, 7 * DAY, len(rows)), NA)
    resolved[resolved > calendar.as_of_end_second] = NA
    parts.append(_events(o.customer[rows], COMPLAINT, when, rows, first_item[rows],
                         resolved=resolved))

    rows = np.flatnonzero(completed & (u[5] < 0.22))
    rating = 1 + np.where(promo[rows], rng.choice(5, len(rows), p=RATING_SHARES["promotion"]),
                          rng.choice(5, len(rows), p=RATING_SHARES["normal"]))
    when = o.completed[rows] + rng.integers(0, 5 * DAY, len(rows))
    parts.append(_events(o.customer[rows], REVIEW, when, rows, first_item[rows], rating=rating))
    return parts


def _member_events(c: Customers, calendar: Calendar, rng) -> list[Service]:
    """Suggestions by ~1% of registered members, referrals by ~2% of buyers."""
    parts = []
    for event_type, eligible, share in ((SUGGESTION, c.registered, 0.01),
                                        (REFERRAL, np.isin(c.kind, (BUYER_MEMBER, GUEST)), 0.02)):
        who = np.flatnonzero(eligible & (rng.random(len(c)) < share) &
                             (c.start <= calendar.as_of_index))
        day = calendar.sample_days(rng, "browse", c.start[who], c.end[who])
        none = np.full(len(who), -1)
        parts.append(_events(who, event_type, calendar.sample_times(rng, day), none, none))
    return parts


def _future_reviews(o: Orders, first_item: np.ndarray, calendar: Calendar, rng) -> Service:
    """Reviews written the day after the as-of date (valid, outside its metrics)."""
    rows = rng.choice(np.flatnonzero(o.status == COMPLETED), FUTURE_REVIEWS, replace=False)
    day = np.full(FUTURE_REVIEWS, calendar.as_of_index + 1)
    return _events(o.customer[rows], REVIEW, calendar.sample_times(rng, day), rows,
                   first_item[rows], rating=rng.integers(1, 6, FUTURE_REVIEWS))
