"""An independent pandas implementation of the raw-data contract for orders.

It reads the raw files only and applies docs/raw_data_contract.md without
looking at the SQL, so comparing it with fct_orders checks the models (and
the contract) from a second, unrelated implementation.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

STATUSES = {"created", "paid", "shipped", "completed", "cancelled", "refunded"}
ORDER_COLUMNS = [
    "shop_id", "order_id", "member_id", "ordered_at", "status", "paid_amount",
    "refunded_amount", "refunded_at", "discount_amount", "channel", "updated_at",
]


def read_raw(raw_path: Path, table: str) -> pd.DataFrame:
    """A contract table as text, absent columns as None."""
    parquet, csv = raw_path / f"{table}.parquet", raw_path / f"{table}.csv"
    if parquet.exists():
        frame = pd.read_parquet(parquet).astype(object)
        frame = frame.map(lambda value: None if value is None or pd.isna(value) else _as_text(value))
    else:
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[])
        frame = frame.map(lambda value: None if value == "" else value)
    return frame


def _as_text(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _clean(value):
    if value is None or (isinstance(value, float) and value != value):  # pandas turns None into NaN
        return None
    value = str(value).strip()
    return value or None


def _money(value):
    value = _clean(value)
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return "bad"
    if not number.is_finite():
        return "bad"
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _time(value):
    value = _clean(value)
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        return "bad"
    return "bad" if pd.isna(stamp) else stamp


def kept_orders(raw_path: Path, earliest: str, latest: str) -> pd.DataFrame:
    """Kept order rows, typed, after every contract rule."""
    raw = read_raw(raw_path, "orders")
    for column in ORDER_COLUMNS:
        if column not in raw.columns:
            raw[column] = None
    if "shop_id" not in read_raw(raw_path, "orders").columns:
        raw["shop_id"] = "default"
    raw = raw[ORDER_COLUMNS]
    raw = raw[~raw.duplicated(keep="first")].copy()

    rows = []
    for record in raw.to_dict("records"):
        row = {key: _clean(record[key]) for key in ("shop_id", "order_id", "member_id", "channel")}
        row["status"] = (_clean(record["status"]) or "").lower() or None
        row["channel"] = row["channel"].lower() if row["channel"] else None
        for key in ("paid_amount", "refunded_amount", "discount_amount"):
            row[key] = _money(record[key])
        for key in ("ordered_at", "refunded_at", "updated_at"):
            row[key] = _time(record[key])
        reason = None
        if not (row["shop_id"] and row["order_id"] and row["member_id"]):
            reason = "missing_key"
        elif row["ordered_at"] is None or row["paid_amount"] is None:
            reason = "missing_value"
        elif any(row[key] == "bad" for key in
                 ("paid_amount", "refunded_amount", "discount_amount", "ordered_at", "refunded_at", "updated_at")):
            reason = "bad_type"
        elif row["status"] not in STATUSES:
            reason = "unknown_code"
        elif any(row[key] is not None and row[key] < 0 for key in ("paid_amount", "refunded_amount", "discount_amount")):
            reason = "negative_amount"
        elif row["refunded_amount"] is not None and row["refunded_amount"] > row["paid_amount"]:
            reason = "refund_exceeds_payment"
        elif row["ordered_at"].date() < pd.Timestamp(earliest).date():
            reason = "date_before_earliest"
        elif row["ordered_at"].date() > pd.Timestamp(latest).date():
            reason = "date_after_latest"
        row["reason"] = reason
        rows.append(row)
    typed = pd.DataFrame(rows)
    candidates = typed[typed["reason"].isna()].copy()

    kept = []
    for _, versions in candidates.groupby(["shop_id", "order_id"], sort=False):
        stamps = [value for value in versions["updated_at"] if not pd.isna(value)]
        latest_stamp = max(stamps) if stamps else None
        top = versions[[value == latest_stamp for value in versions["updated_at"]]] if latest_stamp else versions
        if len(top) == 1:
            kept.append(top.iloc[0].to_dict())
    return pd.DataFrame(kept)


def expected_fct_orders(raw_path: Path, as_of_date: str, earliest: str, latest: str) -> pd.DataFrame:
    """fct_orders recomputed: refunds up to as_of_date, validity, sequence."""
    as_of = pd.Timestamp(as_of_date).date()
    orders = kept_orders(raw_path, earliest, latest)
    records = []
    for row in orders.to_dict("records"):
        paid = row["paid_amount"]
        refund = row["refunded_amount"] if not pd.isna(row["refunded_amount"]) else (
            paid if row["status"] == "refunded" else Decimal("0.00"))
        refund_time = next(value for value in (row["refunded_at"], row["updated_at"], row["ordered_at"]) if not pd.isna(value))
        applied = refund if refund_time.date() <= as_of else Decimal("0.00")
        ordered_date = row["ordered_at"].date()
        valid = ordered_date <= as_of and (
            (row["status"] in {"paid", "shipped", "completed", "refunded"} and applied < paid)
            or (paid == 0 and row["status"] in {"paid", "shipped", "completed"})
        )
        records.append({
            "shop_id": row["shop_id"], "order_id": row["order_id"], "member_id": row["member_id"],
            "status": row["status"], "gross_amount": paid, "refunded_amount": applied,
            "net_amount": paid - applied, "is_valid_purchase": valid, "ordered_at": row["ordered_at"],
        })
    frame = pd.DataFrame(records)
    valid = frame[frame["is_valid_purchase"]].sort_values(["shop_id", "member_id", "ordered_at", "order_id"])
    valid["purchase_sequence_number"] = valid.groupby(["shop_id", "member_id"]).cumcount() + 1
    frame = frame.merge(valid[["shop_id", "order_id", "purchase_sequence_number"]], on=["shop_id", "order_id"], how="left")
    return frame
