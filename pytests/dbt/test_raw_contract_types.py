"""The raw contract read from metadata (docs/decisions/0110): typed Parquet columns
(keys, time zones, integral floats, amounts), empty and odd files, impossible date
vars, the build report after a contract error, and a hook that reads no file in
full when no staging model is built. Every test fails at d19b0e0 (before this work)."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from .conftest import fails_with

pytestmark = pytest.mark.dbt

AS_OF = {"as_of_date": "2026-01-31"}
ORDERS_CSV = """shop_id,order_id,member_id,ordered_at,status,paid_amount
s1,o1,0001,2026-01-05 10:00:00,paid,100.00
s1,o2,0002,2026-01-06 10:00:00,completed,50.00
"""
ITEMS_CSV = """shop_id,order_id,product_id,quantity,unit_price
s1,o1,p1,1,100.00
s1,o2,p2,2,25.00
"""


def parquet(tmp_path, select_sql: str) -> bytes:
    """A Parquet file (as bytes) written by DuckDB from one select: its column types are the select's."""
    path = tmp_path / f"p{len(list(tmp_path.glob('p*.parquet')))}.parquet"
    with duckdb.connect() as connection:
        connection.execute("set timezone = 'UTC'")
        connection.execute(f"copy ({select_sql}) to '{path}' (format parquet)")
    return path.read_bytes()


def orders_parquet(tmp_path, **overrides: str) -> bytes:
    columns = {"shop_id": "'s1'", "order_id": "'o' || i", "member_id": "'000' || i",
               "ordered_at": "'2026-01-05 10:00:00'", "status": "'paid'", "paid_amount": "'10.00'"}
    columns.update(overrides)
    select = ", ".join(f"{expression} as {name}" for name, expression in columns.items())
    return parquet(tmp_path, f"select {select} from range(1, 3) as t(i)")


def run_staging(project, *models: str, vars=AS_OF, check: bool = True):
    result = project.dbt("run", "--select", *(models or ("stg_shop__orders",)), vars=vars, check=check)
    return result, result.stdout + result.stderr


# --- B. typed Parquet ------------------------------------------------------------------

def test_float_key_is_a_contract_error_naming_file_column_and_type(make_project, tmp_path):
    project = make_project({"orders.parquet": orders_parquet(tmp_path, order_id="cast(i as double)")})
    fails_with(project, "contract error", "orders.parquet column order_id has type DOUBLE", "floating-point")


def test_integer_member_key_is_read_as_text_and_a_form_mismatch_warns_with_counts(make_project, tmp_path):
    project = make_project({
        "orders.parquet": orders_parquet(tmp_path, member_id="cast(70 + i as bigint)"),
        "members.csv": "shop_id,member_id\ns1,0000071\ns1,72\n",
    })
    _, output = run_staging(project, "stg_shop__orders", "stg_shop__members")
    assert "member_id is BIGINT in" in output and "orders.parquet but VARCHAR in" in output
    assert "1 of 2 buyer(s) match no member, 1 of them only when leading zeros are ignored" in output
    assert project.query("select member_id, typeof(member_id) from landing.orders order by 1") == [
        ("71", "VARCHAR"), ("72", "VARCHAR")]


def test_zoned_timestamp_is_converted_to_the_shop_time_zone(make_project, tmp_path):
    project = make_project({"orders.parquet": orders_parquet(
        tmp_path,
        # 2026-01-05 02:30 UTC is 10:30 in Asia/Shanghai (UTC+8, no daylight saving)
        ordered_at="timestamptz '2026-01-05 02:30:00+00' + to_seconds(i - 1)",
        updated_at="timestamp '2026-01-05 10:00:00.25'")})
    run_staging(project)
    assert project.query("select order_id, ordered_at, updated_at from landing.orders order by 1") == [
        ("o1", "2026-01-05 10:30:00", "2026-01-05 10:00:00.250000"),
        ("o2", "2026-01-05 10:30:01", "2026-01-05 10:00:00.250000")]
    assert project.query("select row_status, count(*) from staging.stg_shop__orders group by 1") == [("kept", 2)]
    # another shop time zone: same instant, other wall clock (New York is UTC-5 in January)
    run_staging(project, vars={**AS_OF, "member_analytics__validation__shop_time_zone": "America/New_York"})
    assert project.query("select ordered_at from landing.orders order by 1")[0] == ("2026-01-04 21:30:00",)


def test_integral_float_quantity_is_accepted_and_a_fraction_rejected(make_project, tmp_path):
    items = parquet(tmp_path, "select 's1' as shop_id, 'o1' as order_id, 'p' || q as product_id, q as quantity,"
                              " 10.0::double as unit_price from (values (2.0::double), (2.5::double)) as t(q)")
    project = make_project({"orders.csv": ORDERS_CSV, "order_items.parquet": items})
    run_staging(project, "stg_shop__orders", "stg_shop__order_items")
    assert project.query("select product_id, quantity from landing.order_items order by 1") == [
        ("p2.0", "2"), ("p2.5", "2.5")]
    assert project.query("select product_id, row_status, rejection_reason from staging.stg_shop__order_items"
                         " order by 1") == [("p2.0", "kept", None), ("p2.5", "rejected", "bad_type")]


