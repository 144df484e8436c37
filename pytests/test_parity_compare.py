"""The mart comparisons used by the Spark parity test (compare) and the daily-run
tests (sql_differences) can fail: they report a changed value, a missing row and an
extra row."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pandas as pd

from member_analytics.publish.parity import Mart, compare, public_marts, sql_differences

MART = Mart("fct_example", "marts", ("shop_id", "order_id"), ("shop_id", "order_id", "net_amount", "rate"), ("rate",))


def _frame():
    return pd.DataFrame(
        {
            "shop_id": ["s1", "s1", "s2"],
            "order_id": ["o1", "o2", "o1"],
            "net_amount": [Decimal("10.00"), Decimal("0.50"), Decimal("3.10")],
            "rate": [0.1, 1 / 3, None],
        }
    )


def test_identical_extracts_have_no_difference_whatever_the_row_order():
    assert compare(MART, _frame(), _frame().iloc[::-1]) == []


def test_a_single_altered_value_is_reported_with_its_key_and_column():
    altered = _frame()
    altered.loc[1, "net_amount"] = Decimal("0.51")
    problems = compare(MART, _frame(), altered)
    assert problems == ["fct_example {'shop_id': 's1', 'order_id': 'o2'}: net_amount = Decimal('0.50') vs Decimal('0.51')"]


def test_ratios_get_a_tolerance_but_not_more():
    close, far = _frame(), _frame()
    close.loc[1, "rate"] = 1 / 3 + 1e-12
    far.loc[1, "rate"] = 1 / 3 + 1e-6
    assert compare(MART, _frame(), close) == []
    assert len(compare(MART, _frame(), far)) == 1


def test_missing_and_extra_rows_are_reported():
    fewer = _frame().iloc[:2]
    problems = compare(MART, _frame(), fewer)
    assert problems[0] == "fct_example: 3 rows vs 2 rows"
    assert "keys only in the first build" in problems[1]


def test_an_empty_extract_is_reported_as_missing_rows_whatever_its_columns():
    for empty in (pd.DataFrame(), _frame().iloc[:0]):
        problems = compare(MART, _frame(), empty)
        assert problems[0] == "fct_example: 3 rows vs 0 rows"
        assert problems[1].startswith("fct_example: 3 keys only in the first build")
        assert len(problems) == 2


def test_public_marts_are_found_with_their_keys():
    marts = {mart.name: mart for mart in public_marts()}
    assert marts["fct_orders"].key == ("shop_id", "order_id")
    assert marts["dim_members"].key == ("shop_id", "member_id")
    assert "net_amount" in marts["fct_order_items"].columns


# sql_differences: the same comparison in SQL, for whole warehouses (the daily-run tests)

def _tables(connection, left_rows: list[tuple], right_rows: list[tuple]) -> dict[str, int]:
    for name, rows in (("l_table", left_rows), ("r_table", right_rows)):
        connection.execute(f"create or replace table {name} (shop_id varchar, order_id varchar, "
                           "net_amount decimal(18, 2), rate double)")
        if rows:
            connection.executemany(f"insert into {name} values (?, ?, ?, ?)", rows)
    return sql_differences(connection, MART, "l_table", "r_table")


BASE = [("s1", "o1", Decimal("10.00"), 0.1), ("s1", "o2", Decimal("0.50"), 1 / 3), ("s2", "o1", Decimal("3.10"), None)]


def test_sql_differences_counts_each_kind_of_difference():
    with duckdb.connect() as connection:
        assert _tables(connection, BASE, BASE[::-1]) == {"only_left": 0, "only_right": 0, "different": 0,
                                                        "row_count_difference": 0, "duplicated_keys": 0}
        altered = [BASE[0], ("s1", "o2", Decimal("0.51"), 1 / 3), BASE[2]]
        assert _tables(connection, BASE, altered)["different"] == 1
        # a null where the other build has a value is a difference, null and null is not
        assert _tables(connection, BASE, [BASE[0], BASE[1], ("s2", "o1", Decimal("3.10"), 0.0)])["different"] == 1
        assert _tables(connection, BASE, BASE[:2]) == {"only_left": 1, "only_right": 0, "different": 0,
                                                      "row_count_difference": 1, "duplicated_keys": 0}
        extra = [*BASE, ("s3", "o9", Decimal("1.00"), 0.5)]
        assert _tables(connection, BASE, extra) == {"only_left": 0, "only_right": 1, "different": 0,
                                                   "row_count_difference": 1, "duplicated_keys": 0}
        assert _tables(connection, BASE, [*BASE, BASE[0]])["row_count_difference"] == 1
        # duplicates on both sides that a count alone would not see
        k, j = BASE[0], BASE[1]
        assert _tables(connection, [k, k, j], [k, j, j])["duplicated_keys"] == 2


def test_sql_differences_gives_doubles_the_tolerance_but_not_more():
    with duckdb.connect() as connection:
        close = [BASE[0], ("s1", "o2", Decimal("0.50"), 1 / 3 + 1e-12), BASE[2]]
        far = [BASE[0], ("s1", "o2", Decimal("0.50"), 1 / 3 + 1e-6), BASE[2]]
        assert _tables(connection, BASE, close)["different"] == 0
        assert _tables(connection, BASE, far)["different"] == 1


def test_compare_builds_names_the_table_that_differs_and_the_one_missing(tmp_path):
    """member-analytics compare-builds: two builds equal table by table, then one value
    changed in the new build (reported, with the kind of difference), then a mart
    missing from it (reported as missing), and the quarantine compared whole."""
    from member_analytics.publish.parity import compare_builds

    other = Mart("fct_other", "marts", ("shop_id",), ("shop_id", "rate"), ("rate",))
    paths = {name: tmp_path / f"{name}.duckdb" for name in ("old", "new")}
    for path in paths.values():
        with duckdb.connect(str(path)) as connection:
            connection.execute("create schema marts")
            connection.execute("create schema audit")
            connection.register("frame", _frame())
            connection.execute("create table marts.fct_example as select * from frame")
            connection.execute("create table marts.fct_other as select 's1' as shop_id, 0.5 as rate")
            connection.execute("create table audit.fct_rejected_rows as select 'r1' as rejected_row_id")

    def differing(found):
        return {name: differences for name, _, differences in found if any(differences.values())}

    also = ("audit.fct_rejected_rows",)
    assert differing(compare_builds(paths["old"], paths["new"], [MART, other], also)) == {}
    with duckdb.connect(str(paths["new"])) as connection:
        connection.execute("update marts.fct_example set net_amount = 0.51 where order_id = 'o2' and shop_id = 's1'")
        connection.execute("insert into audit.fct_rejected_rows values ('r2')")
    found = differing(compare_builds(paths["old"], paths["new"], [MART, other], also))
    assert set(found) == {"fct_example", "audit.fct_rejected_rows"}
    assert found["fct_example"]["different"] == 1 and found["audit.fct_rejected_rows"]["only_right"] == 1
    with duckdb.connect(str(paths["new"])) as connection:
        connection.execute("drop table marts.fct_other")
    assert differing(compare_builds(paths["old"], paths["new"], [MART, other], also))["fct_other"] == {"missing": 1}


def test_the_assignment_log_is_compared_on_the_days_a_build_makes_from_its_data():
    # a warehouse built day after day keeps earlier days' assignments (docs/decisions/0123);
    # a new one holds only its own day: equal on the latest day, different when it differs
    log = {mart.name: mart for mart in public_marts()}["fct_campaign_assignments"]
    rows = ("('s1', 'm1', 'a', date '2026-11-17', 'treatment', 'build'), "
            "('s1', 'm1', 'a', date '2026-11-18', 'treatment', 'build'), "
            "('s1', 'm2', 'a', date '2026-06-01', 'holdout', 'import')")
    with duckdb.connect() as connection:
        connection.execute("create table daily (shop_id varchar, member_id varchar, audience varchar, "
                           "assignment_date date, arm varchar, assignment_source varchar)")
        connection.execute(f"insert into daily values {rows}")
        connection.execute("create table fresh as select * from daily where assignment_date <> date '2026-11-17'")
        narrow = Mart(log.name, "marts", log.key, ("shop_id", "member_id", "audience", "assignment_date", "arm",
                                                   "assignment_source"), (), log.rows_compared)
        assert set(sql_differences(connection, narrow, "daily", "fresh").values()) == {0}
        connection.execute("update fresh set arm = 'holdout' where assignment_date = date '2026-11-18'")
        assert sql_differences(connection, narrow, "daily", "fresh")["different"] == 1
        connection.execute("delete from fresh where assignment_source = 'import'")
        assert sql_differences(connection, narrow, "daily", "fresh")["only_left"] == 1
