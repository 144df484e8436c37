"""Deliberately broken raw folders: each gets the exact outcome the contract
promises — a clear error naming the file and column before anything is
replaced, or exactly the right rows quarantined with the right reason."""

from __future__ import annotations

import pytest

from .conftest import NO_UNIT_TESTS, fails_with

pytestmark = pytest.mark.dbt

ORDERS = """shop_id,order_id,member_id,ordered_at,status,paid_amount
s1,o1,0001,2026-01-05 10:00:00,paid,100.00
s1,o2,0002,2026-01-06 10:00:00,completed,50.00
"""
ITEMS = """shop_id,order_id,product_id,quantity,unit_price
s1,o1,p1,1,100.00
s1,o2,p2,2,25.00
"""
AS_OF = {"as_of_date": "2026-01-31"}


def test_missing_required_table_names_the_files_looked_for(make_project):
    project = make_project({"order_items.csv": ITEMS})
    fails_with(project, "required table 'orders' is missing", "orders.csv", "orders.parquet")


def test_missing_required_column_names_file_and_column_and_leaves_marts_untouched(make_project):
    project = make_project({"orders.csv": ORDERS, "order_items.csv": ITEMS})
    project.dbt("build", *NO_UNIT_TESTS, vars=AS_OF)
    before = project.query("select count(*), sum(net_amount) from marts.fct_orders")
    assert before == [(2, 150)]

    (project.raw_path / "orders.csv").write_text(ORDERS.replace(",paid_amount", ",paid").replace("\n", "\n"))
    result = project.dbt("build", vars=AS_OF, check=False)
    output = result.stdout
    assert result.returncode != 0
    assert "orders.csv lacks required column(s) paid_amount" in output
    # the hook stops the run before any model: the published marts are the old ones
    assert project.query("select count(*), sum(net_amount) from marts.fct_orders") == before
    assert "OK created" not in output


def test_unreadable_parquet_names_the_file(make_project):
    project = make_project({"orders.parquet": b"this is not parquet at all"})
    fails_with(project, "orders.parquet")


def test_non_utf8_csv_names_the_file(make_project):
    project = make_project({"orders.csv": ORDERS.encode("utf-8"), "members.csv": "shop_id,member_id,city\ns1,0001,".encode() + "杭州\n".encode("gbk")})
    fails_with(project, "members.csv", "UTF-8")


def test_shop_id_in_some_tables_only_is_a_contract_error(make_project):
    project = make_project({"orders.csv": ORDERS, "members.csv": "member_id\n0001\n"})
    fails_with(project, "shop_id must be in every table or in none", "members.csv")


def test_two_files_for_one_table_is_a_contract_error(make_project, tmp_path):
    project = make_project({"orders.csv": ORDERS, "orders.parquet": b"x"})
    fails_with(project, "both orders.csv and orders.parquet")


@pytest.mark.parametrize(
    "vars, message",
    [
        ({"raw_data_path": "/tmp/x'; drop table marts.fct_orders; --"}, "not allowed in a path"),
        ({"raw_data_path": "relative/folder"}, "must be an absolute path"),
        ({"as_of_date": "2026-01-01'); drop table x; --"}, "must be a date written YYYY-MM-DD"),
        ({"raw_schema": "raw; drop"}, "must be a plain identifier"),
        ({"member_analytics__bi_reader_roles": ["bi_reader", "x; drop table y"]}, "must list plain role names"),
        ({"member_analytics__quality__max_rejected_share": "0.2; drop"}, "must be a number"),
        ({"member_analytics__campaigns__holdout_share": 1.5}, "must hold shares from 0 to 1"),
        ({"member_analytics__campaigns__holdout_share_by_audience": {"x'; drop table y; --": 0.5}}, "which is not a code"),
        ({"member_analytics__campaigns__attribution_window_days": {"sms": "7) or (1"}}, "must map channels to whole days"),
    ],
)
def test_hostile_or_malformed_vars_are_refused_before_any_sql_runs(make_project, vars, message):
    project = make_project({"orders.csv": ORDERS})
    fails_with(project, message, vars=vars)


def test_absent_optional_tables_and_shop_id_give_empty_marts_and_a_warning(make_project):
    project = make_project({"orders.csv": "order_id,member_id,ordered_at,status,paid_amount\no1,0001,2026-01-05,paid,10\n"})
    result = project.dbt("build", *NO_UNIT_TESTS, vars=AS_OF)
    assert "optional table 'products' is absent" in result.stdout
    assert project.query("select shop_id, member_id, member_source, is_registered_member from marts.dim_members") == [
        ("default", "0001", "buyer_only", None)
    ]
    assert project.query("select count(*) from marts.dim_products") == [(0,)]
    assert project.query("select count(*) from marts.fct_order_items") == [(0,)]


