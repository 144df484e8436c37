"""ground_truth.json: what the marts must find in the generated data.

Facts are computed (vectorised, per shop) from the clean rows, which are
exactly the rows the contract keeps: every planted dirty row is rejected, a
duplicate or superseded. "Valid purchase", "refunded" and the refund's date
follow the contract; only orders placed and refunds dated up to the as-of date
count. Member-level lists hold every member that meets the definition (planted
or not; `planted` tells which were planted on purpose).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .behavior import Behavior
from .customers import (COMEBACK, DOWNGRADE, LOYAL_AT_RISK, OVERDRAWN, QUIET, followup_days)
from .dirt import KEY_COLUMN, Ledger
from .orders import COMPLETED, PAID, REFUNDED, SHIPPED, Orders
from .points import R_REDEMPTION
from .seasons import NA, Calendar
from .service import COMPLAINT
from .shop import ShopData

GENERATOR_VERSION = "1.0.0"
THRESHOLDS = (100_000, 50_000, 10_000)   # spend tiers in cents: 1000 / 500 / 100 yuan
MEMBER_LISTS = ("loyal_to_at_risk", "quiet_members", "comeback_members", "lapsed_members",
                "refund_downgrades", "upcoming_birthdays", "first_purchase_followups")
SORT_KEYS = {name: ("shop_id", "member_id") for name in MEMBER_LISTS}
SORT_KEYS.update({
    "refund_downgrades": ("shop_id", "member_id", "refund_date", "order_id"),
    "first_purchase_followups": ("shop_id", "followup", "member_id"),
    "planted_product_pairs": ("shop_id", "product_id_a", "product_id_b"),
    "promotion_complaints": ("shop_id", "promotion_date"),
    "products_not_in_catalog": ("shop_id", "product_id"),
    "duplicate_request_ids": ("shop_id", "request_id"),
    "overdrawn_redemptions": ("shop_id", "request_id"),
    "shop_stats": ("shop_id",),
    "campaigns": ("shop_id", "assigned_date", "audience"),
    "recent_contacts": ("shop_id", "member_id"),
})
DEFINITIONS = {
    "valid_purchase": "kept order placed on or before as_of_date with status paid, shipped, "
                      "completed or refunded and refunded < paid_amount, or paid_amount = 0 "
                      "with status paid, shipped or completed; refunded = coalesce("
                      "refunded_amount, paid_amount if status = refunded else 0), counted only "
                      "when the refund date (refunded_at, else updated_at, else ordered_at) is "
                      "on or before as_of_date",
    "loyal_to_at_risk": "last valid purchase 120-200 days before as_of_date and >= 6 valid "
                        "orders (same-day orders count one by one) in the 365 days ending on "
                        "that last purchase date",
    "quiet_members": "last visit (a day with any behaviour event) 30-180 days before "
                     "as_of_date and >= 20 visit days in the 90 days ending on it",
    "comeback_members": "last valid purchase within 90 days before as_of_date and the valid "
                        "purchase before it (an earlier day) at least 180 days earlier",
    "lapsed_members": "bought validly before, no valid purchase in the 365 days up to "
                      "as_of_date (as_of_date - last_purchase_date > 365)",
    "refund_downgrades": "per day, cumulative net spend = paid_amount of paid/shipped/"
                         "completed/refunded orders on their order day minus refunds on their "
                         "refund day; listed: a day on which it falls from >= a threshold "
                         "(1000/500/100 yuan) to below it and a refund dated >= 14 days after "
                         "its order happens (the largest such refund is named)",
    "upcoming_birthdays": "registered members (registered_at <= as_of_date) with a birth_date "
                          "whose next birthday (29 Feb -> 28 Feb in non-leap years) is 1-30 "
                          "days after as_of_date",
    "first_purchase_followups": "first valid purchase exactly 3 days, 21 days or 3 calendar "
                                "months (same day of month, clamped to the month end) before "
                                "as_of_date; buyers with or without a members row",
    "promotion_complaints": "kept complaint events per shop in the 30 days before "
                            "(promotion day -30 .. -1) and after (+1 .. +30) each 6.18 and 11.11; "
                            "a window is complete when it lies inside the data (start date .. "
                            "as_of_date)",
}


class Truth:
    """Collects per-shop facts, then assembles the ground-truth dict."""

    def __init__(self, seed: int, scale: str, scale_params: dict, file_format: str,
                 calendar: Calendar):
        self.seed, self.scale, self.params = seed, scale, scale_params
        self.file_format, self.calendar = file_format, calendar
        self.lists: dict[str, list[dict]] = {}
        self.dirty: list[dict] = []
        self.shops: list[str] = []
        self.after_as_of = {table: 0 for table in KEY_COLUMN}
        self.campaign_settings: dict | None = None

    def _extend(self, name: str, rows: list[dict]) -> None:
        self.lists.setdefault(name, []).extend(rows)

    def add_shop(self, data: ShopData, ledger: Ledger) -> None:
        self.shops.append(data.shop.shop_id)
        self.dirty.extend(ledger.records)
        valid = valid_purchases(data.orders, self.calendar)
        purchases = _purchases(data, valid)
        self._extend("loyal_to_at_risk", _loyal_to_at_risk(data, purchases, valid))
        self._extend("comeback_members", _comebacks(data, purchases))
        self._extend("lapsed_members", _lapsed(data, purchases))
        self._extend("first_purchase_followups", _followups(data, purchases))
        self._extend("quiet_members", _quiet(data))
        self._extend("refund_downgrades", _refund_downgrades(data))
        self._extend("upcoming_birthdays", _upcoming_birthdays(data))
        self._extend("promotion_complaints", _promotion_complaints(data))
        self._extend("planted_product_pairs", _pairs(data))
        self._extend("products_not_in_catalog", _delisted(data))
        self._extend("duplicate_request_ids", _retried_requests(data))
        self._extend("overdrawn_redemptions", _overdrawn(data))
        self._extend("shop_stats", [_shop_stats(data, valid, purchases)])
        for table, count in _rows_after_as_of(data).items():
            self.after_as_of[table] += count

    def add_campaigns(self, campaigns: list[dict], recent_contacts: list[dict],
                      settings: dict) -> None:
        """A shop's campaign history (campaigns.py): its campaigns, its members with
        recent sends and the plan of every shop (key campaign_settings)."""
        self.campaign_settings = settings
        self._extend("campaigns", campaigns)
        self._extend("recent_contacts", recent_contacts)

    def finish(self, rows_written: dict[str, int]) -> dict:
        limit = self.params["list_limit"]
        truth = {
            "generator_version": GENERATOR_VERSION, "seed": self.seed, "scale": self.scale,
            "scale_parameters": self.params, "file_format": self.file_format,
            "as_of_date": str(self.calendar.as_of),
            "data_start_date": str(self.calendar.start),
            "shops": sorted(self.shops),
            "timestamp_format": "YYYY-MM-DD HH:MM:SS (dates YYYY-MM-DD), shop-local time",
            "row_counts": _row_counts(self.dirty, rows_written),
            "rows_after_as_of_date": self.after_as_of,
            "dirty_rows": sorted(self.dirty, key=lambda r: (r["table"], r["shop_id"],
                                                            r["row_number"])),
            "definitions": DEFINITIONS,
            "list_sizes": {},
        }
        for name, rows in self.lists.items():
            rows = sorted(rows, key=lambda r: tuple(str(r[k]) for k in SORT_KEYS[name]))
            truncated = name in MEMBER_LISTS and limit is not None and len(rows) > limit
            truth[name] = rows[:limit] if truncated else rows
            if name in MEMBER_LISTS:
                truth["list_sizes"][name] = {"total": len(rows), "truncated": truncated}
        truth["truncated"] = any(v["truncated"] for v in truth["list_sizes"].values())
        if self.campaign_settings is not None:
            truth["campaign_settings"] = self.campaign_settings
        return truth


def _row_counts(dirty: list[dict], rows_written: dict[str, int]) -> dict:
    counts = {}
    for table, raw in rows_written.items():
        planted = [r for r in dirty if r["table"] == table]
        by_state = {s: sum(r["state"] == s for r in planted)
                    for s in ("rejected", "duplicate", "superseded")}
        reasons: dict[str, int] = {}
        for r in planted:
            if r["state"] == "rejected":
                reasons[r["reason"]] = reasons.get(r["reason"], 0) + 1
        counts[table] = {"raw": raw, "kept": raw - len(planted), **by_state,
                         "rejected_by_reason": dict(sorted(reasons.items()))}
    return counts


def refunds(o: Orders, calendar: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """The contract's refunded amount (cents) of each order and the day index of its refund
    (refunded_at, else updated_at, else ordered_at)."""
    refund_at = np.where(o.refunded_at != NA, o.refunded_at,
                         np.where(o.updated != NA, o.updated, o.ordered))
    refunded = np.where(o.refunded != NA, o.refunded, np.where(o.status == REFUNDED, o.paid, 0))
    return refunded, calendar.day_of(refund_at)


def valid_purchases(o: Orders, calendar: Calendar) -> np.ndarray:
    """The contract's valid purchases as of the as-of date."""
    as_of_day = calendar.as_of_index
    refunded, refund_day = refunds(o, calendar)
    applied = np.where(refund_day <= as_of_day, refunded, 0)
    paid_status = np.isin(o.status, (PAID, SHIPPED, COMPLETED))
    return (calendar.day_of(o.ordered) <= as_of_day) & (
        ((paid_status | (o.status == REFUNDED)) & (applied < o.paid))
        | ((o.paid == 0) & paid_status))


