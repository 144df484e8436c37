"""The daily incremental run (docs/decisions/0091): build day 1 in full, then day 2
(one more day of orders, items and events, and refunds to old orders) through
write-audit-publish on top of it; every public mart must equal a full build of day 2,
row for row. One late refund is older than the lookback: it is applied, counted in
audit.rpt_incremental_runs and warned about in dbt's log.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from member_analytics.generator.loads import days_as_loads
from member_analytics.publish.parity import public_marts, sql_differences

from .conftest import NO_UNIT_TESTS, ROOT, DbtProject, day_vars, file_sha256

pytestmark = pytest.mark.dbt


class DailyHome(DbtProject):
    def env(self) -> dict[str, str]:
        env = super().env()
        env["MEMBER_ANALYTICS_REPORTS_DIR"] = str(self.home / "reports")
        return env

    def wap_command(self, vars: dict, *extra: str) -> list[str]:
        return [sys.executable, "-m", "member_analytics.cli", "build", "--no-quality", "--vars", json.dumps(vars), *extra]

    def wap_build(self, vars: dict, *extra: str) -> subprocess.CompletedProcess:
        result = subprocess.run(self.wap_command(vars, *extra), env=self.env(), capture_output=True, text=True, cwd="/")
        assert result.returncode == 0, f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        return result


@pytest.fixture(scope="module")
def daily_run(tmp_path_factory, tiny_days) -> tuple[DailyHome, subprocess.CompletedProcess, dict, dict]:
    """The nights of day 1 and day 2 in one home, both delivered as folders of loads
    (docs/decisions/0117): day 1 as monthly backfill loads, built in full through
    write-audit-publish; day 2 as the same loads plus one daily load per table (an empty
    one for products), a daily run on the warehouse day 1 published. The same two days
    delivered as snapshot files run daily in
    test_a_skipped_day_a_killed_run_a_failed_run_and_the_retry_equal_a_full_build (its
    retry covers both days) and in the order-model runs below. Returns the day-2 home,
    its run, the days and what days_as_loads delivered."""
    out, days = tiny_days
    root = tmp_path_factory.mktemp("daily_run")
    delivered = days_as_loads(out / "day_1", out / "day_2", root / "loads", days["day_2"]["as_of_date"])
    DailyHome(root / "home", root / "loads" / "day_1").wap_build(day_vars(days, "day_1"))
    day_2 = DailyHome(root / "home", root / "loads" / "day_2")
    result = day_2.wap_build(day_vars(days, "day_2"))
    return day_2, result, days, delivered


_MARTS = {mart.name: mart for mart in public_marts()}


def test_the_day_2_load_adds_a_day_and_refunds_old_orders(tiny_days):
    _, days = tiny_days
    assert days["day_2"]["rows"]["orders"] > days["day_1"]["rows"]["orders"] + len(days["late_refunds"])
    for table in ("order_items", "behavior_events"):
        assert days["day_2"]["rows"][table] > days["day_1"]["rows"][table]
    assert len(days["late_refunds"]) == 5


@pytest.mark.parametrize("name", sorted(_MARTS))
def test_daily_run_equals_a_full_build(name, daily_run, tiny_day2_full_build):
    mart = _MARTS[name]
    project, _, _, _ = daily_run
    with duckdb.connect() as connection:
        connection.execute(f"attach '{project.warehouse}' as daily (read_only)")
        connection.execute(f"attach '{tiny_day2_full_build.warehouse}' as full_build (read_only)")
        daily, full = f"daily.{mart.schema}.{name}", f"full_build.{mart.schema}.{name}"
        rows = connection.execute(f"select count(*) from {full}").fetchone()[0]
        differences = sql_differences(connection, mart, full, daily)
    assert set(differences.values()) == {0}, f"{name} ({rows} rows in the full build): {differences}"


def test_a_skipped_day_a_killed_run_a_failed_run_and_the_retry_equal_a_full_build(tmp_path, tiny_days,
                                                                                  tiny_day2_full_build):
    """Issue 28, item 7, three troubles in a row, each leaving the published warehouse as it
    was. The night of day 1 is skipped (the published warehouse is as of the day before it).
    The first run of day 2 is killed (SIGKILL) after it rebuilt the member state in its
    working copy: the published warehouse is untouched (write-audit-publish: the change
    ledger and the rebuilt tables lived in the discarded copy). The next run fails a test
    (a delivery with a third of its orders unreadable: assert_rejected_share_within_bound):
    nothing is published. The retry on the corrected delivery covers both days, runs
    incrementally and ends with every public mart equal to a full build of day 2."""
    out, days = tiny_days
    home = tmp_path / "home"
    home.mkdir()
    skipped = date.fromordinal(date.fromisoformat(days["day_1"]["as_of_date"]).toordinal() - 1).isoformat()
    DailyHome(home, out / "day_1").wap_build({**day_vars(days, "day_1"), "as_of_date": skipped})
    published = file_sha256(home / "warehouse" / "member_analytics.duckdb")

    day_2 = DailyHome(home, out / "day_2")
    log = home / "logs" / "dbt.log"
    log_start = log.stat().st_size if log.exists() else 0
    process = subprocess.Popen(day_2.wap_command(day_vars(days, "day_2")), env=day_2.env(), cwd="/",
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline, rebuilt = time.monotonic() + 600, False
    while time.monotonic() < deadline and process.poll() is None and not rebuilt:
        if log.exists():
            with open(log, encoding="utf-8", errors="replace") as handle:
                handle.seek(log_start)
                rebuilt = "OK created sql incremental model intermediate.int_member_states" in handle.read()
        time.sleep(0.2)
    assert rebuilt and process.poll() is None, "the run ended before it rebuilt the member state"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert file_sha256(home / "warehouse" / "member_analytics.duckdb") == published
    assert day_2.query("select build_number, is_incremental_build from audit.rpt_incremental_runs") == [(1, False)]

    broken = tmp_path / "broken"
    shutil.copytree(out / "day_2", broken)
    orders = broken / "orders.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select * replace (case when row_number() over () % 3 = 0 then null else order_id end as order_id)"
            f" from read_parquet('{out / 'day_2' / 'orders.parquet'}')) to '{orders}' (format parquet)")
    failing = DailyHome(home, broken)
    result = subprocess.run(failing.wap_command(day_vars(days, "day_2")), env=failing.env(), capture_output=True,
                            text=True, cwd="/")
    assert result.returncode != 0 and "assert_rejected_share_within_bound" in result.stdout + result.stderr, \
        result.stdout[-3000:]
    assert file_sha256(home / "warehouse" / "member_analytics.duckdb") == published

    day_2.wap_build(day_vars(days, "day_2"))
    runs = day_2.query("select build_number, is_incremental_build, as_of_date from audit.rpt_incremental_runs"
                       " order by 1")
    assert [(number, incremental, str(as_of)) for number, incremental, as_of in runs] == [
        (1, False, skipped), (2, True, days["day_2"]["as_of_date"])]
    _assert_public_marts_equal(day_2, tiny_day2_full_build)


def _assert_public_marts_equal(daily: DbtProject, full: DbtProject) -> None:
    """Every public mart of a daily run's warehouse equals the full build's (both ways)."""
    with duckdb.connect() as connection:
        connection.execute(f"attach '{daily.warehouse}' as daily (read_only)")
        connection.execute(f"attach '{full.warehouse}' as full_build (read_only)")
        for name, mart in _MARTS.items():
            differences = sql_differences(connection, mart, f"full_build.{mart.schema}.{name}",
                                          f"daily.{mart.schema}.{name}")
            assert set(differences.values()) == {0}, (name, differences)


def test_daily_run_was_incremental_and_counted_the_late_change(daily_run):
    project, result, days, _ = daily_run
    runs = project.query("select build_number, is_incremental_build, number_of_changed_orders, "
                         "number_of_changed_members, number_of_late_changes, lookback_days "
                         "from audit.rpt_incremental_runs order by build_number")
    assert [run[:2] for run in runs] == [(1, False), (2, True)]
    _, _, changed_orders, changed_members, late_changes, lookback_days = runs[1]
    assert lookback_days == days["lookback_days"]
    assert changed_orders >= len(days["late_refunds"])
    assert 0 < changed_members < project.query("select count(distinct member_id) from marts.fct_orders")[0][0]
    # the one planted refund older than the lookback, and any order of the sample
    # itself updated on day 2 and placed before the lookback
    assert late_changes >= days["late_refunds_older_than_lookback"]
    assert "placed more than 30 days" in result.stdout
    report = json.loads((project.home / "reports" / "build" / "last_build.json").read_text())
    assert report["mode"] == "incremental" and report["outcome"] == "published"


def test_the_late_refund_is_applied(daily_run):
    project, _, days, _ = daily_run
    for refund in days["late_refunds"]:
        status, refunded = project.query(
            "select status, refunded_amount = gross_amount from marts.fct_orders "
            f"where shop_id = '{refund['shop_id']}' and order_id = '{refund['order_id']}'")[0]
        assert (status, refunded) == ("refunded", True)


def test_the_daily_run_logged_exactly_the_days_loads(daily_run):
    """The delivery log of the daily run on loads (daily_run) holds exactly the day's
    loads, one per table with its rows (an empty one for products); its marts equal the
    full build's (test_daily_run_equals_a_full_build)."""
    project, result, days, delivered = daily_run
    assert delivered["products"]["daily"] == 0 and delivered["orders"]["daily"] > len(days["late_refunds"])
    report = json.loads((project.home / "reports" / "build" / "last_build.json").read_text())
    assert report["mode"] == "incremental" and report["outcome"] == "published", result.stdout[-3000:]
    log = project.query("select build_number, table_name, load_path, delivery, row_count from audit.rpt_raw_loads"
                        " where build_number = 2 order by table_name")
    day = days["day_2"]["as_of_date"]
    assert log == sorted((2, table, f"{table}/daily/{day}.parquet", "new", counts["daily"])
                         for table, counts in delivered.items())


