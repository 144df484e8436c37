"""The Spark runner. `member-analytics benchmark --target spark`: the same full `dbt build` on the
profile's `spark` output (dbt-spark `method: session`, pyspark in local mode,
docs/benchmark.md "Scaling past one machine"). Per scale: generation, the build
(wall time, peak resident memory of the process tree: dbt's Python and Spark's
driver JVM), Spark's shuffle and spill folder, the warehouse folder, and Spark's
event log turned into task time and shuffle bytes per model; then the two floors
written for Spark SQL (run in their own Spark session) and, as a baseline from the
same invocation, the DuckDB floors. No peers (they are DuckDB-side only).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from member_analytics.benchmark.common import (ScaleFolder, _checked_scales, _clear, _say, build_vars,
                                              machine_facts, read_manifest)
from member_analytics.benchmark.events import run_results_from_log, summarise_event_log
from member_analytics.benchmark.floors import connect_floors, profile_duckdb_settings, run_floors
from member_analytics.benchmark.memory import _TreeSampler, folder_bytes
from member_analytics.benchmark.report import _bytes, write_spark_report
from member_analytics.benchmark.spark_floors import run_spark_floors, spark_floor_agreement
from member_analytics.benchmark.summary import _ratio, growth, summarise_build, targets


SPARK_CONF = {
    # The event log gives each model's task time and shuffle bytes (parse_event_log).
    "spark.eventLog.enabled": "true",
    "spark.eventLog.compress": "false",
    "spark.eventLog.rolling.enabled": "false",
}


@dataclass(frozen=True)
class SparkFolder:
    """One scale's Spark paths, inside the scale's folder (DIR/<scale>/)."""

    scale: ScaleFolder

    @property
    def spark_warehouse(self) -> Path:  # the profile's spark.sql.warehouse.dir
        return self.scale.warehouse_dir / "spark-warehouse"

    @property
    def local_dir(self) -> Path:  # SPARK_LOCAL_DIRS: shuffle files and spills
        return self.scale.warehouse_dir / "spark-local"

    @property
    def conf_dir(self) -> Path:  # SPARK_CONF_DIR: spark-defaults.conf (the event log)
        return self.scale.warehouse_dir / "spark-conf"

    @property
    def event_dir(self) -> Path:
        return self.scale.warehouse_dir / "spark-events"

    @property
    def floors_dir(self) -> Path:
        return self.scale.warehouse_dir / "spark-floors"

    def env(self, base: dict[str, str]) -> dict[str, str]:
        env = self.scale.env(base)
        env.update(SPARK_CONF_DIR=str(self.conf_dir), SPARK_LOCAL_DIRS=str(self.local_dir))
        return env

    def prepare(self) -> None:
        for path in (self.local_dir, self.conf_dir, self.event_dir, self.scale.temp_dir):
            path.mkdir(parents=True, exist_ok=True)
        conf = {**SPARK_CONF, "spark.eventLog.dir": self.event_dir.as_uri()}
        (self.conf_dir / "spark-defaults.conf").write_text(
            "".join(f"{name} {value}\n" for name, value in conf.items()), encoding="utf-8")


def run_spark_build(home: Path, folder: SparkFolder, truth: dict, driver_memory: str | None = None) -> dict:
    """`bin/dbt build --target spark` in the scale's folder, sampling the process
    tree's memory (dbt's Python + Spark's JVM, which runs as a child of dbt) and the
    shuffle/spill folder. Writes the measure to DIR/<scale>/spark_build.json."""
    folder.prepare()
    env = folder.env(dict(os.environ))
    if driver_memory:
        env["MEMBER_ANALYTICS_SPARK_DRIVER_MEMORY"] = driver_memory
    command = [str(home / "bin" / "dbt"), "build", "--target", "spark", "--vars", json.dumps(build_vars(truth))]
    with folder.scale.build_log.open("w", encoding="utf-8") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/")
        sampler = _TreeSampler(process.pid, folder.local_dir)
        sampler.start()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    measure = {"returncode": os.waitstatus_to_exitcode(status), "wall_seconds": wall,
               "peak_rss_bytes": sampler.peak_total, "peak_rss_by_process": sampler.peak_by_kind,
               "peak_shuffle_dir_bytes": sampler.peak_folder, "memory_samples": sampler.samples,
               "cpu_seconds": usage.ru_utime + usage.ru_stime,
               "driver_memory": env.get("MEMBER_ANALYTICS_SPARK_DRIVER_MEMORY", "6g (profile default)")}
    (folder.scale.root / "spark_build.json").write_text(json.dumps(measure, indent=1) + "\n", encoding="utf-8")
    return measure


# ----------------------------------------------------------------------------- one scale on Spark

def benchmark_spark_scale(scale: str, out: Path, seed: int, home: Path, driver_memory: str,
                          resume: bool = False) -> dict:
    """Generate, build on Spark, run the floors on Spark and on DuckDB, summarise.
    With `resume`, a scale folder that already holds the raw files (truth.json), a
    finished build (spark_build.json) or the Spark floors' times (spark_floors.json)
    does not redo them."""
    from member_analytics.generator import generate

    folder = SparkFolder(ScaleFolder(out / scale))
    truth_path, build_path = folder.scale.root / "truth.json", folder.scale.root / "spark_build.json"
    if resume and truth_path.exists():
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        _say(f"== {scale}: reusing the sample dataset in {folder.scale.raw}")
    else:
        _clear(folder.scale)
        for stale in (truth_path, build_path):
            stale.unlink(missing_ok=True)
        folder.scale.root.mkdir(parents=True, exist_ok=True)
        _say(f"== {scale}: generating the sample dataset into {folder.scale.raw}")
        started = time.perf_counter()
        truth = generate(folder.scale.raw, scale=scale, seed=seed, file_format="parquet")
        truth["generation_seconds"] = time.perf_counter() - started
        truth_path.write_text(json.dumps(truth, default=str) + "\n", encoding="utf-8")
    rows = {table: counts["raw"] for table, counts in truth["row_counts"].items()}

    if resume and build_path.exists():
        build = json.loads(build_path.read_text(encoding="utf-8"))
        _say(f"== {scale}: reusing the finished Spark build ({build['wall_seconds']:.0f} s)")
    else:
        _say(f"== {scale}: dbt build --target spark (log: {folder.scale.build_log})")
        build = run_spark_build(home, folder, truth, driver_memory)
    # A build measured before the sampler counted only java + python: their peaks'
    # sum bounds the tree's peak from above (a transient fork was counted as well).
    kinds = build.get("peak_rss_by_process", {})
    build["peak_rss_bytes"] = min(build["peak_rss_bytes"], kinds.get("java", 0) + kinds.get("python", 0)) \
        if kinds else build["peak_rss_bytes"]
    # The overview's "peak spill" column: for Spark, its shuffle and spill folder.
    build.setdefault("peak_spill_bytes", build["peak_shuffle_dir_bytes"])
    _say(f"   {build['wall_seconds']:.1f}s, exit {build['returncode']}, peak memory {_bytes(build['peak_rss_bytes'])}")

    floors_path = folder.scale.root / "spark_floors.json"
    if resume and floors_path.exists():
        _say(f"== {scale}: reusing the Spark floors' times in {floors_path}")
        spark_floors = json.loads(floors_path.read_text(encoding="utf-8"))
    else:
        _say(f"== {scale}: floors on Spark (own session, driver memory {driver_memory})")
        spark_floors = run_spark_floors(folder, truth["as_of_date"], driver_memory)
    floors = spark_floors.get("floors") or {}
    _say("   " + (", ".join(f"{name} {floor['seconds']:.2f}s" for name, floor in floors.items()) or "failed"))
    settings = profile_duckdb_settings(Path(os.environ.get("DBT_PROFILES_DIR", home / "profiles")) / "profiles.yml",
                                       folder.env(dict(os.environ)))
    _say(f"== {scale}: floors on DuckDB (the baseline, memory_limit {settings.get('memory_limit')})")
    with connect_floors(folder.scale.floors, settings) as connection:
        duckdb_floors = run_floors(connection, folder.scale.raw, truth["as_of_date"])
    _say("   " + ", ".join(f"{name} {floor['seconds']:.2f}s" for name, floor in duckdb_floors.items()))

    run_results_path = folder.scale.target / "run_results.json"
    if run_results_path.exists():
        run_results = json.loads(run_results_path.read_text(encoding="utf-8"))
        shutil.copy(run_results_path, folder.scale.root / "run_results.json")
    else:  # stopped before the end: what finished, from dbt's log
        run_results = run_results_from_log(folder.scale.build_log.read_text(encoding="utf-8", errors="replace"))
    model_paths, parents = read_manifest(folder.scale.target)
    build_summary = summarise_build(run_results, model_paths,
                                    {name: floor["seconds"] for name, floor in floors.items()}, parents)
    build_summary["partial_from_log"] = bool(run_results.get("from_log"))
    build_summary["nodes_finished"] = len(run_results.get("results", []))
    build_summary["vs_duckdb_floor"] = [
        {"model": row["model"], "floor": row["floor"],
         "multiple": _ratio(row["seconds"], duckdb_floors[row["floor"]]["seconds"]),
         "lineage_multiple": _ratio(row["lineage_seconds"], duckdb_floors[row["floor"]]["seconds"])}
        for row in build_summary["vs_floor"]]
    events = summarise_event_log(folder.event_dir)
    if events:
        (folder.scale.root / "spark_events_summary.json").write_text(json.dumps(events, indent=1) + "\n",
                                                                     encoding="utf-8")
    result = {
        "scale": scale,
        "target": "spark",
        "as_of_date": truth["as_of_date"],
        "rows": rows,
        "raw_bytes": folder_bytes(folder.scale.raw),
        "generation_seconds": truth.get("generation_seconds"),
        "build": build,
        "warehouse_bytes": folder_bytes(folder.spark_warehouse),
        "floors": floors,
        "spark_floors_session": {key: spark_floors.get(key) for key in
                                 ("session_start_seconds", "peak_rss_bytes", "returncode")},
        "floor_agreement": spark_floor_agreement(folder) if build["returncode"] == 0 and floors else None,
        "duckdb_floors": duckdb_floors,
        "build_summary": build_summary,
        "spark_events": events,
        "load_average_after": list(os.getloadavg()),
    }
    result["targets"] = targets(result)
    return result


def run_spark(scales: list[str], out: Path, seed: int = 42, keep_data: bool = False,
              command: str = "member-analytics benchmark --target spark", driver_memory: str = "6g",
              resume: bool = False) -> int:
    """Benchmark each scale on Spark (smallest first), rewriting DIR/benchmark.{json,md}
    after each one. Returns 0 when every build succeeded."""
    scales, home = _checked_scales(scales)
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    report = {"command": command, "target": "spark", "started_at": dt.datetime.now().isoformat(timespec="seconds"),
              "seed": seed, "machine": machine_facts(), "driver_memory": driver_memory,
              "spark": _spark_versions(), "scales": [], "growth": []}
    for scale in scales:
        result = benchmark_spark_scale(scale, out, seed, home, driver_memory, resume)
        if not keep_data:
            _clear(ScaleFolder(out / scale))
        report["scales"].append(result)
        report["growth"] = growth(report["scales"])
        report["dbt_version"] = report.get("dbt_version") or result["build_summary"]["dbt_version"]
        write_spark_report(report, out)
        _say(f"== report: {out / 'benchmark.md'}")
    return 0 if all(scale["build"]["returncode"] == 0 for scale in report["scales"]) else 1


def _spark_versions() -> dict:
    versions = {}
    for package in ("pyspark", "dbt-spark"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:  # noqa: BLE001 - not installed: the build will say so
            versions[package] = None
    return versions