def _purchases(data: ShopData, valid: np.ndarray) -> pd.DataFrame:
    """Per buyer: first and last valid purchase day, the purchase day before the last."""
    df = pd.DataFrame({"customer": data.orders.customer[valid],
                       "day": data.calendar.day_of(data.orders.ordered[valid])})
    stats = df.groupby("customer")["day"].agg(first="min", last="max", orders="size")
    earlier = df.merge(stats["last"], left_on="customer", right_index=True)
    previous = earlier[earlier["day"] < earlier["last"]].groupby("customer")["day"].max()
    stats["previous"] = previous.reindex(stats.index).fillna(-1).astype(np.int64)
    return stats


def _member(data: ShopData, customers, **columns) -> list[dict]:
    """Records {shop_id, member_id, **columns} for the given customers."""
    customers = np.asarray(customers, dtype=np.int64)
    ids = data.member_ids.take(customers).to_pylist() if len(customers) else []
    rows = []
    for i, member_id in enumerate(ids):
        row = {"shop_id": data.shop.shop_id, "member_id": member_id}
        row.update({name: values[i] for name, values in columns.items()})
        rows.append(row)
    return rows


def _planted(data: ShopData, customers, code: int) -> list[bool]:
    return [bool(v) for v in data.customers.plant[np.asarray(customers, np.int64)] == code]