# ---------------------------------------------------------------- how changes are seen
# Daily runs of the order models only (`+rpt_incremental_runs` and the orders-match
# test), each on a copy of one day-1 warehouse, against a full build of the same raw
# data: fct_orders must be equal, whatever way the raw data changed. The builds run the
# selection's data tests, not its unit tests: those test the models' code on fixed
# inputs, whatever the warehouse holds, and tiny_build runs every one of them once (the
# production tier of the daily runs above leaves them out too); run here they would
# give the same answer some twenty times.

ORDER_MODELS = ["--select", "+rpt_incremental_runs", "+assert_orders_match_kept_raw_orders",
                "--indirect-selection", "cautious", *NO_UNIT_TESTS]
# the same on folders of loads, with the delivery log they read and write
ORDER_MODELS_ON_LOADS = [*ORDER_MODELS[:2], "rpt_raw_loads", *ORDER_MODELS[2:]]


def _raw_variant(source: Path, target: Path, orders_sql: str) -> Path:
    """`target`: the raw files of `source`, orders.parquet rewritten by `orders_sql`
    (a query over a view `orders` of the source file)."""
    target.mkdir(parents=True)
    for file in source.iterdir():
        if file.name != "orders.parquet":
            (target / file.name).symlink_to(file)
    with duckdb.connect() as connection:
        connection.execute(f"create view orders as select * from read_parquet('{source / 'orders.parquet'}')")
        connection.execute(f"copy ({orders_sql}) to '{target / 'orders.parquet'}' (format parquet)")
    return target