def test_every_bad_row_is_quarantined_with_its_reason_and_nothing_else_is_lost(make_project):
    files = {
        "orders.csv": """shop_id,order_id,member_id,ordered_at,status,paid_amount,refunded_amount,updated_at
s1,ok,0001,2026-01-05 10:00:00,paid,100.00,,
s1,ok,0001,2026-01-05 10:00:00,paid,100.00,,
s1,v,0002,2026-01-05 10:00:00,paid,10.00,,2026-01-05 10:00:00
s1,v,0002,2026-01-05 10:00:00,refunded,10.00,4.00,2026-01-07 10:00:00
s1,k,0002,2026-01-05 10:00:00,paid,10.00,,
s1,k,0002,2026-01-05 10:00:00,paid,12.00,,
s1,t,0003,2026-01-05 10:00:00,paid,ten,,
s1,c,0003,2026-01-05 10:00:00,sold,10.00,,
s1,n,0003,2026-01-05 10:00:00,paid,-10.00,,
s1,r,0003,2026-01-05 10:00:00,refunded,10.00,10.50,
s1,e,0003,1989-05-05 10:00:00,paid,10.00,,
s1,l,0003,2099-05-05 10:00:00,paid,10.00,,
s1,,0003,2026-01-05 10:00:00,paid,10.00,,
""",
        "order_items.csv": """shop_id,order_id,product_id,quantity,unit_price
s1,ok,p1,1,100.00
s1,v,p1,1,10.00
s1,ghost,p1,1,10.00
s1,t,p1,1,10.00
s1,k,p1,1,10.00
s1,ok,p2,0,1.00
s1,ok,p3,-1,1.00
s1,ok,p4,1,-1.00
""",
        "members.csv": """shop_id,member_id,registered_at,birth_date
s1,0001,2025-01-01,1990-05-05
s1,0009,2025-01-01,not a date
s1,0010,2025-01-01,
s1,0010,2025-02-01,
""",
        "products.csv": "shop_id,product_id,list_price\ns1,p1,10.00\ns1,p5,-2\n",
        "behavior_events.csv": "shop_id,member_id,event_type,occurred_at\ns1,0001,view,2026-01-02 10:00:00\ns1,0001,teleport,2026-01-02 10:00:00\ns1,0001,view,\n",
        "service_events.csv": "shop_id,member_id,event_type,occurred_at,event_id,rating\ns1,0001,review,2026-01-08 10:00:00,e1,5\ns1,0001,review,2026-01-08 10:00:00,e2,6\ns1,0001,review,2026-01-09 10:00:00,e3,4\ns1,0002,complaint,2026-01-09 10:00:00,e3,\n",
        "points_events.csv": "shop_id,member_id,occurred_at,points,reason,request_id\ns1,0001,2026-01-02 10:00:00,5,check_in,q1\ns1,0001,2026-01-02 10:00:00,0,check_in,q2\ns1,0001,2026-01-02 10:00:00,1.5,game,q3\n",
        # the send log: a good send and its exact copy, no send_id, no audience, a bad time,
        # a send_id shared by two different sends
        "campaign_sends.csv": """shop_id,send_id,member_id,audience,sent_at,offer,channel
s1,x1,0001,sleeping_winback,2026-01-10 10:00:00,coupon_10,sms
s1,x1,0001,sleeping_winback,2026-01-10 10:00:00,coupon_10,sms
s1,,0001,sleeping_winback,2026-01-10 10:00:00,coupon_10,sms
s1,x2,0001,,2026-01-10 10:00:00,coupon_10,sms
s1,x3,0001,sleeping_winback,yesterday,coupon_10,sms
s1,x4,0001,sleeping_winback,2026-01-11 10:00:00,coupon_10,sms
s1,x4,0002,sleeping_winback,2026-01-11 10:00:00,coupon_10,sms
""",
        # imported assignments: a good one, an unknown arm, a bad day, one member's day in
        # both arms
        "campaign_assignments.csv": """shop_id,member_id,audience,assigned_date,arm
s1,0001,sleeping_winback,2026-01-09,treatment
s1,0001,sleeping_winback,2026-01-10,control
s1,0001,sleeping_winback,2026-13-01,holdout
s1,0002,sleeping_winback,2026-01-09,treatment
s1,0002,sleeping_winback,2026-01-09,holdout
""",
    }
    project = make_project(files)
    # cautious: only tests whose every parent is built (a singular test joining staging
    # to a mart that is not selected would otherwise run against a missing table)
    # every table here is mostly bad rows on purpose: allow any rejected share
    project.dbt("build", "--select", "+fct_rejected_rows", "+rpt_row_reconciliation",
                "--indirect-selection", "cautious", *NO_UNIT_TESTS,
                vars={**AS_OF, "member_analytics__quality__max_rejected_share": 1})

    verdicts = set(project.query("select order_id, row_status, rejection_reason from staging.stg_shop__orders"))
    assert verdicts == {
        ("ok", "kept", None), ("ok", "duplicate", None),
        ("v", "superseded", None), ("v", "kept", None),
        ("k", "rejected", "duplicate_key"),
        ("t", "rejected", "bad_type"), ("c", "rejected", "unknown_code"),
        ("n", "rejected", "negative_amount"), ("r", "rejected", "refund_exceeds_payment"),
        ("e", "rejected", "date_before_earliest"), ("l", "rejected", "date_after_latest"),
        (None, "rejected", "missing_key"),
    }
    items = set(project.query("select order_id, product_id, row_status, rejection_reason from intermediate.int_order_items_validated"))
    assert items == {
        ("ok", "p1", "kept", None), ("v", "p1", "kept", None),
        ("ghost", "p1", "rejected", "unknown_order"), ("t", "p1", "rejected", "rejected_order"),
        ("k", "p1", "rejected", "rejected_order"), ("ok", "p2", "rejected", "out_of_range"),
        ("ok", "p3", "rejected", "out_of_range"), ("ok", "p4", "rejected", "negative_amount"),
    }
    assert set(project.query("select member_id, row_status, rejection_reason from staging.stg_shop__members")) == {
        ("0001", "kept", None), ("0009", "rejected", "bad_type"), ("0010", "rejected", "duplicate_key"),
    }
    assert set(project.query("select product_id, rejection_reason from staging.stg_shop__products")) == {
        ("p1", None), ("p5", "negative_amount"),
    }
    assert sorted(project.query("select event_type, rejection_reason from staging.stg_shop__behavior_events"), key=str) == sorted(
        [("view", None), ("teleport", "unknown_code"), ("view", "missing_value")], key=str)
    assert set(project.query("select event_id, rejection_reason from staging.stg_shop__service_events")) == {
        ("e1", None), ("e2", "out_of_range"), ("e3", "duplicate_key"),
    }
    assert set(project.query("select request_id, rejection_reason from staging.stg_shop__points_events")) == {
        ("q1", None), ("q2", "out_of_range"), ("q3", "bad_type"),
    }
    assert sorted(project.query("select send_id, row_status, rejection_reason from staging.stg_shop__campaign_sends"),
                  key=str) == sorted([
        ("x1", "kept", None), ("x1", "duplicate", None), (None, "rejected", "missing_key"),
        ("x2", "rejected", "missing_value"), ("x3", "rejected", "bad_type"),
        ("x4", "rejected", "duplicate_key"), ("x4", "rejected", "duplicate_key")], key=str)
    assert sorted(project.query(
        "select member_id, arm, rejection_reason from staging.stg_shop__campaign_assignments"), key=str) == sorted([
        ("0001", "treatment", None), ("0001", "control", "unknown_code"), ("0001", "holdout", "bad_type"),
        ("0002", "treatment", "duplicate_key"), ("0002", "holdout", "duplicate_key")], key=str)
    reconciliation = {
        table: (raw, kept, rejected, duplicate, superseded)
        for table, raw, kept, rejected, duplicate, superseded in project.query(
            "select table_name, raw_rows, kept_rows, rejected_rows, duplicate_rows, superseded_rows from audit.rpt_row_reconciliation"
        )
    }
    assert reconciliation == {
        "orders": (13, 2, 9, 1, 1),
        "order_items": (8, 2, 6, 0, 0),
        "members": (4, 1, 3, 0, 0),
        "products": (2, 1, 1, 0, 0),
        "behavior_events": (3, 1, 2, 0, 0),
        "service_events": (4, 1, 3, 0, 0),
        "points_events": (3, 1, 2, 0, 0),
        "campaign_sends": (7, 1, 5, 1, 0),
        "campaign_assignments": (5, 1, 4, 0, 0),
    }
    # every rejection is in the quarantine model with its original values
    assert project.query("select count(*) from audit.fct_rejected_rows") == [(35,)]
    assert project.query(
        "select count(*) from audit.fct_rejected_rows where table_name = 'campaign_sends' and source_record like '%sent_at=yesterday%'"
    ) == [(1,)]
    assert project.query(
        "select count(*) from audit.fct_rejected_rows where table_name = 'orders' and source_record like '%paid_amount=ten%'"
    ) == [(1,)]
