"""A full build of the generator's tiny dataset, checked against the
generator's ground truth and an independent pandas recomputation."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from .conftest import DbtProject, build_vars, occurring
from .reference import expected_fct_orders, read_raw

pytestmark = pytest.mark.dbt

TABLES = ["orders", "order_items", "members", "products", "behavior_events", "service_events", "points_events",
          "campaign_sends", "campaign_assignments"]


def test_every_raw_row_is_accounted_for_as_the_generator_planted_it(tiny_build, record_property):
    project, truth = tiny_build
    rows = project.query(
        "select table_name, raw_rows, kept_rows, rejected_rows, duplicate_rows, superseded_rows "
        "from audit.rpt_row_reconciliation"
    )
    actual = {table: dict(zip(["raw", "kept", "rejected", "duplicate", "superseded"], counts)) for table, *counts in rows}
    expected = {
        table: {key: truth["row_counts"][table][key] for key in ["raw", "kept", "rejected", "duplicate", "superseded"]}
        for table in TABLES
    }
    assert actual == expected
    for table, counts in sorted(actual.items()):
        assert counts["raw"] == counts["kept"] + counts["rejected"] + counts["duplicate"] + counts["superseded"]
        record_property("reliability", {
            "figure": f"raw = kept + rejected + duplicates + superseded: {table}",
            "result": f"{counts['raw']:,} = {counts['kept']:,} + {counts['rejected']:,} + {counts['duplicate']:,}"
                      f" + {counts['superseded']:,}"})


def test_rejected_rows_carry_the_planted_reasons(tiny_build):
    project, truth = tiny_build
    rows = project.query("select table_name, rejection_reason, count(*) from audit.fct_rejected_rows group by all")
    actual = {(table, reason): count for table, reason, count in rows}
    expected = {
        (table, reason): count
        for table in TABLES
        for reason, count in truth["row_counts"][table]["rejected_by_reason"].items()
        if count
    }
    assert actual == expected
    # every class of dirt in the contract is exercised by the sample
    assert {reason for _, reason in actual} >= {
        "missing_key", "bad_type", "unknown_code", "negative_amount", "out_of_range",
        "refund_exceeds_payment", "date_before_earliest", "date_after_latest", "duplicate_key",
        "unknown_order", "rejected_order",
    }


def test_fct_orders_equals_an_independent_pandas_recomputation(tiny_build, tiny_raw):
    project, truth = tiny_build
    raw_path, _ = tiny_raw
    metadata = project.query("select earliest_valid_date, latest_valid_date from marts.rpt_build_metadata")[0]
    expected = expected_fct_orders(raw_path, truth["as_of_date"], str(metadata[0]), str(metadata[1]))
    actual = project.frame(
        "select shop_id, order_id, member_id, status, gross_amount, refunded_amount, net_amount, "
        "is_valid_purchase, purchase_sequence_number from marts.fct_orders"
    )
    key = ["shop_id", "order_id"]
    expected = expected.sort_values(key).reset_index(drop=True)
    actual = actual.sort_values(key).reset_index(drop=True)
    assert len(actual) == len(expected) > 1000
    assert list(actual["order_id"]) == list(expected["order_id"])
    for column in ["member_id", "status", "is_valid_purchase"]:
        assert list(actual[column]) == list(expected[column]), column
    for column in ["gross_amount", "refunded_amount", "net_amount"]:
        assert [Decimal(str(value)) for value in actual[column]] == list(expected[column]), column
    assert list(actual["purchase_sequence_number"].fillna(0).astype(int)) == list(
        expected["purchase_sequence_number"].fillna(0).astype(int)
    )


def test_order_lines_sum_to_their_order_and_follow_line_gross(tiny_build):
    project, _ = tiny_build
    lines = project.frame(
        "select items.order_id, items.shop_id, items.line_gross_amount, items.net_amount as line_net, "
        "orders.net_amount as order_net from marts.fct_order_items as items "
        "inner join marts.fct_orders as orders using (shop_id, order_id)"
    )
    assert len(lines) > 1000
    for column in ["line_gross_amount", "line_net", "order_net"]:
        lines[column] = lines[column].map(lambda value: Decimal(str(value)))
    sums = lines.groupby(["shop_id", "order_id"]).agg(line_net=("line_net", "sum"), order_net=("order_net", "first"))
    assert (sums["line_net"] == sums["order_net"]).all()
    gross = lines.groupby(["shop_id", "order_id"])["line_gross_amount"].transform("sum")
    lines_per_order = lines.groupby(["shop_id", "order_id"])["line_net"].transform("count")
    share = [
        (order_net * line_gross / total) if total else order_net / count
        for order_net, line_gross, total, count in zip(lines["order_net"], lines["line_gross_amount"], gross, lines_per_order)
    ]
    error = [abs(net - expected) for net, expected in zip(lines["line_net"], share)]
    # each line is within a cent per line of its exact pro-rata share
    assert max(error) <= Decimal("0.01") * lines_per_order.max()


def test_the_same_sample_as_csv_is_read_as_text_and_gives_the_same_verdicts(tmp_path):
    from member_analytics.generator import generate

    raw = tmp_path / "csv"
    truth = generate(raw, scale="tiny", seed=7, file_format="csv")
    project = DbtProject(tmp_path / "home", raw)
    project.dbt(
        "build", "--select", "+rpt_row_reconciliation", "+fct_orders", "--exclude", "test_type:unit",
        "--indirect-selection", "cautious", vars=build_vars(truth),
    )
    rows = project.query(
        "select table_name, source_format, raw_rows, kept_rows, rejected_rows, duplicate_rows, superseded_rows "
        "from audit.rpt_row_reconciliation"
    )
    for table, source_format, *counts in rows:
        expected = truth["row_counts"][table]
        assert source_format == "csv"
        assert counts == [expected[key] for key in ["raw", "kept", "rejected", "duplicate", "superseded"]], table
    # ids keep their leading zeros
    assert project.query("select count(*) from marts.fct_orders where member_id like '0%'")[0][0] > 0


def test_dim_members_is_every_buyer_registered_member_and_event_actor(tiny_build, tiny_raw):
    project, _ = tiny_build
    actual = set(project.query("select shop_id, member_id from marts.dim_members"))
    kept_orders = set(project.query("select shop_id, member_id from marts.fct_orders"))
    registered = set(project.query("select shop_id, member_id from staging.stg_shop__members where row_status = 'kept'"))
    actors = set()
    for table in ["behavior_events", "service_events", "points_events"]:
        actors |= set(project.query(f"select shop_id, member_id from staging.stg_shop__{table} where row_status = 'kept'"))
    assert actual == kept_orders | registered | actors
    flags = dict(
        ((shop, member), (source, registered_flag))
        for shop, member, source, registered_flag in project.query(
            "select shop_id, member_id, member_source, is_registered_member from marts.dim_members"
        )
    )
    buyers_only = kept_orders - registered
    assert buyers_only, "the sample has buyers who never registered"
    assert all(flags[key] == ("buyer_only", False) for key in buyers_only)


def test_personal_data_never_reaches_marts_in_clear_text(tiny_build, tiny_raw):
    project, _ = tiny_build
    raw_path, _ = tiny_raw
    members = read_raw(raw_path, "members")
    phones = {value.strip() for value in members["phone"].dropna() if value.strip()}
    nicknames = {value.strip() for value in members["nickname"].dropna() if len(value.strip()) > 3}
    assert phones and nicknames
    for table in ["dim_members", "dim_products", "fct_orders", "fct_order_items"]:
        text = " ".join(" ".join(map(str, row)) for row in project.query(f"select * from marts.{table}"))
        leaked = occurring(phones, text) + occurring(nicknames, text)
        assert not leaked, f"{table} holds personal data in clear text: {leaked[:3]}"


def test_as_of_date_is_recorded_and_later_orders_are_left_out(tiny_build):
    project, truth = tiny_build
    (as_of_date, source), = project.query("select cast(as_of_date as varchar), as_of_date_source from marts.rpt_build_metadata")
    assert (as_of_date, source) == (truth["as_of_date"], "var")
    later = project.query(
        "select count(*), count(*) filter (where is_valid_purchase) from marts.fct_orders where is_after_as_of_date"
    )[0]
    assert later[0] > 0, "the sample plants orders after as_of_date"
    assert later[1] == 0


def test_a_rebuild_of_the_same_data_gives_identical_marts(tiny_build, tmp_path, record_property):
    """Idempotency: a second build of the same data and as_of_date, in another
    folder, gives every public mart (and the quarantine) byte for byte."""
    from member_analytics.publish.contracts import committed_contracts

    project, truth = tiny_build
    again = DbtProject(tmp_path / "again", project.raw_path)
    again.dbt("build", "--exclude", "test_type:data", "test_type:unit", vars=build_vars(truth))
    tables = [(f"marts.{mart}", ", ".join(contract["key"])) for mart, contract in committed_contracts().items()]
    tables.append(("audit.fct_rejected_rows", "rejected_row_id"))
    different = []
    for table, key in tables:
        checksum = f"select count(*), md5(string_agg(cast(t as varchar), '\n' order by {key})) from {table} as t"
        first, second = project.query(checksum), again.query(checksum)
        if first != second:
            different.append(table)
    assert not different, f"a rebuild changed {different}"
    assert len(tables) > 40
    record_property("reliability", {
        "figure": "idempotency: two builds of the same data and as_of_date",
        "result": f"{len(tables)} tables (every public mart and the quarantine) identical (md5 over each table "
                  "sorted by its key)"})


def _compiled_analysis(project, name: str) -> str:
    path = project.home / "target" / "compiled" / "member_analytics" / "analyses" / f"{name}.sql"
    return path.read_text()


@pytest.fixture(scope="module")
def compiled_analyses(tiny_build):
    project, truth = tiny_build
    project.dbt("compile", "--select", "resource_type:analysis", vars=build_vars(truth))
    return project


def test_analysis_repeat_purchase_rate_by_shop(compiled_analyses):
    project = compiled_analyses
    answer = project.frame(_compiled_analysis(project, "repeat_purchase_rate_by_shop"))
    orders = project.frame("select shop_id, member_id from marts.fct_orders where is_valid_purchase")
    per_member = orders.groupby(["shop_id", "member_id"]).size()
    expected = per_member.groupby("shop_id").agg(buyers="size", repeat_buyers=lambda counts: int((counts >= 2).sum()))
    assert list(answer["shop_id"]) == list(expected.index)
    assert list(answer["buyers"]) == list(expected["buyers"])
    assert list(answer["repeat_buyers"]) == list(expected["repeat_buyers"])
    # the sample is shaped like a real shop: most buyers buy once
    assert ((answer["repeat_purchase_rate"] > 0.2) & (answer["repeat_purchase_rate"] < 0.5)).all()


def test_analysis_rejected_rows_by_reason(compiled_analyses):
    project = compiled_analyses
    answer = project.frame(_compiled_analysis(project, "rejected_rows_by_reason"))
    assert answer["rejected_rows"].sum() == project.query("select count(*) from audit.fct_rejected_rows")[0][0]
    assert list(answer["rejected_rows"]) == sorted(answer["rejected_rows"], reverse=True)
    assert answer[["shop_id", "table_name", "rejection_reason"]].duplicated().sum() == 0


def test_analysis_monthly_net_revenue_by_channel(compiled_analyses):
    project = compiled_analyses
    answer = project.frame(_compiled_analysis(project, "monthly_net_revenue_by_channel"))
    (valid_orders, net_revenue), = project.query(
        "select count(*), sum(net_amount) from marts.fct_orders where is_valid_purchase"
    )
    assert answer["purchases"].sum() == valid_orders
    # exact: money stays decimal through the analysis
    assert sum(row[-1] for row in project.query(_compiled_analysis(project, "monthly_net_revenue_by_channel"))) == net_revenue
    november = answer[pd.to_datetime(answer["order_month"]).dt.month == 11]["purchases"].sum()
    march = answer[pd.to_datetime(answer["order_month"]).dt.month == 3]["purchases"].sum()
    assert november > march, "the 11.11 peak shows in the monthly revenue"


def test_the_summary_shows_counts_and_every_public_mart(tiny_build):
    from member_analytics.publish.parity import public_marts
    from member_analytics.publish.warehouse import summary_text

    project, truth = tiny_build
    text = summary_text(project.warehouse)
    assert f"as_of_date: {truth['as_of_date']} (var)" in text
    for shop in truth["shops"]:
        assert shop in text
    for mart in public_marts():
        assert f"marts.{mart.name}" in text
    assert "marts.fct_member_rfm" in text and "marts.fct_product_pairs" in text


def test_not_null_columns_names_each_column_that_holds_nulls(tiny_build, tmp_path):
    """The model-level not-null test (tests/generic/not_null_columns.sql, decision 0113)
    replaces one test per column: run its compiled SQL for fct_orders on a copy of the
    warehouse with nulls planted in two listed columns; it must return exactly those
    columns with their null counts, and nothing on the untouched build."""
    import shutil

    import duckdb

    project, _ = tiny_build
    compiled = project.home / "target" / "compiled" / "member_analytics" / "models" / "marts" / "core"
    [test_file] = (compiled / "_core__models.yml").glob("not_null_columns_fct_orders_*.sql")
    sql = test_file.read_text()
    assert "status" in sql and "ordered_at" in sql
    copy = tmp_path / project.warehouse.name
    shutil.copy(project.warehouse, copy)
    with duckdb.connect(str(copy)) as connection:
        assert connection.execute(sql).fetchall() == []
        planted = "select rowid from marts.fct_orders order by shop_id, order_id limit {}"
        connection.execute(f"update marts.fct_orders set status = null where rowid in ({planted.format(3)})")
        connection.execute(f"update marts.fct_orders set ordered_at = null where rowid in ({planted.format(1)})")
        failures = sorted(connection.execute(sql).fetchall())
    assert failures == [("ordered_at", 1), ("status", 3)]
