"""The campaign loop recomputed in plain Python and pandas (docs/decisions/0123): the holdout
hash, contact fatigue from the raw send log, attribution windows and first purchases, and
the lift intervals written from their textbook formulas (scipy's normal and t quantiles)."""
from __future__ import annotations

import hashlib
import math

import pandas as pd
from scipy import stats

# the defaults of dbt_project.yml
HOLDOUT_SHARE = 0.1
NEVER_HELD_OUT = {"complaint_followup": 0.0, "first_purchase_followup": 0.0}
SALT = "member_analytics"
QUIET_DAYS = 3
WEEKLY_CAP = 3
WINDOWS = {"sms": 7, "app_message": 5, "chat": 3}
DEFAULT_WINDOW = 7


def holdout_unit(shop_id: str, audience: str, member_id: str, salt: str = SALT) -> float:
    text = f"{salt}|{shop_id}|{audience}|{member_id}"
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:8], 16) / 2**32


def holdout_arm(shop_id: str, member_id: str, audience: str) -> str:
    """The arm of a row keyed as fct_campaign_audiences' rows are: (shop, member, audience)."""
    share = NEVER_HELD_OUT.get(audience, HOLDOUT_SHARE)
    return "holdout" if holdout_unit(shop_id, audience, member_id) < share else "treatment"


class SendLog:
    """Kept sends of the raw campaign_sends (the tiny sample's are clean) up to as_of_date."""

    def __init__(self, raw: pd.DataFrame, as_of: pd.Timestamp):
        raw = raw.copy()
        raw["sent_date"] = pd.to_datetime(raw["sent_at"].astype(str).str[:10])
        raw = raw[raw["sent_date"] <= as_of]
        self.as_of = as_of
        self.dates = raw.groupby(["shop_id", "member_id"])["sent_date"].apply(list).to_dict()

    def recent(self, shop_id: str, member_id: str) -> bool:
        return any((self.as_of - day).days < QUIET_DAYS for day in self.dates.get((shop_id, member_id), []))

    def at_weekly_cap(self, shop_id: str, member_id: str) -> bool:
        days = self.dates.get((shop_id, member_id), [])
        return sum((self.as_of - day).days < 7 for day in days) >= WEEKLY_CAP


Z = stats.norm.ppf(0.975)


def wilson(x: int, n: int) -> tuple[float, float]:
    p = x / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return centre - half, centre + half


def newcombe(x_t: int, n_t: int, x_h: int, n_h: int) -> tuple[float, float]:
    p_t, p_h = x_t / n_t, x_h / n_h
    l_t, u_t = wilson(x_t, n_t)
    l_h, u_h = wilson(x_h, n_h)
    d = p_t - p_h
    return d - math.sqrt((p_t - l_t) ** 2 + (u_h - p_h) ** 2), d + math.sqrt((u_t - p_t) ** 2 + (p_h - l_h) ** 2)


def welch(values_t, values_h) -> tuple[float, float]:
    res = stats.ttest_ind(values_t, values_h, equal_var=False)
    ci = res.confidence_interval(0.95)
    return ci.low, ci.high
