"""Staging that reads only the loads it has not seen (docs/decisions/0118).

stg_shop__orders and stg_shop__behavior_events are incremental on DuckDB: a build
stages again only the keys (an order; a member's events of one day) that new, changed
or removed loads or the moving date window touch, reading only the loads that hold
them. Whatever the folder went through, the staged tables must equal, row for row and
column for column (load and version included), the tables a first build of the same
folder gives; and a build reads only the loads it must.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from member_analytics.generator.loads import split_into_loads

from .conftest import DbtProject, build_vars

pytestmark = pytest.mark.dbt

RAW = ("orders", "order_items", "behavior_events", "members", "products", "points_events", "service_events")
TABLES = tuple(f"stg_shop__{name}" for name in RAW)
# the member-keyed models built on staging's change ledger (docs/decisions/0119)
MEMBER_KEYED = ("intermediate.int_orders_valued", "marts.fct_orders", "marts.fct_order_items",
                "intermediate.int_member_visit_days", "intermediate.int_member_states", "marts.fct_member_activity_history",
                "intermediate.int_member_rfm_scored",
                "intermediate.int_member_tier_states", "marts.fct_member_points_ledger",
                "intermediate.int_member_tier_periods", "marts.fct_order_tiers",
                "intermediate.int_member_lifecycle_snapshots", "intermediate.int_member_lifecycle_stage_runs",
                "marts.fct_member_category_preferences", "marts.fct_member_purchase_profile",
                "audience_rules.fct_audience_item_purchase_days")
SELECTION = ("--select", *TABLES, "+rpt_incremental_runs")
# models and seeds (the member state upstream of rpt_incremental_runs reads seeds), no tests
RUN = ("build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


def _differences(left: DbtProject, right: DbtProject, table: str) -> tuple[int, int]:
    table = table if "." in table else f"staging.{table}"
    with duckdb.connect() as connection:
        connection.execute(f"attach '{left.warehouse}' as l (read_only)")
        connection.execute(f"attach '{right.warehouse}' as r (read_only)")
        one_way = connection.execute(
            f"select count(*) from (select * from l.{table} except all select * from r.{table})").fetchone()
        other = connection.execute(
            f"select count(*) from (select * from r.{table} except all select * from l.{table})").fetchone()
    return one_way[0], other[0]


def _reads(stdout: str) -> dict[str, tuple[int, int]]:
    return {table: (int(read), int(of)) for table, read, of in
            re.findall(r"member_analytics: (stg_shop__\w+) reads (\d+) of (\d+) loads", stdout)}


def _rows(path, indices) -> pa.Table:
    return pq.read_table(path).take(indices)


def _with(table: pa.Table, column: str, values: list[str]) -> pa.Table:
    return table.set_column(table.schema.get_field_index(column), column, pa.array(values, pa.string()))


def test_a_build_stages_only_what_the_loads_changed(tmp_path, tiny_raw):
    raw_path, truth = tiny_raw
    raw = tmp_path / "raw"
    split_into_loads(raw_path, raw, period="month")
    project = DbtProject(tmp_path / "home", raw)
    vars = build_vars(truth)
    project.dbt(*RUN, *SELECTION, vars=vars)

    # nothing new: no load is read
    assert _reads(project.dbt(*RUN, *SELECTION, vars=vars).stdout) == {
        f"stg_shop__{name}": (0, len(list((raw / name).glob("*.parquet")))) for name in RAW}

    unknown = "select count(*) from staging.stg_shop__order_items where rejection_reason = 'unknown_order'"
    unknown_before = project.query(unknown)[0][0]
    events = sorted((raw / "behavior_events").glob("*.parquet"))
    orders = sorted((raw / "orders").glob("*.parquet"))
    # events: a load re-delivered without its last five rows and with two rows changed
    redelivered = pq.read_table(events[20])
    redelivered = redelivered.slice(0, redelivered.num_rows - 5)
    kinds = redelivered.column("event_type").to_pylist()
    pq.write_table(_with(redelivered, "event_type", ["cart", "share"] + kinds[2:]), events[20])
    # a new load: copies of three rows of an older load (duplicates), new events, and one
    # dated after the latest valid date (rejected until the window moves)
    new_rows = _rows(events[21], [0, 1, 2])
    future = _with(_rows(events[21], [3]), "occurred_at", ["2031-06-01 10:00:00"])
    pq.write_table(pa.concat_tables([new_rows, _rows(events[22], [0, 1]), future]), raw / "behavior_events" / "zz-new.parquet")
    # a late load that sorts before every other: its copies become the originals
    pq.write_table(_rows(events[23], [0, 1]), raw / "behavior_events" / "0000-late.parquet")
    # a load removed
    events[24].unlink()
    # orders: a new version of an old order (refunded later), a copy of an old row, a new order
    old = pq.read_table(orders[20]).slice(0, 2)
    refunded = _with(_with(_with(old.slice(0, 1), "status", ["refunded"]), "updated_at", ["2026-11-18 09:00:00"]),
                     "refunded_at", ["2026-11-18 09:00:00"])
    refunded = _with(refunded, "refunded_amount", refunded.column("paid_amount").to_pylist())
    brand_new = _with(old.slice(1, 1), "order_id", ["zz-order-1"])
    pq.write_table(pa.concat_tables([refunded, old.slice(1, 1), brand_new]), raw / "orders" / "zz-new.parquet")
    orders[24].unlink()
    # items: a new load with an item of the new order and a copy of an old item; the items
    # of the removed orders load become unknown_order without any item load changing
    items = sorted((raw / "order_items").glob("*.parquet"))
    new_item = _with(_rows(items[20], [0]), "order_id", ["zz-order-1"])
    pq.write_table(pa.concat_tables([new_item, _rows(items[21], [0])]), raw / "order_items" / "zz-new.parquet")
    # an item load re-delivered with one line's price doubled: its order's row is unchanged,
    # so only the change ledger names the order whose lines fct_order_items recomputes
    repriced = pq.read_table(items[22])
    repriced_order = (repriced.column("shop_id")[0].as_py(), repriced.column("order_id")[0].as_py())
    for column in ("unit_price", "line_amount"):
        values = repriced.column(column).to_pylist()
        repriced = _with(repriced, column, [f"{Decimal(values[0]) * 2:.2f}"] + values[1:])
    pq.write_table(repriced, items[22])

    # members, products, points and service events: a load re-delivered with its first row
    # changed, a new load of copies of two rows of another load, a load removed
    for name, column in (("members", "city"), ("products", "category"), ("points_events", "reason"),
                         ("service_events", "event_type")):
        loads = sorted((raw / name).glob("*.parquet"))
        middle = [path for path in loads if pq.ParquetFile(path).metadata.num_rows >= 3][len(loads) // 3:]
        changed = pq.read_table(middle[0])
        values = changed.column(column).to_pylist()
        pq.write_table(_with(changed, column, ["changed"] + values[1:]), middle[0])
        pq.write_table(_rows(middle[1], [0, 1]), raw / name / "zz-copies.parquet")
        middle[2].unlink()

    # every line the first build wrote is marked (no model reads order_item_id): the next
    # build must write again the lines of the orders it lists, and no other line
    with duckdb.connect(str(project.warehouse)) as connection:
        connection.execute("update marts.fct_order_items set order_item_id = order_item_id || '~kept'")

    second = project.dbt(*RUN, *SELECTION, vars=vars).stdout
    reads = _reads(second)
    # the new, changed and late loads, plus the few that hold other rows of their keys
    assert 3 <= reads["stg_shop__behavior_events"][0] <= 8, reads
    assert 1 <= reads["stg_shop__orders"][0] <= 4, reads
    # the new load, the copied item's load, the repriced load and the loads holding items
    # of the removed orders
    assert 2 <= reads["stg_shop__order_items"][0] <= 8, reads
    # the member state built on the change ledger: the changed members and the recent dates
    assert "int_member_states recomputes the changed members, and every member at the new dates from" in second
    # fct_order_items rewrote the lines of the orders whose row or lines changed, the
    # repriced order's among them, each order's lines all or none; and kept the other lines
    # of the changed members (recomputed by order, not by member: docs/decisions/0142)
    item_orders = set(project.query("select shop_id, order_id from audit.int_incremental_changed_item_orders"))
    assert repriced_order in item_orders
    lines = project.query("select shop_id, order_id, count(*) filter (where order_item_id like '%~kept'), count(*)"
                          " from marts.fct_order_items group by shop_id, order_id")
    assert all(kept in (0, total) for _, _, kept, total in lines)
    rewritten = {(shop, order) for shop, order, kept, _ in lines if kept == 0}
    assert repriced_order in rewritten
    assert rewritten == item_orders & {(shop, order) for shop, order, _, _ in lines}
    kept_of_changed_members = project.query(
        "select count(*) from marts.fct_order_items as lines inner join audit.int_incremental_changed_members as members"
        " on lines.shop_id = members.shop_id and lines.member_id = members.member_id"
        " where lines.order_item_id like '%~kept'")[0][0]
    assert kept_of_changed_members > 0
    with duckdb.connect(str(project.warehouse)) as connection:
        connection.execute("update marts.fct_order_items set order_item_id = replace(order_item_id, '~kept', '')")

    fresh = DbtProject(tmp_path / "fresh", raw)
    fresh.dbt(*RUN, *SELECTION, vars=vars)
    compared = TABLES + MEMBER_KEYED
    assert {table: _differences(project, fresh, table) for table in compared} == {table: (0, 0) for table in compared}
    assert project.query("select row_status, rejection_reason from staging.stg_shop__behavior_events"
                         " where occurred_at = '2031-06-01 10:00:00'") == [("rejected", "date_after_latest")]
    assert project.query(unknown)[0][0] > unknown_before  # the items of the removed orders
    late_originals = project.query(
        "select count(*) from staging.stg_shop__behavior_events where load_location like '%0000-late.parquet'"
        " and row_status <> 'duplicate'")
    assert late_originals == [(2,)]

    # the window moves: the future event is kept, staged again from its load alone
    later = {**vars, "member_analytics__validation__latest_valid_date": "2031-12-31"}
    reads = _reads(project.dbt(*RUN, *SELECTION, vars=later).stdout)
    assert reads["stg_shop__behavior_events"][0] == 1, reads
    assert project.query("select row_status from staging.stg_shop__behavior_events"
                         " where occurred_at = '2031-06-01 10:00:00'") == [("kept",)]
    fresh_later = DbtProject(tmp_path / "fresh_later", raw)
    fresh_later.dbt(*RUN, *SELECTION, vars=later)
    assert {table: _differences(project, fresh_later, table) for table in compared} == {table: (0, 0) for table in compared}


def test_a_changed_var_restages_everything(tmp_path, tiny_raw):
    """A threshold var other than the dates changes the verdicts of rows in every load:
    the build stages the whole table again (incremental_state is none). So does a deploy,
    also when it changes a staging table's columns (here: a table staged before it had
    load_version, as a warehouse of an earlier version has)."""
    raw_path, truth = tiny_raw
    raw = tmp_path / "raw"
    split_into_loads(raw_path, raw, period="month")
    project = DbtProject(tmp_path / "home", raw)
    project.dbt(*RUN, *SELECTION, vars=build_vars(truth))
    with duckdb.connect(str(project.warehouse)) as connection:
        connection.execute("alter table staging.stg_shop__orders drop column load_version")
    stricter = {**build_vars(truth), "member_analytics__validation__max_order_amount": 500}
    output = project.dbt(*RUN, *SELECTION, vars=stricter).stdout
    assert "stg_shop__orders reads" not in output  # not a delta: every load
    fresh = DbtProject(tmp_path / "fresh", raw)
    fresh.dbt(*RUN, *SELECTION, vars=stricter)
    assert _differences(project, fresh, "stg_shop__orders") == (0, 0)
    assert project.query("select count(*) from staging.stg_shop__orders where rejection_reason = 'out_of_range'")[0][0] > 0
    shutil.rmtree(fresh.home)
