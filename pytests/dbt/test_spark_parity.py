"""Spark parity: the same project built on Spark (dbt-spark, local session)
gives the same public marts as on DuckDB, value for value.

One Spark session per test run (the most the suite can afford), on the
generator's tiny dataset (about 2,000 members, every table present) as two daily
loads (generate_days): Spark builds day 1 (the order models and their state, no tests), then the
daily run of day 2 on top of it (every model, the production test tier), and its marts must equal
DuckDB's full build of day 2 (docs/decisions/0091). Spark's
tables are Parquet files under the warehouse folder; they are read back with
DuckDB, as exact Python values (decimals stay Decimal), and compared with
member_analytics.publish.parity.compare — whose own tests show it reports a changed
value, a missing and an extra row (pytests/test_parity_compare.py).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from member_analytics.generator.loads import split_into_loads
from member_analytics.publish.parity import Mart, compare, public_marts

from .conftest import DbtProject, day_vars

pytestmark = pytest.mark.dbt

# Marts whose grain is one row per shop (per shop and matrix cell, or per build): fewer
# than 20 rows by definition.
SMALL_BY_GRAIN = {"rpt_build_metadata", "rpt_co_purchase_baskets", "rpt_bundle_candidates", "rpt_activity_loyalty_matrix",
                  "rpt_forecast_models"}
# Off unless a var turns them on (linking members across shops, docs/decisions/0126): on
# the parity dataset both engines must give them empty, with the same columns.
OFF_BY_DEFAULT = {"dim_member_identities", "rpt_shop_overlap"}


def _exact_frame(connection, sql: str) -> pd.DataFrame:
    cursor = connection.execute(sql)
    columns = [description[0] for description in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=columns, dtype=object)


@pytest.fixture(scope="session")
def spark_build(tmp_path_factory, tiny_days) -> DbtProject:
    out, days = tiny_days
    home = tmp_path_factory.mktemp("spark_build")
    # day 1: only what day 2's daily run builds on (the order models and their state)
    DbtProject(home, out / "day_1").dbt("build", "--target", "spark", "--select", "+rpt_incremental_runs",
                                        "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test",
                                        vars=day_vars(days, "day_1"))
    # day 2 as folders of monthly loads (docs/decisions/0117): CSV for orders and their
    # items, Parquet for the other tables; DuckDB's reference build reads the snapshot files
    loads = tmp_path_factory.mktemp("spark_day_2_loads")
    split_into_loads(out / "day_2", loads, csv_tables=("orders", "order_items"))
    project = DbtProject(home, loads)
    # the production tier (selectors.yml, docs/decisions/0100), as a production build on
    # Spark would run: every model and the tests that protect BI users. The suite tier's
    # unit tests test the rules' code on fixtures (tiny_build runs them on DuckDB); the
    # engines' equivalence is what this test proves, mart by mart, on real rows.
    project.dbt("build", "--target", "spark", "--selector", "production", vars=day_vars(days, "day_2"))
    return project


def _spark_mart(project: DbtProject, schema: str, name: str) -> pd.DataFrame:
    folder = project.home / "warehouse" / "spark-warehouse" / f"{schema}.db" / name
    files = sorted(folder.glob("*.parquet"))
    partitioned = sorted(folder.glob("*=*/*.parquet"))  # a table partitioned by a column (its value in the path)
    with duckdb.connect() as connection:
        if partitioned:
            return _exact_frame(connection, f"select * from read_parquet('{folder}/*=*/*.parquet', hive_partitioning = true)")
        if not files:  # an empty table has no data file
            return pd.DataFrame()
        return _exact_frame(connection, f"select * from read_parquet('{folder}/*.parquet')")


# spark_build first: the Spark session's build takes minutes, and meanwhile the other worker
# (test_incremental) builds tiny_day2_full_build, which is then only copied here (conftest).
@pytest.mark.parametrize("mart", public_marts(), ids=lambda mart: mart.name)
def test_public_mart_is_the_same_on_spark_and_duckdb(mart, spark_build, tiny_day2_full_build):
    duckdb_project = tiny_day2_full_build
    with duckdb.connect(str(duckdb_project.warehouse), read_only=True) as connection:
        on_duckdb = _exact_frame(connection, f"select * from {mart.schema}.{mart.name}")
    on_spark = _spark_mart(spark_build, mart.schema, mart.name)
    if mart.name in OFF_BY_DEFAULT:
        assert len(on_duckdb) == len(on_spark) == 0, f"{mart.name} is off by default, yet has rows"
        with duckdb.connect(str(duckdb_project.warehouse), read_only=True) as connection:
            columns = [row[0] for row in connection.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [mart.schema, mart.name]).fetchall()]
        assert columns == list(mart.columns), f"{mart.name}: the DuckDB table's columns"
        spark_table = spark_build.home / "warehouse" / "spark-warehouse" / f"{mart.schema}.db" / mart.name
        assert spark_table.is_dir(), f"{mart.name} was not built on Spark"
        if len(on_spark.columns):  # Spark writes one empty Parquet file with the schema, when it writes one
            assert list(on_spark.columns) == columns
        return
    if mart.name not in SMALL_BY_GRAIN:
        assert len(on_duckdb) >= 20, f"{mart.name} is too small on the parity dataset to prove anything"
    assert list(on_spark.columns) == list(on_duckdb.columns)
    assert compare(mart, on_duckdb, on_spark) == []


# The data-quality profiles (docs/decisions/0070) are not public marts, but the Great
# Expectations suites must see the same numbers whichever engine built them.
QUALITY_PROFILES = [
    *(Mart(name, "audit", ("shop_id", "table_name", "metric_name"),
           ("shop_id", "table_name", "metric_name", "metric_value"), ("metric_value",))
      for name in ("rpt_quality_raw_profile", "rpt_quality_marts_profile")),
    Mart("rpt_quality_thresholds", "audit", ("threshold_name",), ("threshold_name", "threshold_value"),
         ("threshold_value",)),
]


@pytest.mark.parametrize("profile", QUALITY_PROFILES, ids=lambda profile: profile.name)
def test_quality_profile_is_the_same_on_spark_and_duckdb(profile, tiny_day2_full_build, spark_build):
    duckdb_project = tiny_day2_full_build
    with duckdb.connect(str(duckdb_project.warehouse), read_only=True) as connection:
        on_duckdb = _exact_frame(connection, f"select * from {profile.schema}.{profile.name}")
    on_spark = _spark_mart(spark_build, profile.schema, profile.name)
    assert len(on_duckdb) >= 10
    assert list(on_spark.columns) == list(on_duckdb.columns)
    assert compare(profile, on_duckdb, on_spark) == []


def test_spark_recorded_the_daily_run_and_its_late_change(spark_build, tiny_days):
    _, days = tiny_days
    runs = _spark_mart(spark_build, "audit", "rpt_incremental_runs").sort_values("build_number")
    assert list(runs["build_number"]) == [1, 2]
    assert list(runs["as_of_date"].astype(str)) == [days["day_1"]["as_of_date"], days["day_2"]["as_of_date"]]
    # on Spark (Parquet, no DELETE) the member-keyed models are rebuilt in full: exact, not faster
    assert not runs["is_incremental_build"].any()
    assert runs.iloc[1]["number_of_late_changes"] >= days["late_refunds_older_than_lookback"]


def test_spark_read_the_loads_and_logged_each_with_its_hash(spark_build):
    files = {path.relative_to(spark_build.raw_path).as_posix(): path
             for path in sorted(spark_build.raw_path.glob("*/*")) if path.is_file()}
    assert len(files) >= 100 and {path.suffix for path in files.values()} == {".csv", ".parquet"}
    log = _spark_mart(spark_build, "audit", "rpt_raw_loads")
    assert sorted(log["load_path"]) == sorted(files)
    assert set(log["delivery"]) == {"new"}
    for row in log.itertuples():
        assert row.content_hash == hashlib.md5(files[row.load_path].read_bytes()).hexdigest(), row.load_path
        assert row.size_bytes == files[row.load_path].stat().st_size
    # every raw row was read from the loads: their counts sum to the rows staged per table
    staged = _spark_mart(spark_build, "audit", "rpt_row_reconciliation").set_index("table_name")["raw_rows"]
    counted = log.groupby("table_name")["row_count"].sum()
    assert {table: int(count) for table, count in counted.items()} == {table: int(staged[table]) for table in counted.index}


# Raw text as shops export it: padded with the ideographic space U+3000 or the no-break
# space, blank in those spaces, or a missing-value spelling padded with them. Both engines
# must clean it alike (macro clean_text, trimmed): before, Spark's trim() removed only the
# ASCII space, so these values were blank or missing on DuckDB and kept on Spark.
PADDED_TEXT = [
    # (raw value, cleaned by hand: Unicode space separators off both ends, blank → null)
    ("  a ", "a"),
    ("\u3000b\u3000", "b"),
    ("\u00a0c\u2003", "c"),
    ("\u3000", None),
    ("\u3000NULL ", None),
    ("e\u3000f", "e\u3000f"),  # inside a value: kept
    ("\td", "\td"),  # a tab is not a space separator, on either engine
    ("\u200bg", "\u200bg"),  # nor is the zero-width space (format character)
]


def _show(project: DbtProject, target: str, sql: str) -> list[dict]:
    result = project.dbt("show", "--target", target, "--inline", sql, "--output", "json", "--limit", "100")
    document = result.stdout[result.stdout.index('{\n  "show"'):]
    return sorted(json.JSONDecoder().raw_decode(document)[0]["show"], key=lambda row: row["raw_number"])


def test_text_padded_with_unicode_spaces_is_cleaned_alike_on_spark_and_duckdb(tiny_day2_full_build, spark_build):
    rows = ", ".join(f"({number}, '{raw}')" for number, (raw, _) in enumerate(PADDED_TEXT))
    sql = ("select raw_number, {{ member_analytics.clean_text('raw_value') }} as cleaned, "
           "{{ member_analytics.clean_code(\"concat('\u3000', raw_value)\") }} as code "
           f"from (values {rows}) as padded (raw_number, raw_value)")
    on_duckdb = _show(tiny_day2_full_build, "duckdb", sql)
    on_spark = _show(spark_build, "spark", sql)
    expected = [cleaned for _, cleaned in PADDED_TEXT]
    assert [row["cleaned"] for row in on_duckdb] == expected
    assert [row["cleaned"] for row in on_spark] == expected
    assert [row["code"] for row in on_spark] == [row["code"] for row in on_duckdb]
    assert on_duckdb[1]["code"] == "b" and on_duckdb[6]["code"] == "\td"


def test_the_assignment_log_appends_a_day_by_partition_on_spark(spark_build, tiny_days):
    """The log's Spark route (insert_overwrite of the day's partition, full_refresh false;
    docs/decisions/0123): the next day's build of the log alone, even with --full-refresh,
    adds that day's partition and keeps the earlier day's. Runs last: it changes the Spark
    build."""
    _, days = tiny_days
    day_2 = date.fromisoformat(days["day_2"]["as_of_date"])
    first = _spark_mart(spark_build, "marts", "fct_campaign_assignment_log")
    assert len(first) > 0 and set(first["assignment_date"].astype(str)) == {day_2.isoformat()}
    next_day = {**day_vars(days, "day_2"), "as_of_date": (day_2 + timedelta(days=1)).isoformat()}
    # with a staging model, as a production build registers the raw tables
    spark_build.dbt("run", "--target", "spark", "--select", "stg_shop__campaign_sends", "fct_campaign_assignment_log",
                    "--full-refresh", vars=next_day)
    log = _spark_mart(spark_build, "marts", "fct_campaign_assignment_log")
    assert log.groupby(log["assignment_date"].astype(str)).size().to_dict() == {
        day_2.isoformat(): len(first), (day_2 + timedelta(days=1)).isoformat(): len(first)}


def test_a_blank_line_in_one_csv_load_is_a_contract_error_naming_it_on_spark(tmp_path):
    """Spark checks a folder's CSV loads in one pass (spark__check_raw_loads): the error
    names the load that has the problem, not the folder."""
    header = "shop_id,order_id,member_id,ordered_at,status,paid_amount\n"
    raw = tmp_path / "raw"
    (raw / "orders" / "2026").mkdir(parents=True)
    (raw / "orders" / "2026" / "01.csv").write_text(header + "s1,o1,0001,2026-01-05 10:00:00,paid,1.00\n")
    (raw / "orders" / "2026" / "02.csv").write_text(header + "s1,o2,0002,2026-02-06 10:00:00,paid,2.00\n \t\n")
    result = DbtProject(tmp_path / "home", raw).dbt("run", "--target", "spark", "--select", "stg_shop__orders",
                                                    vars={"as_of_date": "2026-02-28"}, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "orders/2026/02.csv has 1 blank line(s)" in output, output[-3000:]
