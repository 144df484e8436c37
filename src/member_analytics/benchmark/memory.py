"""The two memory samplers: DuckDB's spill folder while a DuckDB build runs, and
the resident memory of a process tree (dbt's Python and Spark's JVM) with its
shuffle folder while a Spark build runs.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable


def folder_bytes(path: Path) -> int:
    """Total size of the files under path (0 when it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except FileNotFoundError:  # DuckDB removes spill files as it goes
                pass
    return total


class _SpillSampler(threading.Thread):
    """Polls the size of DuckDB's temp directory (spilled data) while the build runs."""

    def __init__(self, temp_dir: Path, interval: float = 0.5):
        super().__init__(daemon=True)
        self.temp_dir = temp_dir
        self.interval = interval
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, folder_bytes(self.temp_dir))
            self.stopped.wait(self.interval)


def run_measured(command: list[str], env: dict[str, str], log_path: Path,
                 make_sampler: Callable[[int], threading.Thread]) -> tuple[int, float, int, threading.Thread]:
    """Run a command (output to log_path) with a sampler made for its pid running beside it;
    return its exit code, wall seconds, the kernel's maximum resident set of the child
    (os.wait4: the child itself, or the largest of the processes it waited for) and the sampler."""
    with log_path.open("w", encoding="utf-8") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/")
        sampler = make_sampler(process.pid)
        sampler.start()
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    sampler.stopped.set()
    sampler.join()
    return process.returncode, wall, usage.ru_maxrss * 1024, sampler


# How often the process tree's memory and the shuffle folder are sampled.
SPARK_SAMPLE_SECONDS = 0.5


def process_tree_rss(root_pid: int, proc: Path = Path("/proc")) -> dict[str, int]:
    """Resident bytes of a process and all its descendants, by command name
    (java, python, ...), read from /proc (0 for processes that ended meanwhile)."""
    children: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    rss: dict[int, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text(encoding="utf-8")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        names[pid] = fields.get("Name", "").strip()
        children.setdefault(int(fields.get("PPid", "0").strip() or 0), []).append(pid)
        value = fields.get("VmRSS", "0 kB").split()
        rss[pid] = int(value[0]) * 1024 if value else 0
    by_name: dict[str, int] = {}
    stack = [root_pid] if root_pid in names else []
    while stack:
        pid = stack.pop()
        kind = "java" if names[pid] == "java" else "python" if names[pid].startswith("python") or \
            names[pid] == "dbt" else names[pid]
        by_name[kind] = by_name.get(kind, 0) + rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return by_name


class _TreeSampler(threading.Thread):
    """Peak resident memory of a process tree (total and per kind) and the peak
    size of a folder (Spark's shuffle and spill files), sampled while it runs."""

    def __init__(self, pid: int, folder: Path, interval: float = SPARK_SAMPLE_SECONDS):
        super().__init__(daemon=True)
        self.pid, self.folder, self.interval = pid, folder, interval
        self.peak_total = 0
        self.peak_by_kind: dict[str, int] = {}
        self.peak_folder = 0
        self.samples = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            by_kind = process_tree_rss(self.pid)
            # Only dbt's Python and Spark's JVM: a short-lived child forked by the JVM
            # (chmod, ls via jspawnhelper) shows the JVM's pages until it execs.
            self.peak_total = max(self.peak_total, by_kind.get("java", 0) + by_kind.get("python", 0))
            for kind, value in by_kind.items():
                self.peak_by_kind[kind] = max(self.peak_by_kind.get(kind, 0), value)
            self.peak_folder = max(self.peak_folder, folder_bytes(self.folder))
            self.samples += 1
            self.stopped.wait(self.interval)
