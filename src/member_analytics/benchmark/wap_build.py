"""The write-audit-publish build in the benchmark: `member-analytics build
--full-refresh` (src/member_analytics/publish/wap.py: raw profile build, Great
Expectations on the raw input, the production build, Great Expectations on the
marts, publish) on the scale's raw files, in its own folder DIR/<scale>/wap/
(warehouse, dbt target, logs, build reports), with the same vars as the plain build.

Measured like the plain build: wall time of the command, the kernel's maximum
resident set of the child (os.wait4; for this command that is the largest single
process among the CLI and the dbt processes it waited for, not their sum), the
sampled resident memory of the whole process tree (CLI and dbt together) and the
peak of DuckDB's spill folder. The stage times come from wap.py's own build
report (last_build.json, one Step per stage), so nothing is timed twice.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from member_analytics.benchmark.common import ScaleFolder, build_vars
from member_analytics.benchmark.memory import _TreeSampler, folder_bytes, run_measured


@dataclass(frozen=True)
class WapFolder(ScaleFolder):
    """DIR/<scale>/wap/: the write-audit-publish build's own warehouse, target, logs and
    build.log (as a scale's, ScaleFolder), plus its reports; the raw files are the scale's."""

    @property
    def build_log(self) -> Path:
        """Beside the plain build's build.log (DIR/<scale>/wap_build.log), kept when wap/ is deleted."""
        return self.root.parent / "wap_build.log"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def build_report(self) -> Path:
        return self.reports / "build" / "last_build.json"

    def build_env(self, base: dict[str, str], raw: Path, home: Path) -> dict[str, str]:
        """`base` with every path the build touches in this folder, reading the scale's raw files."""
        return dict(self.env(base), MEMBER_ANALYTICS_HOME=str(home), DBT_PROJECT_DIR=str(home),
                    MEMBER_ANALYTICS_RAW_DATA_PATH=str(raw), MEMBER_ANALYTICS_REPORTS_DIR=str(self.reports))


def wap_command(truth: dict) -> list[str]:
    """`member-analytics build --full-refresh` with the plain build's vars. JSON keeps the
    dates quoted, so the CLI's YAML reader passes them on as strings, not date objects."""
    return [sys.executable, "-m", "member_analytics.cli", "build", "--vars", json.dumps(build_vars(truth)),
            "--full-refresh"]


def wap_stages(build_report: dict | None, wall_seconds: float) -> list[dict]:
    """The stages wap.py went through, in order, from its report's steps (name, ok, seconds,
    share of the wall time), then the time outside them (Python start, imports including
    Great Expectations, the previous build's profile, writing the report)."""
    steps = (build_report or {}).get("steps", [])
    rows = [{"stage": step["name"], "ok": step["ok"], "seconds": step["seconds"],
             "share_of_wall": step["seconds"] / wall_seconds if wall_seconds else None} for step in steps]
    outside = wall_seconds - sum(step["seconds"] for step in steps)
    rows.append({"stage": "outside the stages (Python start, imports, report)", "ok": None,
                 "seconds": outside, "share_of_wall": outside / wall_seconds if wall_seconds else None})
    return rows


def run_wap_build(home: Path, raw: Path, folder: WapFolder, truth: dict) -> dict:
    """Run the write-audit-publish build and measure it (see the module's docstring)."""
    folder.temp_dir.mkdir(parents=True, exist_ok=True)
    # the process tree's resident memory and the spill folder, sampled every 0.5 s
    returncode, wall, peak, tree = run_measured(wap_command(truth), folder.build_env(dict(os.environ), raw, home),
                                                folder.build_log, lambda pid: _TreeSampler(pid, folder.temp_dir))
    report = json.loads(folder.build_report.read_text(encoding="utf-8")) if folder.build_report.exists() else None
    return {
        "returncode": returncode,
        "outcome": (report or {}).get("outcome", "no build report"),
        "wall_seconds": wall,
        "peak_rss_bytes": peak,
        "peak_tree_rss_bytes": tree.peak_total,
        "peak_spill_bytes": tree.peak_folder,
        "warehouse_bytes": folder_bytes(folder.warehouse) + folder_bytes(folder.warehouse.with_name(
            folder.warehouse.name + ".wal")),
        "stages": wap_stages(report, wall),
        "build_log": str(folder.build_log),
    }
