"""Write-audit-publish for the embedded DuckDB warehouse (docs/decisions/0061).

BI tools read the *published* file ($MEMBER_ANALYTICS_DUCKDB_PATH). A build
never writes to it:

1. write: copy the published file to a working copy (so incremental models
   keep their state) and run `dbt build` there: the `production` selector
   (selectors.yml: every model, seed and snapshot and the tests that protect BI
   users), or the `suite` selector (every test) with --all-tests, or the
   caller's own --select/--selector/--exclude (with the Great Expectations audit,
   the raw input is built and tested first, and the selectors' `_after_raw_audit`
   variants leave it out of the main build);
2. audit: the Great Expectations suites (raw input before the build, marts
   after it) run against the working copy;
3. publish: only when everything passed, the working copy is checkpointed,
   fsynced and renamed over the published file (one atomic rename).

A failure or a kill at any moment leaves the published file as it was; the
report ($MEMBER_ANALYTICS_REPORTS_DIR/build/last_build.json and .md) says what failed. Readers that
hold the published file open keep reading the old version (the rename swaps the
directory entry, not their open file) and see the new one when they reconnect.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

WORK_DIR_NAME = ".wap"
# The selectors.yml selector a build runs by default, and the one with every test
# (--all-tests): production plus intermediate-model tests, costly uniqueness tests
# and unit tests (docs/decisions/0061, "Tests in tiers").
PRODUCTION_SELECTOR = "production"
SUITE_SELECTOR = "suite"
# Built and tested (and audited by Great Expectations) before the main dbt build ...
RAW_AUDIT_SELECTION = "+tag:quality_raw"
# ... so after that audit the build runs each selector's variant without those nodes
# (selectors.yml: `production_after_raw_audit`, `suite_after_raw_audit`): dbt ignores
# --exclude next to --selector, so the variant is a selector of its own.
AFTER_RAW_AUDIT = "_after_raw_audit"
# What the production tier leaves out (selectors.yml `production`): the suite-tier data
# tests and the unit tests; the raw-input step leaves them out too unless --all-tests.
NOT_IN_PRODUCTION = ["tag:suite", "resource_type:unit_test"]


class BuildError(RuntimeError):
    """A build that cannot start (another build running, unusable published file)."""


@dataclass
class Step:
    name: str
    ok: bool
    seconds: float
    detail: list[str] = field(default_factory=list)


@dataclass
class BuildReport:
    published: str
    working_copy: str
    vars: dict
    steps: list[Step] = field(default_factory=list)
    outcome: str = "running"
    published_file_before: str | None = None
    published_file_after: str | None = None
    mode: str = "full refresh"

    @property
    def ok(self) -> bool:
        return self.outcome == "published"

    def markdown(self) -> str:
        lines = [f"# Build report: {self.outcome}", "",
                 f"- published warehouse: `{self.published}`",
                 f"- working copy: `{self.working_copy}`",
                 f"- mode: {self.mode}",
                 f"- vars: `{json.dumps(self.vars, sort_keys=True)}`", "",
                 "| step | result | seconds |", "| --- | --- | --- |"]
        for step in self.steps:
            lines.append(f"| {step.name} | {'ok' if step.ok else 'FAILED'} | {step.seconds:.1f} |")
        for step in self.steps:
            if step.detail:
                lines += ["", f"## {step.name}", ""] + [f"- {line}" for line in step.detail]
        return "\n".join(lines) + "\n"


def file_identity(path: Path) -> str | None:
    """Where the file lives and when it was last written (None when it does not exist).

    Publishing renames a new file over the published one (another inode), and any write to
    a file moves its status-change time (ctime, which no tool can set back), so the same
    identity before and after a build means the build neither replaced nor wrote to it.
    A stat, not a read: hashing the large warehouse took 10.7-26.7 s, twice per build
    (docs/decisions/0141)."""
    if not path.exists():
        return None
    stat = path.stat()
    return (f"device {stat.st_dev}, inode {stat.st_ino}, {stat.st_size} bytes, modified at {stat.st_mtime_ns} ns,"
            f" changed at {stat.st_ctime_ns} ns")


FICLONE = 0x40049409  # Linux ioctl (x86-64, arm64): the target shares the source's blocks; elsewhere it fails: a copy


def clone_or_copy(source: Path, target: Path) -> str:
    """Make `target` a copy of `source`; return how: "cloned" or "copied".

    Where the filesystem shares blocks between files (XFS with reflink, btrfs, and other
    copy-on-write filesystems), the copy is a clone: no data is written, and each block
    the build later writes is copied then, so a daily run writes what it changes rather
    than the whole warehouse first (docs/decisions/0141). Elsewhere (ext4, another
    filesystem than the source's, not Linux) the bytes are copied."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
            return "cloned"
        except OSError:
            pass
    shutil.copyfile(source, target)
    return "copied"


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _checkpoint(path: Path) -> None:
    """Fold a leftover write-ahead log into the file, so the file alone is the database."""
    if _wal(path).exists():
        with duckdb.connect(str(path)) as connection:
            connection.execute("checkpoint")
    if _wal(path).exists():
        raise BuildError(f"{path} still has a write-ahead log after a checkpoint")


@contextlib.contextmanager
def _build_lock(work_dir: Path):
    work_dir.mkdir(parents=True, exist_ok=True)
    handle = open(work_dir / "build.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        handle.close()
        raise BuildError(f"another build of this warehouse is running (lock {work_dir / 'build.lock'})") from error
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def _dbt_failures(target_path: Path, output: str = "") -> list[str]:
    """Nodes that errored or failed in the last dbt invocation, in words. `_dbt` removes the
    previous run_results.json first, so a run that stopped before any node (a contract
    error in on-run-start) is described by its own error lines, never by the last run's."""
    results_file = target_path / "run_results.json"
    if not results_file.exists():
        errors = [line.strip() for line in _without_colour(output).splitlines()
                  if "contract error" in line or "member_analytics: var" in line or "Error" in line]
        return ["dbt stopped before running any node"] + [line[:500] for line in errors[:5]]
    results = json.loads(results_file.read_text())["results"]
    failures = []
    for result in results:
        if result["status"] in ("error", "fail", "runtime error"):
            message = (result.get("message") or "").strip().splitlines()
            failures.append(f"{result['unique_id']}: {result['status']}"
                            + (f" ({message[0][:300]})" if message else ""))
    if not failures:
        errors = [line.strip() for line in _without_colour(output).splitlines() if "contract error" in line]
        failures = [line[:500] for line in errors[:5]]
    return failures


def _without_colour(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _check_detail(result) -> list[str]:
    """A Great Expectations result in words: each failed expectation, then where the Data Docs are."""
    return [str(failure) for failure in result.failures] + [f"Data Docs: {result.docs_index}"]


def _copy_detail(published: Path, full_refresh: bool, how: str | None) -> str:
    if not published.exists():
        return "no published warehouse yet: the working copy starts empty (a full build)"
    size = f"{published} ({published.stat().st_size:,} bytes)"
    if full_refresh:
        return f"full refresh: the working copy starts empty; {size} is replaced only if the build passes"
    method = ("cloned: the filesystem shares its blocks until the build writes them" if how == "cloned"
              else "copied: the file could not be cloned here (ext4, another filesystem, not Linux), so every byte"
              " was written")
    return f"{size}: incremental models build on it (the daily run); {method}"


def _dbt(args: list[str], env: dict[str, str], target_path: Path | None = None) -> subprocess.CompletedProcess:
    """Run dbt, echoing its output and keeping it (for the report). The previous
    run_results.json is removed first so the report describes this invocation only."""
    if target_path is not None:
        (target_path / "run_results.json").unlink(missing_ok=True)
    dbt = Path(sys.executable).parent / "dbt"
    with subprocess.Popen([str(dbt), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace") as process:
        lines = []
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line)
        sys.stdout.flush()
    return subprocess.CompletedProcess(process.args, process.returncode, "".join(lines), None)


AS_OF_DATE_ENV = "MEMBER_ANALYTICS_AS_OF_DATE"


def as_of_date_by_env(vars: dict | None, env: dict[str, str]) -> tuple[dict | None, dict[str, str]]:
    """The vars and environment of a dbt call, with a well-formed as_of_date (YYYY-MM-DD)
    moved from the vars to env MEMBER_ANALYTICS_AS_OF_DATE.

    dbt parses the whole project again whenever the command line's vars differ from the
    saved parse's (about 17 s at any scale on this project), and a daily as_of_date
    always differs; macro var_or_env reads the variable as the build runs, not as dbt
    parses, so a daily run keeps the saved parse (docs/decisions/0140). Any other
    as_of_date stays a var, for the macros to reject with their message. The variable is
    removed from the environment when the vars set no date, so a value left in the
    caller's shell never decides a build's date unasked."""
    env = {name: value for name, value in env.items() if name != AS_OF_DATE_ENV}
    value = (vars or {}).get("as_of_date")
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        vars = {name: var for name, var in (vars or {}).items() if name != "as_of_date"}
        env[AS_OF_DATE_ENV] = value
    return vars, env


def dbt_build_args(vars_json: str, *, full_refresh: bool = False, select: list[str] | None = None,
                   selector: str | None = None, exclude: list[str] | None = None, all_tests: bool = False,
                   after_raw_audit: bool = False) -> list[str]:
    """The arguments of the main `dbt build`. The caller's own selection
    (--select, --selector, --exclude) goes through unchanged; without one, the
    production selector, or the suite selector with `all_tests`.
    `after_raw_audit`: the raw input (RAW_AUDIT_SELECTION) was built, tested and
    audited just before, so the build leaves it out: our selectors through their
    `_after_raw_audit` variant, a --select/--exclude selection with an --exclude
    (cautious: a test is left out only when all its parents were, so tests joining
    staging to marts still run). The caller's own --selector is passed as it is
    (dbt would ignore an --exclude beside it): those nodes are built again."""
    if all_tests and (select or selector or exclude):
        raise BuildError("--all-tests chooses the suite selector: leave it out when passing your own "
                         "--select, --selector or --exclude")
    args = ["build", "--vars", vars_json, *(["--full-refresh"] if full_refresh else [])]
    if select or exclude or selector:
        args += (["--select", *select] if select else []) + (["--exclude", *exclude] if exclude else []) \
            + (["--selector", selector] if selector else [])
    else:
        selector = (SUITE_SELECTOR if all_tests else PRODUCTION_SELECTOR) + (AFTER_RAW_AUDIT if after_raw_audit else "")
        args += ["--selector", selector]
    if after_raw_audit and not selector:
        args += ["--exclude", RAW_AUDIT_SELECTION, "--indirect-selection", "cautious"]
    return args


def raw_audit_args(vars_json: str, *, full_refresh: bool = False, all_tests: bool = False) -> list[str]:
    """The arguments of the raw-input step's `dbt build` (staging and the raw profile,
    RAW_AUDIT_SELECTION), in the build's test tier: the production tier leaves out the
    staging models' suite-tier data tests and their unit tests, as the production
    selector does for every other model (docs/decisions/0100); `all_tests` keeps them."""
    args = ["build", "--select", RAW_AUDIT_SELECTION, "--indirect-selection", "cautious",
            "--vars", vars_json, *(["--full-refresh"] if full_refresh else [])]
    return args if all_tests else [*args, "--exclude", *NOT_IN_PRODUCTION]


def built_incrementally(warehouse: Path) -> bool:
    """Whether the last row of audit.rpt_incremental_runs says the member-keyed models
    built on the previous build (false when the var/code fingerprint forced a full
    recompute; docs/decisions/0091). True when the table is missing (a partial build)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        found = connection.execute("select count(*) from information_schema.tables"
                                   " where table_schema = 'audit' and table_name = 'rpt_incremental_runs'").fetchone()[0]
        if not found:
            return True
        row = connection.execute("select is_incremental_build from audit.rpt_incremental_runs"
                                 " order by build_number desc limit 1").fetchone()
    return row is None or bool(row[0])


def build(vars: dict, *, published: Path | None = None, select: list[str] | None = None,
          quality: bool = True, report_dir: Path | None = None, full_refresh: bool = False,
          selector: str | None = None, exclude: list[str] | None = None, all_tests: bool = False) -> BuildReport:
    """Build into a working copy, audit it, publish it atomically; return the report.

    The main dbt build runs the production selector, the suite selector with
    `all_tests`, or the caller's own select/selector/exclude (dbt_build_args).

    The working copy starts as a copy of the published warehouse, so incremental models
    (docs/decisions/0091) build on the previous build: the daily run. `full_refresh`
    rebuilds them from scratch (dbt's --full-refresh) and starts from an empty copy."""
    dbt_build_args("{}", select=select, selector=selector, exclude=exclude, all_tests=all_tests)  # fail early
    home = Path(os.environ.get("MEMBER_ANALYTICS_HOME", Path.cwd()))
    reports = Path(os.environ.get("MEMBER_ANALYTICS_REPORTS_DIR", home / "reports"))
    published = (published or Path(os.environ["MEMBER_ANALYTICS_DUCKDB_PATH"])).resolve()
    work_dir = published.parent / WORK_DIR_NAME
    working = work_dir / published.name
    report_dir = report_dir or reports / "build"
    target_path = Path(os.environ.get("DBT_TARGET_PATH", home / "target"))
    report = BuildReport(str(published), str(working), vars)
    report.mode = "full refresh" if full_refresh or not published.exists() else "incremental"
    # as_of_date by the environment: a daily date keeps dbt's saved parse (as_of_date_by_env)
    dbt_vars, env = as_of_date_by_env(vars, dict(os.environ, MEMBER_ANALYTICS_DUCKDB_PATH=str(working)))
    env.setdefault("DBT_PROJECT_DIR", str(home))
    vars_json = json.dumps(dbt_vars, sort_keys=True)

    def step(name: str, started: float, ok: bool, detail: list[str] | None = None) -> bool:
        report.steps.append(Step(name, ok, time.perf_counter() - started, detail or []))
        print(f"== wap: {name}: {'ok' if ok else 'FAILED'} ({time.perf_counter() - started:.1f}s)", flush=True)
        for line in detail or []:
            print(f"   {line}", flush=True)
        return ok

    def finish(outcome: str) -> BuildReport:
        report.outcome = outcome
        report.published_file_after = file_identity(published)
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "last_build.json").write_text(json.dumps(asdict(report), indent=2) + "\n")
        (report_dir / "last_build.md").write_text(report.markdown())
        print(f"== wap: {outcome}; report: {report_dir / 'last_build.md'}", flush=True)
        return report

    with _build_lock(work_dir):
        # write: a fresh working copy of the published warehouse
        started, how = time.perf_counter(), None
        for stale in (working, _wal(working)):
            stale.unlink(missing_ok=True)
        if published.exists():
            _checkpoint(published)
            report.published_file_before = file_identity(published)
            if not full_refresh:
                how = clone_or_copy(published, working)
        step("copy the published warehouse to the working copy", started, True,
             [_copy_detail(published, full_refresh, how)])

        previous: dict = {}
        checks = None
        if quality:
            from member_analytics import quality as checks  # noqa: PLC0415 (GX import costs seconds)

            started = time.perf_counter()
            # a full refresh starts from an empty copy: compare with the published build itself
            previous = checks.capture_previous(published if full_refresh and published.exists() else working)
            profiled = _dbt(raw_audit_args(vars_json, full_refresh=full_refresh, all_tests=all_tests),
                            env, target_path)
            if profiled.returncode != 0:
                step("profile the raw input (dbt build tag:quality_raw)", started, False,
                     _dbt_failures(target_path, profiled.stdout))
                return finish("not published: the raw input could not be profiled")
            step("profile the raw input (dbt build tag:quality_raw)", started, True)
            started = time.perf_counter()
            result = checks.run_raw_checks(working, previous, reports / "data_docs")
            if not step("audit the raw input (Great Expectations)", started, result.success,
                        _check_detail(result)):
                return finish("not published: the raw input failed its checks")

        started = time.perf_counter()
        args = dbt_build_args(vars_json, full_refresh=full_refresh, select=select, selector=selector,
                              exclude=exclude, all_tests=all_tests, after_raw_audit=checks is not None)
        # which tests ran is part of the record: the tier's selector, or the user's selection
        tier = args[args.index("--selector") + 1] if "--selector" in args else ""
        label = f"build every model and run its tests (dbt build --selector {tier})" \
            if tier.startswith((PRODUCTION_SELECTOR, SUITE_SELECTOR)) and not (select or selector or exclude) \
            else "build and test your selection (dbt build)"
        built = _dbt(args, env, target_path)
        if built.returncode != 0:
            step(label, started, False, _dbt_failures(target_path, built.stdout))
            return finish("not published: dbt build failed")
        step(label, started, True)
        if report.mode == "incremental" and not built_incrementally(working):
            report.mode = "full recompute (the previous build's vars or code differ, or it left no state)"
        if checks is not None and (select or exclude or selector):
            checks = None  # a partial build: the mart profile may describe marts this build did not touch

        if checks is not None:
            started = time.perf_counter()
            result = checks.run_mart_checks(working, reports / "data_docs")
            if not step("audit the marts (Great Expectations)", started, result.success,
                        _check_detail(result)):
                return finish("not published: the marts failed their checks")

        # publish: the working copy becomes the published file in one rename
        started = time.perf_counter()
        _checkpoint(working)
        _fsync(working)
        if _wal(published).exists():
            step("publish", started, False, [f"{_wal(published)} appeared during the build: something other than "
                                             "this build wrote to the published file"])
            return finish("not published: the published file was written to during the build")
        os.replace(working, published)
        _fsync(published.parent)
        step("publish (atomic rename over the published file)", started, True, [str(published)])
        return finish("published")
