"""`member-analytics benchmark`: how long a full build takes, and how that compares.

Per scale, in one invocation (docs/benchmark.md):
  1. generate the sample dataset (timed);
  2. run a full `dbt build` (models, seeds, unit and data tests) through bin/dbt in
     an isolated folder with its own warehouse, target and logs, measuring wall
     time, the build process's peak memory and DuckDB's spill;
  3. right after it, time two hand-written DuckDB queries on the same raw files
     (the floors): current RFM, and product pairs by self-join;
  3b. then, unless --no-wap, the full build with write-audit-publish
     (`member-analytics build --full-refresh`: raw profile, GX raw, production
     build, GX marts, publish) in DIR/<scale>/wap/, measured like the plain build,
     with the time of each stage from wap.py's build report (wap_build.py);
  4. then the peers, what users would run instead (member_analytics.benchmark.peers:
     pandas RFM and cohorts, mlxtend pairs), each in its own process under a
     memory and time cap, and check their answers against the marts;
  5. assemble the report: the slowest models, each mart as a multiple of its
     floor, the tier and points marts as a multiple of fct_member_rfm, how many
     times faster the project is than each peer, targets (issue 12's on the plain
     build, issue 27's on both builds).
Between scales: growth of build time against growth of orders. The report is
rewritten after every scale (DIR/benchmark.json, DIR/benchmark.md), so a scale
that fails or is interrupted leaves the earlier ones on disk.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from member_analytics.benchmark import peers as peer_module
from member_analytics.benchmark.common import (
    NOT_YET_MEASURED,
    PeerOptions,
    ScaleFolder,
    _checked_scales,
    _clear,
    _say,
    build_vars,
    machine_facts,
    read_manifest,
)
from member_analytics.benchmark.floors import connect_floors, floor_agreement, profile_duckdb_settings, run_floors
from member_analytics.benchmark.memory import _SpillSampler, folder_bytes, run_measured
from member_analytics.benchmark.peer_checks import peer_agreement
from member_analytics.benchmark.report import _bytes, _peer_outcome, write_report
from member_analytics.benchmark.summary import (
    compare_peers,
    growth,
    growth_targets,
    issue27_targets,
    summarise_build,
    targets,
)
from member_analytics.benchmark.wap_build import WapFolder, run_wap_build


# ----------------------------------------------------------------------------- the build

@dataclass
class BuildMeasure:
    """What one `dbt build` process cost."""

    returncode: int
    wall_seconds: float
    peak_rss_bytes: int
    peak_spill_bytes: int


def run_build(home: Path, folder: ScaleFolder, truth: dict) -> BuildMeasure:
    """`bin/dbt build` in the scale's folder. Peak memory is the kernel's maximum
    resident set of that one child (os.wait4): dbt runs DuckDB in its own process,
    and bin/dbt execs dbt, so the child is the whole build."""
    command = [str(home / "bin" / "dbt"), "build", "--vars", json.dumps(build_vars(truth))]
    folder.temp_dir.mkdir(parents=True, exist_ok=True)
    returncode, wall, peak, sampler = run_measured(command, folder.env(dict(os.environ)), folder.build_log,
                                                   lambda _pid: _SpillSampler(folder.temp_dir))
    return BuildMeasure(returncode, wall, peak, sampler.peak)


def run_peers(folder: ScaleFolder, as_of_date: str, options: PeerOptions) -> list[dict]:
    """Each peer in its own process under the caps, one after the other."""
    return [peer_module.run_peer_capped(name, folder.raw, as_of_date, folder.peers,
                                        folder.root / f"peer_{name}.log", options.memory_bytes,
                                        options.timeout_seconds)
            for name in peer_module.PEERS]


def measure_wap(home: Path, folder: ScaleFolder, truth: dict, scale: str) -> dict:
    """`member-analytics build --full-refresh` on the scale's raw files, in DIR/<scale>/wap/."""
    wap_folder = WapFolder(folder.wap)
    _say(f"== {scale}: member-analytics build --full-refresh (write-audit-publish; log: {wap_folder.build_log})")
    measured = run_wap_build(home, folder.raw, wap_folder, truth)
    _say(f"   {measured['wall_seconds']:.1f}s, exit {measured['returncode']}, {measured['outcome']}, "
         f"peak memory {_bytes(measured['peak_rss_bytes'])}; "
         + ", ".join(f"{row['stage'].split(' (')[0]} {row['seconds']:.1f}s" for row in measured["stages"]))
    if measured["returncode"] != 0:
        _say("".join(wap_folder.build_log.read_text(encoding="utf-8").splitlines(keepends=True)[-40:]))
    return measured


