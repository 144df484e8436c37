"""An independent pandas implementation of fct_member_rfm.

It starts from the raw files only (reference.expected_fct_orders applies the
raw-data contract in Python) and the project's reference data (the segment
map seed), and follows the issues' definitions without looking at the SQL:
F and M (and R in `quantiles` mode) score 1 + floor(5 * (rank - 1) / n) with
rank = SQL rank() (pandas rank(method="min")) ordered so that better comes
later; in `bands` mode (the default, issue 22) R is 5 up to 30 days since the
last purchase, 4 up to 90, 3 up to 180, 2 up to 270, 1 beyond.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from .reference import expected_fct_orders

ROOT = Path(__file__).resolve().parents[2]
BANDS = [(90, "active_period"), (180, "silent_period"), (270, "sleeping_period")]
RECENCY_SCORE_BOUNDS = [(30, 5), (90, 4), (180, 3), (270, 2)]


def _score(values: pd.Series, ascending: bool) -> pd.Series:
    rank = values.rank(method="min", ascending=ascending).astype(int)
    return 1 + (5 * (rank - 1)) // len(values)


def _band(days: int) -> str:
    return next((name for limit, name in BANDS if days <= limit), "lost_period")


def _recency_score(days: int) -> int:
    return next((score for limit, score in RECENCY_SCORE_BOUNDS if days <= limit), 1)


def expected_fct_member_rfm(raw_path: Path, as_of_date: str, earliest: str, latest: str,
                            recency_scoring: str = "bands") -> pd.DataFrame:
    as_of = pd.Timestamp(as_of_date)
    orders = expected_fct_orders(raw_path, as_of_date, earliest, latest)
    valid = orders[orders["is_valid_purchase"]].copy()
    valid["ordered_date"] = valid["ordered_at"].map(lambda stamp: stamp.normalize())
    members = valid.groupby(["shop_id", "member_id"]).agg(
        frequency=("order_id", "size"),
        purchase_days=("ordered_date", "nunique"),
        monetary=("net_amount", lambda amounts: sum(amounts, Decimal("0.00"))),
        first_purchase_date=("ordered_date", "min"),
        last_purchase_date=("ordered_date", "max"),
    ).reset_index()
    members["recency_days"] = (as_of - members["last_purchase_date"]).dt.days
    members["average_order_value"] = [
        (monetary / frequency).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        for monetary, frequency in zip(members["monetary"], members["frequency"])
    ]
    scored = []
    for _, shop in members.groupby("shop_id"):
        shop = shop.copy()
        # fewer days is better: more days rank first
        if recency_scoring == "bands":
            shop["r_score"] = shop["recency_days"].map(_recency_score)
        else:
            shop["r_score"] = _score(shop["recency_days"], ascending=False)
        shop["f_score"] = _score(shop["frequency"], ascending=True)
        shop["m_score"] = _score(shop["monetary"].map(float), ascending=True)
        scored.append(shop)
    members = pd.concat(scored)
    segment_map = pd.read_csv(ROOT / "seeds" / "rfm_segment_map.csv")
    segment_map = segment_map[segment_map["recency_scoring"] == recency_scoring].drop(columns="recency_scoring")
    members = members.merge(segment_map, on=["r_score", "f_score", "m_score"], how="left")
    members["recency_band"] = members["recency_days"].map(_band)
    members["loyalty_ladder_step"] = members["frequency"].clip(upper=5)
    return members
