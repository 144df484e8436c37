"""The sample data's calendar: days, promotions, seasonal weights, timestamp sampling.

Timestamps are shop-local wall-clock times held as int64 seconds since
1970-01-01 00:00:00 (no time zone). Days are held as indices from the first
data day (`Calendar.start`); `Calendar.as_of_index` is the as-of date.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SECONDS_PER_DAY = 86_400
NA = np.iinfo(np.int64).min  # missing value in every int64 column (timestamps, cents, ints)

# Share of orders per hour of day: low at night, lunch bump, evening peak 20-22h.
HOUR_WEIGHTS = np.array([
    3.0, 1.5, 0.8, 0.5, 0.4, 0.5, 1.0, 2.0, 3.5, 4.5, 5.0, 5.5,
    6.0, 5.5, 5.0, 5.0, 5.0, 5.5, 6.5, 8.0, 9.5, 10.0, 8.5, 5.5,
])
# On 11.11 the first minutes after midnight are the rush hour.
DOUBLE11_HOUR_WEIGHTS = HOUR_WEIGHTS.copy()
DOUBLE11_HOUR_WEIGHTS[:3] = [45.0, 18.0, 6.0]
# Monday .. Sunday.
WEEKDAY_WEIGHTS = np.array([1.0, 0.97, 0.97, 0.95, 0.92, 1.03, 1.16])

# (month, first day, last day, orders, browsing, sign-ups) multipliers.
PROMO_WINDOWS = (
    (10, 20, 31, 1.15, 1.8, 1.2),   # 11.11 pre-heat: deposits, favourites, carts
    (11, 1, 3, 2.2, 2.0, 1.5),      # 11.11 first wave
    (11, 4, 10, 1.05, 2.2, 1.3),    # carts fill up, buyers wait for the day
    (11, 11, 11, 14.0, 4.0, 6.0),   # Double 11
    (11, 12, 15, 1.4, 2.6, 1.2),    # return period: recall of carts and favourites
    (12, 12, 12, 3.0, 2.0, 2.0),    # Double 12
    (3, 8, 8, 2.0, 1.5, 1.5),       # 3.8 sale
    (6, 1, 3, 2.0, 1.6, 1.3),       # 6.18 first wave
    (6, 4, 17, 1.1, 1.5, 1.1),      # 6.18 pre-heat
    (6, 18, 18, 8.0, 3.0, 4.0),     # 6.18
    (6, 19, 20, 1.3, 1.4, 1.0),     # 6.18 return period
    (1, 20, 31, 0.8, 0.9, 0.8),     # spring festival: couriers slow down
    (2, 1, 12, 0.7, 0.8, 0.7),
)
KIND_COLUMN = {"orders": 3, "browse": 4, "signup": 5}
PROMOTIONS = (("6.18", 6, 18), ("11.11", 11, 11))


def month_and_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Month (1-12) and day of month of datetime64[D] values."""
    months = days.astype("datetime64[M]")
    return months.astype(np.int64) % 12 + 1, (days - months).astype(np.int64) + 1