def _order_build(home: Path, raw: Path, as_of_date: str, *, from_warehouse: Path | None = None,
                 args: list[str] = ORDER_MODELS) -> tuple[DbtProject, subprocess.CompletedProcess]:
    project = DbtProject(home, raw)
    if from_warehouse is not None:
        project.warehouse.parent.mkdir(parents=True)
        shutil.copyfile(from_warehouse, project.warehouse)
    vars = {"as_of_date": as_of_date, "member_analytics__validation__latest_valid_date": "2030-12-31"}
    return project, project.dbt("build", *args, vars=vars)


MEMBER_KEYED = ["intermediate.int_orders_valued", "marts.fct_order_items", "intermediate.int_member_visit_days",
                "intermediate.int_member_states", "marts.fct_member_activity_history", "intermediate.int_member_rfm_scored",
                "intermediate.int_member_tier_states", "marts.fct_member_points_ledger",
                "intermediate.int_member_tier_periods", "marts.fct_order_tiers",
                "intermediate.int_member_lifecycle_snapshots", "intermediate.int_member_lifecycle_stage_runs",
                "marts.fct_member_category_preferences", "marts.fct_member_purchase_profile",
                "audience_rules.fct_audience_item_purchase_days"]


def _assert_same_orders(daily: DbtProject, full: DbtProject) -> None:
    """fct_orders and the other member-keyed models of the daily run equal the full build's."""
    with duckdb.connect() as connection:
        connection.execute(f"attach '{daily.warehouse}' as daily (read_only)")
        connection.execute(f"attach '{full.warehouse}' as full_build (read_only)")
        differences = sql_differences(connection, _MARTS["fct_orders"], "full_build.marts.fct_orders",
                                      "daily.marts.fct_orders")
        for table in MEMBER_KEYED:
            for name, (left, right) in {"only_in_full": ("full_build", "daily"),
                                        "only_in_daily": ("daily", "full_build")}.items():
                differences[f"{table}: {name}"] = connection.execute(
                    f"select count(*) from (select * from {left}.{table} except all select * from {right}.{table})"
                ).fetchall()[0][0]
    assert set(differences.values()) == {0}, differences


def _member_state_new_dates(stdout: str) -> list[str]:
    """The dates a daily run computed int_member_states at for every member, as its
    pre-hook logs them (docs/decisions/0139); fails when the line is missing."""
    marker = "int_member_states recomputes the changed members, and every member at the new dates from "
    line = next(line for line in stdout.splitlines() if marker in line)
    listed = line.split(marker, 1)[1].split(": ", 1)[1].strip()
    return [] if listed == "none" else listed.split(", ")


def _last_run(project: DbtProject) -> dict:
    columns = ["build_number", "is_incremental_build", "number_of_changed_orders", "number_of_changed_members",
               "as_of_date"]
    row = project.query(f"select {', '.join(columns)} from audit.rpt_incremental_runs "
                        "order by build_number desc limit 1")[0]
    return dict(zip(columns, row))


@pytest.fixture(scope="module")
def day_1_orders(tmp_path_factory, tiny_days) -> DbtProject:
    out, days = tiny_days
    project, _ = _order_build(tmp_path_factory.mktemp("day_1_orders"), out / "day_1", days["day_1"]["as_of_date"])
    return project


