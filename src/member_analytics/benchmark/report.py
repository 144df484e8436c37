"""The two report renderers: benchmark.md of a DuckDB run and of a Spark run
(with the cluster estimate), and writing them beside benchmark.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from member_analytics.benchmark.cluster import cluster_inputs, estimate_cluster
from member_analytics.benchmark.common import PEER_TOOLS
from member_analytics.benchmark.summary import PAIRS_COUNTING_MODEL, RFM_MART, _ratio


# ----------------------------------------------------------------------------- rendering

def _seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} s" if value >= 10 else f"{value:,.2f} s"


def _bytes(value: int | None) -> str:
    if value is None:
        return "–"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= size:
            return f"{value / size:,.2f} {unit}"
    return f"{value} B"


def _times(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}×"


def _measured(row: dict) -> str:
    if row["unit"] == "s":
        return _seconds(row["measured"])
    if row["unit"] == "bytes":
        return _bytes(row["measured"])
    return _times(row["measured"])


def _limit(row: dict) -> str:
    return {"s": f"≤ {row['limit'] / 60:.0f} min", "bytes": f"< {_bytes(row['limit'])}"}.get(
        row["unit"], f"≤ {row['limit']:g}×")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _floor_time(floor: dict) -> str:
    runs = floor.get("runs_seconds") or []
    return _seconds(floor["seconds"]) + (f" (best of {', '.join(_seconds(t) for t in runs)})" if len(runs) > 1 else "")


def _verdict(passed: bool | None) -> str:
    return "–" if passed is None else "pass" if passed else "FAIL"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
            + ["| " + " | ".join(row) + " |" for row in rows] + [""])


def _scale_overview(scales: list[dict]) -> list[str]:
    rows = [[s["scale"], f"{s['rows'].get('members', 0):,}", f"{s['rows']['orders']:,}",
             f"{s['rows'].get('order_items', 0):,}", _bytes(s.get("raw_bytes")),
             _seconds(s.get("generation_seconds")), _seconds(s["build"]["wall_seconds"]),
             _seconds(s["build_summary"].get("elapsed_seconds")), _bytes(s["build"]["peak_rss_bytes"]),
             _bytes(s["build"]["peak_spill_bytes"]), _bytes(s.get("warehouse_bytes")),
             "ok" if s["build"]["returncode"] == 0 else f"FAILED ({s['build']['returncode']})"]
            for s in scales]
    return _table(["scale", "members (raw)", "orders (raw)", "items (raw)", "raw files", "generation",
                   "build (wall)", "dbt elapsed", "peak memory", "peak spill", "warehouse", "build"], rows)


def _faster(ratio: float | None) -> str:
    if ratio is None:
        return "–"
    return f"{ratio:,.1f}× faster" if ratio >= 1 else f"{1 / ratio:,.1f}× slower"


def _peer_outcome(run: dict) -> str:
    if run["status"] == "ok":
        reading = f" (reading and checks {_seconds(run['read_seconds'])})" if run.get("read_seconds") else ""
        return f"ran in {_seconds(run['seconds'])}{reading}"
    if run["status"] == "out_of_memory":
        after = f" after {_seconds(run['wall_seconds'])}" if run.get("wall_seconds") else ""
        return f"out of memory at {_bytes(run['memory_cap_bytes'])}{after}"
    if run["status"] == "timeout":
        return f"did not finish in {run['timeout_seconds']:,.0f} s"
    return f"failed (exit {run['returncode']}): {run['message']}"


def _figure(value) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:.1e}"


def _peer_section(scale: dict) -> list[str]:
    peers, agreement = scale.get("peers"), scale.get("peer_agreement") or {}
    if not peers:
        return []
    load = peers.get("load_average_at_start")
    lines = ["Peers: what users would run instead, each in its own Python process after the build and the "
             "floors, from reading the raw files to its answer written to Parquet (one run"
             + (f"; load average {load[0]:.1f} when they started" if load else "") + "). *Project from raw* is "
             "the peer's time over the mart's with every model upstream of it (both start from the raw files); "
             "*compute step* is the peer's time after reading and checking the files over the mart's own time "
             "(its inputs already built):", ""]
    lines += _table(["peer", "outcome", "peak memory", "mart", "mart with upstream", "project from raw",
                     "peer after reading", "mart own time", "compute step"],
                    [[f"{row['peer']} ({PEER_TOOLS[row['peer']]})", _peer_outcome(row),
                      _bytes(row["peak_rss_bytes"]), row["mart"], _seconds(row["mart_lineage_seconds"]),
                      _faster(row["faster_with_upstream"]), _seconds(row["peer_compute_seconds"]),
                      _seconds(row["mart_seconds"]), _faster(row["faster_compute_step"])] for row in peers["runs"]])
    together = peers["together"]
    if together["peer_seconds"] is not None:
        lines += [f"The three peers together: {_seconds(together['peer_seconds'])}; the three marts with "
                  f"everything upstream of them (each model once): {_seconds(together['marts_with_upstream_seconds'])}"
                  f" (project {_faster(together['faster_with_upstream'])}); the whole build (every mart, seed, "
                  f"unit and data test): {_seconds(together['build_wall_seconds'])} "
                  f"(the three peers take {_times(together['faster_than_build'])} its time).", ""]
    if agreement:
        lines += ["The peers' answers against the marts (decision 0090 says why they may differ):", ""]
        lines += _table(["peer", "check", "mart", "peer"],
                        [[name, check, _figure(values.get("mart", values.get("both"))),
                          _figure(values["peer"]) if "peer" in values else "(both)"]
                         for name, checks in agreement.items() for check, values in checks.items()])
    return lines


def _scale_section(scale: dict) -> list[str]:
    summary, floors = scale["build_summary"], scale["floors"]
    lines = [f"## {scale['scale']}", ""]
    lines += ["Targets (issue 12 sets them for the large scale):", ""]
    lines += _table(["target", "limit", "measured", "result"],
                    [[row["target"], _limit(row), _measured(row), _verdict(row["passed"])]
                     for row in scale["targets"]])
    lines += _issue27_section(scale)
    lines += _wap_section(scale)
    agreement = scale.get("floor_agreement") or {}
    rfm_agree, pairs_agree = agreement.get("rfm", {}), agreement.get("pairs", {})
    lines += ["Floors (hand-written DuckDB queries on the same raw files, run right after the build):", ""]
    lines += _table(["floor", "time", "rows", "agreement with the mart"], [
        ["RFM (current, from raw orders)", _floor_time(floors["rfm"]), f"{floors['rfm']['rows']:,}",
         f"{rfm_agree.get('equal_frequency_and_monetary', '–'):,} of {rfm_agree.get('mart_rows', '–'):,} "
         "fct_member_rfm members with equal frequency and monetary" if rfm_agree else "–"],
        ["product pairs (self-join)", _floor_time(floors["pairs"]), f"{floors['pairs']['rows']:,}",
         f"{pairs_agree.get('equal_n_ab', '–'):,} of {pairs_agree.get('mart_rows', '–'):,} "
         "fct_product_pairs pairs with equal n_ab" if pairs_agree else "–"],
    ])
    lines += ["Marts as a multiple of their floor. *Own* is the model's own time in the build "
              f"(for the pair marts plus {PAIRS_COUNTING_MODEL}, where their pairs are counted); "
              "*with upstream* adds every model it depends on (staging, fct_orders, ...), which is "
              "what the floor does from the raw files:", ""]
    lines += _table(["mart", "floor", "own time", "× floor", "with upstream", "× floor"],
                    [[row["model"], row["floor"], _seconds(row["seconds"]), _times(row["multiple"]),
                      _seconds(row["lineage_seconds"]), _times(row["lineage_multiple"])]
                     for row in summary["vs_floor"]])
    if summary["vs_fct_member_rfm"]:
        lines += [f"Tier and points models as a multiple of {RFM_MART}'s own time:", ""]
        lines += _table(["model", "time", f"× {RFM_MART}"],
                        [[row["model"], _seconds(row["seconds"]), _times(row["multiple"])]
                         for row in summary["vs_fct_member_rfm"]])
    lines += _peer_section(scale)
    lines += ["Ten slowest models:", ""]
    lines += _table(["model", "time", "share of model time"],
                    [[row["model"], _seconds(row["seconds"]),
                      "–" if row["share_of_model_time"] is None else f"{row['share_of_model_time']:.0%}"]
                     for row in summary["slowest_models"]])
    kinds = summary["seconds_by_resource_type"]
    lines += ["Time by node type (sum of node times; with two dbt threads the sum exceeds the "
              "wall time): " + "; ".join(f"{kind}: {_count(summary['nodes_by_resource_type'][kind], 'node')}, "
                                         f"{_seconds(seconds)}" for kind, seconds in sorted(kinds.items())),
              "", "Slowest data tests: " + ", ".join(f"{row['test']} {_seconds(row['seconds'])}"
                                                     for row in summary["slowest_tests"]), ""]
    if summary["failed"]:
        lines += ["**Failed nodes:** " + ", ".join(summary["failed"]), ""]
    return lines


def _growth_table(growth_rows: list[dict]) -> list[str]:
    return _table(["from → to", "orders", "build (wall)", "build ÷ orders", "model time", "peak memory",
                   "warehouse", "RFM floor", "pairs floor"],
                  [[f"{row['from']} → {row['to']}", _times(row["orders_ratio"]),
                    _times(row["build_wall_ratio"]), f"{row['build_vs_orders']:.2f}"
                    if row["build_vs_orders"] is not None else "–", _times(row["model_seconds_ratio"]),
                    _times(row["peak_rss_ratio"]), _times(row["warehouse_bytes_ratio"]),
                    _times(row["rfm_floor_ratio"]), _times(row["pairs_floor_ratio"])]
                   for row in growth_rows])


def render_markdown(report: dict) -> str:
    """benchmark.md: the machine, an overview per scale, the growth, each scale in detail."""
    machine, scales = report["machine"], report["scales"]
    lines = ["# member_analytics benchmark", "",
             f"Run {report['started_at']} with `{report['command']}` (seed {report['seed']}).", "",
             f"Machine: {machine['cores']} cores ({machine['usable_cores']} usable), "
             f"{_bytes(machine['memory_bytes'])} memory, {machine['cpu']}; {machine['platform']}; "
             f"Python {machine['python']}, DuckDB {machine['duckdb']}, dbt {report.get('dbt_version') or '–'}. "
             f"DuckDB settings of the profile (build and floors): "
             + ", ".join(f"{name} = {value}" for name, value in report["duckdb_settings"].items()
                         if name != "temp_directory") + ".", "",
             "Load average (1, 5, 15 min) at the start: "
             + ", ".join(f"{value:.1f}" for value in machine["load_average_at_start"])
             + "; other jobs share this machine, so compare ratios rather than absolute times.", ""]
    lines += _scale_overview(scales)
    lines += _wap_overview(scales)
    if report["growth"]:
        lines += ["Growth between consecutive scales (build time ratio vs order-count ratio; "
                  "*build ÷ orders* = 1 is linear):", ""]
        lines += _growth_table(report["growth"])
    lines += _growth_targets_section(report.get("growth_targets") or [])
    for scale in scales:
        lines += _scale_section(scale)
    lines += ["## Not measured yet", ""] + [f"- {note}" for note in report["not_measured"]] + [""]
    lines += ["Every model's time is in benchmark.json (`scales[].build_summary.model_seconds`); "
              "how to read the figures: docs/benchmark.md.", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the write-audit-publish build

def _wap_overview(scales: list[dict]) -> list[str]:
    """One row per scale for `member-analytics build --full-refresh` (none when --no-wap)."""
    built = [scale for scale in scales if scale.get("wap_build")]
    if not built:
        return []
    lines = ["The full build with write-audit-publish (`member-analytics build --full-refresh`: raw profile, Great "
             "Expectations on the raw input, the production build, Great Expectations on the marts, publish), in "
             "its own folder after the plain build and the floors. *Peak memory* is the largest single process "
             "(the CLI or one of its dbt runs, os.wait4); *all processes* is their sum, sampled every 0.5 s:", ""]
    lines += _table(["scale", "WAP build (wall)", "plain build (wall)", "WAP ÷ plain", "peak memory",
                     "all processes", "peak spill", "warehouse", "outcome"],
                    [[s["scale"], _seconds(s["wap_build"]["wall_seconds"]), _seconds(s["build"]["wall_seconds"]),
                      _times(_ratio(s["wap_build"]["wall_seconds"], s["build"]["wall_seconds"])),
                      _bytes(s["wap_build"]["peak_rss_bytes"]), _bytes(s["wap_build"].get("peak_tree_rss_bytes")),
                      _bytes(s["wap_build"]["peak_spill_bytes"]), _bytes(s["wap_build"].get("warehouse_bytes")),
                      s["wap_build"]["outcome"] if s["wap_build"]["returncode"] == 0
                      else f"FAILED ({s['wap_build']['returncode']}): {s['wap_build']['outcome']}"]
                     for s in built])
    return lines


def _wap_section(scale: dict) -> list[str]:
    """The stages of the write-audit-publish build, from wap.py's build report."""
    wap = scale.get("wap_build")
    if not wap:
        return []
    lines = [f"Write-audit-publish build: {_seconds(wap['wall_seconds'])} wall, {wap['outcome']}; stages as "
             "wap.py timed them (its build report), in order:", ""]
    lines += _table(["stage", "result", "time", "share of wall"],
                    [[row["stage"], "–" if row["ok"] is None else "ok" if row["ok"] else "FAILED",
                      _seconds(row["seconds"]),
                      "–" if row["share_of_wall"] is None else f"{row['share_of_wall']:.0%}"]
                     for row in wap["stages"]])
    return lines


