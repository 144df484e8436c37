"""The members file: registered members and their (fake) profiles.

Buyers who joined register shortly before their first order (at checkout or
up to four months earlier); other members register at the start of their
window. Profiles are partly empty (profile completeness), gender and the
opt-out flag are spelled the shop's way, and a few members are born on 29 Feb.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import text
from .customers import Customers
from .orders import Orders
from .scales import Shop
from .seasons import NA, SECONDS_PER_DAY, Calendar
from .vocab import (FLAG_SPELLINGS, GENDER_SPELLINGS, NICK_HEADS, NICK_TAILS, PHONE_HEADS,
                    REGIONS)

LEAP_BIRTHDAYS_PER_SHOP = 2
LEAP_YEARS = (1984, 1988, 1992, 1996, 2000, 2004)


def member_ids(shop: Shop, customers: Customers) -> pa.Array:
    """member_id text of every customer (registered or not)."""
    return text.padded(customers.number, shop.member_prefix, shop.member_width)


def registration_times(customers: Customers, orders: Orders, calendar: Calendar,
                       rng: np.random.Generator) -> np.ndarray:
    """registered_at (seconds) of every customer; meaningful for registered ones."""
    n = len(customers)
    first_order = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_order, orders.customer, orders.ordered)
    at_checkout = rng.random(n) < 0.45
    lag = np.where(at_checkout, rng.integers(60, 1800, n),
                   rng.integers(SECONDS_PER_DAY, 120 * SECONDS_PER_DAY, n))
    start = calendar.start_second
    buyer = first_order < np.iinfo(np.int64).max
    registered = np.where(buyer, first_order - lag, calendar.sample_times(rng, customers.start))
    early = buyer & (registered < start)
    registered[early] = start + ((first_order[early] - start) * rng.random(early.sum())).astype(
        np.int64)
    return registered


def members_table(shop: Shop, customers: Customers, registered_at: np.ndarray, ids: pa.Array,
                  calendar: Calendar, rng: np.random.Generator
                  ) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """The members file rows (sorted by registration), the customer of each row and
    each row's birth date (seconds of midnight, NA if empty)."""
    rows = np.flatnonzero(customers.registered)
    rows = rows[np.argsort(registered_at[rows], kind="stable")]
    n = len(rows)
    birth = _birth_dates(n, calendar, rng)
    male, female, other = GENDER_SPELLINGS[shop.style]
    true, false = FLAG_SPELLINGS[shop.style]
    province, city = _regions(n, rng)
    table = text.table({
        "shop_id": text.constant(shop.shop_id, n),
        "member_id": ids.take(pa.array(rows)),
        "registered_at": text.timestamps(registered_at[rows]),
        "gender": text.choices((female, male, other),
                               rng.choice([0, 1, 2, -1], n, p=[0.66, 0.27, 0.02, 0.05])),
        "birth_date": text.dates(birth),
        "province": province,
        "city": city,
        "phone": _phones(n, rng),
        "nickname": _nicknames(n, rng),
        "is_marketing_opt_out": text.choices((true, false),
                                             rng.choice([0, 1, -1], n, p=[0.04, 0.86, 0.10])),
    })
    return table, rows, birth


def _birth_dates(n: int, calendar: Calendar, rng) -> np.ndarray:
    """Ages 18-60 at the as-of date, 72% filled in, a few on 29 February."""
    as_of = calendar.as_of.astype("datetime64[D]").astype(np.int64)
    days = as_of - (rng.uniform(18, 61, n) * 365.25).astype(np.int64)
    filled = np.flatnonzero(rng.random(n) < 0.72)
    leap = rng.choice(filled, min(LEAP_BIRTHDAYS_PER_SHOP, len(filled)), replace=False)
    days[leap] = np.array([np.datetime64(f"{year}-02-29") for year in
                           rng.choice(LEAP_YEARS, len(leap))]).astype("datetime64[D]")\
        .astype(np.int64)
    birth = np.full(n, NA)
    birth[filled] = days[filled] * SECONDS_PER_DAY
    return birth


def _regions(n: int, rng) -> tuple[pa.Array, pa.Array]:
    weights = np.array([row[2] for row in REGIONS], dtype=float)
    pick = rng.choice(len(REGIONS), n, p=weights / weights.sum())
    unknown = rng.random(n)
    province = np.where(unknown < 0.04, -1, pick)
    city = np.where(unknown < 0.06, -1, pick)
    return (text.choices([row[0] for row in REGIONS], province),
            text.choices([row[1] for row in REGIONS], city))


def _phones(n: int, rng) -> pa.Array:
    """Masked mobile numbers like 138****0421 (as shop back-ends show them); 15% empty."""
    phone = pc.binary_join_element_wise(
        text.choices(PHONE_HEADS, rng.integers(0, len(PHONE_HEADS), n)),
        pc.utf8_lpad(text.integers(rng.integers(0, 10_000, n)), width=4, padding="0"), "****")
    return pc.if_else(pa.array(rng.random(n) < 0.15), pa.nulls(n, pa.string()), phone)


def _nicknames(n: int, rng) -> pa.Array:
    nick = pc.binary_join_element_wise(
        text.choices(NICK_HEADS, rng.integers(0, len(NICK_HEADS), n)),
        text.choices(NICK_TAILS, rng.integers(0, len(NICK_TAILS), n)),
        text.integers(rng.integers(1, 9999, n)), "")
    return pc.if_else(pa.array(rng.random(n) < 0.10), pa.nulls(n, pa.string()), nick)
