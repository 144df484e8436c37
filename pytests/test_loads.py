"""member_analytics.generator.loads on hand-made snapshots (docs/decisions/0117)."""

from __future__ import annotations

import duckdb
import pytest

from member_analytics.generator.loads import days_as_loads, split_into_loads


def _write(path, rows, columns):
    with duckdb.connect() as connection:
        values = ", ".join("(" + ", ".join("null" if v is None else f"'{v}'" for v in row) + ")" for row in rows)
        connection.execute(f"copy (select * from (values {values}) as t({', '.join(columns)})) to '{path}'"
                           f" ({'format parquet' if path.suffix == '.parquet' else 'format csv, header true'})")


def _rows(pattern):
    with duckdb.connect() as connection:
        reader = (f"read_csv('{pattern}', header = true, all_varchar = true)" if pattern.endswith(".csv")
                  else f"read_parquet('{pattern}')")
        return sorted(connection.execute(f"select * from {reader}").fetchall(), key=str)


ORDERS = ["shop_id", "order_id", "member_id", "ordered_at", "status", "paid_amount"]


def test_every_row_lands_once_in_the_load_of_its_period(tmp_path):
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    rows = [("s", "o1", "m", "2026-01-05 10:00:00", "paid", "1"),
            ("s", "o1", "m", "2026-01-05 10:00:00", "paid", "1"),  # an exact copy stays a copy
            ("s", "o2", "m", "2026-02-01", "paid", "2"),
            ("s", "o3", "m", "not a date", "paid", "3"),
            ("s", "o4", "m", None, "paid", "4")]
    _write(snapshot / "orders.parquet", rows, ORDERS)
    _write(snapshot / "order_items.parquet", [("s", "o2", "p", "1", "2"), ("s", "o9", "p", "1", "2")],
           ["shop_id", "order_id", "product_id", "quantity", "unit_price"])
    written = split_into_loads(snapshot, tmp_path / "loads", csv_tables=("orders",))
    assert written == {"orders": ["2026-01.csv", "2026-02.csv", "undated.csv"],
                       "order_items": ["2026-02.parquet", "undated.parquet"]}
    assert _rows(str(tmp_path / "loads" / "orders" / "2026-01.csv")) == [rows[0], rows[1]]
    assert _rows(str(tmp_path / "loads" / "orders" / "undated.csv")) == sorted([rows[3], rows[4]], key=str)
    assert _rows(str(tmp_path / "loads" / "orders" / "*.csv")) == sorted(rows, key=str)
    assert [row[1] for row in _rows(str(tmp_path / "loads" / "order_items" / "undated.parquet"))] == ["o9"]


def test_day_2_is_day_1_plus_one_load_and_must_contain_day_1(tmp_path):
    day_1, day_2 = tmp_path / "d1", tmp_path / "d2"
    day_1.mkdir()
    day_2.mkdir()
    first = [("s", "o1", "m", "2026-01-05", "paid", "1")]
    later = [("s", "o2", "m", "2026-01-06", "paid", "2"), ("s", "o1", "m", "2026-01-05", "paid", "1")]
    _write(day_1 / "orders.parquet", first, ORDERS)
    _write(day_2 / "orders.parquet", first + later, ORDERS)
    assert days_as_loads(day_1, day_2, tmp_path / "out", "2026-01-06") == {"orders": {"backfill": 1, "daily": 2}}
    assert _rows(str(tmp_path / "out" / "day_2" / "orders" / "daily" / "2026-01-06.parquet")) == sorted(later, key=str)
    assert sorted(p.name for p in (tmp_path / "out" / "day_1" / "orders").rglob("*.parquet")) == ["2026-01.parquet"]
    _write(day_2 / "orders.parquet", later[:1], ORDERS)  # day 2 lost day 1's row: not a delivery
    with pytest.raises(ValueError, match="lacks 1 row"):
        days_as_loads(day_1, day_2, tmp_path / "out2", "2026-01-06")
