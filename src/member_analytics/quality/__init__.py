"""Great Expectations checks of the raw input and of the published marts
(docs/decisions/0070).

SQL builds compact profile tables (models/audit/quality, schema audit); these
functions read them read-only, validate them with the suites of `suites.py`
and write Data Docs. In the write-audit-publish flow:

    previous = capture_previous(working_copy)        # before dbt touches it
    # bin/dbt build -s +tag:quality_raw ...
    raw = run_raw_checks(working_copy, previous, docs_dir)
    # bin/dbt build ... (everything else)
    marts = run_mart_checks(working_copy, docs_dir)
    # publish only when raw.success and marts.success

The bounds are the member_analytics__quality__* vars of the build that made
the warehouse (audit.rpt_quality_thresholds): pass --vars to dbt, not here.
Never call these while a dbt process holds the DuckDB file.
"""

from __future__ import annotations

from pathlib import Path

from member_analytics.quality import profiles
from member_analytics.quality.profiles import QualityError
from member_analytics.quality.runner import CheckResult, Failure, run_suite
from member_analytics.quality.suites import (
    MART_CHECKS,
    PREVIOUS_CHECKS,
    PUBLISHED_MARTS,
    RAW_CHECKS,
    RAW_INPUT,
)

__all__ = ["CheckResult", "Failure", "QualityError", "capture_previous", "run_mart_checks", "run_raw_checks"]


def capture_previous(warehouse: Path) -> dict[str, dict[str, float]]:
    """Per shop, the kept orders and their median paid amount in the warehouse's
    marts.fct_orders, read before the build replaces it: {shop_id:
    {"kept_orders": n, "paid_amount_p50": x}}. {} when there is no warehouse or
    no fct_orders (a first build: nothing to compare with)."""
    return profiles.previous_orders(Path(warehouse))


def run_raw_checks(warehouse: Path, previous: dict, docs_dir: Path) -> CheckResult:
    """Suite raw_input over audit.rpt_quality_raw_profile (build `+tag:quality_raw`
    first), plus the comparison with `previous` (from capture_previous) when it
    is not empty. Raises QualityError when the profile tables are missing."""
    warehouse = Path(warehouse)
    thresholds = profiles.thresholds(warehouse)
    frame = profiles.wide(warehouse, profiles.RAW_PROFILE)
    checks = RAW_CHECKS
    notes = []
    if previous:
        frame = profiles.with_previous(frame, previous)
        checks = RAW_CHECKS + PREVIOUS_CHECKS
    else:
        notes.append("no previous published build (or it has no marts.fct_orders): "
                     "order volumes and median paid amounts were not compared")
    return run_suite(RAW_INPUT, frame, checks, thresholds, Path(docs_dir), notes)


def run_mart_checks(warehouse: Path, docs_dir: Path) -> CheckResult:
    """Suite published_marts over audit.rpt_quality_marts_profile (build
    `tag:quality_marts` after the marts). Raises QualityError when it is missing."""
    warehouse = Path(warehouse)
    thresholds = profiles.thresholds(warehouse)
    frame = profiles.wide(warehouse, profiles.MARTS_PROFILE)
    return run_suite(PUBLISHED_MARTS, frame, MART_CHECKS, thresholds, Path(docs_dir))
