"""An independent pandas implementation of fct_member_rfm.

It starts from the raw files only (reference.expected_fct_orders applies the
raw-data contract in Python) and the project's reference data (the segment
map seed), and follows the issue's definitions without looking at the SQL:
score = 1 + floor(5 * (rank - 1) / n) with rank = SQL rank() (pandas
rank(method="min")) ordered so that better comes later.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from .reference import expected_fct_orders

ROOT = Path(__file__).resolve().parents[2]
BANDS = [(90, "active_period"), (180, "silent_period"), (270, "sleeping_period")]


def _score(values: pd.Series, ascending: bool) -> pd.Series:
    rank = values.rank(method="min", ascending=ascending).astype(int)
    return 1 + (5 * (rank - 1)) // len(values)


def _band(days: int) -> str:
    return next((name for limit, name in BANDS if days <= limit), "lost_period")


def expected_fct_member_rfm(raw_path: Path, as_of_date: str, earliest: str, latest: str) -> pd.DataFrame:
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
        shop["r_score"] = _score(shop["recency_days"], ascending=False)
        shop["f_score"] = _score(shop["frequency"], ascending=True)
        shop["m_score"] = _score(shop["monetary"].map(float), ascending=True)
        scored.append(shop)
    members = pd.concat(scored)
    segment_map = pd.read_csv(ROOT / "seeds" / "rfm_segment_map.csv")
    members = members.merge(segment_map, on=["r_score", "f_score", "m_score"], how="left")
    members["recency_band"] = members["recency_days"].map(_band)
    members["loyalty_ladder_step"] = members["frequency"].clip(upper=5)
    return members
