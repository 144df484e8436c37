"""Issue 20, the rules that live in staging: spelled-out missing values, order versions
and the amount bound. One raw folder holds every case; one build of the models they
reach; each test asserts one class. Each fails on the code before issue 20 (d19b0e0):
there 'NULL' was a buyer, 'N/A' in an amount rejected the whole order, an undated and a
dated version were both kept (the build stopped on a uniqueness test), an older
version stood in for a rejected newer one, and any amount was accepted."""

from __future__ import annotations

import pytest

from .conftest import NO_UNIT_TESTS, DbtProject

pytestmark = pytest.mark.dbt

BOUND_ORDERS = 200
BOUND = "10000000.00"

ORDER_COLUMNS = ("shop_id,order_id,member_id,ordered_at,status,paid_amount,refunded_amount,"
                 "refunded_at,discount_amount,channel,updated_at")
ORDERS = [
    "s1,o_ok,0001,2026-01-05 10:00:00,paid,100.00,,,,app,",
    "s1,o_null_member,NULL,2026-01-05 10:00:00,paid,100.00,,,,app,",
    "s1,o_na_amounts,0002,2026-01-06 10:00:00,paid,50.00, N/A ,,None,NaN,",
    "s1,o_undated,0001,2026-01-07 10:00:00,paid,10.00,,,,app,",
    "s1,o_undated,0001,2026-01-07 10:00:00,completed,20.00,,,,app,2026-01-10 10:00:00",
    "s1,o_two_undated,0001,2026-01-08 10:00:00,paid,10.00,,,,app,",
    "s1,o_two_undated,0001,2026-01-08 10:00:00,paid,11.00,,,,app,",
    "s1,o_new_bad,0002,2026-01-09 10:00:00,paid,30.00,,,,app,2026-01-09 10:00:00",
    "s1,o_new_bad,0002,2026-01-09 10:00:00,completed,3O.00,,,,app,2026-01-11 10:00:00",
    "s1,o_big,0002,2026-01-10 10:00:00,paid,10000000.01,,,,app,",
] + [f"s1,o_bound_{i:03d},0003,2026-01-{1 + i % 28:02d} 12:00:00,completed,{BOUND},,,,app,"
     for i in range(BOUND_ORDERS)]

ITEMS = ["s1,o_ok,p1,1,100.00,", "s1,o_na_amounts,p2,1,50.00,\\N", "s1,o_undated,p1,2,10.00,",
         "s1,o_new_bad,p1,1,30.00,", "s1,o_ok,p4,2,5000000.01,"]
ITEMS += [f"s1,o_bound_{i:03d},p3,1,{BOUND}," for i in range(BOUND_ORDERS)]

PRODUCTS = """shop_id,product_id,product_name,category,brand,list_price,launched_at
s1,p1,One,A,B,100.00,
s1,p2,Two,None,null,50.00,
s1,p3,Three,N/A,\\N,10000000.00,
"""