def test_orders_placed_late_on_the_previous_day_are_picked_up(tmp_path, tiny_days, tiny_day2_full_build):
    """Day 1's export was taken during its last day: the orders placed later that day
    arrive with day 2, dated on the previous build's as_of_date."""
    out, days = tiny_days
    last_day = days["day_1"]["as_of_date"]
    partial = _raw_variant(out / "day_1", tmp_path / "day_1_partial",
                           f"select * from orders where not coalesce(try_cast(ordered_at as timestamp)"
                           f" between timestamp '{last_day} 12:00:00' and timestamp '{last_day} 23:59:59', false)")
    with duckdb.connect() as connection:
        held_back = connection.execute(
            f"select (select count(*) from read_parquet('{out / 'day_1' / 'orders.parquet'}'))"
            f" - (select count(*) from read_parquet('{partial / 'orders.parquet'}'))").fetchone()[0]
    assert held_back > 0, "the partial export must hold back some of the last day's orders"
    day_1, _ = _order_build(tmp_path / "day_1", partial, last_day)
    daily, _ = _order_build(tmp_path / "daily", out / "day_2", days["day_2"]["as_of_date"],
                            from_warehouse=day_1.warehouse)
    assert _last_run(daily)["is_incremental_build"] is True
    _assert_same_orders(daily, tiny_day2_full_build)
    # seen by their date (on the previous watermark), not only because they were missing
    seen = daily.query(
        "select count(*), count(*) filter (where is_dated_change) from audit.int_incremental_changed_orders"
        f" where (shop_id, order_id) in (select shop_id, order_id from read_parquet('{out / 'day_1' / 'orders.parquet'}')"
        f" except select shop_id, order_id from read_parquet('{partial / 'orders.parquet'}'))")[0]
    assert seen[0] > 0 and seen[0] == seen[1], seen


def test_rewritten_moved_and_removed_orders_without_a_later_updated_at(tmp_path, tiny_days, day_1_orders):
    """A re-export that rewrites history without bumping updated_at: an old order's
    amount changes, another moves to another member (only its new version exists),
    a third disappears. Change detection by values sees all three; fct_orders equals
    a full build and the members on both sides of the move are recomputed."""
    out, days = tiny_days
    with duckdb.connect() as connection:
        connection.execute(f"create view orders as select * from read_parquet('{out / 'day_2' / 'orders.parquet'}')")
        old = connection.execute(
            "select shop_id, order_id, member_id from orders where updated_at is null and refunded_at is null"
            " and status = 'completed' and ordered_at < '2026-06-01' and (shop_id, order_id) in"
            " (select shop_id, order_id from orders group by all having count(*) = 1)"
            " order by shop_id, order_id limit 3").fetchall()
        (shop, rewritten, _), (_, moved, moved_from), (_, removed, _) = old
        assert old[0][0] == old[1][0] == old[2][0]
        moved_to = connection.execute(
            f"select min(member_id) from orders where shop_id = '{shop}' and member_id <> '{moved_from}'").fetchone()[0]
    variant = _raw_variant(out / "day_2", tmp_path / "day_2_rewritten", f"""
        select * replace (
            case when shop_id = '{shop}' and order_id = '{rewritten}' then '1.23' else paid_amount end as paid_amount,
            case when shop_id = '{shop}' and order_id = '{moved}' then '{moved_to}' else member_id end as member_id)
        from orders
        where not (shop_id = '{shop}' and order_id = '{removed}')""")
    daily, result = _order_build(tmp_path / "daily", variant, days["day_2"]["as_of_date"],
                                 from_warehouse=day_1_orders.warehouse)
    full, _ = _order_build(tmp_path / "full", variant, days["day_2"]["as_of_date"])
    _assert_same_orders(daily, full)
    seen = dict(((order_id, (dated, by_value)) for order_id, dated, by_value in daily.query(
        "select order_id, is_dated_change, is_content_change from audit.int_incremental_changed_orders "
        f"where shop_id = '{shop}' and order_id in ('{rewritten}', '{moved}', '{removed}')")))
    assert seen == {order_id: (False, True) for order_id in (rewritten, moved, removed)}
    recomputed = {member for (member,) in daily.query(
        f"select member_id from audit.int_incremental_changed_members where shop_id = '{shop}'")}
    assert {moved_from, moved_to} <= recomputed
    assert "3 orders differ from the previous build without a later updated_at" in result.stdout
    assert _last_run(daily)["is_incremental_build"] is True


