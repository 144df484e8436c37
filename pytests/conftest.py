"""Suite-wide hooks: the time each stage (test file) took, and the reliability
figures (bad-input cases and their outcomes, the kill-during-build result,
idempotency, row reconciliation), printed at the end and written to
$MEMBER_ANALYTICS_REPORTS_DIR/reliability.md and .json."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# bin/test runs the suite on pytest-xdist workers (docs/decisions/0115). A worker's __main__
# is execnet's bootstrap (`python -c ...`: no __file__, no __spec__), and pyspark's Spark
# Connect module, which great_expectations imports when pyspark is installed, takes such a
# process for a doctest run and calls sys.exit(0). A file name is all it looks for.
if os.environ.get("PYTEST_XDIST_WORKER") and not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = "<pytest-xdist worker>"

# bin/test hands test files to its two workers one at a time (--dist loadfile), in the order
# below: the longest first, so that the last files to start are short ones and the two
# workers end close together. Seconds per file in a full run of the suite (2 workers, a
# worktree of 48d53a9, 2026-12-06: 21.5 min), rounded; a file's figure includes the shared
# builds it was the first to need. Files not listed follow in collection order (each under
# ~10 s). Only the order changes: every test runs, and each file's tests keep their order.
LONGEST_FILES_FIRST = (
    "pytests/dbt/test_incremental.py",  # ~750 s, on one worker; it and test_spark_parity
    "pytests/dbt/test_spark_parity.py",  # ~640 s    take one worker each to start
    "pytests/test_project.py",  # ~150 s (sqlfluff)
    "pytests/dbt/test_raw_loads.py",  # ~110 s
    "pytests/dbt/test_bad_input.py",  # ~110 s
    "pytests/dbt/test_staging_loads.py",  # ~95 s
    "pytests/dbt/test_raw_contract_types.py",  # ~85 s
    "pytests/dbt/test_wap.py",  # ~70 s
    "pytests/dbt/test_package.py",  # ~70 s
    "pytests/dbt/test_bi.py",  # ~60 s
    "pytests/dbt/test_agency.py",  # ~60 s (its builds failed in that run: measured alone)
    "pytests/dbt/test_member_360.py",  # ~55 s
    "pytests/dbt/test_quality.py",  # ~45 s
    "pytests/dbt/test_forecasts.py",  # ~40 s
    "pytests/dbt/test_build_tiny.py",  # ~35 s
    "pytests/dbt/test_layers.py",  # ~25 s
    "pytests/dbt/test_campaigns.py",  # ~25 s
    "pytests/dbt/test_trust.py",  # ~25 s
    "pytests/dbt/test_tiers_points.py",  # ~20 s
    "pytests/dbt/test_campaign_loop.py",  # ~20 s
    "pytests/dbt/test_member_value.py",  # ~20 s
    "pytests/dbt/test_co_purchase.py",  # ~15 s
    "pytests/dbt/test_dashboard.py",  # ~15 s
    "pytests/dbt/test_purchase_behaviour.py",  # ~15 s
    "pytests/dbt/test_bad_exports.py",  # ~10 s
    "pytests/test_campaign_lift_intervals.py",  # ~10 s
)


def pytest_configure(config):
    """--dist loadfile: hand out files in the order pytest_collection_modifyitems leaves
    them in, rather than pytest-xdist's default (most tests first, whatever they cost)."""
    if getattr(config.option, "dist", "no") == "loadfile":
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items):
    """The longest files first (LONGEST_FILES_FIRST); a stable sort, so tests keep their order."""
    rank = {path: index for index, path in enumerate(LONGEST_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


_STAGE_SECONDS: dict[str, float] = {}
_RELIABILITY: list[dict] = []
BAD_INPUT_FILE = "pytests/dbt/test_bad_input.py"


def pytest_runtest_logreport(report):
    """Add up the time of every test phase per test file (a "stage"); collect reliability figures."""
    stage = report.nodeid.split("::")[0]
    _STAGE_SECONDS[stage] = _STAGE_SECONDS.get(stage, 0.0) + report.duration
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    if stage == BAD_INPUT_FILE:
        case = report.nodeid.split("::", 1)[1].removeprefix("test_").replace("_", " ")
        _RELIABILITY.append({"group": "bad input", "figure": case,
                             "result": "the promised outcome" if report.passed else report.outcome.upper()})
    for name, value in report.user_properties:
        if name == "reliability":
            _RELIABILITY.append({"group": value.get("group", "build"), "figure": value["figure"],
                                 "result": value["result"] if report.passed else f"{report.outcome.upper()}: "
                                                                                 f"{value['result']}"})


def pytest_terminal_summary(terminalreporter):
    terminalreporter.section("time per stage (test file)")
    for stage, seconds in sorted(_STAGE_SECONDS.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{seconds:8.1f}s  {stage}")
    if not _RELIABILITY:
        return
    terminalreporter.section("reliability figures")
    lines = ["# Reliability figures (written by the test suite)", "", "| group | case or figure | result |",
             "| --- | --- | --- |"]
    for entry in _RELIABILITY:
        terminalreporter.write_line(f"[{entry['group']}] {entry['figure']}: {entry['result']}")
        lines.append(f"| {entry['group']} | {entry['figure']} | {entry['result']} |")
    reports = Path(os.environ.get("MEMBER_ANALYTICS_REPORTS_DIR", Path(__file__).resolve().parents[1] / "reports"))
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "reliability.md").write_text("\n".join(lines) + "\n")
    (reports / "reliability.json").write_text(json.dumps(_RELIABILITY, indent=2, ensure_ascii=False) + "\n")
    terminalreporter.write_line(f"written to {reports / 'reliability.md'}")
