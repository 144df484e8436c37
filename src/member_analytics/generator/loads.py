"""A snapshot raw folder rewritten as folders of loads (docs/decisions/0117).

`split_into_loads` writes every table of a snapshot folder (`<table>.csv` or
`<table>.parquet`) as a folder `<table>/` of load files, one per period of the
row's own date (orders by `ordered_at`, order items by their order's earliest
`ordered_at`, members by `registered_at`, products by `launched_at`, events by
`occurred_at`, campaign sends by `sent_at`, campaign assignments by `assigned_date`):
`orders/2026-11.parquet`, ... A row whose date is missing or not
`YYYY-MM-DD...` goes to the load `undated`. Every row is written exactly once, as
text, so a build of the loads must give the same marts as a build of the snapshot.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from .writer import COLUMNS

DATE_COLUMN = {
    "orders": "ordered_at",
    "members": "registered_at",
    "products": "launched_at",
    "behavior_events": "occurred_at",
    "service_events": "occurred_at",
    "points_events": "occurred_at",
    "campaign_sends": "sent_at",
    "campaign_assignments": "assigned_date",
}
PERIOD_LENGTH = {"month": 7, "day": 10, "year": 4}


def _connect(out: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to `out/_spill` beyond a few GB: at the large scale
    the tables are bigger than memory (unbounded, splitting them took 24 GB and was killed)."""
    connection = duckdb.connect(config={"memory_limit": "4GB", "temp_directory": str(out / "_spill"),
                                        "preserve_insertion_order": False})
    connection.execute("set enable_progress_bar = false")
    return connection


def _reader(path: Path) -> str:
    if path.suffix == ".csv":
        return f"read_csv('{path}', header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')"
    return f"read_parquet('{path}')"


def split_into_loads(snapshot: Path, out: Path, period: str = "month",
                     tables: tuple[str, ...] | None = None,
                     csv_tables: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Write the tables of `snapshot` (or only `tables`) as folders of loads under `out`,
    as CSV for `csv_tables` and in the snapshot file's format otherwise (CSV: every value
    quoted, an empty value unquoted, as the generator writes it); the other files are not
    copied. Return {table: [load file name, ...]} in load order."""
    if period not in PERIOD_LENGTH:
        raise ValueError(f"period must be one of {tuple(PERIOD_LENGTH)}, got {period!r}")
    width = PERIOD_LENGTH[period]
    written: dict[str, list[str]] = {}
    with _connect(out) as connection:
        for table in tables or tuple(COLUMNS):
            sources = [snapshot / f"{table}.{suffix}" for suffix in ("parquet", "csv")]
            source = next((path for path in sources if path.exists()), None)
            if source is None:
                continue
            if table == "order_items":
                orders = next(path for path in (snapshot / "orders.parquet", snapshot / "orders.csv") if path.exists())
                dated = (f"select items.*, orders.load_date from {_reader(source)} as items left join"
                         f" (select shop_id, order_id, min(ordered_at) as load_date from {_reader(orders)}"
                         f" group by shop_id, order_id) as orders"
                         f" on orders.order_id = items.order_id and orders.shop_id is not distinct from items.shop_id")
            else:
                dated = f"select *, {DATE_COLUMN[table]} as load_date from {_reader(source)}"
            load_key = (f"case when regexp_matches(trim(load_date), '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')"
                        f" then substr(trim(load_date), 1, {width}) else 'undated' end")
            connection.execute(f"create or replace temp table rows_with_load as select *, {load_key} as load_key"
                               f" from ({dated})")
            columns = ", ".join(f'"{name}"' for name in connection.execute(
                f"select * from {_reader(source)} limit 0").fetchdf().columns)
            folder = out / table
            folder.mkdir(parents=True, exist_ok=True)
            suffix = ".csv" if table in csv_tables else source.suffix
            options = "format parquet" if suffix == ".parquet" else "format csv, header true, force_quote *"
            # one pass: DuckDB writes <folder>/_parts/load_key=<key>/data_0.<ext>, renamed to <key>.<ext>
            parts = folder / "_parts"
            connection.execute(f"copy (select {columns}, load_key from rows_with_load) to '{parts}'"
                               f" ({options}, partition_by (load_key), filename_pattern 'data_{{i}}')")
            names = []
            for part in sorted(parts.glob("load_key=*")):
                files = sorted(part.iterdir())
                if len(files) != 1:
                    raise RuntimeError(f"expected one file in {part}, found {len(files)}")
                name = f"{part.name.split('=', 1)[1]}{suffix}"
                files[0].rename(folder / name)
                names.append(name)
            shutil.rmtree(parts)
            written[table] = names
    shutil.rmtree(out / "_spill", ignore_errors=True)
    return written


def days_as_loads(day_1: Path, day_2: Path, out: Path, day_2_name: str) -> dict[str, dict[str, int]]:
    """generate_days' two snapshots as delivered: `out/day_1/` holds day 1 as monthly
    backfill loads (`<table>/backfill/<yyyy-mm>.<ext>`); `out/day_2/` holds the same
    loads plus day 2's delivery, `<table>/daily/<day_2_name>.<ext>`: the rows of the day-2
    snapshot that are not in day 1's (a multiset difference; an empty load when there are
    none). Day 2 must contain day 1 (generate_days' days do: a changed order is a new
    version, never an edit in place), else ValueError. Return {table: {"backfill": loads,
    "daily": rows}}."""
    written: dict[str, dict[str, int]] = {}
    backfill = split_into_loads(day_1, out / "day_1" / "_backfill")
    with _connect(out) as connection:
        for table, names in backfill.items():
            suffix = Path(names[0]).suffix
            for day in ("day_1", "day_2"):
                shutil.copytree(out / "day_1" / "_backfill" / table, out / day / table / "backfill")
            first, second = (_reader(folder / f"{table}{suffix}") for folder in (day_1, day_2))
            missing = connection.execute(
                f"select count(*) from (select * from {first} except all select * from {second})").fetchone()[0]
            if missing:
                raise ValueError(f"{day_2}/{table}{suffix} lacks {missing} row(s) of {day_1}: not a delivery on top of it")
            target = out / "day_2" / table / "daily" / f"{day_2_name}{suffix}"
            target.parent.mkdir(parents=True)
            options = "format parquet" if suffix == ".parquet" else "format csv, header true, force_quote *"
            connection.execute(f"copy (select * from {second} except all select * from {first}) to '{target}' ({options})")
            rows = connection.execute(f"select count(*) from {_reader(target)}").fetchone()[0]
            written[table] = {"backfill": len(names), "daily": rows}
    shutil.rmtree(out / "day_1" / "_backfill")
    shutil.rmtree(out / "_spill", ignore_errors=True)
    return written
