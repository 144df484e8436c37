"""Orders and order items of a shop, with their life cycle and refunds.

Each order gets a fate (completed, never paid, cancelled after paying, fully
or partly refunded) and the timestamps of its stages; the status written is
the stage reached at the snapshot (the end of the as-of date). A few orders
are placed the day after the as-of date and a few refunds are dated then
(valid rows that the marts must leave out for that as-of date).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import text
from .catalog import Catalog
from .customers import COMEBACK, DOWNGRADE, FOLLOWUP, LOYAL_AT_RISK, NONE, Customers
from .frames import concat, take
from .scales import Shop
from .seasons import NA, SECONDS_PER_DAY, Calendar

STATUSES = ("created", "paid", "shipped", "completed", "cancelled", "refunded")
CREATED, PAID, SHIPPED, COMPLETED, CANCELLED, REFUNDED = range(6)
CHANNELS = ("app", "mini_program", "pc")
COMPLETE, UNPAID, CANCEL_PAID, FULL_REFUND, PARTIAL_REFUND = range(5)
FATE_SHARES = (0.855, 0.035, 0.03, 0.045, 0.035)
COUPONS = np.array([300, 500, 1000, 2000, 5000])
PAIR_SHARE = 0.02        # share of orders that get a planted pair
FUTURE_ORDERS = 3        # orders placed the day after the as-of date
FUTURE_REFUNDS = 2       # refunds dated the day after the as-of date
DAY = SECONDS_PER_DAY
NA_TIME = np.iinfo(np.int64).max   # a stage that never happens


@dataclass
class Orders:
    customer: np.ndarray
    ordered: np.ndarray      # seconds
    status: np.ndarray
    paid: np.ndarray         # cents
    refunded: np.ndarray     # cents or NA (refunded_amount as written)
    refunded_at: np.ndarray  # seconds or NA (as written)
    discount: np.ndarray     # cents or NA
    channel: np.ndarray
    updated: np.ndarray      # seconds or NA
    fate: np.ndarray
    shipped: np.ndarray      # seconds of shipping (NA if never)
    completed: np.ndarray    # seconds of completion (NA if never)
    refund_time: np.ndarray  # seconds of the refund (NA if none), even if refunded_at is empty
    number: np.ndarray       # numeric order id

    def __len__(self) -> int:
        return len(self.customer)

    def ids(self) -> pa.Array:
        return text.integers(self.number)

    def table(self, shop: Shop, member_ids: pa.Array) -> pa.Table:
        return text.table({
            "shop_id": text.constant(shop.shop_id, len(self)),
            "order_id": self.ids(),
            "member_id": member_ids.take(pa.array(self.customer)),
            "ordered_at": text.timestamps(self.ordered),
            "status": text.choices(STATUSES, self.status),
            "paid_amount": text.money(self.paid),
            "refunded_amount": text.money(self.refunded),
            "refunded_at": text.timestamps(self.refunded_at),
            "discount_amount": text.money(self.discount),
            "channel": text.choices(CHANNELS, self.channel),
            "updated_at": text.timestamps(self.updated),
        })


@dataclass
class Items:
    order: np.ndarray        # index into Orders
    product: np.ndarray      # index into Catalog
    quantity: np.ndarray
    unit: np.ndarray         # cents
    line: np.ndarray         # cents

    def __len__(self) -> int:
        return len(self.order)

    def table(self, shop: Shop, order_ids: pa.Array, product_ids: pa.Array) -> pa.Table:
        return text.table({
            "shop_id": text.constant(shop.shop_id, len(self)),
            "order_id": order_ids.take(pa.array(self.order)),
            "product_id": product_ids.take(pa.array(self.product)),
            "quantity": text.integers(self.quantity),
            "unit_price": text.money(self.unit),
            "line_amount": text.money(self.line),
        })


def build_orders(shop: Shop, customers: Customers, catalog: Catalog, calendar: Calendar,
                 rng: np.random.Generator) -> tuple[Orders, Items]:
    customer, day = _order_days(customers, calendar, rng)
    ordered = calendar.sample_times(rng, day)
    forced = np.isin(customers.plant[customer], (LOYAL_AT_RISK, COMEBACK, FOLLOWUP))
    fate = np.where(forced, COMPLETE, rng.choice(len(FATE_SHARES), len(day), p=FATE_SHARES))
    items = _build_items(day, catalog, calendar, rng)
    gross = np.bincount(items.order, weights=items.line, minlength=len(day)).astype(np.int64)
    orders = _life_cycle(shop, customer, ordered, fate, gross, calendar, rng)
    orders, items = _plant_refund_downgrades(orders, items, customers, catalog, calendar, rng)
    _plant_future_refunds(orders, calendar, rng)
    return _sorted(orders, items, shop, rng)


def _order_days(customers: Customers, calendar: Calendar, rng) -> tuple[np.ndarray, np.ndarray]:
    """(customer, day) per order: drawn in the customer's window, planted days fixed."""
    c = customers
    customer = np.repeat(np.arange(len(c)), c.n_orders)
    day = calendar.sample_days(rng, "orders", c.start[customer], c.end[customer])
    first = np.concatenate([[0], np.cumsum(c.n_orders)[:-1]])
    loyal = c.planted(LOYAL_AT_RISK)
    day[first[loyal]] = c.fixed_day[loyal]              # the last purchase, exactly on its day
    comeback = c.planted(COMEBACK)
    unplanted_buyers = np.flatnonzero((c.n_orders > 0) & (c.plant == NONE))
    future = rng.choice(unplanted_buyers, FUTURE_ORDERS, replace=False)
    customer = np.concatenate([customer, comeback, future])
    day = np.concatenate([day, c.fixed_day[comeback],
                          np.full(FUTURE_ORDERS, calendar.as_of_index + 1)])
    return customer, day