def _dates(data: ShopData, days) -> list[str]:
    days = np.asarray(days, dtype=np.int64)
    return np.datetime_as_string(data.calendar.start + days, unit="D").tolist()


def _loyal_to_at_risk(data: ShopData, purchases: pd.DataFrame, valid: np.ndarray) -> list[dict]:
    today = data.calendar.as_of_index
    last = purchases["last"]
    candidates = purchases[(today - last >= 120) & (today - last <= 200)]
    days = pd.DataFrame({"customer": data.orders.customer,
                         "day": data.calendar.day_of(data.orders.ordered)})
    days = days[valid].merge(candidates["last"], left_on="customer", right_index=True)
    in_year = days[(days["day"] > days["last"] - 365) & (days["day"] <= days["last"])]
    counts = in_year.groupby("customer").size()
    chosen = counts[counts >= 6]
    who = chosen.index.to_numpy()
    return _member(data, who, last_purchase_date=_dates(data, candidates.loc[who, "last"]),
                   valid_orders_in_prior_year=[int(c) for c in chosen],
                   planted=_planted(data, who, LOYAL_AT_RISK))


def _comebacks(data: ShopData, purchases: pd.DataFrame) -> list[dict]:
    today = data.calendar.as_of_index
    p = purchases[(today - purchases["last"] <= 90) & (purchases["previous"] >= 0)
                  & (purchases["last"] - purchases["previous"] >= 180)]
    who = p.index.to_numpy()
    return _member(data, who, last_purchase_date=_dates(data, p["last"]),
                   previous_purchase_date=_dates(data, p["previous"]),
                   gap_days=[int(g) for g in p["last"] - p["previous"]],
                   planted=_planted(data, who, COMEBACK))


def _lapsed(data: ShopData, purchases: pd.DataFrame) -> list[dict]:
    p = purchases[data.calendar.as_of_index - purchases["last"] > 365]
    who = p.index.to_numpy()
    return _member(data, who, last_purchase_date=_dates(data, p["last"]),
                   is_registered_member=[bool(r) for r in data.customers.registered[who]])


def _followups(data: ShopData, purchases: pd.DataFrame) -> list[dict]:
    rows = []
    for name, day in followup_days(data.calendar).items():
        who = purchases.index[purchases["first"] == day].to_numpy()
        rows += _member(data, who, first_purchase_date=_dates(data, [day] * len(who)),
                        followup=[name] * len(who),
                        is_registered_member=[bool(r) for r in data.customers.registered[who]])
    return rows