def test_a_late_load_and_a_redelivered_load(tmp_path, tiny_days):
    """Folders of loads (docs/decisions/0117): a monthly load held back on day 1 arrives on
    day 2, sorting before loads already seen (out of order), and another month's load is
    delivered again with an order rewritten in place (no later updated_at). The daily run
    of the order models equals a full build of the same loads, and the log says which
    load was new and which changed."""
    out, days = tiny_days
    loads = tmp_path / "loads"
    days_as_loads(out / "day_1", out / "day_2", loads, days["day_2"]["as_of_date"])
    backfill = sorted((loads / "day_2" / "orders" / "backfill").glob("*.parquet"))
    late, redelivered = backfill[-4], backfill[-6]
    (loads / "day_1" / "orders" / "backfill" / late.name).unlink()
    with duckdb.connect() as connection:
        held_back = connection.execute(f"select count(*) from read_parquet('{late}')").fetchone()[0]
        rewritten = connection.execute(
            f"select shop_id, order_id from read_parquet('{redelivered}') where status = 'completed'"
            " order by order_id limit 1").fetchone()
        connection.execute(
            f"copy (select * replace (case when order_id = '{rewritten[1]}' then 'cancelled' else status end as status)"
            f" from read_parquet('{redelivered}')) to '{tmp_path / 'rewritten.parquet'}' (format parquet)")
    shutil.move(tmp_path / "rewritten.parquet", redelivered)
    assert held_back > 0
    args = ORDER_MODELS_ON_LOADS
    day_1, _ = _order_build(tmp_path / "day_1", loads / "day_1", days["day_1"]["as_of_date"], args=args)
    daily, _ = _order_build(tmp_path / "daily", loads / "day_2", days["day_2"]["as_of_date"],
                            from_warehouse=day_1.warehouse, args=args)
    full, _ = _order_build(tmp_path / "full", loads / "day_2", days["day_2"]["as_of_date"])
    _assert_same_orders(daily, full)
    assert _last_run(daily)["is_incremental_build"]
    assert daily.query(f"select status from marts.fct_orders where order_id = '{rewritten[1]}'") == [("cancelled",)]
    log = daily.query("select load_path, delivery from audit.rpt_raw_loads where build_number = 2"
                      " and table_name = 'orders' order by load_path")
    assert log == sorted([(f"orders/backfill/{late.name}", "new"), (f"orders/backfill/{redelivered.name}", "changed"),
                          (f"orders/daily/{days['day_2']['as_of_date']}.parquet", "new")])


def test_as_of_date_going_back_a_day(tmp_path, daily_run):
    """Day 2's data rebuilt for the day before (a re-run for an earlier report date), on
    the warehouse the daily run of day 2 published (daily_run: built incrementally on
    day 1, the same raw data and vars)."""
    day_2, _, days, _ = daily_run
    assert _last_run(day_2)["is_incremental_build"] is True
    back, _ = _order_build(tmp_path / "back", day_2.raw_path, days["day_1"]["as_of_date"],
                           from_warehouse=day_2.warehouse, args=ORDER_MODELS_ON_LOADS)
    full, _ = _order_build(tmp_path / "full", day_2.raw_path, days["day_1"]["as_of_date"],
                           args=ORDER_MODELS_ON_LOADS)
    assert _last_run(back)["is_incremental_build"] is True
    assert str(_last_run(back)["as_of_date"]) == days["day_1"]["as_of_date"]
    _assert_same_orders(back, full)


def test_the_rfm_history_and_lapses_across_month_ends(tmp_path, tiny_days, tiny_day2_full_build):
    """The RFM snapshots are stored by snapshot (docs/decisions/0120). as_of_date on a
    month end, then a daily run past it: that month end, the as_of_date snapshot of the
    first build, is stored as a month end and scored for every member (the cutoff is
    it); then as_of_date going back over two month ends. Each run equals a full build,
    and so does every public RFM mart (fct_member_rfm_history adds the build's
    as_of_date to every stored row). The same moves cross memberships' lapses: the tier
    states and the points ledger of members whose data did not change but whose lapse
    the moving date crosses are recomputed (docs/decisions/0121). The full build of day 2
    on its own as_of_date is the session's (tiny_day2_full_build: every model, the same
    raw data and vars)."""
    out, days = tiny_days
    month_end, later, back = "2026-10-31", days["day_2"]["as_of_date"], "2026-09-15"
    args = ORDER_MODELS[:3] + ["+fct_member_rfm", "+fct_member_rfm_history"] + ORDER_MODELS[3:]
    first, _ = _order_build(tmp_path / "first", out / "day_2", month_end, args=args)
    daily, result = _order_build(tmp_path / "daily", out / "day_2", later, from_warehouse=first.warehouse,
                                    args=args)
    assert f"int_member_rfm_scored scores the as_of_date snapshot and every month end from cast('{month_end}'" \
        in result.stdout
    _assert_same_orders(daily, tiny_day2_full_build)
    # members whose lapse the first move crosses, some of them not changed members
    lapsing = daily.query(
        "select count(*), count(*) filter (where (shop_id, member_id) not in"
        " (select shop_id, member_id from audit.int_incremental_changed_members))"
        " from (select distinct shop_id, member_id from intermediate.int_member_tier_states"
        f" where projected_lapse_date > '{month_end}' and projected_lapse_date <= '{later}')")[0]
    assert lapsing[1] > 0, lapsing
    assert daily.query("select count(*) from marts.fct_member_points_ledger where movement_type = 'lapse_expired'"
                       f" and movement_date > '{month_end}'")[0][0] > 0
    stored = daily.query("select count(*) from intermediate.int_member_rfm_scored"
                         f" where snapshot_date = '{month_end}' and not is_as_of_date_snapshot")[0][0]
    assert stored > 0
    back_run, result = _order_build(tmp_path / "back", out / "day_2", back, from_warehouse=daily.warehouse,
                                       args=args)
    assert _last_run(back_run)["is_incremental_build"] is True
    assert "int_member_rfm_scored scores the as_of_date snapshot" in result.stdout
    full_back, _ = _order_build(tmp_path / "full_back", out / "day_2", back, args=args)
    _assert_same_orders(back_run, full_back)
    with duckdb.connect() as connection:
        connection.execute(f"attach '{back_run.warehouse}' as daily (read_only)")
        connection.execute(f"attach '{full_back.warehouse}' as full_build (read_only)")
        for mart in ("fct_member_rfm", "fct_member_rfm_history"):
            assert set(sql_differences(connection, _MARTS[mart], f"full_build.marts.{mart}",
                                       f"daily.marts.{mart}").values()) == {0}, mart
        assert connection.execute("select min(as_of_date), max(as_of_date), max(snapshot_date)"
                                  " from daily.marts.fct_member_rfm_history").fetchone() \
            == (date.fromisoformat(back), date.fromisoformat(back), date.fromisoformat(back))