def _build_items(day: np.ndarray, catalog: Catalog, calendar: Calendar, rng) -> Items:
    """1-8 distinct products per order, planted pairs added, priced on the order day."""
    n = len(day)
    count = np.minimum(rng.geometric(0.42, n), 8)
    order = np.repeat(np.arange(n), count)
    product = catalog.sample(rng, day[order])
    for a, b in catalog.pairs:
        chosen = np.flatnonzero(rng.random(n) < PAIR_SHARE)
        order = np.concatenate([order, chosen, chosen])
        product = np.concatenate([product, np.full(len(chosen), a), np.full(len(chosen), b)])
    key = np.sort(order * len(catalog) + product)        # sorted by order, then product
    key = key[np.concatenate([[True], np.diff(key) != 0])]
    order, product = key // len(catalog), key % len(catalog)

    k = len(order)
    quantity = rng.choice([1, 2, 3, 4, 5], k, p=[0.8, 0.14, 0.04, 0.015, 0.005])
    promo = calendar.in_promotion_rush(day[order])
    factor = np.where(promo, rng.choice([0.85, 0.8, 0.75, 0.7, 0.6], k),
                      rng.choice([1.0, 0.95, 0.9, 0.85], k, p=[0.5, 0.2, 0.2, 0.1]))
    unit = np.round(catalog.list_cents[product] * factor).astype(np.int64)
    unit[rng.random(k) < 0.01] = 0                                  # free gifts
    line = quantity * unit
    discounted = rng.random(k) < 0.04
    line[discounted] -= np.round(line[discounted] * rng.uniform(0.05, 0.2, discounted.sum()))\
        .astype(np.int64)
    return Items(order=order, product=product, quantity=quantity, unit=unit, line=line)


