"""Fixtures that run this dbt project in isolated folders.

Every dbt call goes through bin/dbt (the same wrapper users run) with its own
warehouse, target and log folders under pytest's tmp, so tests never touch the
developer's warehouse and can run in any order.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import pickle
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from member_analytics.publish.wap import as_of_date_by_env

ROOT = Path(__file__).resolve().parents[2]
# Builds that check answers under other vars or data run models, seeds and data tests, not
# the unit tests: those test the models' code on fixed inputs, whatever the raw folder holds,
# and tiny_build runs every one of them (the suite tier) once.
NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")

# dbt parses the whole project on every call (about 17 of the 23 s a small run takes on a
# slow machine) unless the target folder holds a partial-parse file written under the
# same vars and the same rendered connection (the DuckDB path and temp folder). The
# suite's projects differ in those paths. So within a test worker, DbtProject.dbt runs
# dbt through one fixed folder (the stage: a symlink, home, pointed at the project's
# home for the call) and first puts into the project's target folder the partial-parse
# file of the worker's last call with the same vars. A well-formed as_of_date goes to
# dbt as env MEMBER_ANALYTICS_AS_OF_DATE, as `member-analytics build` passes it, and the
# raw folder is env MEMBER_ANALYTICS_RAW_DATA_PATH: both are read as the build runs,
# not as dbt parses (macro var_or_env, docs/decisions/0140), so calls on other dates and
# other raw folders share one parse. Any other as_of_date (the hostile-vars cases) stays
# a var. The raw folder is staged too (a symlink, raw) for the projects a test makes
# for itself (make_project: the bad-input cases, each on its own raw folder). It is not
# staged for the projects shared across tests (tiny_build, ...): the hook's landing
# views keep the raw path they were made with, and later reads of a shared warehouse
# outside the stage (dbt docs generate in test_bi) must find the files there, whatever
# the stage points at by then. dbt still checks the parse it is given (vars,
# connection, every file's checksum) and parses again whatever differs. The output
# comes back with the real paths. Not for Spark calls (the metastore keeps the tables'
# locations), nor outside pytest.
_STAGE: dict[str, Path] = {}


@pytest.fixture(scope="session", autouse=True)
def _dbt_stage(tmp_path_factory) -> None:
    stage = tmp_path_factory.getbasetemp() / "dbt_stage"
    (stage / "parse").mkdir(parents=True, exist_ok=True)
    _STAGE["folder"] = stage
    yield
    _STAGE.clear()


def _point(link: Path, target: Path) -> None:
    """Make `link` a symlink to `target`, replacing what it pointed at (atomically)."""
    new = link.with_name(link.name + ".new")
    if new.is_symlink() or new.exists():
        new.unlink()
    os.symlink(target, new)
    os.replace(new, link)


@dataclass
class DbtProject:
    """One isolated place to run dbt: its own warehouse, target and logs."""

    home: Path
    raw_path: Path
    # run dbt with the raw folder staged too (see _STAGE): for a project one test makes
    # and reads, never for one shared across tests (keyword-only: subclasses add fields)
    stage_raw: bool = field(default=False, kw_only=True)

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse" / "member_analytics.duckdb"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            MEMBER_ANALYTICS_RAW_DATA_PATH=str(self.raw_path),
            MEMBER_ANALYTICS_WAREHOUSE_DIR=str(self.home / "warehouse"),
            MEMBER_ANALYTICS_DUCKDB_PATH=str(self.warehouse),
            MEMBER_ANALYTICS_DUCKDB_TEMP_DIR=str(self.home / "warehouse" / "tmp"),
            DBT_TARGET_PATH=str(self.home / "target"),
            DBT_LOG_PATH=str(self.home / "logs"),
        )
        return env

    def dbt(self, *args: str, vars: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(ROOT / "bin" / "dbt"), *args]
        vars, env = as_of_date_by_env(vars, self.env())
        if vars:
            command += ["--vars", json.dumps(vars)]
        stage = _STAGE.get("folder")
        if stage is None or "spark" in args:
            result = subprocess.run(command, env=env, capture_output=True, text=True, cwd="/")
        else:
            target = args[args.index("--target") + 1] if "--target" in args else ""
            result = self._staged(command, stage, json.dumps([vars or {}, target], sort_keys=True), env)
        if check and result.returncode != 0:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
        return result

    def _staged(self, command: list[str], stage: Path, parse_key: str,
                real_env: dict[str, str]) -> subprocess.CompletedProcess:
        """Run dbt through the stage (see _STAGE) with `real_env` (self.env() and the call's
        as_of_date), reusing the worker's last parse under the same vars and target."""
        self.home.mkdir(parents=True, exist_ok=True)
        staged = {str(self.home): stage / "home"}
        if self.stage_raw:
            staged[str(self.raw_path)] = stage / "raw"
        for real, link in staged.items():
            _point(link, Path(real))
        saved = stage / "parse" / (hashlib.sha256(parse_key.encode()).hexdigest()[:20] + ".msgpack")
        parse_file = self.home / "target" / "partial_parse.msgpack"
        if saved.exists():
            parse_file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(saved, parse_file)
        env = {}
        for name, value in real_env.items():  # a subclass's env() included
            for real, link in staged.items():
                if value == real or value.startswith(real + "/"):
                    value = str(link) + value[len(real):]
            env[name] = value
        result = subprocess.run(command, env=env, capture_output=True, text=True, cwd="/")
        if parse_file.exists():
            shutil.copyfile(parse_file, saved.with_suffix(".new"))
            os.replace(saved.with_suffix(".new"), saved)
        for name in ("stdout", "stderr"):
            text = getattr(result, name)
            for real, link in staged.items():
                text = text.replace(str(link), real)
            setattr(result, name, text)
        return result

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def frame(self, sql: str):
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql).df()


