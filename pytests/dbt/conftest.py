"""Fixtures that run this dbt project in isolated folders.

Every dbt call goes through bin/dbt (the same wrapper users run) with its own
warehouse, target and log folders under pytest's tmp, so tests never touch the
developer's warehouse and can run in any order.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class DbtProject:
    """One isolated place to run dbt: its own warehouse, target and logs."""

    home: Path
    raw_path: Path

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
        if vars:
            command += ["--vars", json.dumps(vars)]
        result = subprocess.run(command, env=self.env(), capture_output=True, text=True, cwd="/")
        if check and result.returncode != 0:
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}")
        return result

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def frame(self, sql: str):
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql).df()


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory) -> tuple[Path, dict]:
    """The generator's tiny dataset (parquet) and its ground truth."""
    from member_analytics.generator import generate

    out = tmp_path_factory.mktemp("tiny_raw")
    truth = generate(out, scale="tiny", seed=7, file_format="parquet")
    return out, truth


@pytest.fixture(scope="session")
def tiny_build(tmp_path_factory, tiny_raw) -> tuple[DbtProject, dict]:
    """A full `dbt build` (models, seeds, unit and data tests: selector suite, which a
    plain `dbt build` selects too) of the tiny dataset."""
    raw_path, truth = tiny_raw
    project = DbtProject(tmp_path_factory.mktemp("tiny_build"), raw_path)
    project.dbt("build", vars=build_vars(truth))
    return project, truth


@pytest.fixture(scope="session")
def tiny_days(tmp_path_factory) -> tuple[Path, dict]:
    """The tiny dataset (seed 7) as two daily loads, day_1/ and day_2/ (with late refunds):
    member_analytics.generator.days.generate_days."""
    from member_analytics.generator.days import generate_days

    out = tmp_path_factory.mktemp("tiny_days")
    return out, generate_days(out, scale="tiny", seed=7, file_format="parquet")


@pytest.fixture(scope="session")
def tiny_day2_full_build(tmp_path_factory, tiny_days) -> DbtProject:
    """A full `dbt build` of day_2 of the daily loads: what every daily run must equal.
    The production tier (selectors.yml): every model, and the tests a production build
    runs; the suite tier runs once, in tiny_build."""
    out, days = tiny_days
    project = DbtProject(tmp_path_factory.mktemp("tiny_day2_full"), out / "day_2")
    project.dbt("build", "--selector", "production", vars=day_vars(days, "day_2"))
    return project


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
        return DbtProject(tmp_path / f"{name}_home", raw)

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