def _life_cycle(shop: Shop, customer, ordered, fate, gross, calendar: Calendar, rng) -> Orders:
    """Status, amounts, refunds and updated_at as they stand at the snapshot."""
    n = len(ordered)
    snapshot = np.maximum(calendar.as_of_end_second, ordered + 3600)
    promo = calendar.in_promotion_rush(calendar.day_of(ordered))
    coupon = np.minimum(rng.choice(COUPONS, n), gross * 3 // 1000 * 100)   # at most 30%
    has_coupon = (rng.random(n) < np.where(promo, 0.7, 0.35)) & (coupon > 0)
    discount = np.where(has_coupon, coupon, np.where(rng.random(n) < 0.1, NA, 0))
    free = (fate == COMPLETE) & (rng.random(n) < 0.003)              # fully discounted orders
    discount[free] = gross[free]
    paid = gross - np.where(discount == NA, 0, discount)
    fate = np.where((fate == PARTIAL_REFUND) & (paid == 0), COMPLETE, fate)

    pay = ordered + rng.integers(10, 1200, n)
    ship = pay + rng.integers(6 * 3600, 60 * 3600, n)
    complete = ship + rng.integers(2 * DAY, 10 * DAY, n)
    late = rng.random(n) < 0.3
    refund = ordered + np.where(late, rng.integers(21 * DAY, 60 * DAY, n),
                                rng.integers(3 * DAY, 14 * DAY, n))
    status = np.full(n, CREATED)
    updated = ordered.copy()
    for stage, when in ((PAID, pay), (SHIPPED, ship), (COMPLETED, complete)):
        reached = (when <= snapshot) & np.isin(fate, (COMPLETE, FULL_REFUND, PARTIAL_REFUND))
        status[reached], updated[reached] = stage, when[reached]
    paid_then_cancel = pay + rng.integers(600, 12 * 3600, n)
    unpaid_close = np.where(rng.random(n) < 0.15, NA_TIME,                # left unpaid
                            ordered + rng.integers(600, DAY, n))          # auto-closed
    for fate_code, close in ((UNPAID, unpaid_close), (CANCEL_PAID, paid_then_cancel)):
        closed = (fate == fate_code) & (close <= snapshot)
        status[closed], updated[closed] = CANCELLED, close[closed]
    status[(fate == CANCEL_PAID) & (status == CREATED) & (pay <= snapshot)] = PAID

    refund_done = np.isin(fate, (FULL_REFUND, PARTIAL_REFUND)) & (refund <= snapshot)
    full = refund_done & (fate == FULL_REFUND)
    partial = refund_done & (fate == PARTIAL_REFUND)
    part = np.maximum(np.round(paid * rng.uniform(0.1, 0.6, n)), 1).astype(np.int64)
    refunded = np.full(n, 0 if shop.zero_refund_text else NA)
    refunded[full] = np.where(rng.random(full.sum()) < 0.7, paid[full], NA)
    refunded[partial] = part[partial]
    status[full] = REFUNDED
    status[partial & (rng.random(n) < 0.25)] = REFUNDED
    updated[refund_done] = np.maximum(np.where(full, refund, updated), refund)[refund_done]
    refunded_at = np.where(refund_done & (rng.random(n) < 0.9), refund, NA)
    updated[rng.random(n) < 0.03] = NA
    return Orders(
        customer=customer, ordered=ordered, status=status, paid=paid, refunded=refunded,
        refunded_at=refunded_at, discount=discount,
        channel=rng.choice(len(CHANNELS), n, p=[0.72, 0.14, 0.14]), updated=updated,
        fate=fate, shipped=np.where(status >= SHIPPED, ship, NA),
        completed=np.where((status == COMPLETED) | (refund_done & (complete < refund)),
                           complete, NA),
        refund_time=np.where(refund_done, refund, NA), number=np.zeros(n, np.int64))


def _net_spend_before(orders: Orders, customers: np.ndarray, day: np.ndarray,
                      calendar: Calendar) -> np.ndarray:
    """Cumulative net spend (cents) of each customer up to the end of `day`."""
    spend = np.zeros(len(customers), np.int64)
    position = {int(c): i for i, c in enumerate(customers)}
    rows = np.flatnonzero(np.isin(orders.customer, customers))
    for row in rows:                                      # planted members only: a few orders
        i = position[int(orders.customer[row])]
        if orders.status[row] in (PAID, SHIPPED, COMPLETED, REFUNDED) and \
                calendar.day_of(orders.ordered[row]) <= day[i]:
            spend[i] += orders.paid[row]
        if orders.refund_time[row] != NA and calendar.day_of(_refund_date(orders, row)) <= day[i]:
            spend[i] -= _effective_refund(orders, row)
    return spend


def _refund_date(orders: Orders, row: int) -> int:
    for value in (orders.refunded_at[row], orders.updated[row], orders.ordered[row]):
        if value != NA:
            return value
    raise AssertionError("ordered_at is never empty")


def _effective_refund(orders: Orders, row: int) -> int:
    if orders.refunded[row] != NA:
        return int(orders.refunded[row])
    return int(orders.paid[row]) if orders.status[row] == REFUNDED else 0


def _plant_refund_downgrades(orders: Orders, items: Items, customers: Customers,
                             catalog: Catalog, calendar: Calendar, rng) -> tuple[Orders, Items]:
    """One order per planted member that lifts the spend over the next tier threshold,
    then a partial refund 3-6 weeks later that drops it back below. Of the candidates
    (4 per case wanted), the first with a spend under 1000 yuan stay planted."""
    candidates = customers.planted(DOWNGRADE)
    spend = _net_spend_before(orders, candidates, customers.fixed_day[candidates], calendar)
    wanted = len(candidates) // 4
    keep = np.flatnonzero(spend < 100_000)[:wanted]
    dropped = np.setdiff1d(candidates, candidates[keep])
    customers.plant[dropped], customers.fixed_day[dropped] = NONE, -1
    planted, before = candidates[keep], spend[keep]
    day = customers.fixed_day[planted]
    threshold = np.select([before < 10_000, before < 50_000], [10_000, 50_000], 100_000)
    k = len(planted)
    gap = threshold - before
    extra = rng.integers(2_000, 30_000, k)
    paid = gap + extra
    refunded = extra + np.maximum(1, (gap * rng.uniform(0.2, 0.8, k)).astype(np.int64))
    ordered = calendar.sample_times(rng, day)
    refund = ordered + rng.integers(21 * DAY, 45 * DAY, k)
    new = Orders(
        customer=planted, ordered=ordered, status=np.full(k, COMPLETED), paid=paid,
        refunded=refunded, refunded_at=refund, discount=np.zeros(k, np.int64),
        channel=np.zeros(k, np.int64), updated=refund, fate=np.full(k, PARTIAL_REFUND),
        shipped=ordered + DAY, completed=ordered + 5 * DAY, refund_time=refund,
        number=np.zeros(k, np.int64))
    new_items = Items(order=len(orders) + np.arange(k), product=catalog.sample(rng, day),
                      quantity=np.ones(k, np.int64), unit=paid, line=paid.copy())
    return concat([orders, new]), concat([items, new_items])


def _plant_future_refunds(orders: Orders, calendar: Calendar, rng) -> None:
    """Partial refunds dated the day after the as-of date on recent completed orders."""
    recent = np.flatnonzero((orders.status == COMPLETED) & (orders.refund_time == NA)
                            & (orders.paid > 100) & (orders.updated != NA)
                            & (orders.ordered > calendar.as_of_end_second - 30 * DAY))
    chosen = rng.choice(recent, min(FUTURE_REFUNDS, len(recent)), replace=False)
    when = calendar.day_start(calendar.as_of_index + 1) + rng.integers(9 * 3600, 18 * 3600,
                                                                       len(chosen))
    orders.refunded[chosen] = orders.paid[chosen] // 4
    orders.refunded_at[chosen] = when
    orders.updated[chosen] = when
    orders.refund_time[chosen] = when
    orders.fate[chosen] = PARTIAL_REFUND


def _sorted(orders: Orders, items: Items, shop: Shop, rng) -> tuple[Orders, Items]:
    """Orders in time order with growing ids; items follow their orders."""
    order = np.argsort(orders.ordered, kind="stable")
    orders = take(orders, order)
    orders.number = (1_800_000_000_000_000_000 + shop.number * 10_000_000_000_000_000
                     + np.cumsum(rng.integers(1, 5000, len(orders))))
    position = np.empty(len(order), np.int64)
    position[order] = np.arange(len(order))
    new_order = position[items.order]
    items.order = new_order
    return orders, take(items, np.lexsort((items.product, new_order)))
