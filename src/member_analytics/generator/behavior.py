"""Behaviour events: what members do without paying.

Three sources: the session before each order (views of the ordered products,
add-to-cart), browsing sessions (views, favourites and carts that often end
without a purchase, more of them in promotion pre-heat and return periods,
plus shares, games, surveys and votes), and daily check-in streaks. Planted
quiet members visit on most days for four months and then stop.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import text
from .catalog import Catalog
from .customers import (BUYER_MEMBER, FUTURE, GUEST, IDLE, POTENTIAL, QUIET, VISITOR,
                        Customers)
from .frames import concat, distinct, take
from .orders import Items, Orders
from .scales import Shop
from .seasons import Calendar, month_and_day

EVENT_TYPES = ("view", "favorite", "cart", "favorite_shop", "check_in", "game", "survey",
               "vote", "share")
VIEW, FAVORITE, CART, FAVORITE_SHOP, CHECK_IN, GAME, SURVEY, VOTE, SHARE = range(9)
WITH_PRODUCT = np.array([True, True, True, False, False, False, False, False, True])
TYPE_SHARES = {   # for the events after a session's first view
    "normal": [0.60, 0.12, 0.10, 0.03, 0.04, 0.04, 0.01, 0.02, 0.04],
    "promotion": [0.40, 0.22, 0.25, 0.03, 0.03, 0.03, 0.01, 0.01, 0.02],
}
SESSIONS_PER_CUSTOMER = {POTENTIAL: 8.0, IDLE: 1.5, VISITOR: 3.0}
CHECK_IN_SHARE = 0.06
FUTURE_EVENTS = 3


@dataclass
class Behavior:
    customer: np.ndarray
    event_type: np.ndarray
    occurred: np.ndarray     # seconds
    product: np.ndarray      # index into Catalog, -1 for none
    session: np.ndarray      # session number

    def __len__(self) -> int:
        return len(self.customer)

    def table(self, shop: Shop, member_ids: pa.Array, product_ids: pa.Array) -> pa.Table:
        product = text.choices(product_ids.to_pylist(), self.product)
        return text.table({
            "shop_id": text.constant(shop.shop_id, len(self)),
            "member_id": member_ids.take(pa.array(self.customer)),
            "event_type": text.choices(EVENT_TYPES, self.event_type),
            "occurred_at": text.timestamps(self.occurred),
            "product_id": product,
            "session_id": text.padded(self.session, "S", 10),
        })


def build_behavior(customers: Customers, orders: Orders, items: Items, catalog: Catalog,
                   calendar: Calendar, rng: np.random.Generator) -> Behavior:
    """All behaviour events of a shop in time order; session numbers unique in the shop."""
    parts = [_order_sessions(orders, items, catalog, calendar, rng),
             _browsing(customers, catalog, calendar, rng),
             _check_in_streaks(customers, calendar, rng),
             _quiet_visits(customers, catalog, calendar, rng),
             _future_events(customers, catalog, calendar, rng)]
    offset = 0
    for part in parts:
        part.session += offset
        offset = part.session.max(initial=offset) + 1
    events = concat(parts)
    return distinct(take(events, np.argsort(events.occurred, kind="stable")), "occurred")


def _order_sessions(orders: Orders, items: Items, catalog: Catalog, calendar: Calendar,
                    rng) -> Behavior:
    """Views and carts of the ordered products in the hour before 90% of orders."""
    with_session = rng.random(len(orders)) < 0.9
    line = np.flatnonzero(with_session[items.order])
    order = items.order[line]
    viewed = rng.random(len(line)) < 0.75
    carted = rng.random(len(line)) < 0.3
    extra = np.repeat(np.flatnonzero(with_session), rng.poisson(0.3, with_session.sum()))
    at = orders.ordered
    return Behavior(
        customer=orders.customer[np.concatenate([order[viewed], order[carted], extra])],
        event_type=np.repeat([VIEW, CART, VIEW], [viewed.sum(), carted.sum(), len(extra)]),
        occurred=np.concatenate([
            at[order[viewed]] - rng.integers(120, 3600, viewed.sum()),
            at[order[carted]] - rng.integers(30, 110, carted.sum()),
            at[extra] - rng.integers(120, 3600, len(extra))]),
        product=np.concatenate([items.product[line[viewed]], items.product[line[carted]],
                                catalog.sample(rng, calendar.day_of(at[extra]))]),
        session=np.concatenate([order[viewed], order[carted], extra]),
    )


def _session_counts(c: Customers, rng) -> np.ndarray:
    rate = np.zeros(len(c))
    buyer = np.isin(c.kind, (BUYER_MEMBER, GUEST))
    rate[buyer] = 1.0 + 0.35 * c.n_orders[buyer]
    for kind, sessions in SESSIONS_PER_CUSTOMER.items():
        rate[c.kind == kind] = sessions
    rate[np.isin(c.plant, (QUIET, FUTURE))] = 0
    return rng.poisson(rate)


def _promotion_traffic(calendar: Calendar, day: np.ndarray) -> np.ndarray:
    """Pre-heat and return-period days, when carts and favourites pile up."""
    month, dom = month_and_day(calendar.start + day)
    return (((month == 10) & (dom >= 20)) | ((month == 11) & (dom <= 15) & (dom != 11))
            | ((month == 6) & (dom <= 20) & (dom != 18)))


def _browsing(c: Customers, catalog: Catalog, calendar: Calendar, rng) -> Behavior:
    counts = _session_counts(c, rng)
    who = np.repeat(np.arange(len(c)), counts)
    buyer = np.isin(c.kind, (BUYER_MEMBER, GUEST))
    until = np.where(buyer, np.minimum(c.end + 90, calendar.as_of_index), c.end)
    day = calendar.sample_days(rng, "browse", c.start[who], until[who])
    start = calendar.sample_times(rng, day)
    size = 1 + rng.poisson(1.2, len(who))
    session = np.repeat(np.arange(len(who)), size)
    position = np.arange(len(session)) - np.repeat(np.cumsum(size) - size, size)
    promo = _promotion_traffic(calendar, day[session])
    event_type = np.where(
        promo, rng.choice(len(EVENT_TYPES), len(session), p=TYPE_SHARES["promotion"]),
        rng.choice(len(EVENT_TYPES), len(session), p=TYPE_SHARES["normal"]))
    event_type[position == 0] = VIEW
    offset = np.cumsum(rng.integers(5, 300, len(session)))
    offset -= np.repeat(offset[np.cumsum(size) - size], size)
    product = np.where(WITH_PRODUCT[event_type], catalog.sample(rng, day[session]), -1)
    return Behavior(customer=who[session], event_type=event_type,
                    occurred=start[session] + offset, product=product,
                    session=session)


def _check_in_streaks(c: Customers, calendar: Calendar, rng) -> Behavior:
    """Daily check-ins for a few weeks in a row by ~6% of the registered members."""
    eligible = np.flatnonzero(np.isin(c.kind, (BUYER_MEMBER, POTENTIAL)) & (c.plant != QUIET))
    who = eligible[rng.random(len(eligible)) < CHECK_IN_SHARE]
    length = np.minimum(rng.geometric(1 / 25, len(who)), 120)
    first = calendar.sample_days(rng, "browse", c.start[who],
                                 np.minimum(c.end[who] + 60, calendar.as_of_index))
    member = np.repeat(who, length)
    day = np.repeat(first, length) + np.arange(len(member)) - np.repeat(np.cumsum(length) - length,
                                                                        length)
    inside = day <= calendar.as_of_index
    member, day = member[inside], day[inside]
    return Behavior(customer=member, event_type=np.full(len(member), CHECK_IN),
                    occurred=calendar.sample_times(rng, day), product=np.full(len(member), -1),
                    session=np.arange(len(member)))


def _quiet_visits(c: Customers, catalog: Catalog, calendar: Calendar, rng) -> Behavior:
    """Planted quiet members: visits on ~45% of the 120 days up to their last visit."""
    quiet = c.planted(QUIET)
    offsets = np.arange(-120, 1)
    member = np.repeat(quiet, len(offsets))
    day = np.repeat(c.fixed_day[quiet], len(offsets)) + np.tile(offsets, len(quiet))
    visit = ((rng.random(len(day)) < 0.45) | (day == c.fixed_day[member])) & (day >= 0)
    member, day = member[visit], day[visit]
    event_type = rng.choice([VIEW, FAVORITE, CART], len(day), p=[0.6, 0.25, 0.15])
    return Behavior(customer=member, event_type=event_type,
                    occurred=calendar.sample_times(rng, day),
                    product=catalog.sample(rng, day),
                    session=np.arange(len(day)))


def _future_events(c: Customers, catalog: Catalog, calendar: Calendar, rng) -> Behavior:
    """A few views the day after the as-of date (valid, outside that date's metrics)."""
    who = rng.choice(np.flatnonzero(c.kind == BUYER_MEMBER), FUTURE_EVENTS, replace=False)
    day = np.full(FUTURE_EVENTS, calendar.as_of_index + 1)
    return Behavior(customer=who, event_type=np.full(FUTURE_EVENTS, VIEW),
                    occurred=calendar.sample_times(rng, day), product=catalog.sample(rng, day),
                    session=np.arange(FUTURE_EVENTS))
