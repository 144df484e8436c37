"""Spark's event log turned into task time and shuffle bytes per model, and dbt's
per-node results read from its console log for a build cut short.
"""

from __future__ import annotations

import json
import re
from pathlib import Path


# The table a write command creates or fills, in the physical plan's "Arguments"
# line (the plan's description, not the SQL text: dbt-spark's session runs
# spark.sql(), whose executions are all described as "sql at ...").
_TABLE_IN_PLAN = re.compile(r"(?:Command|AsSelect)\nArguments: [^\n]*?`spark_catalog`\.`\w+`\.`(\w+?)(?:__dbt_tmp)?`")


def event_log_file(event_dir: Path) -> Path | None:
    """The (uncompressed, not rolled) event log of the build's Spark application."""
    files = sorted((path for path in event_dir.glob("*") if path.is_file() and not path.name.startswith(".")),
                   key=lambda path: path.stat().st_size)
    return files[-1] if files else None


def parse_event_log(lines, model_names: set[str] | None = None) -> dict:
    """Per model (the table a SQL execution writes, from its physical plan; jobs
    count for their root execution), from Spark's event log (one JSON event a line):
    task time (executor run time, summed over tasks; and its CPU time, which other
    jobs on the machine inflate less), tasks, shuffle bytes written
    and read, bytes spilled to disk, input bytes. Executions that create no model
    (tests, introspection, the raw-file registration) are summed as `(other)`.
    Also the totals and the task count per task-time bucket."""
    execution_model: dict[int, str] = {}
    job_execution: dict[int, int] = {}
    stage_job: dict[int, int] = {}
    per_model: dict[str, dict] = {}
    short_tasks = 0
    total = {"tasks": 0, "task_seconds": 0.0, "cpu_seconds": 0.0, "shuffle_write_bytes": 0, "shuffle_read_bytes": 0,
             "spill_bytes": 0, "input_bytes": 0, "sql_executions": 0, "jobs": 0}
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        kind = event.get("Event", "")
        if kind.endswith("SQLExecutionStart"):
            total["sql_executions"] += 1
            match = _TABLE_IN_PLAN.search(event.get("physicalPlanDescription", "") or "")
            name = match.group(1) if match else None
            if name and (model_names is None or name in model_names):
                execution_model[event["executionId"]] = name
        elif kind == "SparkListenerJobStart":
            total["jobs"] += 1
            properties = event.get("Properties") or {}
            execution = properties.get("spark.sql.execution.root.id", properties.get("spark.sql.execution.id"))
            if execution is not None:
                job_execution[event["Job ID"]] = int(execution)
            for stage in event.get("Stage IDs", []):
                stage_job[stage] = event["Job ID"]
        elif kind == "SparkListenerTaskEnd":
            metrics = event.get("Task Metrics") or {}
            job = stage_job.get(event.get("Stage ID"))
            model = execution_model.get(job_execution.get(job), "(other)") if job is not None else "(other)"
            row = per_model.setdefault(model, {"tasks": 0, "task_seconds": 0.0, "cpu_seconds": 0.0,
                                               "shuffle_write_bytes": 0,
                                               "shuffle_read_bytes": 0, "spill_bytes": 0, "input_bytes": 0})
            read = metrics.get("Shuffle Read Metrics") or {}
            figures = {
                "tasks": 1,
                "task_seconds": (metrics.get("Executor Run Time") or 0) / 1000,
                "cpu_seconds": (metrics.get("Executor CPU Time") or 0) / 1e9,
                "shuffle_write_bytes": (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0),
                "shuffle_read_bytes": read.get("Remote Bytes Read", 0) + read.get("Local Bytes Read", 0),
                "spill_bytes": metrics.get("Disk Bytes Spilled", 0),
                "input_bytes": (metrics.get("Input Metrics") or {}).get("Bytes Read", 0),
            }
            for name, value in figures.items():
                row[name] += value
                total[name] += value
            short_tasks += figures["task_seconds"] < 0.1
    total["tasks_under_100ms"] = short_tasks
    ordered = dict(sorted(per_model.items(), key=lambda item: -item[1]["task_seconds"]))
    return {"total": total, "models": ordered}


def summarise_event_log(event_dir: Path, model_names: set[str] | None = None) -> dict | None:
    path = event_log_file(event_dir)
    if path is None:
        return None
    with path.open(encoding="utf-8") as lines:
        parsed = parse_event_log(lines, model_names)
    parsed["event_log_bytes"] = path.stat().st_size
    return parsed


# ----------------------------------------------------------------------------- a build cut short

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LOG_RESULT = re.compile(
    r"\d+ of \d+ (?P<verb>OK created sql \w+ model|OK loaded seed file|PASS|FAIL \d+|WARN \d+|"
    r"ERROR creating sql \w+ model|ERROR) (?P<name>[\w.:]+)[ .]*\[.*? in (?P<seconds>[\d.]+)s\]")


def run_results_from_log(text: str) -> dict:
    """dbt's per-node results as in run_results.json, read from its console log: for a
    build that was stopped before dbt wrote run_results.json (the report says so).
    Models and seeds are named schema.name in the log, unit tests model::test."""
    results = []
    for line in _ANSI.sub("", text).splitlines():
        match = _LOG_RESULT.search(line)
        if not match:
            continue
        verb, name = match.group("verb"), match.group("name")
        if "model" in verb:
            kind, name = "model", name.split(".")[-1]
        elif "seed" in verb:
            kind, name = "seed", name.split(".")[-1]
        else:
            kind = "unit_test" if "::" in name else "test"
        status = {"OK": "success", "PASS": "pass", "FAIL": "fail", "WARN": "warn", "ERROR": "error"}[verb.split()[0]]
        results.append({"unique_id": f"{kind}.member_analytics.{name}", "status": status,
                        "execution_time": float(match.group("seconds"))})
    return {"results": results, "elapsed_time": None, "metadata": {}, "from_log": True}
