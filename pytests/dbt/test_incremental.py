"""The daily incremental run (docs/decisions/0091): build day 1 in full, then day 2
(one more day of orders, items and events, and refunds to old orders) through
write-audit-publish on top of it; every public mart must equal a full build of day 2,
row for row. One late refund is older than the lookback: it is applied, counted in
audit.rpt_incremental_runs and warned about in dbt's log.
"""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from member_analytics.parity import public_marts

from .conftest import DbtProject, day_vars

pytestmark = pytest.mark.dbt


class DailyHome(DbtProject):
    def env(self) -> dict[str, str]:
        env = super().env()
        env["MEMBER_ANALYTICS_REPORTS_DIR"] = str(self.home / "reports")
        return env

    def wap_build(self, vars: dict, *extra: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "member_analytics.cli", "build", "--no-quality",
                   "--vars", json.dumps(vars), *extra]
        result = subprocess.run(command, env=self.env(), capture_output=True, text=True, cwd="/")
        assert result.returncode == 0, f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        return result


@pytest.fixture(scope="module")
def daily_run(tmp_path_factory, tiny_days) -> tuple[DailyHome, subprocess.CompletedProcess, dict]:
    out, days = tiny_days
    home = tmp_path_factory.mktemp("daily_run")
    DailyHome(home, out / "day_1").wap_build(day_vars(days, "day_1"))
    day_2 = DailyHome(home, out / "day_2")
    result = day_2.wap_build(day_vars(days, "day_2"))
    return day_2, result, days


def _public_marts() -> list[tuple[str, str]]:
    return sorted((mart.schema, mart.name) for mart in public_marts())


def test_the_day_2_load_adds_a_day_and_refunds_old_orders(tiny_days):
    _, days = tiny_days
    assert days["day_2"]["rows"]["orders"] > days["day_1"]["rows"]["orders"] + len(days["late_refunds"])
    for table in ("order_items", "behavior_events"):
        assert days["day_2"]["rows"][table] > days["day_1"]["rows"][table]
    assert len(days["late_refunds"]) == 5


@pytest.mark.parametrize("schema_and_name", _public_marts(), ids=lambda item: item[1])
def test_daily_run_equals_a_full_build(schema_and_name, daily_run, tiny_day2_full_build):
    schema, name = schema_and_name
    project, _, _ = daily_run
    with duckdb.connect() as connection:
        connection.execute(f"attach '{project.warehouse}' as daily (read_only)")
        connection.execute(f"attach '{tiny_day2_full_build.warehouse}' as full_build (read_only)")
        daily, full = f"daily.{schema}.{name}", f"full_build.{schema}.{name}"
        rows = connection.execute(f"select count(*) from {full}").fetchone()[0]
        missing = connection.execute(f"select count(*) from (select * from {full} except all select * from {daily})"
                                     ).fetchone()[0]
        extra = connection.execute(f"select count(*) from (select * from {daily} except all select * from {full})"
                                   ).fetchone()[0]
        assert (missing, extra) == (0, 0), f"{name}: {rows} rows in the full build"


def test_daily_run_was_incremental_and_counted_the_late_change(daily_run):
    project, result, days = daily_run
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
    project, _, days = daily_run
    for refund in days["late_refunds"]:
        status, refunded = project.query(
            "select status, refunded_amount = gross_amount from marts.fct_orders "
            f"where shop_id = '{refund['shop_id']}' and order_id = '{refund['order_id']}'")[0]
        assert (status, refunded) == ("refunded", True)
