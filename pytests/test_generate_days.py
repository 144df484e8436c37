"""generate_days (docs/decisions/0091): two daily loads of one sample, byte for byte
repeatable whatever the batch size of the split; day 2 is day 1 plus one day and a new
version of refunded old orders."""

from __future__ import annotations

import datetime as dt
import hashlib

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from member_analytics.generator.days import generate_days
from member_analytics.generator.writer import COLUMNS


def _digests(folder):
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.rglob("*.*"))}


def test_generate_days_is_repeatable_and_day_2_extends_day_1(tmp_path):
    first = generate_days(tmp_path / "a", scale="tiny", seed=3)
    # the split streams the tables in batches (the large scale does not fit in memory whole):
    # the batch size must not show in the files
    second = generate_days(tmp_path / "b", scale="tiny", seed=3, batch_rows=997)
    assert first == second
    assert set(first["day_2"]["rows"]) == set(COLUMNS) >= {"campaign_sends", "campaign_assignments"}
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert not (tmp_path / "a" / "sample").exists()

    last_day = first["day_2"]["as_of_date"]
    for table in COLUMNS:
        day_1 = pq.read_table(tmp_path / "a" / "day_1" / f"{table}.parquet").to_pylist()
        day_2 = pq.read_table(tmp_path / "a" / "day_2" / f"{table}.parquet").to_pylist()
        # day 2 holds every row of day 1 (the snapshot grows) ...
        remaining = list(day_2)
        for row in day_1:
            remaining.remove(row)
        # ... and the rest is the last day, or the refund versions of old orders
        if table == "orders":
            refunds = [row for row in remaining if row["status"] == "refunded" and row["updated_at"].startswith(last_day)
                       and not row["ordered_at"].startswith(last_day)]
            assert len(refunds) == len(first["late_refunds"]) == 5
            assert all(row["ordered_at"].startswith(last_day) for row in remaining if row not in refunds)
        elif table != "order_items" and table in ("behavior_events", "service_events", "points_events"):
            assert remaining and all(row["occurred_at"].startswith(last_day) for row in remaining)
        elif table == "campaign_sends":   # the fatigue sends of the last day
            assert remaining and all(row["sent_at"].startswith(last_day) for row in remaining)
            assert day_1 and not any(row["sent_at"].startswith(last_day) for row in day_1)
        elif table == "campaign_assignments":   # every campaign's window is complete: none on the last day
            assert day_1 and not remaining

    orders = pq.read_table(tmp_path / "a" / "day_2" / "orders.parquet")
    lookback_start = dt.date.fromisoformat(last_day) - dt.timedelta(days=first["lookback_days"])
    old = [refund for refund in first["late_refunds"] if refund["ordered_at"][:10] < lookback_start.isoformat()]
    assert len(old) == first["late_refunds_older_than_lookback"] == 1
    versions = orders.filter(pc.equal(orders["order_id"], old[0]["order_id"]))
    assert versions.num_rows == 2


def test_generate_days_splits_csv_as_it_splits_parquet(tmp_path):
    """The CSV route streams the sample through pyarrow's CSV reader, in its own blocks:
    each day holds the same rows, in the same order, as the Parquet route's of the same seed."""
    as_csv = generate_days(tmp_path / "csv", scale="tiny", seed=3, file_format="csv")
    as_parquet = generate_days(tmp_path / "parquet", scale="tiny", seed=3, file_format="parquet")
    assert as_csv["day_1"] == as_parquet["day_1"] and as_csv["day_2"] == as_parquet["day_2"]
    assert as_csv["late_refunds"] == as_parquet["late_refunds"]
    for day in ("day_1", "day_2"):
        for table in COLUMNS:
            csv_rows = pacsv.read_csv(tmp_path / "csv" / day / f"{table}.csv", convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in COLUMNS[table]}, strings_can_be_null=True))
            parquet_rows = pq.read_table(tmp_path / "parquet" / day / f"{table}.parquet")
            assert csv_rows.num_rows > 0 or table == "campaign_assignments"
            assert csv_rows.to_pylist() == parquet_rows.to_pylist(), (day, table)