def benchmark_scale(scale: str, out: Path, seed: int, home: Path, peer_options: PeerOptions = PeerOptions(),
                    wap: bool = True) -> dict:
    """Generate, build, run the floors, the write-audit-publish build (unless `wap` is
    false) and the peers, and summarise one scale."""
    from member_analytics.generator import generate

    folder = ScaleFolder(out / scale)
    _clear(folder)
    folder.root.mkdir(parents=True, exist_ok=True)

    _say(f"== {scale}: generating the sample dataset into {folder.raw}")
    started = time.perf_counter()
    truth = generate(folder.raw, scale=scale, seed=seed, file_format="parquet")
    generation_seconds = time.perf_counter() - started
    rows = {table: counts["raw"] for table, counts in truth["row_counts"].items()}
    _say(f"   {generation_seconds:.1f}s: {rows['orders']:,} orders, {rows['order_items']:,} items")

    _say(f"== {scale}: dbt build (log: {folder.build_log})")
    build = run_build(home, folder, truth)
    _say(f"   {build.wall_seconds:.1f}s, exit {build.returncode}, peak memory {_bytes(build.peak_rss_bytes)}")
    if build.returncode != 0:
        _say("".join(folder.build_log.read_text(encoding="utf-8").splitlines(keepends=True)[-40:]))

    settings = profile_duckdb_settings(Path(os.environ.get("DBT_PROFILES_DIR", home / "profiles")) / "profiles.yml",
                                       folder.env(dict(os.environ)))
    _say(f"== {scale}: floors (memory_limit {settings.get('memory_limit')})")
    with connect_floors(folder.floors, settings) as connection:
        floors = run_floors(connection, folder.raw, truth["as_of_date"])
        agreement = floor_agreement(connection, folder.warehouse) if build.returncode == 0 else None
    _say("   " + ", ".join(f"{name} {floor['seconds']:.2f}s" for name, floor in floors.items()))

    wap_build = measure_wap(home, folder, truth, scale) if wap else None

    peer_runs, peer_checks, peer_load = [], None, list(os.getloadavg())
    if peer_options.enabled:
        _say(f"== {scale}: peers (each capped at {_bytes(peer_options.memory_bytes)} resident, "
             f"{peer_options.timeout_seconds:,.0f} s)")
        peer_runs = run_peers(folder, truth["as_of_date"], peer_options)
        _say("   " + ", ".join(f"{run['peer']} {_peer_outcome(run)}" for run in peer_runs))
        answers = {run["peer"]: Path(run["path"]) for run in peer_runs if run["status"] == "ok"}
        if build.returncode == 0 and answers:
            with duckdb.connect() as connection:
                peer_checks = peer_agreement(connection, folder.warehouse, answers)

    run_results_path = folder.target / "run_results.json"
    run_results = json.loads(run_results_path.read_text(encoding="utf-8")) if run_results_path.exists() else {}
    if run_results_path.exists():
        shutil.copy(run_results_path, folder.root / "run_results.json")
    model_paths, parents = read_manifest(folder.target)
    build_summary = summarise_build(run_results, model_paths,
                                    {name: floor["seconds"] for name, floor in floors.items()}, parents)
    result = {
        "scale": scale,
        "as_of_date": truth["as_of_date"],
        "rows": rows,
        "raw_bytes": folder_bytes(folder.raw),
        "generation_seconds": generation_seconds,
        "build": vars(build),
        "wap_build": wap_build,
        "warehouse_bytes": folder_bytes(folder.warehouse)
        + folder_bytes(folder.warehouse.with_name(folder.warehouse.name + ".wal")),
        "floors": floors,
        "floor_agreement": agreement,
        "build_summary": build_summary,
        "peers": dict(compare_peers(peer_runs, build_summary["model_seconds"], parents, build.wall_seconds),
                      load_average_at_start=peer_load) if peer_runs else None,
        "peer_agreement": peer_checks,
        "load_average_after": list(os.getloadavg()),
        "duckdb_settings": settings,
    }
    result["targets"] = targets(result)
    result["issue27_targets"] = issue27_targets(result)
    return result


def run(scales: list[str], out: Path, seed: int = 42, keep_data: bool = False,
        command: str = "member-analytics benchmark", peer_options: PeerOptions = PeerOptions(),
        wap: bool = True) -> int:
    """Benchmark each scale (smallest first) and write DIR/benchmark.{json,md}
    after each one. Returns 0 when every build succeeded."""
    scales, home = _checked_scales(scales)
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    report = {"command": command, "started_at": dt.datetime.now().isoformat(timespec="seconds"),
              "seed": seed, "machine": machine_facts(), "peer_options": asdict(peer_options),
              "scales": [], "growth": [],
              "not_measured": list(NOT_YET_MEASURED)}
    for scale in scales:
        result = benchmark_scale(scale, out, seed, home, peer_options, wap)
        if not keep_data:
            _clear(ScaleFolder(out / scale))
        report["scales"].append(result)
        report["growth"] = growth(report["scales"])
        report["growth_targets"] = growth_targets(report["scales"])
        report["dbt_version"] = report.get("dbt_version") or result["build_summary"]["dbt_version"]
        report["duckdb_settings"] = result["duckdb_settings"]
        write_report(report, out)
        _say(f"== report: {out / 'benchmark.md'}")
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    _say(f"   (the benchmark process itself peaked at {_bytes(own_peak)}, mostly the generator)")
    return 0 if all(scale["build"]["returncode"] == 0 and (scale["wap_build"] or {}).get("returncode", 0) == 0
                    for scale in report["scales"]) else 1
