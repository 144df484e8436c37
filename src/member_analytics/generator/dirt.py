"""Dirty rows of every class in the raw-data contract, planted per shop, with a ledger.

Each planted row starts as a copy of a clean row of the same shop and gets the
changes of a *variant*. A variant may break several rules at once; the ledger
records the reason the contract's precedence gives it (the first that
applies). Rows with a rejection reason get a fresh key (order_id, member_id,
product_id, event_id, request_id) so they never collide with clean rows; the
exceptions are order items and events whose own values are broken (they keep
pointing at a clean order or member, which stays kept).

Besides rejections: exact copies (`duplicate`; one copy of a rejected row is
planted too, so precedence is exercised), older versions of clean orders
(`superseded`, including a three-version chain) and keys with tied versions
(`duplicate_key`, with an older tied-out version `superseded`). Every item of
a planted rejected order is `rejected_order`; orders whose key also has a
superseded row or an exact copy get no items (the contract leaves that open).

`vary_formats` makes a few clean rows messy but valid: codes in upper case or
with blanks, timestamps with the ISO `T` separator.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .scales import Shop

KEY_COLUMN = {"orders": "order_id", "order_items": "order_id", "members": "member_id",
              "products": "product_id", "behavior_events": "member_id",
              "service_events": "event_id", "points_events": "request_id"}
TS_FORMAT = "%Y-%m-%d %H:%M:%S"
NEW_ORDER = "<an order id that no orders row has>"


def _exceeding(row: dict) -> str:
    """A refunded_amount 50 yuan above the paid_amount."""
    return f"{Decimal(row['paid_amount']) + 50:.2f}"


BEFORE = [{"ordered_at": "1970-01-01 00:00:00"}, {"ordered_at": "1989-12-31 23:59:59"}]
AFTER = [{"ordered_at": "2099-01-01 00:00:00"}, {"ordered_at": "2099-12-31 23:59:59"}]


def _at(variants: list[dict], column: str) -> list[dict]:
    return [{column: v["ordered_at"]} for v in variants]


# table -> reason -> variants (changes to a clean row). Multi-fault variants check precedence.
VARIANTS: dict[str, dict[str, list[dict]]] = {
    "orders": {
        "missing_key": [{"order_id": None}, {"member_id": None},
                        {"member_id": None, "paid_amount": "abc"}],
        "bad_type": [{"ordered_at": "2025-13-45 10:00:00"}, {"paid_amount": "12,50"},
                     {"refunded_amount": "n.a."}, {"refunded_at": "yesterday"},
                     {"discount_amount": "5元"}, {"updated_at": "2025-02-30 08:00:00"},
                     {"ordered_at": "31/12/2025 10:00", "status": "unknown"}],
        "unknown_code": [{"status": "shipping"}, {"status": None},
                         {"status": "delivered", "paid_amount": "-5.00"}],
        "negative_amount": [{"paid_amount": "-10.00"}, {"refunded_amount": "-5.00"},
                            {"discount_amount": "-3.00"},
                            {"paid_amount": "-1.00", "ordered_at": "2099-01-01 00:00:00"}],
        "refund_exceeds_payment": [
            {"status": "refunded", "refunded_amount": _exceeding},
            {"refunded_amount": _exceeding, "ordered_at": "1970-01-01 00:00:00"}],
        "date_before_earliest": BEFORE,
        "date_after_latest": AFTER,
    },
    "order_items": {
        "missing_key": [{"order_id": None}, {"product_id": None},
                        {"product_id": None, "quantity": "x"}],
        "bad_type": [{"quantity": "two"}, {"unit_price": "12,50"}, {"line_amount": "abc"},
                     {"quantity": "1.0.0", "order_id": NEW_ORDER}],
        "negative_amount": [{"unit_price": "-9.90", "line_amount": "-9.90"},
                            {"line_amount": "-1.00"}, {"unit_price": "-1.00", "quantity": "0"}],
        "out_of_range": [{"quantity": "0"}, {"quantity": "-2"}],
        "unknown_order": [{"order_id": NEW_ORDER}],
    },
    "members": {
        "missing_key": [{"member_id": None},
                        {"member_id": None, "registered_at": "2024-02-30 10:00:00"}],
        "bad_type": [{"registered_at": "2024-02-30 10:00:00"}, {"birth_date": "1990-13-01"},
                     {"is_marketing_opt_out": "maybe"}],
        "date_before_earliest": _at(BEFORE, "registered_at"),
        "date_after_latest": _at(AFTER, "registered_at"),
    },
    "products": {
        "missing_key": [{"product_id": None}, {"product_id": None, "list_price": "-1.00"}],
        "bad_type": [{"list_price": "abc"}, {"launched_at": "2024-13-01"},
                     {"list_price": "1,299.00"}],
        "negative_amount": [{"list_price": "-1.00"}, {"list_price": "-0.01"}],
    },
    "behavior_events": {
        "missing_key": [{"member_id": None}, {"member_id": None, "event_type": "click"}],
        "bad_type": [{"occurred_at": "not a date"}, {"occurred_at": "2025-02-29 10:00:00"},
                     {"occurred_at": "2025-06-18 25:61:00"}],
        "unknown_code": [{"event_type": "click"}, {"event_type": None},
                         {"event_type": "purchase", "occurred_at": "2099-01-01 00:00:00"}],
        "date_before_earliest": _at(BEFORE, "occurred_at"),
        "date_after_latest": _at(AFTER, "occurred_at"),
    },
    "service_events": {
        "missing_key": [{"member_id": None}, {"member_id": None, "rating": "9"}],
        "bad_type": [{"occurred_at": "2025-13-01 10:00:00"},
                     {"event_type": "review", "rating": "five"},
                     {"event_type": "complaint", "resolved_at": "soon"}],
        "unknown_code": [{"event_type": "refund_request"}, {"event_type": None},
                         {"event_type": "praise", "rating": "0"}],
        "out_of_range": [{"event_type": "review", "rating": "0"},
                         {"event_type": "review", "rating": "6"},
                         {"event_type": "review", "rating": "7",
                          "occurred_at": "1970-01-01 00:00:00"}],
        "date_before_earliest": _at(BEFORE, "occurred_at"),
        "date_after_latest": _at(AFTER, "occurred_at"),
    },
    "points_events": {
        "missing_key": [{"member_id": None}, {"member_id": None, "points": "0"}],
        "bad_type": [{"points": "ten"}, {"occurred_at": "2025-02-29 10:00:00"},
                     {"points": "1.0.0"}],
        "out_of_range": [{"points": "0"}, {"points": "0", "occurred_at": "2099-01-01 00:00:00"}],
        "date_before_earliest": _at(BEFORE, "occurred_at"),
        "date_after_latest": _at(AFTER, "occurred_at"),
    },
}
# Tables whose rejected rows get a fresh value in their key column.
FRESH_KEY = {"orders", "members", "products", "service_events", "points_events"}


@dataclass
class Ledger:
    """Planted rows per table (in file order) and one ground-truth record per row."""

    shop: Shop
    row_offset: dict[str, int]
    rows: dict[str, list[dict]] = field(default_factory=lambda: {t: [] for t in KEY_COLUMN})
    records: list[dict] = field(default_factory=list)

    def add(self, table: str, row: dict, state: str, reason: str | None = None) -> None:
        self.rows[table].append(row)
        self.records.append({
            "table": table, "state": state, "reason": reason, "shop_id": self.shop.shop_id,
            "key_column": KEY_COLUMN[table], "key": row[KEY_COLUMN[table]] or "",
            "row_number": self.row_offset[table] + len(self.rows[table]),
        })

    def tables(self, schemas: dict[str, pa.Schema]) -> dict[str, pa.Table]:
        return {t: pa.Table.from_pylist(rows, schema=schemas[t]) for t, rows in self.rows.items()}


class Planter:
    """Plants every class of dirt in one shop: `k` rows per variant family and table."""

    def __init__(self, shop: Shop, clean: dict[str, pa.Table], k: int,
                 rng: np.random.Generator, row_offset: dict[str, int]):
        self.shop, self.clean, self.k, self.rng = shop, clean, k, rng
        self.ledger = Ledger(shop, row_offset)
        self._used = {t: set() for t in clean}
        self._serial = 0
        orders = clean["orders"]
        refund = orders["refunded_amount"]
        self._plain_orders = np.flatnonzero(pc.and_(
            pc.and_(pc.equal(orders["status"], "completed"), pc.is_valid(orders["updated_at"])),
            pc.and_(pc.invert(pc.match_substring(orders["ordered_at"], "T")),
                    pc.or_kleene(pc.is_null(refund), pc.equal(refund, "0.00")))
        ).to_numpy(zero_copy_only=False))

    def plant(self) -> Ledger:
        rejected_orders = self._rejections()
        copied = self._exact_duplicates()
        self._order_versions()
        keys_with_items = self._duplicate_keys()
        keys_with_items += [row["order_id"] for row in rejected_orders
                            if row["order_id"] is not None and row["order_id"] not in copied]
        self._rejected_order_items(keys_with_items)
        return self.ledger

    # ----------------------------------------------------------------- helpers
    def _template(self, table: str, pool: np.ndarray | None = None) -> dict:
        """A copy of a random clean row not used as a template before."""
        n = self.clean[table].num_rows
        while True:
            index = int(self.rng.choice(pool) if pool is not None else self.rng.integers(n))
            if index not in self._used[table]:
                self._used[table].add(index)
                return self.clean[table].slice(index, 1).to_pylist()[0]

    def _fresh(self, column: str) -> str:
        """A key value no clean row of the shop has (clean numbers stay far below 9xxx)."""
        self._serial += 1
        shop = self.shop
        if column == "order_id":
            return f"99{shop.number:02d}{self._serial:015d}"
        if column == "member_id":
            width = shop.member_width
            return f"{shop.member_prefix}{9 * 10 ** (width - 1) + self._serial:0{width}d}"
        if column == "product_id":
            width = shop.product_width
            return f"{shop.product_prefix}{9 * 10 ** (width - 1) + self._serial:0{width}d}"
        if column == "event_id":
            return f"SE{9_000_000_000 + self._serial:010d}"
        return f"RQ{900_000_000_000 + self._serial:012d}"

    def _order_template(self) -> dict:
        return self._template("orders", self._plain_orders)

    def _variant(self, table: str, changes: dict) -> dict:
        row = self._order_template() if table == "orders" else self._template(table)
        if table in FRESH_KEY:
            row[KEY_COLUMN[table]] = self._fresh(KEY_COLUMN[table])
        for column, value in changes.items():
            if value == NEW_ORDER:
                value = self._fresh("order_id")
            row[column] = value(row) if callable(value) else value
        return row

    # ----------------------------------------------------------------- planting
    def _rejections(self) -> list[dict]:
        """k rows per (table, reason), cycling through the reason's variants."""
        planted_orders = []
        for table, reasons in VARIANTS.items():
            for reason, variants in reasons.items():
                for j in range(self.k):
                    changes = variants[(self.shop.number * self.k + j) % len(variants)]
                    row = self._variant(table, changes)
                    self.ledger.add(table, row, "rejected", reason)
                    if table == "orders":
                        planted_orders.append(row)
        return planted_orders

    def _exact_duplicates(self) -> set[str]:
        """k copies of clean rows and one copy of a rejected row per table; returns the
        order keys that now have a copy."""
        copied = set()
        for table in KEY_COLUMN:
            rows = [self._order_template() if table == "orders" else self._template(table)
                    for _ in range(self.k)]
            rows.append(dict(self.ledger.rows[table][0]))
            for row in rows:
                self.ledger.add(table, row, "duplicate")
                if table == "orders" and row["order_id"] is not None:
                    copied.add(row["order_id"])
        return copied

    def _order_versions(self) -> None:
        """Older versions of clean orders: 'shipped' a few days before completion; every
        second one also an older 'paid' version (a three-version chain)."""
        for j in range(self.k):
            row = self._order_template()
            updated = dt.datetime.strptime(row["updated_at"], TS_FORMAT)
            ordered = dt.datetime.strptime(row["ordered_at"], TS_FORMAT)
            versions = [("shipped", max(updated - dt.timedelta(days=3), ordered
                                        + dt.timedelta(hours=6)))]
            if j % 2:
                versions.append(("paid", ordered + dt.timedelta(minutes=5)))
            for status, when in versions:
                older = dict(row, status=status, updated_at=when.strftime(TS_FORMAT))
                self.ledger.add("orders", older, "superseded")

    def _duplicate_keys(self) -> list[str]:
        """Keys shared by different rows; returns the order keys whose items are planted."""
        with_items = []
        for j in range(self.k):
            with_items += self._tied_orders((self.shop.number * self.k + j) % 3)
            self._tied_rows("members", "nickname", copy_first=j % 2 == 1)
            self._tied_rows("products", "product_name")
            self._tied_rows("service_events", "occurred_at")
        return with_items

    def _tied_orders(self, case: int) -> list[str]:
        """case 0: two rows tie on updated_at; 1: two rows, both without updated_at;
        2: two rows tie and an older third row (superseded, so no items)."""
        row = self._order_template()
        row["order_id"] = self._fresh("order_id")
        if case == 1:
            row["updated_at"] = None
        other = dict(row, channel="pc" if row["channel"] != "pc" else "app")
        self.ledger.add("orders", row, "rejected", "duplicate_key")
        self.ledger.add("orders", other, "rejected", "duplicate_key")
        if case != 2:
            return [row["order_id"]]
        older = dt.datetime.strptime(row["updated_at"], TS_FORMAT) - dt.timedelta(days=2)
        self.ledger.add("orders", dict(row, status="shipped",
                                       updated_at=older.strftime(TS_FORMAT)), "superseded")
        return []

    def _tied_rows(self, table: str, column: str, copy_first: bool = False) -> None:
        """Two rows with one fresh key that differ in `column` (a text value gets a suffix,
        a timestamp one more second), optionally with an exact copy of the first row."""
        row = self._template(table)
        row[KEY_COLUMN[table]] = self._fresh(KEY_COLUMN[table])
        other = dict(row)
        if column.endswith("_at"):
            when = dt.datetime.fromisoformat(row[column]) + dt.timedelta(seconds=1)
            other[column] = when.strftime(TS_FORMAT)
        else:
            other[column] = f"{row[column] or ''} (2)"
        self.ledger.add(table, row, "rejected", "duplicate_key")
        if copy_first:
            self.ledger.add(table, dict(row), "duplicate")
        self.ledger.add(table, other, "rejected", "duplicate_key")

    def _rejected_order_items(self, order_ids: list[str]) -> None:
        """One or two items (distinct products) for each rejected order key."""
        for order_id in order_ids:
            products = set()
            for _ in range(1 + int(self.rng.integers(2))):
                item = self._template("order_items")
                if item["product_id"] in products:
                    continue
                products.add(item["product_id"])
                self.ledger.add("order_items", dict(item, order_id=order_id), "rejected",
                                "rejected_order")


def vary_formats(tables: dict[str, pa.Table], rng: np.random.Generator) -> dict[str, pa.Table]:
    """Valid but messy spellings in ~0.1% (at least 2) of some clean rows."""
    changes = (("orders", "status", pc.utf8_upper), ("orders", "ordered_at", _iso_t),
               ("behavior_events", "event_type", _padded_title),
               ("service_events", "event_type", pc.utf8_upper))
    tables = dict(tables)
    for table, column, change in changes:
        data = tables[table]
        n = data.num_rows
        chosen = np.zeros(n, dtype=bool)
        chosen[rng.choice(n, max(2, n // 1000), replace=False)] = True
        values = data[column].combine_chunks()
        mask = pa.array(chosen)
        new = pc.replace_with_mask(values, mask, change(values.filter(mask)))
        tables[table] = data.set_column(data.schema.get_field_index(column), column, new)
    return tables


def _iso_t(values: pa.Array) -> pa.Array:
    return pc.replace_substring(values, " ", "T")


def _padded_title(values: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise(" ", pc.utf8_title(values), "")