def test_a_build_without_fct_orders_keeps_the_state(tmp_path, tiny_days, day_1_orders):
    """`--select` without fct_orders must not move the watermark past what fct_orders holds."""
    out, days = tiny_days
    project, result = _order_build(tmp_path / "partial", out / "day_2", days["day_2"]["as_of_date"],
                                   from_warehouse=day_1_orders.warehouse,
                                   args=["--select", "rpt_incremental_runs"])
    assert ("int_orders_valued, fct_orders, fct_order_items, int_member_visit_days, int_member_states,"
            " fct_member_activity_history, int_member_rfm_scored, int_member_tier_states, int_member_tier_periods,"
            " fct_order_tiers, fct_member_points_ledger, int_member_lifecycle_snapshots, int_member_lifecycle_stage_runs,"
            " fct_member_category_preferences, fct_member_purchase_profile, fct_audience_item_purchase_days"
            " not in this build's selection") in result.stdout
    runs = project.query("select build_number, as_of_date from audit.rpt_incremental_runs")
    assert [(number, str(as_of)) for number, as_of in runs] == [(1, days["day_1"]["as_of_date"])]


def test_the_fingerprint_covers_the_code_of_fct_orders(tmp_path):
    """A deploy that changes a rule macro or a model upstream of fct_orders changes the
    fingerprint (so the next daily run recomputes every member); the same code does not."""
    def fingerprint(root: Path) -> str:
        # the copy's own bin/dbt (it sets DBT_PROJECT_DIR to its folder), this environment
        env = dict(os.environ, MEMBER_ANALYTICS_VENV=str(ROOT / ".venv"),
                   MEMBER_ANALYTICS_WAREHOUSE_DIR=str(root / "warehouse"))
        for name in ("DBT_PROJECT_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH", "MEMBER_ANALYTICS_DUCKDB_PATH",
                     "MEMBER_ANALYTICS_DUCKDB_TEMP_DIR", "MEMBER_ANALYTICS_HOME"):
            env.pop(name, None)
        result = subprocess.run([str(root / "bin" / "dbt"), "compile", "--quiet", "--inline",
                                 "{{ member_analytics.incremental_vars_fingerprint() }}"],
                                env=env, capture_output=True, text=True, cwd="/")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        return result.stdout.strip().splitlines()[-1]

    copies = {}
    for name in ("same", "rule", "staging"):
        copies[name] = tmp_path / name
        shutil.copytree(ROOT, copies[name], ignore=shutil.ignore_patterns(
            ".venv", ".git", "target", "logs", "warehouse", "data", "reports", "exports", "build", "secrets",
            "__pycache__", "pytests", "docs"))
    rules = copies["rule"] / "macros" / "rules" / "purchases.sql"
    text = rules.read_text()
    assert "then {{ paid_amount }} else cast(0 as decimal(18, 2))" in text
    rules.write_text(text.replace("then {{ paid_amount }} else cast(0 as decimal(18, 2))",
                                  "then {{ paid_amount }} else cast(0.00 as decimal(18, 2))", 1))
    with (copies["staging"] / "models" / "staging" / "shop" / "stg_shop__orders.sql").open("a") as handle:
        handle.write("\n-- a changed staging model\n")
    fingerprints = {name: fingerprint(copy) for name, copy in copies.items()}
    assert all(len(value) == 32 for value in fingerprints.values()), fingerprints
    assert len(set(fingerprints.values())) == 3, fingerprints
    assert fingerprint(ROOT) == fingerprints["same"]