@dataclass(frozen=True)
class Calendar:
    """Days from `start` to `as_of` (both included) with their seasonal weights."""

    start: np.datetime64
    as_of: np.datetime64
    _cdf: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def ending(cls, as_of_date: str, years: int = 3) -> "Calendar":
        """Three years of history: from the first day of the month three years back."""
        as_of = np.datetime64(as_of_date, "D")
        start = (as_of.astype("datetime64[M]") - 12 * years).astype("datetime64[D]")
        calendar = cls(start, as_of)
        for kind in KIND_COLUMN:
            weights = calendar.day_weights(kind)
            calendar._cdf[kind] = np.concatenate([[0.0], np.cumsum(weights)])
        return calendar

    @property
    def as_of_index(self) -> int:
        return int((self.as_of - self.start).astype(np.int64))

    @property
    def days(self) -> np.ndarray:
        return self.start + np.arange(self.as_of_index + 1)

    @property
    def start_second(self) -> int:
        return int(self.start.astype("datetime64[s]").astype(np.int64))

    @property
    def as_of_end_second(self) -> int:
        """The last second of the as-of date: the moment the snapshot was taken."""
        return self.start_second + (self.as_of_index + 1) * SECONDS_PER_DAY - 1

    def index_of(self, date: np.datetime64) -> int:
        return int((np.datetime64(date, "D") - self.start).astype(np.int64))

    def day_start(self, day_index):
        """Second of midnight of day index/indices."""
        return self.start_second + np.asarray(day_index, dtype=np.int64) * SECONDS_PER_DAY

    def day_of(self, seconds):
        """Day index of timestamp(s)."""
        return (np.asarray(seconds, dtype=np.int64) - self.start_second) // SECONDS_PER_DAY

    def day_weights(self, kind: str) -> np.ndarray:
        """Relative activity per day: growth trend x weekday x promotion multipliers."""
        days = self.days
        trend = 1.0 + 0.6 * np.arange(len(days)) / max(len(days) - 1, 1)
        weekday = WEEKDAY_WEIGHTS[(days.astype(np.int64) + 3) % 7]
        month, dom = month_and_day(days)
        promo = np.ones(len(days))
        column = KIND_COLUMN[kind]
        for window in PROMO_WINDOWS:
            inside = (month == window[0]) & (dom >= window[1]) & (dom <= window[2])
            promo[inside] *= window[column]
        return trend * weekday * promo

    def promotion_days(self) -> list[tuple[str, np.datetime64]]:
        """Every 6.18 and 11.11 inside the calendar, as (name like '11.11 2025', day)."""
        found = []
        for year in range(self.start.astype(object).year, self.as_of.astype(object).year + 1):
            for name, month, day in PROMOTIONS:
                date = np.datetime64(f"{year}-{month:02d}-{day:02d}")
                if self.start <= date <= self.as_of:
                    found.append((f"{name} {year}", date))
        return sorted(found, key=lambda item: item[1])

    def is_double11(self, day_index: np.ndarray) -> np.ndarray:
        month, dom = month_and_day(self.start + np.asarray(day_index))
        return (month == 11) & (dom == 11)

    def in_promotion_rush(self, day_index: np.ndarray) -> np.ndarray:
        """Days whose orders are promotion orders: Nov 1-15, Jun 1-20, Dec 12."""
        month, dom = month_and_day(self.start + np.asarray(day_index))
        return (((month == 11) & (dom <= 15)) | ((month == 6) & (dom <= 20))
                | ((month == 12) & (dom == 12)))

    def is_return_period(self, day_index: np.ndarray) -> np.ndarray:
        """The days right after a big promotion: Nov 12-15 and Jun 19-20."""
        month, dom = month_and_day(self.start + np.asarray(day_index))
        return ((month == 11) & (dom >= 12) & (dom <= 15)) | ((month == 6) & (dom >= 19)
                                                              & (dom <= 20))

    def is_big_day(self, day_index: np.ndarray) -> np.ndarray:
        """The 6.18 and 11.11 days themselves."""
        month, dom = month_and_day(self.start + np.asarray(day_index))
        return ((month == 11) & (dom == 11)) | ((month == 6) & (dom == 18))

    def sample_days(self, rng: np.random.Generator, kind: str,
                    low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """One day per (low, high) pair, drawn with the day weights of `kind`."""
        cdf = self._cdf[kind]
        low = np.asarray(low, dtype=np.int64)
        high = np.maximum(np.asarray(high, dtype=np.int64), low)
        a, b = cdf[low], cdf[high + 1]
        picked = np.searchsorted(cdf, a + rng.random(len(low)) * (b - a), side="right") - 1
        return np.clip(picked, low, high)

    def sample_times(self, rng: np.random.Generator, day_index: np.ndarray) -> np.ndarray:
        """A timestamp within each day, following the hour-of-day profile."""
        n = len(day_index)
        normal = np.searchsorted(np.cumsum(HOUR_WEIGHTS) / HOUR_WEIGHTS.sum(), rng.random(n))
        rush = np.searchsorted(np.cumsum(DOUBLE11_HOUR_WEIGHTS) / DOUBLE11_HOUR_WEIGHTS.sum(),
                               rng.random(n))
        hour = np.where(self.is_double11(day_index), rush, normal)
        return self.day_start(day_index) + hour * 3600 + rng.integers(0, 3600, n)