def _once_per_run(tmp_path_factory, name: str, make):
    """Make a session fixture's folder once per test run, not once per pytest-xdist worker:
    `make(folder)` runs in the first worker that asks, behind a file lock in the folder
    the workers' temp folders share (the run's basetemp); a worker asking later waits for
    it and gets the same folder and value (pickled). Without xdist it simply runs. If
    `make` raises, the worker that ran it fails, and the next worker to ask starts over
    (and fails alike). Returns (folder, value)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.mktemp(name)
        return folder, make(folder)
    shared = tmp_path_factory.getbasetemp().parent / "once_per_run"
    shared.mkdir(exist_ok=True)
    folder, value_file = shared / name, shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not value_file.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            folder.mkdir()
            value_file.write_bytes(pickle.dumps(make(folder)))
    return folder, pickle.loads(value_file.read_bytes())


def _own_copy(tmp_path_factory, built: Path, name: str) -> Path:
    """A worker's own copy of a project built once per run (warehouse, target, logs): tests
    run dbt on it (compile, show) and open its warehouse, as they did when every worker
    built its own, so no two workers ever touch the same DuckDB file or target folder."""
    home = tmp_path_factory.mktemp(name)
    shutil.copytree(built, home, dirs_exist_ok=True)
    return home


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory) -> tuple[Path, dict]:
    """The generator's tiny dataset (parquet) and its ground truth. Generated once per run
    and only read (tests that change raw files write their own)."""
    from member_analytics.generator import generate

    return _once_per_run(tmp_path_factory, "tiny_raw",
                         lambda out: generate(out, scale="tiny", seed=7, file_format="parquet"))


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory, tiny_raw) -> tuple[DbtProject, dict]:
    """A full `dbt build` (models, seeds, unit and data tests: selector suite, which a
    plain `dbt build` selects too) of the tiny dataset. Built once per run (the first
    worker to need it; the other waits for it rather than building it again), and each
    worker gets its own copy of the built project."""
    raw_path, truth = tiny_raw

    def build(home: Path) -> None:
        DbtProject(home, raw_path).dbt("build", vars=build_vars(truth))

    built, _ = _once_per_run(tmp_path_factory, "tiny_build", build)
    return DbtProject(_own_copy(tmp_path_factory, built, "tiny_build"), raw_path), truth


@pytest.fixture(scope="session")
def tiny_days(tmp_path_factory) -> tuple[Path, dict]:
    """The tiny dataset (seed 7) as two daily loads, day_1/ and day_2/ (with late refunds):
    member_analytics.generator.days.generate_days. Generated once per run and only read."""
    from member_analytics.generator.days import generate_days

    return _once_per_run(tmp_path_factory, "tiny_days",
                         lambda out: generate_days(out, scale="tiny", seed=7, file_format="parquet"))


@pytest.fixture(scope="session")
def tiny_day2_full_build(tmp_path_factory, tiny_days) -> DbtProject:
    """A full `dbt build` of day_2 of the daily loads: what every daily run must equal.
    The production tier (selectors.yml): every model, and the tests a production build
    runs; the suite tier runs once, in tiny_build. Built once per run (test_incremental
    and test_spark_parity, on two workers, both compare with it); each worker gets its
    own copy."""
    out, days = tiny_days

    def build(home: Path) -> None:
        DbtProject(home, out / "day_2").dbt("build", "--selector", "production", vars=day_vars(days, "day_2"))

    built, _ = _once_per_run(tmp_path_factory, "tiny_day2_full", build)
    return DbtProject(_own_copy(tmp_path_factory, built, "tiny_day2_full"), out / "day_2")


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes: the tests' own proof that a published warehouse is
    unchanged (the build report records the file's identity instead, decision 0141)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def day_vars(days: dict, day: str) -> dict:
    """build_vars for one day of generate_days' loads."""
    return {"as_of_date": days[day]["as_of_date"], "member_analytics__validation__latest_valid_date": "2030-12-31"}