VARS = {"as_of_date": "2026-01-31", "member_analytics__validation__latest_valid_date": "2030-12-31"}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> DbtProject:
    home = tmp_path_factory.mktemp("bad_exports")
    raw = home / "raw"
    raw.mkdir()
    (raw / "orders.csv").write_text("\n".join([ORDER_COLUMNS, *ORDERS]) + "\n", encoding="utf-8")
    (raw / "order_items.csv").write_text(
        "\n".join(["shop_id,order_id,product_id,quantity,unit_price,line_amount", *ITEMS]) + "\n",
        encoding="utf-8")
    (raw / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    (raw / "members.csv").write_text("shop_id,member_id\ns1,0001\ns1,0002\ns1,0003\n", encoding="utf-8")
    project = DbtProject(home / "home", raw)
    # models, seeds and data tests, not the unit tests: those test the models' code on fixed
    # inputs, whatever the raw data, and tiny_build runs every one of them once
    project.dbt("build", "--indirect-selection", "cautious", "--select",
                "+fct_member_rfm +fct_order_items +dim_products +fct_rejected_rows",
                *NO_UNIT_TESTS, vars=VARS)
    return project


def _verdicts(project, table: str, key: str, value: str) -> list[tuple]:
    relation = {"orders": "staging.stg_shop__orders", "order_items": "staging.stg_shop__order_items"}[table]
    return sorted(project.query(
        f"select row_status, coalesce(rejection_reason, '') from {relation} where {key} = '{value}'"))


def test_spelled_out_missing_values_are_missing(project):
    # as a key: the row has no member, so it is missing_key, not a buyer called NULL
    assert _verdicts(project, "orders", "order_id", "o_null_member") == [("rejected", "missing_key")]
    assert project.query("select count(*) from marts.fct_orders where member_id = 'NULL'") == [(0,)]
    # in optional amounts and codes: simply absent, the order is kept
    assert project.query(
        "select refunded_amount, discount_amount, channel from marts.fct_orders where order_id = 'o_na_amounts'"
    ) == [(0, 0, None)]
    # as a category or brand: unknown, not a category called None
    assert sorted(project.query(
        "select product_id, category, brand from marts.dim_products where product_id in ('p2', 'p3')")
    ) == [("p2", None, None), ("p3", None, None)]
    # \N as a line amount: absent, so quantity x price
    assert project.query(
        "select line_gross_amount from marts.fct_order_items where order_id = 'o_na_amounts'") == [(50,)]


def test_an_undated_version_ranks_below_a_dated_one(project):
    assert _verdicts(project, "orders", "order_id", "o_undated") == [("kept", ""), ("superseded", "")]
    assert project.query(
        "select status, gross_amount from marts.fct_orders where order_id = 'o_undated'") == [("completed", 20)]


def test_two_different_undated_versions_are_both_duplicate_key(project):
    assert _verdicts(project, "orders", "order_id", "o_two_undated") == [("rejected", "duplicate_key")] * 2
    assert project.query("select count(*) from marts.fct_orders where order_id = 'o_two_undated'") == [(0,)]


def test_a_rejected_newest_version_quarantines_the_whole_order(project):
    assert _verdicts(project, "orders", "order_id", "o_new_bad") == [
        ("rejected", "bad_type"), ("rejected", "latest_version_rejected")]
    assert project.query("select count(*) from marts.fct_orders where order_id = 'o_new_bad'") == [(0,)]
    assert _verdicts(project, "order_items", "order_id", "o_new_bad") == [("rejected", "rejected_order")]
    # both versions are in the quarantine with their original values
    rows = project.query(
        "select rejection_reason, source_record from audit.fct_rejected_rows "
        "where table_name = 'orders' and source_record like '%order_id=o_new_bad%' order by 1")
    assert [reason for reason, _ in rows] == ["bad_type", "latest_version_rejected"]
    assert "paid_amount=30.00" in rows[1][1] and "paid_amount=3O.00" in rows[0][1]


def test_amounts_above_the_bound_are_out_of_range(project):
    assert _verdicts(project, "orders", "order_id", "o_big") == [("rejected", "out_of_range")]
    lines = project.query(
        "select product_id, row_status, rejection_reason from staging.stg_shop__order_items "
        "where order_id = 'o_ok' order by product_id")
    assert lines == [("p1", "kept", None), ("p4", "rejected", "out_of_range")]


def test_many_orders_at_the_bound_for_one_member_sum_exactly(project):
    total = BOUND_ORDERS * 10_000_000
    assert project.query("select monetary from marts.fct_member_rfm where member_id = '0003'") == [(total,)]
    assert project.query(
        "select count(*), sum(net_amount) from marts.fct_orders where member_id = '0003'") == [(BOUND_ORDERS, total)]
    assert project.query(
        "select count(*), sum(net_amount) from marts.fct_order_items where member_id = '0003'"
    ) == [(BOUND_ORDERS, total)]