def _visit_days(b: Behavior, calendar: Calendar) -> pd.DataFrame:
    inside = b.occurred <= calendar.as_of_end_second
    key = np.sort(b.customer[inside] * 4096 + calendar.day_of(b.occurred[inside]))
    key = key[np.concatenate([[True], np.diff(key) != 0])]
    return pd.DataFrame({"customer": key // 4096, "day": key % 4096})


def _quiet(data: ShopData) -> list[dict]:
    today = data.calendar.as_of_index
    visits = _visit_days(data.behavior, data.calendar)
    last = visits.groupby("customer")["day"].max().rename("last")
    last = last[(today - last >= 30) & (today - last <= 180)]
    recent = visits.merge(last, left_on="customer", right_index=True)
    counts = recent[recent["day"] > recent["last"] - 90].groupby("customer").size()
    counts = counts[counts >= 20]
    who = counts.index.to_numpy()
    return _member(data, who, last_visit_date=_dates(data, last.loc[who]),
                   visit_days_in_90_days=[int(c) for c in counts],
                   planted=_planted(data, who, QUIET))


def _refund_downgrades(data: ShopData) -> list[dict]:
    o, calendar = data.orders, data.calendar
    as_of_day = calendar.as_of_index
    order_day = calendar.day_of(o.ordered)
    paid_like = np.isin(o.status, (PAID, SHIPPED, COMPLETED, REFUNDED)) & (order_day <= as_of_day)
    refunded, refund_day = refunds(o, calendar)
    refund = paid_like & (refunded > 0) & (refund_day <= as_of_day)
    moves = pd.DataFrame({
        "customer": np.concatenate([o.customer[paid_like], o.customer[refund]]),
        "day": np.concatenate([order_day[paid_like], refund_day[refund]]),
        "delta": np.concatenate([o.paid[paid_like], -refunded[refund]]),
    })
    daily = moves.groupby(["customer", "day"], sort=True)["delta"].sum().reset_index()
    daily["after"] = daily.groupby("customer")["delta"].cumsum()
    daily["before"] = daily["after"] - daily["delta"]
    late = pd.DataFrame({"customer": o.customer[refund], "day": refund_day[refund],
                         "row": np.flatnonzero(refund), "amount": refunded[refund],
                         "order_day": order_day[refund]})
    late = late[late["day"] - late["order_day"] >= 14]
    late = late.sort_values(["customer", "day", "amount", "row"], ascending=[True, True, False,
                                                                             True])
    late = late.drop_duplicates(["customer", "day"]).merge(daily, on=["customer", "day"])
    crossed = np.column_stack([(late["before"] >= t) & (late["after"] < t) for t in THRESHOLDS])
    hit = crossed.any(axis=1)
    late = late[hit].assign(thresholds=[[t // 100 for t, yes in zip(THRESHOLDS, row) if yes]
                                        for row in crossed[hit]])
    order_ids = o.ids().take(late["row"].to_numpy()).to_pylist() if len(late) else []
    return _member(data, late["customer"].to_numpy(), order_id=order_ids,
                   order_date=_dates(data, late["order_day"]),
                   refund_date=_dates(data, late["day"]),
                   spend_before=[f"{v / 100:.2f}" for v in late["before"]],
                   spend_after=[f"{v / 100:.2f}" for v in late["after"]],
                   thresholds_crossed=list(late["thresholds"]),
                   planted=_planted_downgrades(data, late))


def _planted_downgrades(data: ShopData, late: pd.DataFrame) -> list[bool]:
    """The planted case is the refund of the order placed on the member's planted day."""
    c = data.customers
    customer = late["customer"].to_numpy()
    return [bool(v) for v in (c.plant[customer] == DOWNGRADE)
            & (late["order_day"].to_numpy() == c.fixed_day[customer])]


def _upcoming_birthdays(data: ShopData) -> list[dict]:
    calendar = data.calendar
    registered = data.registered_at[data.member_rows] <= calendar.as_of_end_second
    rows = np.flatnonzero(registered & (data.birth != NA))
    birth = pd.to_datetime(data.birth[rows], unit="s")
    as_of = pd.Timestamp(str(calendar.as_of))
    best = np.full(len(rows), np.iinfo(np.int64).max)
    bday = np.empty(len(rows), dtype="datetime64[s]")
    for year in (as_of.year, as_of.year + 1):
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        day = np.where((birth.month == 2) & (birth.day == 29) & (not leap), 28, birth.day)
        date = pd.to_datetime(pd.DataFrame({"year": year, "month": birth.month, "day": day}))
        until = (date - as_of).dt.days.to_numpy()
        better = (until >= 1) & (until < best)
        best[better] = until[better]
        bday[better] = date.to_numpy()[better]
    soon = best <= 30
    who = data.member_rows[rows[soon]]
    return _member(data, who, birth_date=[str(d.date()) for d in birth[soon]],
                   birthday_date=[str(d)[:10] for d in bday[soon]],
                   days_until=[int(d) for d in best[soon]])


def _promotion_complaints(data: ShopData) -> list[dict]:
    calendar, s = data.calendar, data.service
    kept = (s.event_type == COMPLAINT) & (s.occurred <= calendar.as_of_end_second)
    day = calendar.day_of(s.occurred[kept])
    rows = []
    for name, date in calendar.promotion_days():
        p = calendar.index_of(date)
        rows.append({"shop_id": data.shop.shop_id, "promotion": name,
                     "promotion_date": str(date),
                     "complaints_before_30d": int(((day >= p - 30) & (day <= p - 1)).sum()),
                     "complaints_after_30d": int(((day >= p + 1) & (day <= p + 30)).sum()),
                     "before_window_complete": bool(p - 30 >= 0),
                     "after_window_complete": bool(p + 30 <= calendar.as_of_index)})
    return rows


def _pairs(data: ShopData) -> list[dict]:
    ids = data.catalog.ids(data.shop).to_pylist()
    return [{"shop_id": data.shop.shop_id, "product_id_a": min(ids[a], ids[b]),
             "product_id_b": max(ids[a], ids[b])} for a, b in data.catalog.pairs]


def _delisted(data: ShopData) -> list[dict]:
    ids = data.catalog.ids(data.shop).to_pylist()
    return [{"shop_id": data.shop.shop_id, "product_id": ids[i]}
            for i in np.flatnonzero(~data.catalog.listed)]


def _retried_requests(data: ShopData) -> list[dict]:
    p = data.points
    numbers, counts = np.unique(p.request[p.request != NA], return_counts=True)
    rows = []
    for number in numbers[counts > 1]:
        first = int(np.flatnonzero(p.request == number)[0])
        rows += _member(data, [p.customer[first]], request_id=[f"RQ{number:012d}"],
                        rows=[int((p.request == number).sum())])
    return rows


def _overdrawn(data: ShopData) -> list[dict]:
    p = data.points
    rows = np.flatnonzero((p.reason == R_REDEMPTION)
                          & (data.customers.plant[p.customer] == OVERDRAWN))
    earned = np.bincount(p.customer, weights=np.maximum(p.points, 0),
                         minlength=len(data.customers))
    return _member(data, p.customer[rows],
                   request_id=[f"RQ{n:012d}" if n != NA else "" for n in p.request[rows]],
                   points=[int(v) for v in p.points[rows]],
                   lifetime_points_earned=[int(earned[c]) for c in p.customer[rows]],
                   occurred_at=[str(np.datetime64(int(t), "s")).replace("T", " ")
                                for t in p.occurred[rows]])


def _shop_stats(data: ShopData, valid: np.ndarray, purchases: pd.DataFrame) -> dict:
    calendar = data.calendar
    day = calendar.day_of(data.orders.ordered)
    per_day = np.bincount(day[day <= calendar.as_of_index], minlength=calendar.as_of_index + 1)
    double11 = {name.split()[1]: int(per_day[calendar.index_of(date)])
                for name, date in calendar.promotion_days() if name.startswith("11.11")}
    registered = data.registered_at[data.member_rows] <= calendar.as_of_end_second
    return {"shop_id": data.shop.shop_id, "registered_members": int(registered.sum()),
            "buyers": int(len(purchases)), "valid_orders": int(valid.sum()),
            "one_time_buyer_share": round(float((purchases["orders"] == 1).mean()), 4),
            "median_orders_per_day": float(np.median(per_day)),
            "orders_on_11_11": double11}


def _rows_after_as_of(data: ShopData) -> dict[str, int]:
    end = data.calendar.as_of_end_second
    return {"orders": int((data.orders.ordered > end).sum()),
            "order_items": 0,
            "members": int((data.registered_at[data.member_rows] > end).sum()),
            "products": 0,
            "behavior_events": int((data.behavior.occurred > end).sum()),
            "service_events": int((data.service.occurred > end).sum()),
            "points_events": int((data.points.occurred > end).sum())}