def test_a_changed_threshold_recomputes_every_member(tmp_path, tiny_days, day_1_orders, tiny_day2_full_build):
    """Another threshold var than the day's dates: the previous rows were computed under
    other rules, so the daily run recomputes every member (and says so). The var is one
    the compared models do not read (a co-purchase threshold), so they equal the full
    build's of the default vars."""
    out, days = tiny_days
    project = DbtProject(tmp_path / "changed_var", out / "day_2")
    project.warehouse.parent.mkdir(parents=True)
    shutil.copyfile(day_1_orders.warehouse, project.warehouse)
    project.dbt("build", *ORDER_MODELS, vars={**day_vars(days, "day_2"), "member_analytics__co_purchase__min_pair_baskets": 4})
    run = _last_run(project)
    assert run["is_incremental_build"] is False and run["number_of_changed_orders"] is None
    _assert_same_orders(project, tiny_day2_full_build)


def test_a_daily_run_with_the_default_as_of_date(tmp_path, tiny_days, day_1_orders):
    """No as_of_date var: the latest kept valid order's date (int_as_of_date), on day 2
    as on a full build."""
    out, days = tiny_days
    vars = {"member_analytics__validation__latest_valid_date": "2030-12-31"}
    daily = DbtProject(tmp_path / "daily", out / "day_2")
    daily.warehouse.parent.mkdir(parents=True)
    shutil.copyfile(day_1_orders.warehouse, daily.warehouse)
    daily.dbt("build", *ORDER_MODELS, vars=vars)
    full = DbtProject(tmp_path / "full", out / "day_2")
    full.dbt("build", *ORDER_MODELS, vars=vars)
    assert _last_run(daily)["is_incremental_build"] is True
    assert _last_run(daily)["as_of_date"] == _last_run(full)["as_of_date"]
    _assert_same_orders(daily, full)


def test_a_daily_run_of_fct_orders_without_its_change_detection_is_refused(tmp_path, tiny_days, day_1_orders):
    out, days = tiny_days
    project = DbtProject(tmp_path / "alone", out / "day_2")
    project.warehouse.parent.mkdir(parents=True)
    shutil.copyfile(day_1_orders.warehouse, project.warehouse)
    result = project.dbt("build", "--select", "fct_orders", vars=day_vars(days, "day_2"), check=False)
    assert result.returncode != 0
    assert "change detection and state are not all selected" in result.stdout
    assert "int_incremental_changed_members" in result.stdout


