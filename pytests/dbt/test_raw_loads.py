"""Raw tables as folders of loads (docs/decisions/0117): a table is one snapshot file
or a folder <table>/ of load files; audit.rpt_raw_loads logs every delivery.

The tiny sample is split into monthly loads (member_analytics.generator.loads); its
build must give the same public marts and quarantine as the snapshot's build, and
the log must hold every load with the md5 of its bytes and its row count, computed
here from the files. A second build after the folder changed (a load re-delivered
with other bytes, a new load of copies, an empty load, a load rewritten with the same
bytes, a load removed) logs exactly those deliveries, and staging counts the copies as
duplicates. Contract errors name the files.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from member_analytics.generator.loads import split_into_loads
from member_analytics.publish.parity import compare_builds

from .conftest import CONTRACT_AS_OF, DbtProject, build_vars, fails_with

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def loads_build(tmp_path_factory, tiny_raw) -> tuple[DbtProject, dict[str, list[str]]]:
    raw_path, truth = tiny_raw
    loads = tmp_path_factory.mktemp("tiny_loads")
    written = split_into_loads(raw_path, loads, period="month")
    project = DbtProject(tmp_path_factory.mktemp("tiny_loads_build"), loads)
    project.dbt("build", "--selector", "production", vars=build_vars(truth))
    return project, written


def _files(raw: Path) -> dict[str, Path]:
    return {path.relative_to(raw).as_posix(): path for path in sorted(raw.glob("*/*")) if path.is_file()}


def test_loads_give_the_marts_and_quarantine_of_the_snapshot(loads_build, tiny_build):
    project, written = loads_build
    snapshot, _ = tiny_build
    # a real split: every table in many loads (the campaign history spans six months: one load each)
    assert all(len(names) >= (6 if table.startswith("campaign_") else 10) for table, names in written.items()), {
        table: len(names) for table, names in written.items()}
    found = compare_builds(snapshot.warehouse, project.warehouse)
    assert len(found) >= 49
    assert [(name, differences) for name, _, differences in found if any(differences.values())] == []


def test_the_log_holds_every_load_with_its_hash_and_rows(loads_build):
    project, _ = loads_build
    files = _files(project.raw_path)
    rows = project.query("select load_path, table_name, load_number, source_format, delivery, row_count, size_bytes,"
                         " content_hash, previous_content_hash, build_number from audit.rpt_raw_loads")
    assert sorted(row[0] for row in rows) == sorted(files)
    for load_path, table_name, load_number, source_format, delivery, row_count, size_bytes, content_hash, previous, \
            build_number in rows:
        path = files[load_path]
        assert table_name == load_path.split("/")[0]
        assert (source_format, delivery, previous, build_number) == ("parquet", "new", None, 1)
        assert content_hash == hashlib.md5(path.read_bytes()).hexdigest()
        assert size_bytes == path.stat().st_size
        assert row_count == pq.ParquetFile(path).metadata.num_rows
        assert load_number == sorted(name for name in files if name.startswith(table_name + "/")).index(load_path) + 1
    # the loads hold every raw row once: their counts sum to the staged rows of each table
    staged = dict(project.query("select table_name, raw_rows from audit.rpt_row_reconciliation"))
    by_table = dict(project.query("select table_name, sum(row_count) from audit.rpt_raw_loads group by 1"))
    assert by_table == staged


def test_a_second_build_logs_what_changed_in_the_folder(loads_build, tmp_path):
    built, _ = loads_build
    home = tmp_path / "home"
    shutil.copytree(built.home, home)
    raw = tmp_path / "raw"
    shutil.copytree(built.raw_path, raw)
    project = DbtProject(home, raw)
    orders = sorted((raw / "orders").glob("*.parquet"))
    before = dict(project.query("select row_status, count(*) from staging.stg_shop__orders group by 1"))

    # re-delivered with other bytes: the last monthly load without its last row
    redelivered = pq.read_table(orders[-2])
    pq.write_table(redelivered.slice(0, redelivered.num_rows - 1), orders[-2])
    # a new load holding copies of three rows of the first load
    pq.write_table(pq.read_table(orders[0]).slice(0, 3), raw / "orders" / "zz-copies.parquet")
    # an empty load
    empty = pq.read_table(next((raw / "points_events").glob("*.parquet"))).slice(0, 0)
    pq.write_table(empty, raw / "points_events" / "zz-empty.parquet")
    # rewritten with the same bytes (a later modification time)
    touched = sorted((raw / "members").glob("*.parquet"))[0]
    touched.write_bytes(touched.read_bytes())
    os.utime(touched, (touched.stat().st_atime, touched.stat().st_mtime + 60))
    # removed
    removed = sorted((raw / "products").glob("*.parquet"))[0]
    removed.unlink()
    # skipped: Spark's markers and hidden files
    (raw / "orders" / "_SUCCESS").write_text("")
    (raw / "orders" / ".zz-copies.parquet.crc").write_bytes(b"\x00")

    result = project.dbt("run", "--select", "stg_shop__orders", "rpt_raw_loads",
                         vars=build_vars({"as_of_date": "2026-11-18"}))
    # the hook reads only what the log has not seen as it is now (docs/decisions/0118): the
    # re-delivered and the new load of orders, the touched load of members, the empty load
    reading = dict(re.findall(r"member_analytics: reading \S+/(\w+)/ \((\d+ of \d+) loads", result.stdout))
    loads_now = {table: len(list((raw / table).glob("*.parquet"))) for table in reading}
    assert reading == {table: f"{read} of {loads_now[table]}" for table, read in
                       {"orders": 2, "order_items": 0, "members": 1, "products": 0, "behavior_events": 0,
                        "service_events": 0, "points_events": 1, "campaign_sends": 0,
                        "campaign_assignments": 0}.items()}, result.stdout[-3000:]
    second = project.query("select load_path, delivery, row_count, content_hash, previous_content_hash"
                           " from audit.rpt_raw_loads where build_number = 2 order by load_path")
    rel = {path: path.relative_to(raw).as_posix() for path in (orders[-2], touched, removed)}
    old_hashes = dict(built.query("select load_path, content_hash from audit.rpt_raw_loads"))
    md5 = lambda path: hashlib.md5(path.read_bytes()).hexdigest()  # noqa: E731
    assert second == sorted([
        (rel[touched], "touched", pq.ParquetFile(touched).metadata.num_rows, old_hashes[rel[touched]], old_hashes[rel[touched]]),
        (rel[orders[-2]], "changed", redelivered.num_rows - 1, md5(orders[-2]), old_hashes[rel[orders[-2]]]),
        ("orders/zz-copies.parquet", "new", 3, md5(raw / "orders" / "zz-copies.parquet"), None),
        ("points_events/zz-empty.parquet", "new", 0, md5(raw / "points_events" / "zz-empty.parquet"), None),
        (rel[removed], "removed", None, None, old_hashes[rel[removed]]),
    ])
    after = dict(project.query("select row_status, count(*) from staging.stg_shop__orders group by 1"))
    # the copies are duplicates of rows already there; the re-delivered load lost one row
    assert sum(after.values()) == sum(before.values()) + 3 - 1
    assert after.get("duplicate", 0) == before.get("duplicate", 0) + 3

    # nothing changed since: a third build reads no load and logs nothing; the row count
    # of every load, taken from the log, is still the file's
    result = project.dbt("run", "--select", "rpt_raw_loads", vars=build_vars({"as_of_date": "2026-11-18"}))
    assert set(re.findall(r"member_analytics: reading \S+/\w+/ \((\d+) of", result.stdout)) == {"0"}, result.stdout[-3000:]
    assert project.query("select count(*), max(build_number) from audit.rpt_raw_loads where build_number > 2") == [(0, None)]
    assert dict(project.query("select load_path, row_count from landing.raw_loads")) == {
        name: pq.ParquetFile(path).metadata.num_rows for name, path in _files(raw).items() if path.suffix == ".parquet"}


ORDERS_HEADER = "shop_id,order_id,member_id,ordered_at,status,paid_amount\n"


def test_csv_loads_at_any_depth_with_empty_loads_and_markers(make_project):
    project = make_project({
        "orders/2026/01/05.csv": ORDERS_HEADER + "s1,o1,0001,2026-01-05 10:00:00,paid,100.00\n",
        "orders/2026/01/06.csv": ORDERS_HEADER + "s1,o2,0002,2026-01-06 10:00:00,completed,50.00\n"
                                 "s1,o1,0001,2026-01-05 10:00:00,paid,100.00\n",
        "orders/2026/01/07.csv": ORDERS_HEADER,
        "orders/2026/01/08.csv": "",
        "orders/_SUCCESS": "",
        "orders/.hidden.csv": "not,a,load\n",
    })
    project.dbt("run", "--select", "stg_shop__orders", "rpt_raw_loads", vars=CONTRACT_AS_OF)
    assert project.query("select row_status, count(*) from staging.stg_shop__orders group by 1 order by 1") == [
        ("duplicate", 1), ("kept", 2)]
    assert project.query("select load_path, load_number, row_count from audit.rpt_raw_loads order by load_number") == [
        ("orders/2026/01/05.csv", 1, 1), ("orders/2026/01/06.csv", 2, 2), ("orders/2026/01/07.csv", 3, 0),
        ("orders/2026/01/08.csv", 4, 0)]

    # a day later: only the new load is read; its header is still compared with the first load's
    (project.raw_path / "orders/2026/01/09.csv").write_text(ORDERS_HEADER + "s1,o3,0003,2026-01-09 10:00:00,paid,9.00\n")
    result = project.dbt("run", "--select", "stg_shop__orders", "rpt_raw_loads", vars=CONTRACT_AS_OF)
    assert "reading " + str(project.raw_path) + "/orders/ (1 of 5 loads; 4 unchanged" in result.stdout, result.stdout[-2000:]
    assert project.query("select row_status, count(*) from staging.stg_shop__orders group by 1 order by 1") == [
        ("duplicate", 1), ("kept", 3)]
    (project.raw_path / "orders/2026/01/10.csv").write_text(
        "order_id,shop_id,member_id,ordered_at,status,paid_amount\no4,s1,0004,2026-01-10 10:00:00,paid,1.00\n")
    fails_with(project, "orders/2026/01/10.csv has the header order_id,shop_id", "first load", "orders/2026/01/05.csv")


@pytest.mark.parametrize("files, fragments", [
    ({"orders.csv": ORDERS_HEADER, "orders/a.csv": ORDERS_HEADER},
     ["orders.csv (a snapshot) and the folder", "orders/ (1 load file(s))", "never both"]),
    ({"orders/a.csv": ORDERS_HEADER, "orders/notes.txt": "x"},
     ["orders/notes.txt is in the folder of loads of orders but is neither .csv nor .parquet"]),
    ({"orders/a.csv": ORDERS_HEADER, "orders/b.parquet": b"PAR1"},
     ["the loads of orders mix formats", "orders/b.parquet is parquet"]),
    ({"orders/a.csv": ORDERS_HEADER + "s1,o1,0001,2026-01-05,paid,1\n",
      "orders/b.csv": "order_id,shop_id,member_id,ordered_at,status,paid_amount\no2,s1,0002,2026-01-06,paid,1\n"},
     ["orders/b.csv has the header order_id,shop_id", "first load", "orders/a.csv", "same header"]),
    ({"orders/a.csv": ORDERS_HEADER + "s1,o1,0001,2026-01-05,paid,1\n",
      "orders/b.csv": ORDERS_HEADER + "s1,o2,0002,2026-01-06,paid\n"},
     ["orders/b.csv line 2"]),
], ids=["file-and-folder", "other-extension", "mixed-formats", "other-header", "bad-line"])
def test_contract_errors_name_the_load(make_project, files, fragments):
    fails_with(make_project(files), *fragments)


def test_tables_of_a_schema_are_read_and_log_no_loads(tmp_path):
    """var raw_schema instead of files: the hook's lookup of the tables used to leave a
    transaction open that dbt rolled back after the hook, landing views and all."""
    project = DbtProject(tmp_path / "home", tmp_path / "unused")
    project.warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(project.warehouse)) as connection:
        connection.execute("create schema shop_export")
        connection.execute("create table shop_export.orders as select * from (values"
                           " ('s1', 'o1', '0001', '2026-01-05 10:00:00', 'paid', 100.00),"
                           " ('s1', 'o2', '0002', '2026-01-06 10:00:00', 'completed', 50.00))"
                           " as orders (shop_id, order_id, member_id, ordered_at, status, paid_amount)")
    project.dbt("run", "--select", "stg_shop__orders", "rpt_raw_loads",
                vars={**CONTRACT_AS_OF, "raw_schema": "shop_export", "raw_data_path": ""})
    assert project.query("select row_status, count(*) from staging.stg_shop__orders group by 1") == [("kept", 2)]
    assert project.query("select source_format, source_location from landing.raw_files where table_name = 'orders'") == [
        ("table", "shop_export.orders")]
    assert project.query("select count(*) from audit.rpt_raw_loads") == [(0,)]