def test_float_and_decimal_amounts_are_rounded_half_away_from_zero_to_cents(make_project, tmp_path):
    project = make_project({"orders.parquet": orders_parquet(
        tmp_path,
        paid_amount="case i when 1 then 2.675::double else 12345678.9::double end",
        refunded_amount="case i when 1 then 1.005::decimal(10, 3) else 0.004::decimal(10, 3) end",
        discount_amount="case i when 1 then 10000000::double else 0.125::float end")})
    run_staging(project)
    assert project.query("select paid_amount, refunded_amount, discount_amount from landing.orders order by order_id") == [
        ("2.68", "1.01", "10000000.00"), ("12345678.90", "0.00", "0.13")]


def test_unsupported_column_type_is_a_contract_error_naming_file_column_and_type(make_project, tmp_path):
    project = make_project({"orders.parquet": orders_parquet(tmp_path, ordered_at="true")})
    fails_with(project, "orders.parquet column ordered_at has type BOOLEAN", "timestamp column")


# --- C. empty and odd files --------------------------------------------------------------

def test_empty_orders_table_is_a_contract_error(make_project):
    project = make_project({"orders.csv": ORDERS_CSV.splitlines()[0] + "\n"})
    fails_with(project, "orders.csv has no rows")


def test_empty_other_table_warns_naming_the_file(make_project, tmp_path):
    items = parquet(tmp_path, "select 's1' as shop_id, 'o1' as order_id, 'p1' as product_id, 1 as quantity,"
                              " '1.00' as unit_price where false")
    project = make_project({"orders.csv": ORDERS_CSV, "order_items.parquet": items,
                            "members.csv": "shop_id,member_id\n"})
    _, output = run_staging(project, "stg_shop__orders")
    assert "order_items.parquet has a header and no rows" in output
    assert "members.csv has a header and no rows" in output


def test_duplicated_header_column_names_file_and_column(make_project):
    project = make_project({"orders.csv": ORDERS_CSV, "members.csv": "shop_id,member_id,city,Member_ID\ns1,1,x,2\n"})
    fails_with(project, "members.csv has the column member_id twice in its header")


def test_semicolon_delimiter_names_the_file(make_project):
    project = make_project({"orders.csv": ORDERS_CSV.replace(",", ";")})
    fails_with(project, "orders.csv is separated by ';', not ','")


def test_blank_line_names_file_and_line(make_project):
    project = make_project({"orders.csv": ORDERS_CSV.replace("\ns1,o2", "\n   \ns1,o2")})
    fails_with(project, "orders.csv line 3 is blank")


def test_impossible_as_of_date_names_the_var(make_project):
    project = make_project({"orders.csv": ORDERS_CSV})
    fails_with(project, "var 'as_of_date' is not a calendar date: '2026-02-30'", vars={"as_of_date": "2026-02-30"})


def test_build_report_after_a_contract_error_describes_that_run(make_project, tmp_path):
    project = make_project({"orders.csv": ORDERS_CSV, "order_items.csv": ITEMS_CSV})
    reports = tmp_path / "reports"
    env = {**project.env(), "MEMBER_ANALYTICS_REPORTS_DIR": str(reports)}

    def build():
        command = [sys.executable, "-m", "member_analytics.cli", "build", "--no-quality",
                   "--vars", json.dumps(AS_OF), "--select", "stg_shop__orders"]
        return subprocess.run(command, env=env, capture_output=True, text=True, cwd="/")

    build()  # a selection of staging only: a data test joining marts fails, and the report lists it
    first = (reports / "build" / "last_build.md").read_text()
    assert "test.member_analytics." in first
    (project.raw_path / "orders.csv").write_text(ORDERS_CSV.replace(",paid_amount", ",paid"))
    assert build().returncode != 0
    report = (reports / "build" / "last_build.md").read_text()
    assert "not published" in report
    assert "orders.csv lacks required column(s) paid_amount" in report, report
    assert "test.member_analytics." not in report and "model.member_analytics." not in report


# --- A. the hook reads no file in full unless staging is built -----------------------------

def test_hook_reads_no_file_in_full_when_no_staging_model_is_built(make_project):
    project = make_project({"orders.csv": ORDERS_CSV, "order_items.csv": ITEMS_CSV})
    project.dbt("run", "--select", "stg_shop__orders", "stg_shop__order_items", vars=AS_OF)
    # a bad byte far past the header (beyond what a CSV sniffer samples): only a full read finds it
    good_lines = "".join(f"s1,o1,p{n},1,1.00\n" for n in range(30000))
    (project.raw_path / "order_items.csv").write_bytes(
        (ITEMS_CSV + good_lines).encode() + "s1,o1,p杭,1,1.00\n".encode("gbk"))
    result = project.dbt("test", "--select", "stg_shop__orders", vars=AS_OF, check=False)
    output = result.stdout + result.stderr
    assert "raw tables registered from their metadata only" in output
    assert "member_analytics: reading" not in output
    assert "contract error" not in output
    # a command that builds staging reads the files in full and names the bad one
    fails_with(project, "member_analytics: reading", "order_items.csv", "UTF-8")