def build_vars(truth: dict) -> dict:
    """The sample's as_of_date, and a fixed latest valid date so the build does
    not depend on the machine's clock (the sample plants rows after as_of_date)."""
    return {"as_of_date": truth["as_of_date"], "member_analytics__validation__latest_valid_date": "2030-12-31"}


@pytest.fixture
def make_project(tmp_path):
    """Write a raw folder from {file name or relative path: text or bytes} and return a
    DbtProject on it."""

    def _make(files: dict[str, str | bytes], name: str = "raw") -> DbtProject:
        raw = tmp_path / name
        raw.mkdir()
        for file_name, content in files.items():
            target = raw / file_name
            target.parent.mkdir(parents=True, exist_ok=True)  # a load in a table's folder
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return DbtProject(tmp_path / f"{name}_home", raw, stage_raw=True)

    return _make



CONTRACT_AS_OF = {"as_of_date": "2026-01-31"}


def fails_with(project: DbtProject, *fragments: str, vars: dict = CONTRACT_AS_OF,
               models: tuple[str, ...] = ()) -> str:
    """Run the staging models (stg_shop__orders unless `models`) and assert that dbt fails
    with every fragment in its output (a contract error, named); return the output."""
    result = project.dbt("run", "--select", *(models or ("stg_shop__orders",)), vars=vars, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    for fragment in fragments:
        assert fragment in output, f"{fragment!r} not in:\n{output[-3000:]}"
    return output


def occurring(values, text: str) -> list[str]:
    """The values that occur in `text` as substrings: exactly [v for v in values if v in text]
    (in the order of `values`; every value not empty), in one pass over the text rather than
    one per value (a table's text is megabytes, the personal values are thousands).

    Each value's first k bytes (UTF-8; k = the shortest value's length, at most 8) are a
    number; so is the text's every run of k bytes. A value occurs at a place only if its
    number equals that place's number, so numpy finds those places (a few), and bytes.
    startswith checks each candidate value there. UTF-8 keeps substrings: v in text exactly
    when v's bytes are in text's bytes. pytests/dbt/test_trust.py checks it against `in`."""
    import numpy as np

    values = list(values)
    encoded = [value.encode() for value in values]
    assert all(encoded), "an empty value occurs everywhere"
    data = text.encode()
    k = min([8, *map(len, encoded)])
    if not values or len(data) < k:
        return []

    def number(window: bytes) -> int:
        return int.from_bytes(window, "little")

    by_start: dict[int, list[int]] = {}
    for index, value in enumerate(encoded):
        by_start.setdefault(number(value[:k]), []).append(index)
    starts = np.array(sorted(by_start), dtype=np.uint64)
    array = np.frombuffer(data, dtype=np.uint8)
    places = len(data) - k + 1
    windows = np.zeros(places, dtype=np.uint64)
    for offset in range(k):
        windows |= array[offset:offset + places].astype(np.uint64) << np.uint64(8 * offset)
    found = np.searchsorted(starts, windows)
    hits = np.flatnonzero(starts[np.minimum(found, len(starts) - 1)] == windows)
    present = set()
    for place in hits.tolist():
        for index in by_start[int(windows[place])]:
            if index not in present and data.startswith(encoded[index], place):
                present.add(index)
    return [value for index, value in enumerate(values) if index in present]
