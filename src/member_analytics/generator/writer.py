"""Chunked writing of the contract tables as Parquet or CSV.

Every column is text. Parquet: one row group per written chunk (at most
`ROW_GROUP` rows), snappy compression, nulls for empty values. CSV: UTF-8,
comma separated, one header row, every non-empty value in double quotes, an
empty value as nothing between the commas (pyarrow's "needed" quoting).
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

COLUMNS: dict[str, tuple[str, ...]] = {
    "orders": ("shop_id", "order_id", "member_id", "ordered_at", "status", "paid_amount",
               "refunded_amount", "refunded_at", "discount_amount", "channel", "updated_at"),
    "order_items": ("shop_id", "order_id", "product_id", "quantity", "unit_price",
                    "line_amount"),
    "members": ("shop_id", "member_id", "registered_at", "gender", "birth_date", "province",
                "city", "phone", "nickname", "is_marketing_opt_out"),
    "products": ("shop_id", "product_id", "product_name", "category", "brand", "list_price",
                 "launched_at"),
    "behavior_events": ("shop_id", "member_id", "event_type", "occurred_at", "product_id",
                        "session_id"),
    "service_events": ("shop_id", "event_id", "member_id", "event_type", "occurred_at",
                       "order_id", "product_id", "rating", "resolved_at"),
    "points_events": ("shop_id", "member_id", "occurred_at", "points", "reason", "request_id"),
    # optional tables (generate(..., campaigns=False) leaves them out)
    "campaign_sends": ("shop_id", "send_id", "member_id", "audience", "sent_at", "offer",
                       "channel"),
    "campaign_assignments": ("shop_id", "member_id", "audience", "assigned_date", "arm"),
}
OPTIONAL_TABLES = ("campaign_sends", "campaign_assignments")
FORMATS = ("parquet", "csv")
ROW_GROUP = 1_000_000


def schema(table: str) -> pa.Schema:
    return pa.schema([(name, pa.string()) for name in COLUMNS[table]])


class TableWriters:
    """One open writer per contract table (or per table of `tables`); `write` appends rows
    (any row count). Files of every contract table, in either format, are removed first."""

    def __init__(self, out_dir: Path, file_format: str, tables: tuple[str, ...] | None = None):
        if file_format not in FORMATS:
            raise ValueError(f"file_format must be one of {FORMATS}, got {file_format!r}")
        out_dir.mkdir(parents=True, exist_ok=True)
        for table in COLUMNS:
            for suffix in FORMATS:
                (out_dir / f"{table}.{suffix}").unlink(missing_ok=True)
        tables = tuple(COLUMNS) if tables is None else tables
        self._writers = {table: self._open(out_dir / f"{table}.{file_format}", table,
                                           file_format) for table in tables}
        self.rows = dict.fromkeys(tables, 0)

    @staticmethod
    def _open(path: Path, table: str, file_format: str):
        if file_format == "parquet":
            return pq.ParquetWriter(path, schema(table), compression="snappy")
        return pacsv.CSVWriter(path, schema(table),
                               write_options=pacsv.WriteOptions(include_header=True))

    def write(self, table: str, rows: pa.Table) -> None:
        rows = rows.select(list(COLUMNS[table])).cast(schema(table))
        for start in range(0, rows.num_rows, ROW_GROUP):
            self._writers[table].write_table(rows.slice(start, ROW_GROUP))
        self.rows[table] += rows.num_rows

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()

    def __enter__(self) -> "TableWriters":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
