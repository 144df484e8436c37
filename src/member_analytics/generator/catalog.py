"""A shop's product catalogue: launches over time, categories, brands, prices, popularity."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import text
from .scales import Shop
from .seasons import Calendar
from .vocab import NAME_SUFFIXES, THEMES

PAIRS_PER_SHOP = 3
DELISTED_PER_SHOP = 2


@dataclass
class Catalog:
    """Products in launch order (index = position); `listed` False = not in products file."""

    number: np.ndarray        # numeric part of the product id
    launch_day: np.ndarray    # day index of launched_at (negative: before the data start)
    list_cents: np.ndarray
    category: np.ndarray      # index into categories
    brand: np.ndarray         # index into brands
    noun: np.ndarray          # index into nouns
    suffix: np.ndarray        # index into NAME_SUFFIXES
    cum_weight: np.ndarray    # cumulative popularity, for sampling
    listed: np.ndarray
    pairs: list[tuple[int, int]]
    categories: tuple[str, ...]
    brands: tuple[str, ...]
    nouns: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.number)

    def sample(self, rng: np.random.Generator, day_index: np.ndarray) -> np.ndarray:
        """A product launched on or before each day, drawn by popularity."""
        launched = np.searchsorted(self.launch_day, day_index, side="right")
        launched = np.maximum(launched, 1)
        u = rng.random(len(day_index)) * self.cum_weight[launched - 1]
        return np.minimum(np.searchsorted(self.cum_weight, u, side="right"), launched - 1)

    def ids(self, shop: Shop) -> pa.Array:
        return text.padded(self.number, shop.product_prefix, shop.product_width)

    def table(self, shop: Shop, calendar: Calendar) -> pa.Table:
        """The products file rows (listed products only)."""
        keep = np.flatnonzero(self.listed)
        name = pc.binary_join_element_wise(
            text.choices(self.brands, self.brand[keep]),
            text.choices(self.nouns, self.noun[keep]), " ")
        name = pc.binary_join_element_wise(name, text.choices(NAME_SUFFIXES, self.suffix[keep]), "")
        return text.table({
            "shop_id": text.constant(shop.shop_id, len(keep)),
            "product_id": self.ids(shop).take(pa.array(keep)),
            "product_name": name,
            "category": text.choices(self.categories, self.category[keep]),
            "brand": text.choices(self.brands, self.brand[keep]),
            "list_price": text.money(self.list_cents[keep]),
            "launched_at": text.dates(calendar.day_start(self.launch_day[keep])),
        })


def build_catalog(shop: Shop, n: int, calendar: Calendar, rng: np.random.Generator) -> Catalog:
    brands, category_rows = THEMES[shop.theme]
    categories = tuple(row[0] for row in category_rows)
    nouns = tuple(noun for row in category_rows for noun in row[2])
    noun_offset = np.cumsum([0] + [len(row[2]) for row in category_rows])

    older = rng.random(n) < 0.55
    launch_day = np.sort(np.where(older, rng.integers(-730, 0, n),
                                  rng.integers(0, max(calendar.as_of_index - 7, 1), n)))
    category = rng.integers(0, len(categories), n)
    noun = noun_offset[category] + (rng.random(n) * np.diff(noun_offset)[category]).astype(int)
    median = np.array([row[1] for row in category_rows])[category]
    yuan = np.maximum(np.round(median * rng.lognormal(0.0, 0.35, n)), 10)
    weight = rng.lognormal(0.0, 1.1, n)

    pairs, delisted = _special_products(weight, launch_day, rng)
    listed = np.ones(n, dtype=bool)
    listed[delisted] = False
    return Catalog(
        number=100 + np.cumsum(rng.integers(1, 7, n)),
        launch_day=launch_day,
        list_cents=(yuan * 100 - 10).astype(np.int64),
        category=category,
        brand=rng.integers(0, len(brands), n),
        noun=noun,
        suffix=rng.integers(0, len(NAME_SUFFIXES), n),
        cum_weight=np.cumsum(weight),
        listed=listed,
        pairs=pairs,
        categories=categories, brands=tuple(brands), nouns=nouns,
    )


def _special_products(weight, launch_day, rng) -> tuple[list[tuple[int, int]], list[int]]:
    """Products of middling popularity launched before the data start: planted pairs
    (rare enough alone that buying them together stands out) and delisted ones."""
    old = np.flatnonzero(launch_day < 0)
    by_popularity = old[np.argsort(-weight[old], kind="stable")]
    pool = by_popularity[len(old) // 3:2 * len(old) // 3]
    chosen = rng.choice(pool, 2 * PAIRS_PER_SHOP + DELISTED_PER_SHOP, replace=False)
    pairs = [(int(chosen[2 * i]), int(chosen[2 * i + 1])) for i in range(PAIRS_PER_SHOP)]
    return pairs, [int(i) for i in chosen[2 * PAIRS_PER_SHOP:]]
