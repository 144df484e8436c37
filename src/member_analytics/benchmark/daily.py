"""Time the daily incremental run against a full build (docs/decisions/0091, 0118).

For one scale: `generate_days` writes day_1/ and day_2/; with `as_loads` they are
delivered as one folder of loads, as a shop delivers (day 1 as monthly backfill loads,
then day 2's daily load of each table added beside them; generator.loads.days_as_loads).
Then, each as `member-analytics build` (write-audit-publish: copy, dbt build with every
test, the Great Expectations suites, publish) in its own home:

1. day 1, full build (the warehouse the daily run starts from);
2. day 2, the daily run on top of it (incremental);
3. day 2 again, a daily run with no new data;
4. day 2, a full build from scratch in another home (the comparison).

The ratio is (2) / (4), both wall times of the whole command; the report also gives each
run's changed orders and members, its dbt build's node times, the bytes it wrote (the
working copy included) and the size of the published file it left (issue 28, item 4). Then every public
mart of (3) and (4) is compared (parity.sql_differences: keys both ways, values, doubles
within the parity tolerance). (1) and (4) pass --full-refresh, so a second run into the
same folder measures the same builds again instead of building on the first run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from member_analytics.benchmark.summary import summarise_build
from member_analytics.generator.days import generate_days
from member_analytics.generator.loads import days_as_loads
from member_analytics.publish.parity import compare_builds

TARGET_RATIO = 0.1  # issue 28: at the large scale, publishing included


def bytes_written(io_counts: Path = Path("/proc/self/io")) -> int | None:
    """Bytes this process and its finished child processes have sent towards the disk: what
    they wrote, less what was deleted before it reached the disk (Linux /proc/self/io:
    write_bytes less cancelled_write_bytes, counted as pages are first written to the page
    cache); None where the kernel does not count it. A file cloned rather than copied
    counts nothing."""
    try:
        counts = dict(line.split(":", 1) for line in io_counts.read_text().splitlines())
        return int(counts["write_bytes"]) - int(counts["cancelled_write_bytes"])
    except (OSError, KeyError, ValueError):
        return None


def _wap(home: Path, raw: Path, as_of_date: str, full_refresh: bool) -> tuple[float, dict]:
    env = dict(os.environ,
               MEMBER_ANALYTICS_RAW_DATA_PATH=str(raw),
               MEMBER_ANALYTICS_WAREHOUSE_DIR=str(home / "warehouse"),
               MEMBER_ANALYTICS_DUCKDB_PATH=str(home / "warehouse" / "member_analytics.duckdb"),
               MEMBER_ANALYTICS_DUCKDB_TEMP_DIR=str(home / "warehouse" / "tmp"),
               MEMBER_ANALYTICS_REPORTS_DIR=str(home / "reports"),
               DBT_TARGET_PATH=str(home / "target"), DBT_LOG_PATH=str(home / "logs"))
    (home / "warehouse" / "tmp").mkdir(parents=True, exist_ok=True)
    vars = {"as_of_date": as_of_date, "member_analytics__validation__latest_valid_date": "2030-12-31"}
    started, written = time.perf_counter(), bytes_written()
    with open(home / "build.log", "a") as log:
        result = subprocess.run([sys.executable, "-m", "member_analytics.cli", "build", "--vars", json.dumps(vars),
                                 *(["--full-refresh"] if full_refresh else [])],
                                env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/")
    seconds = time.perf_counter() - started
    after = bytes_written()
    report = json.loads((home / "reports" / "build" / "last_build.json").read_text())
    # issue 28 item 4: what the run wrote, and the published file it left
    report["bytes_written"] = after - written if after is not None and written is not None else None
    published = home / "warehouse" / "member_analytics.duckdb"
    report["published_file_bytes"] = published.stat().st_size if published.exists() else None
    if result.returncode != 0:
        raise RuntimeError(f"build in {home} failed: {report['outcome']} (see {home / 'build.log'})")
    return seconds, report


def _run_counts(home: Path) -> tuple:
    """The changed orders, changed members, late changes and orders of the last build in
    `home` (its audit.rpt_incremental_runs row)."""
    with duckdb.connect(str(home / "warehouse" / "member_analytics.duckdb"), read_only=True) as connection:
        return connection.execute("select number_of_changed_orders, number_of_changed_members, number_of_late_changes,"
                                  " number_of_orders from audit.rpt_incremental_runs order by build_number desc"
                                  " limit 1").fetchone()


def _node_seconds(home: Path) -> dict:
    """The main dbt build's node times of the last build in `home` (its target/
    run_results.json: write-audit-publish runs the raw profile first, then the build that
    overwrites it): every model's seconds, slowest first, and the summed model and data-test
    seconds."""
    summary = summarise_build(json.loads((home / "target" / "run_results.json").read_text()), {}, {})
    by_type = summary["seconds_by_resource_type"]
    return {"summed_model_seconds": round(by_type.get("model", 0.0), 1),
            "summed_test_seconds": round(by_type.get("test", 0.0) + by_type.get("unit_test", 0.0), 1),
            "model_seconds": {name: round(seconds, 2) for name, seconds in summary["model_seconds"].items()}}


def _differences(daily: Path, full: Path) -> dict[str, int]:
    """Differences per public mart between the daily run and the full build (0: equal)."""
    return {name: sum(found.values()) for name, _, found in compare_builds(full, daily, also=())}


def _clear_targets(out: Path) -> None:
    """Remove dbt's target folders of the two homes: a reused home's partial parse may hold
    the paths of another checkout (its seeds, macros), which dbt would read again."""
    for home in ("daily", "full"):
        shutil.rmtree(out / home / "target", ignore_errors=True)


def measure(scale: str, out: Path, seed: int = 42, as_loads: bool = False, reuse_data: bool = False) -> dict:
    """Generate, run the four builds, compare; write out/daily_run.json and return it.
    With reuse_data, the days (and loads) an earlier run of the same scale and seed left
    in `out` are used as they are (generating the large scale takes about ten minutes)."""
    out = Path(out).resolve()
    started = time.perf_counter()
    raw = out / "raw"
    reused = reuse_data and (raw / "days.json").exists() and (not as_loads or (out / "loads" / "day_2").exists())
    if reused:
        days = json.loads((raw / "days.json").read_text())
        if (days["scale"], days["seed"]) != (scale, seed):
            raise ValueError(f"{raw} holds scale {days['scale']} seed {days['seed']}, not {scale} seed {seed}")
    else:
        days = generate_days(raw, scale=scale, seed=seed)
    delivered = raw / "day_1"
    if as_loads:
        # as a shop delivers: one folder, day 1's loads, then day 2's daily loads added to it
        if not reused:
            shutil.rmtree(out / "loads", ignore_errors=True)
            days_as_loads(raw / "day_1", raw / "day_2", out / "loads", days["day_2"]["as_of_date"])
        shutil.rmtree(out / "loads" / "delivered", ignore_errors=True)
        raw = out / "loads"
        delivered = out / "loads" / "delivered"
        shutil.copytree(raw / "day_1", delivered)
    generation = time.perf_counter() - started
    _clear_targets(out)
    day_1, day_1_report = _wap(out / "daily", delivered, days["day_1"]["as_of_date"], full_refresh=True)
    if as_loads:
        for daily_load in sorted((raw / "day_2").glob("*/daily/*")):
            target = delivered / daily_load.relative_to(raw / "day_2")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(daily_load, target)
    else:
        delivered = raw / "day_2"
    daily, daily_report = _wap(out / "daily", delivered, days["day_2"]["as_of_date"], full_refresh=False)
    # the daily run's own counts and node times, read before the run with no new data
    run, daily_nodes = _run_counts(out / "daily"), _node_seconds(out / "daily")
    again, again_report = _wap(out / "daily", delivered, days["day_2"]["as_of_date"], full_refresh=False)
    again_run, again_nodes = _run_counts(out / "daily"), _node_seconds(out / "daily")
    full, full_report = _wap(out / "full", raw / "day_2", days["day_2"]["as_of_date"], full_refresh=True)
    full_nodes = _node_seconds(out / "full")
    differences = _differences(out / "daily" / "warehouse" / "member_analytics.duckdb",
                               out / "full" / "warehouse" / "member_analytics.duckdb")
    result = {
        "scale": scale, "seed": seed, "input": "folders of loads" if as_loads else "snapshot files",
        "generation_seconds": round(generation, 1), "reused_data": reused,
        "day_1_full_build_seconds": round(day_1, 1),
        "daily_run_seconds": round(daily, 1), "full_build_seconds": round(full, 1),
        "ratio": round(daily / full, 3), "target_ratio": TARGET_RATIO,
        "no_new_data_run_seconds": round(again, 1), "no_new_data_ratio": round(again / full, 3),
        "daily_run_steps": {step["name"]: round(step["seconds"], 1) for step in daily_report["steps"]},
        "no_new_data_run_steps": {step["name"]: round(step["seconds"], 1) for step in again_report["steps"]},
        "full_build_steps": {step["name"]: round(step["seconds"], 1) for step in full_report["steps"]},
        # issue 28 item 4: bytes written by each run (the copy included) and the published file after it
        "bytes_written": {"day_1_full_build": day_1_report["bytes_written"], "daily_run": daily_report["bytes_written"],
                          "no_new_data_run": again_report["bytes_written"], "full_build": full_report["bytes_written"]},
        "bytes_written_ratio": (round(daily_report["bytes_written"] / full_report["bytes_written"], 3)
                                if daily_report["bytes_written"] is not None and full_report["bytes_written"]
                                else None),
        "published_file_bytes": {"day_1_full_build": day_1_report["published_file_bytes"],
                                 "daily_run": daily_report["published_file_bytes"],
                                 "no_new_data_run": again_report["published_file_bytes"],
                                 "full_build": full_report["published_file_bytes"]},
        "daily_run_working_copy": daily_report["steps"][0]["detail"][0].rsplit("; ", 1)[-1],
        "changed_orders": run[0], "changed_members": run[1], "late_changes": run[2], "orders": run[3],
        "no_new_data_changed_orders": again_run[0], "no_new_data_changed_members": again_run[1],
        "marts_compared": len(differences), "marts_with_differences": {k: v for k, v in differences.items() if v},
        "daily_run_nodes": daily_nodes, "no_new_data_run_nodes": again_nodes, "full_build_nodes": full_nodes,
        "load_average": os.getloadavg(),
    }
    (out / "daily_run.json").write_text(json.dumps(result, indent=1) + "\n")
    return result
