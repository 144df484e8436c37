"""Write-audit-publish (docs/decisions/0061): the published warehouse only ever
changes from one fully checked state to the next.

The published file starts as a copy of the session's tiny build; the builds
here select the staging layer, the core marts and the row reconciliation (about
a minute each) — the publish logic does not depend on how many models run.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from member_analytics.publish.wap import built_incrementally, clone_or_copy
from .conftest import DbtProject, build_vars, file_sha256

SELECTION = ["+dim_members", "+rpt_row_reconciliation", "rpt_build_metadata"]


class WapHome(DbtProject):
    @property
    def reports(self) -> Path:
        return self.home / "reports"

    def env(self) -> dict[str, str]:
        env = super().env()
        env["MEMBER_ANALYTICS_REPORTS_DIR"] = str(self.reports)
        return env

    def command(self, vars: dict, *extra: str) -> list[str]:
        return [sys.executable, "-m", "member_analytics.cli", "build", "--no-quality",
                "--vars", json.dumps(vars), "--select", *SELECTION, *extra]

    def build(self, vars: dict, full: bool = False) -> subprocess.CompletedProcess:
        command = ([sys.executable, "-m", "member_analytics.cli", "build", "--vars", json.dumps(vars)] if full
                   else self.command(vars))
        return subprocess.run(command, env=self.env(), capture_output=True, text=True, cwd="/")

    def last_report(self) -> dict:
        return json.loads((self.reports / "build" / "last_build.json").read_text())

    def max_rejected_share(self) -> float:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            thresholds = connection.execute("select thresholds_json from marts.rpt_build_metadata").fetchone()[0]
        return float(json.loads(thresholds)["member_analytics__quality__max_rejected_share"])


@pytest.fixture(scope="module")
def published(tiny_build, tmp_path_factory) -> WapHome:
    project, _ = tiny_build
    home = WapHome(tmp_path_factory.mktemp("wap"), project.raw_path)
    home.warehouse.parent.mkdir(parents=True)
    shutil.copyfile(project.warehouse, home.warehouse)
    return home


def test_a_build_that_fails_a_test_is_not_published(published, tiny_build, record_property):
    _, truth = tiny_build
    before = file_sha256(published.warehouse)
    # The sample plants bad rows in every table; allowing 1% rejected rows fails
    # the data test assert_rejected_share_within_bound after the marts were rebuilt.
    result = published.build({**build_vars(truth), "member_analytics__quality__max_rejected_share": 0.01})
    assert result.returncode == 1, result.stdout[-3000:]
    report = published.last_report()
    assert report["outcome"] == "not published: dbt build failed"
    failures = report["steps"][-1]["detail"]
    assert any("assert_rejected_share_within_bound" in failure for failure in failures), (failures, result.stdout[-3000:])
    assert file_sha256(published.warehouse) == before
    assert report["published_file_after"] == report["published_file_before"] is not None
    assert published.max_rejected_share() == 0.2
    record_property("reliability", {"figure": "failed test during build",
                                    "result": "published warehouse unchanged (sha256 equal); report names "
                                              + ", ".join(f.split(":")[0] for f in failures)})


def test_a_build_killed_after_a_mart_was_rebuilt_leaves_the_published_warehouse_readable(
        published, tiny_build, record_property):
    _, truth = tiny_build
    before = file_sha256(published.warehouse)
    log = published.home / "logs" / "dbt.log"
    log_start = log.stat().st_size if log.exists() else 0
    process = subprocess.Popen(published.command(build_vars(truth)), env=published.env(), cwd="/",
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 600
    rebuilt = False
    while time.monotonic() < deadline and process.poll() is None:
        if log.exists():
            with open(log, encoding="utf-8", errors="replace") as handle:
                handle.seek(log_start)
                rebuilt = "OK created sql table model marts." in handle.read()
        if rebuilt:
            break
        time.sleep(0.2)
    assert rebuilt and process.poll() is None, "the build ended before a mart was rebuilt"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert file_sha256(published.warehouse) == before
    with duckdb.connect(str(published.warehouse), read_only=True) as connection:
        orders = connection.execute("select count(*) from marts.fct_orders").fetchone()[0]
    assert orders > 0
    assert published.max_rejected_share() == 0.2
    record_property("reliability", {"figure": "build killed (SIGKILL) after a mart was rebuilt",
                                    "result": f"published warehouse unchanged (sha256 equal), readable "
                                              f"({orders:,} orders)"})


def test_a_reader_holding_the_published_file_does_not_block_the_next_build(published, tiny_build):
    _, truth = tiny_build
    reader = subprocess.Popen(
        [sys.executable, "-c", (
            "import duckdb, sys\n"
            f"connection = duckdb.connect({str(published.warehouse)!r}, read_only=True)\n"
            "query = 'select thresholds_json from marts.rpt_build_metadata'\n"
            "print(connection.execute(query).fetchone()[0], flush=True)\n"
            "sys.stdin.readline()\n"
            "print(connection.execute(query).fetchone()[0], flush=True)\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        share = "member_analytics__quality__max_rejected_share"
        assert json.loads(reader.stdout.readline())[share] in (0.2, "0.2")
        # the whole write-audit-publish flow (every model and test, both Great Expectations
        # suites) with another recorded threshold: rpt_build_metadata changes
        result = published.build({**build_vars(truth), share: 0.3}, full=True)
        assert result.returncode == 0, result.stdout[-3000:]
        report = published.last_report()
        assert report["outcome"] == "published"
        assert report["published_file_after"] != report["published_file_before"]  # a new file renamed over it
        assert [step["name"] for step in report["steps"] if step["ok"]] == [
            "copy the published warehouse to the working copy", "profile the raw input (dbt build tag:quality_raw)",
            "audit the raw input (Great Expectations)",
            "build every model and run its tests (dbt build --selector production_after_raw_audit)",
            "audit the marts (Great Expectations)", "publish (atomic rename over the published file)"]
        assert (published.reports / "data_docs" / "index.html").exists()
        # the reader still reads the version it opened; a new connection sees the new one
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert json.loads(reader.stdout.readline())[share] in (0.2, "0.2")
        assert published.max_rejected_share() == 0.3
    finally:
        reader.kill()
        reader.wait()
    assert not (published.warehouse.parent / ".wap" / published.warehouse.name).exists()


def test_a_raw_input_failing_its_checks_is_not_published(published, tiny_build):
    _, truth = tiny_build
    before = file_sha256(published.warehouse)
    result = published.build({**build_vars(truth), "member_analytics__quality__min_orders_per_shop": 10 ** 9},
                             full=True)
    assert result.returncode == 1, result.stdout[-3000:]
    report = published.last_report()
    assert report["outcome"] == "not published: the raw input failed its checks"
    assert any("member_analytics__quality__min_orders_per_shop" in line for line in report["steps"][-1]["detail"])
    assert file_sha256(published.warehouse) == before


def test_two_builds_of_one_warehouse_do_not_run_at_once(published, tiny_build):
    from member_analytics.publish.wap import BuildError, _build_lock

    work_dir = published.warehouse.parent / ".wap"
    with _build_lock(work_dir):
        result = published.build(build_vars(tiny_build[1]))
    assert result.returncode == 2
    assert "another build of this warehouse is running" in result.stderr
    with pytest.raises(BuildError):
        with _build_lock(work_dir), _build_lock(work_dir):
            pass


def test_the_report_mode_follows_the_state_table(tmp_path):
    """The report says "incremental" only when rpt_incremental_runs' last row says the
    member-keyed models built on the previous build (a changed var or code forces a full
    recompute, decision 0091); without the table (a partial build) it keeps what it said."""
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema audit")
    assert built_incrementally(warehouse) is True
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create table audit.rpt_incremental_runs (build_number bigint, is_incremental_build boolean)")
        connection.execute("insert into audit.rpt_incremental_runs values (1, false), (2, true)")
    assert built_incrementally(warehouse) is True
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("insert into audit.rpt_incremental_runs values (3, false)")
    assert built_incrementally(warehouse) is False


def test_the_working_copy_is_a_clone_where_the_filesystem_can_share_blocks(tmp_path, monkeypatch):
    """The daily run's working copy (decision 0141): a clone on a copy-on-write filesystem
    (XFS with reflink, btrfs), else a copy; either way the same bytes, and what the build
    writes into it never reaches the published file."""
    published, working = tmp_path / "published.duckdb", tmp_path / "working.duckdb"
    published.write_bytes(os.urandom(3 << 20))
    before = published.read_bytes()
    # GNU cp says whether this filesystem can clone (ext4: no, XFS with reflink: yes)
    can_clone = subprocess.run(["cp", "--reflink=always", str(published), str(tmp_path / "probe")],
                               capture_output=True).returncode == 0
    assert clone_or_copy(published, working) == ("cloned" if can_clone else "copied")
    assert working.read_bytes() == before
    with open(working, "r+b") as handle:
        handle.seek(1 << 20)
        handle.write(b"written by the build" * 100)
    assert published.read_bytes() == before and working.read_bytes() != before

    def cannot_clone(*args):  # ext4, another filesystem than the source's
        raise OSError(errno.EOPNOTSUPP, "Operation not supported")

    monkeypatch.setattr(fcntl, "ioctl", cannot_clone)
    assert clone_or_copy(published, working) == "copied"
    assert working.read_bytes() == before