def test_member_states_of_daily_runs_on_loads_equal_full_builds(tmp_path, tiny_days):
    """Loads delivered into one folder (docs/decisions/0119): day 2 brings its daily
    loads, a behaviour-events load held back since day 1 (old events: the month ends
    of their members change), a members load delivered again with a registration date
    changed, a points load removed and a points row delivered again under another
    member. The member-keyed models (fct_orders, the visit days, the member state, the
    points ledger) recompute the members the change ledger and the dates name
    and every member's recent dates only, and equal a full build of the same loads;
    so does the next run, for the day before (as_of_date going back)."""
    out, days = tiny_days
    loads = tmp_path / "loads"
    days_as_loads(out / "day_1", out / "day_2", loads, days["day_2"]["as_of_date"])
    raw = tmp_path / "raw"
    shutil.copytree(loads / "day_1", raw)
    late = sorted((raw / "behavior_events" / "backfill").glob("*.parquet"))[-5]
    late.unlink()
    args = ORDER_MODELS_ON_LOADS
    day_1, _ = _order_build(tmp_path / "day_1", raw, days["day_1"]["as_of_date"], args=args)

    for table in (loads / "day_2").iterdir():
        shutil.copytree(table / "daily", raw / table.name / "daily")
    shutil.copyfile(loads / "day_2" / "behavior_events" / "backfill" / late.name, late)
    members = sorted((raw / "members" / "backfill").glob("*.parquet"))[3]
    with duckdb.connect() as connection:
        first = connection.execute(f"select shop_id, member_id from read_parquet('{members}') limit 1").fetchall()[0]
        connection.execute(
            f"copy (select * replace (case when member_id = '{first[1]}' then '2020-01-01 08:00:00'"
            f" else registered_at end as registered_at) from read_parquet('{members}'))"
            f" to '{tmp_path / 'members.parquet'}' (format parquet)")
    shutil.move(tmp_path / "members.parquet", members)
    sorted((raw / "points_events" / "backfill").glob("*.parquet"))[-3].unlink()
    # a points row re-delivered under another member, an hour before the original: it
    # wins the request, so the original member's ledger changes though none of their
    # rows did (docs/decisions/0121: members sharing a request are recomputed)
    shop, owner, request, occurred_at, points, reason = day_1.query(
        "select shop_id, member_id, request_id, strftime(occurred_at - interval 1 hour, '%Y-%m-%d %H:%M:%S'),"
        " cast(points as varchar), reason from staging.stg_shop__points_events where row_status = 'kept'"
        " and points > 0 and (shop_id, request_id) in (select shop_id, request_id from staging.stg_shop__points_events"
        " where row_status = 'kept' group by shop_id, request_id having count(*) = 1)"
        " order by occurred_at, shop_id, member_id limit 1")[0]
    taker = day_1.query(f"select min(member_id) from marts.dim_members where shop_id = '{shop}'"
                        f" and member_id <> '{owner}'")[0][0]
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select '{shop}' as shop_id, '{taker}' as member_id, '{occurred_at}' as occurred_at,"
            f" '{points}' as points, '{reason}' as reason, '{request}' as request_id)"
            f" to '{raw / 'points_events' / 'daily' / 'redelivered_request.parquet'}' (format parquet)")

    daily, result = _order_build(tmp_path / "daily", raw, days["day_2"]["as_of_date"],
                                 from_warehouse=day_1.warehouse, args=args)
    assert (shop, owner) not in {tuple(row) for row in daily.query(
        "select shop_id, member_id from audit.int_incremental_changed_members")}
    assert daily.query("select count(*) from marts.fct_member_points_ledger"
                       f" where shop_id = '{shop}' and member_id = '{taker}' and request_id = '{request}'")[0][0] == 1
    assert daily.query("select count(*) from marts.fct_member_points_ledger"
                       f" where shop_id = '{shop}' and member_id = '{owner}' and request_id = '{request}'")[0][0] == 0
    # every member is computed only at the dates not stored before: the new as_of_date and
    # its lookback date; the day before and the other recent dates keep their rows
    as_of = date.fromisoformat(days["day_2"]["as_of_date"])
    assert _member_state_new_dates(result.stdout) == [
        str(date.fromordinal(as_of.toordinal() - 30)), str(as_of)]
    assert "fct_member_activity_history recomputes the changed members and every member from" in result.stdout
    run = _last_run(daily)
    everyone = daily.query("select count(*) from intermediate.int_members_unified")[0][0]
    assert run["is_incremental_build"] is True and 0 < run["number_of_changed_members"] < everyone / 2, run
    recomputed = {tuple(row) for row in daily.query("select shop_id, member_id from audit.int_incremental_changed_members")}
    assert first in recomputed
    with duckdb.connect() as connection:
        late_members = {tuple(row) for row in connection.execute(
            f"select distinct shop_id, member_id from read_parquet('{late}')").fetchall()}
    assert late_members and late_members <= recomputed
    full, _ = _order_build(tmp_path / "full", raw, days["day_2"]["as_of_date"])
    _assert_same_orders(daily, full)

    back, result = _order_build(tmp_path / "back", raw, days["day_1"]["as_of_date"],
                                from_warehouse=daily.warehouse, args=args)
    # as_of_date a day back: the new as_of_date was stored as the day before, not as the
    # as_of_date (no rows for members not yet seen then), its day before and that day's
    # lookback date were not stored: new; the as_of_date's lookback date and the month end
    # keep their rows
    back_as_of = date.fromisoformat(days["day_1"]["as_of_date"])
    assert _member_state_new_dates(result.stdout) == [
        str(date.fromordinal(back_as_of.toordinal() - 31)), str(date.fromordinal(back_as_of.toordinal() - 1)),
        str(back_as_of)]
    full_back, _ = _order_build(tmp_path / "full_back", raw, days["day_1"]["as_of_date"])
    _assert_same_orders(back, full_back)


def test_a_daily_run_after_a_full_refresh_stays_incremental(tmp_path, tiny_days):
    """A full refresh starts audit.rpt_incremental_runs again at 1; the change ledger's
    rows of that build must be numbered 1 too, or the next daily run reads its 'full' rows
    as unread and recomputes every member (docs/decisions/0119)."""
    out, days = tiny_days
    loads = tmp_path / "loads"
    days_as_loads(out / "day_1", out / "day_2", loads, days["day_2"]["as_of_date"])
    raw = tmp_path / "raw"
    shutil.copytree(loads / "day_1", raw)
    args = ORDER_MODELS_ON_LOADS
    project, _ = _order_build(tmp_path / "home", raw, days["day_1"]["as_of_date"], args=args)
    _order_build(tmp_path / "home", raw, days["day_1"]["as_of_date"], args=[*args, "--full-refresh"])
    assert project.query("select distinct build_number from landing.staged_changes") == [(1,)]
    for table in (loads / "day_2").iterdir():
        shutil.copytree(table / "daily", raw / table.name / "daily")
    _, result = _order_build(tmp_path / "home", raw, days["day_2"]["as_of_date"], args=args)
    assert "int_member_states recomputes the changed members, and every member at the new dates from" in result.stdout
    assert _last_run(project)["build_number"] == 2
    assert project.query("select distinct change_side from landing.staged_changes where change_side = 'full'") == []
