"""`generate_days`: a sample as two daily loads, for the incremental daily run (decision 0091).

The generator writes a dataset as of day A (its `as_of_date`). This splits it into
two complete raw folders, as a shop's nightly export would deliver them:

- `day_1/`: the data as of D = A - 1: every row of the sample except the rows dated A
  (orders placed on A and their items, behaviour, service and points events on A,
  members registered and products launched on A, campaign messages sent and campaign
  assignments made on A);
- `day_2/`: the data as of A: every row of the sample, plus a new version of a few
  old orders refunded on A (status `refunded`, `refunded_at` and `updated_at` on A):
  the late changes an incremental run must pick up. One of them is older than
  `lookback_days` before A, so the run counts and warns about it.

A row's day is the first ten characters of its timestamp (`YYYY-MM-DD`, the contract's
spelling); rows without a readable date (the planted dirt) are in both days.
Same arguments -> byte-identical files.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .core import generate
from .writer import COLUMNS, ROW_GROUP, TableWriters, schema

# The column that dates a row of each table (order_items: its order's).
DAY_COLUMN = {"orders": "ordered_at", "behavior_events": "occurred_at", "service_events": "occurred_at",
              "points_events": "occurred_at", "members": "registered_at", "products": "launched_at",
              "campaign_sends": "sent_at", "campaign_assignments": "assigned_date"}
REFUND_TIME = "10:30:00"


def _read(path: Path, file_format: str, table: str) -> pa.Table:
    if file_format == "parquet":
        return pq.read_table(path).cast(schema(table))
    return pacsv.read_csv(path, convert_options=_csv_options(table))


def _csv_options(table: str) -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(column_types={name: pa.string() for name in COLUMNS[table]},
                                strings_can_be_null=True)


def _batches(path: Path, file_format: str, table: str, batch_rows: int) -> Iterator[pa.Table]:
    """The rows of one sample file in order, a batch at a time (at most `batch_rows` rows for
    Parquet; CSV in the reader's blocks): at the large scale the behaviour events alone do not
    fit in memory as one table (reading every table whole was killed at 24 GB)."""
    if file_format == "parquet":
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            yield pa.Table.from_batches([batch]).cast(schema(table))
        return
    with pacsv.open_csv(path, convert_options=_csv_options(table)) as reader:
        for batch in reader:
            yield pa.Table.from_batches([batch], schema=schema(table))


class _Grouped:
    """Rows of one table added in batches of any size and written in chunks of exactly
    `ROW_GROUP` rows (the last one shorter), each as one contiguous chunk (the Parquet
    writer's pages follow the chunks it is given), so a file's bytes do not depend on how
    its input was read."""

    def __init__(self, writers: TableWriters, table: str):
        self.writers, self.table, self.pending, self.count = writers, table, [], 0

    def add(self, rows: pa.Table) -> None:
        self.pending.append(rows)
        self.count += rows.num_rows
        while self.count >= ROW_GROUP:
            rows = pa.concat_tables(self.pending).combine_chunks()
            self.writers.write(self.table, rows.slice(0, ROW_GROUP))
            self.pending, self.count = [rows.slice(ROW_GROUP)], rows.num_rows - ROW_GROUP

    def close(self) -> None:
        if self.count:
            self.writers.write(self.table, pa.concat_tables(self.pending).combine_chunks())
        self.pending, self.count = [], 0


def _day(values: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_slice_codeunits(values, 0, 10)


def _late_refunds(orders: pa.Table, last_day: str, count: int, lookback_days: int,
                  rng: np.random.Generator) -> pa.Table:
    """New versions of `count` old completed orders, refunded in full on `last_day`; the
    first is placed more than `lookback_days` before it, the others within the lookback."""
    day = dt.date.fromisoformat(last_day)
    lookback_start = (day - dt.timedelta(days=lookback_days)).isoformat()
    ordered_day = _day(orders["ordered_at"])
    keys = pc.binary_join_element_wise(orders["shop_id"], orders["order_id"], "|")
    unique_keys = pc.value_counts(keys)
    once = pc.filter(unique_keys.field("values"), pc.equal(unique_keys.field("counts"), 1))
    eligible = pc.and_(pc.and_(pc.equal(orders["status"], "completed"),
                               pc.is_null(orders["refunded_amount"])),
                       pc.and_(pc.is_in(keys, value_set=once), pc.is_valid(orders["updated_at"])))
    eligible = pc.and_(eligible, pc.less(_day(orders["updated_at"]), last_day))
    old = np.flatnonzero(pc.and_(eligible, pc.less(ordered_day, lookback_start)).to_numpy(zero_copy_only=False))
    recent = np.flatnonzero(pc.and_(eligible, pc.greater_equal(ordered_day, lookback_start)).to_numpy(
        zero_copy_only=False))
    chosen = [int(rng.choice(old))] + [int(i) for i in rng.choice(recent, count - 1, replace=False)]
    rows = orders.take(pa.array(sorted(chosen)))
    stamp = pa.array([f"{last_day} {REFUND_TIME}"] * rows.num_rows, pa.string())
    rows = rows.set_column(rows.schema.get_field_index("status"), "status",
                           pa.array(["refunded"] * rows.num_rows, pa.string()))
    rows = rows.set_column(rows.schema.get_field_index("refunded_amount"), "refunded_amount", rows["paid_amount"])
    rows = rows.set_column(rows.schema.get_field_index("refunded_at"), "refunded_at", stamp)
    return rows.set_column(rows.schema.get_field_index("updated_at"), "updated_at", stamp)


def generate_days(out_dir: Path, scale: str = "tiny", seed: int = 42, file_format: str = "parquet",
                  as_of_date: str = "2026-11-18", late_refunds: int = 5, lookback_days: int = 30,
                  batch_rows: int = ROW_GROUP) -> dict:
    """Write `out_dir/day_1/` (as of as_of_date - 1) and `out_dir/day_2/` (as of as_of_date,
    with `late_refunds` old orders refunded that day) and `out_dir/days.json`; return the latter.
    Only the orders are held in memory whole; every other table is split `batch_rows` rows at a
    time (the files do not depend on it)."""
    out_dir = Path(out_dir)
    sample = out_dir / "sample"
    truth = generate(sample, scale=scale, seed=seed, file_format=file_format, as_of_date=as_of_date)
    last_day = truth["as_of_date"]

    with TableWriters(out_dir / "day_1", file_format) as earlier, \
            TableWriters(out_dir / "day_2", file_format) as later:
        orders = _read(sample / f"orders.{file_format}", file_format, "orders")
        refunds = _late_refunds(orders, last_day, late_refunds, lookback_days, np.random.default_rng([seed, 91]))
        orders_of_day = orders.filter(pc.fill_null(pc.equal(_day(orders["ordered_at"]), last_day), False))
        day_keys = pc.binary_join_element_wise(orders_of_day["shop_id"], orders_of_day["order_id"], "|").unique()
        del orders, orders_of_day
        for table in COLUMNS:
            grouped = {"day_1": _Grouped(earlier, table), "day_2": _Grouped(later, table)}
            for rows in _batches(sample / f"{table}.{file_format}", file_format, table, batch_rows):
                if table == "order_items":
                    keys = pc.binary_join_element_wise(rows["shop_id"], rows["order_id"], "|")
                    kept = pc.invert(pc.fill_null(pc.is_in(keys, value_set=day_keys), False))
                else:
                    kept = pc.fill_null(pc.not_equal(_day(rows[DAY_COLUMN[table]]), last_day), True)
                grouped["day_1"].add(rows.filter(kept))
                grouped["day_2"].add(rows)
            if table == "orders":
                grouped["day_2"].add(refunds.cast(schema(table)))
            for writer in grouped.values():
                writer.close()
    shutil.rmtree(sample)
    previous_day = (dt.date.fromisoformat(last_day) - dt.timedelta(days=1)).isoformat()
    days = {
        "scale": scale, "seed": seed, "file_format": file_format,
        "day_1": {"folder": "day_1", "as_of_date": previous_day,
                  "rows": dict(earlier.rows)},
        "day_2": {"folder": "day_2", "as_of_date": last_day,
                  "rows": dict(later.rows)},
        "late_refunds": [{"shop_id": row["shop_id"], "order_id": row["order_id"], "member_id": row["member_id"],
                          "ordered_at": row["ordered_at"]} for row in refunds.to_pylist()],
        "lookback_days": lookback_days,
        "late_refunds_older_than_lookback": 1,
    }
    (out_dir / "days.json").write_text(json.dumps(days, sort_keys=True, indent=1) + "\n", encoding="utf-8")
    return days