def _target_limit(row: dict) -> str:
    if row["unit"] == "s":
        text = (lambda seconds: f"{seconds / 60:g} min" if seconds >= 120 else f"{seconds:g} s")
        return f"≤ {text(row['limit'])}" + (f" (goal {text(row['goal'])})" if row.get("goal") else "")
    return _limit(row)


def _target_rows(rows: list[dict]) -> list[list[str]]:
    return [[row["target"], row["set_for"], _target_limit(row), _measured(row),
             _verdict(row["passed"]) if row["applies"] else "(not set here)"] for row in rows]


def _issue27_section(scale: dict) -> list[str]:
    rows = scale.get("issue27_targets")
    if not rows:
        return []
    return ["Targets of issue 27 (each for the scales in *set for*; elsewhere shown, not judged):", ""] \
        + _table(["target", "set for", "limit", "measured", "result"], _target_rows(rows))


def _growth_targets_section(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    return ["Target of issue 27 across scales (the plain build's summed model time):", ""] \
        + _table(["target", "set for", "limit", "measured", "result"], _target_rows(rows))


def write_report(report: dict, out: Path) -> None:
    (out / "benchmark.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "benchmark.md").write_text(render_markdown(report), encoding="utf-8")


# ----------------------------------------------------------------------------- the Spark report

def _spark_scale_section(scale: dict) -> list[str]:
    summary, build = scale["build_summary"], scale["build"]
    lines = [f"## {scale['scale']} on Spark", ""]
    if build["returncode"] != 0:
        source = "dbt's log (no run_results.json)" if summary.get("partial_from_log") else "run_results.json"
        lines += [f"**The build did not finish** (exit {build['returncode']}): {summary.get('nodes_finished', 0):,} "
                  f"nodes had finished; their times come from {source}, so the figures below cover those nodes only.",
                  ""]
    by_process = ", ".join(f"{kind} {_bytes(value)}" for kind, value in sorted(build.get("peak_rss_by_process", {}).items())
                           if kind in ("java", "python"))
    lines += [f"Build: {_seconds(build['wall_seconds'])} wall ({_seconds(summary.get('elapsed_seconds'))} dbt elapsed), "
              f"exit {build['returncode']}; peak resident memory of the process tree {_bytes(build['peak_rss_bytes'])} "
              f"(peak per kind: {by_process or '–'}; driver memory {build.get('driver_memory')}); Spark's shuffle and "
              f"spill folder peaked at {_bytes(build.get('peak_shuffle_dir_bytes'))}; warehouse "
              f"{_bytes(scale.get('warehouse_bytes'))}.", ""]
    floors, duck = scale.get("floors") or {}, scale.get("duckdb_floors") or {}
    agreement = scale.get("floor_agreement") or {}
    lines += ["Floors: the same hand-written queries on Spark SQL (own session, fastest of three, after the build) "
              "and on DuckDB (the baseline from this invocation):", ""]
    lines += _table(["floor", "Spark", "DuckDB", "Spark ÷ DuckDB", "rows (Spark / DuckDB)", "agreement with the Spark mart"],
                    [[name, _floor_time(floors[name]) if name in floors else "–", _floor_time(duck[name]),
                      _times(_ratio(floors.get(name, {}).get("seconds"), duck[name]["seconds"])),
                      f"{floors.get(name, {}).get('rows', '–')} / {duck[name]['rows']}",
                      (f"{agreement[name].get('equal_frequency_and_monetary', agreement[name].get('equal_n_ab')):,} of "
                       f"{agreement[name]['mart_rows']:,}") if name in agreement else "–"]
                     for name in ("rfm", "pairs") if name in duck])
    duck_multiples = {row["model"]: row for row in summary.get("vs_duckdb_floor", [])}
    lines += ["Marts as a multiple of their floor (own time in the Spark build, for the pair marts plus "
              f"{PAIRS_COUNTING_MODEL}; *with upstream* adds every model it depends on):", ""]
    lines += _table(["mart", "floor", "own time", "× Spark floor", "with upstream", "× Spark floor", "× DuckDB floor (own)"],
                    [[row["model"], row["floor"], _seconds(row["seconds"]), _times(row["multiple"]),
                      _seconds(row["lineage_seconds"]), _times(row["lineage_multiple"]),
                      _times(duck_multiples.get(row["model"], {}).get("multiple"))]
                     for row in summary["vs_floor"]])
    events = scale.get("spark_events") or {}
    models = events.get("models", {})
    lines += ["Ten slowest models (dbt's time; Spark's task time, tasks and shuffle from the event log):", ""]
    lines += _table(["model", "time", "share of model time", "task time", "tasks", "shuffle written", "spilled"],
                    [[row["model"], _seconds(row["seconds"]),
                      "–" if row["share_of_model_time"] is None else f"{row['share_of_model_time']:.0%}",
                      _seconds(models.get(row["model"], {}).get("task_seconds")),
                      f"{models.get(row['model'], {}).get('tasks', 0):,}",
                      _bytes(models.get(row["model"], {}).get("shuffle_write_bytes")),
                      _bytes(models.get(row["model"], {}).get("spill_bytes"))]
                     for row in summary["slowest_models"]])
    if models:
        shuffles = sorted(((name, row) for name, row in models.items() if name != "(other)"),
                          key=lambda item: -item[1]["shuffle_write_bytes"])[:5]
        total = events["total"]
        lines += ["Largest shuffles: " + ", ".join(f"{name} {_bytes(row['shuffle_write_bytes'])}"
                                                   for name, row in shuffles) + ".", "",
                  f"Spark overall: {total['sql_executions']:,} SQL executions, {total['jobs']:,} jobs, "
                  f"{total['tasks']:,} tasks ({total['tasks_under_100ms']:,} under 0.1 s), "
                  f"{_seconds(total['task_seconds'])} of task time ({_seconds(total.get('cpu_seconds'))} of it on CPU), "
                  f"{_bytes(total['shuffle_write_bytes'])} shuffled, "
                  f"{_bytes(total['spill_bytes'])} spilled, {_bytes(total['input_bytes'])} read; of the task time, "
                  f"{_seconds(models.get('(other)', {}).get('task_seconds'))} outside model builds (tests, checks).", ""]
    kinds = summary["seconds_by_resource_type"]
    lines += ["Time by node type (sum of node times, two threads): "
              + "; ".join(f"{kind}: {_count(summary['nodes_by_resource_type'][kind], 'node')}, {_seconds(seconds)}"
                          for kind, seconds in sorted(kinds.items())), ""]
    if summary["failed"]:
        lines += ["**Failed nodes:** " + ", ".join(summary["failed"]), ""]
    return lines


def render_spark_markdown(report: dict) -> str:
    """benchmark.md of a Spark run: machine, overview, growth, each scale, the cluster estimate."""
    machine, scales = report["machine"], report["scales"]
    spark = report.get("spark", {})
    lines = ["# member_analytics benchmark on Spark (local mode)", "",
             f"Run {report['started_at']} with `{report['command']}` (seed {report['seed']}).", "",
             f"Machine: {machine['cores']} cores, {_bytes(machine['memory_bytes'])} memory, {machine['cpu']}; "
             f"Python {machine['python']}, pyspark {spark.get('pyspark')}, dbt-spark {spark.get('dbt-spark')}, "
             f"dbt {report.get('dbt_version') or '–'}; profile output `spark` (method session, local[*], "
             f"4 shuffle partitions, two dbt threads), driver memory {report['driver_memory']}.", "",
             "Load average (1, 5, 15 min) at the start: "
             + ", ".join(f"{value:.1f}" for value in machine["load_average_at_start"])
             + "; compare ratios rather than absolute times.", ""]
    lines += _scale_overview(scales)
    if report["growth"]:
        unfinished = [scale["scale"] for scale in scales if scale["build"]["returncode"] != 0]
        lines += ["Growth between consecutive scales (*build ÷ orders* = 1 is linear; floors are Spark's)"
                  + (f"; **{', '.join(unfinished)} did not finish**, so its build and model-time ratios compare "
                     "different sets of nodes" if unfinished else "") + ":", ""]
        lines += _growth_table(report["growth"])
    for scale in scales:
        lines += _spark_scale_section(scale)
    estimate = report.get("cluster_estimate")
    if estimate:
        inputs, result = estimate["inputs"], estimate["estimate"]
        a = result["assumptions"]
        lines += ["## Cluster estimate for 100× the large scale", "",
                  ("" if inputs.get("complete", True) else "**From a build that did not finish: a lower bound.** ")
                  + ("" if inputs.get("fixed_from_complete_builds", True) else
                     "(The fixed part comes from a build that did not finish: rough.) ")
                  + f"From the {inputs['scale']} build ({inputs['orders']:,} orders, {_seconds(inputs['task_seconds'])} "
                  f"of task CPU time, heaviest shuffle {inputs['heaviest_shuffle_model']} "
                  f"{_bytes(inputs['heaviest_shuffle_bytes'])}, fixed part {_seconds(inputs['fixed_seconds'])}), "
                  f"scaled {result['scale_factor']:,.0f}× in orders with exponent {a['growth_exponent']}: "
                  f"{result['core_hours']:,.0f} core-hours, heaviest shuffle {_bytes(result['heaviest_shuffle_bytes'])} "
                  f"({result['shuffle_partitions']:,} partitions of {_bytes(a['partition_bytes'])}), raw files "
                  f"{_bytes(result['raw_bytes'])}, warehouse {_bytes(result['warehouse_bytes'])}. "
                  f"**{result['nodes']} nodes** of {a['cores_per_node']} cores and {_bytes(a['memory_per_node_bytes'])} "
                  f"({result['nodes_for_time']:.1f} for the time target of {a['target_wall_seconds'] / 3600:g} h at "
                  f"{a['parallel_efficiency']:.0%} efficiency, {result['nodes_for_shuffle']:.1f} for the shuffle in "
                  f"memory), expected wall time {_seconds(result['expected_wall_seconds'])}. "
                  "docs/benchmark.md explains the assumptions.", ""]
    lines += ["Every model's time is in benchmark.json (`scales[].build_summary.model_seconds`), Spark's per-model "
              "task time and shuffle in `scales[].spark_events.models`.", ""]
    return "\n".join(lines)


def write_spark_report(report: dict, out: Path) -> None:
    inputs = cluster_inputs(report["scales"])
    if inputs:
        report["cluster_estimate"] = {"inputs": inputs, "estimate": estimate_cluster(
            inputs["orders"], inputs["task_seconds"], inputs["heaviest_shuffle_bytes"], inputs["raw_bytes"],
            inputs["warehouse_bytes"], inputs["fixed_seconds"])}
    (out / "benchmark.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "benchmark.md").write_text(render_spark_markdown(report), encoding="utf-8")
