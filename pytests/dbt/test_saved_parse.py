"""as_of_date and the raw folder reach the models as the build runs, not as dbt parses
(macro var_or_env, docs/decisions/0140): a call on another date or another raw folder
keeps dbt's saved parse and compiles the same SQL as the var would; a var set on the
command line still wins over the environment."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, DbtProject, build_vars

pytestmark = pytest.mark.dbt

MODEL = "int_member_rfm_current"
FULL_PARSE = "Unable to do partial parsing"
SAVED_PARSE = "Partial parsing enabled, no changes found, skipping parsing"


def _compile(project: DbtProject, env_date: str | None, raw: Path, vars: dict) -> tuple[str, str]:
    """`dbt compile -s MODEL` in the project's own target folder (not through the suite's
    stage, which hands dbt a saved parse of its own): dbt's debug log of the call and the
    compiled SQL."""
    env = dict(project.env(), MEMBER_ANALYTICS_RAW_DATA_PATH=str(raw))
    env.pop("MEMBER_ANALYTICS_AS_OF_DATE", None)
    if env_date:
        env["MEMBER_ANALYTICS_AS_OF_DATE"] = env_date
    result = subprocess.run([str(ROOT / "bin" / "dbt"), "compile", "--select", MODEL, "--vars", json.dumps(vars)],
                            env=env, capture_output=True, text=True, cwd="/")
    assert result.returncode == 0, result.stdout[-3000:]
    compiled = next((project.home / "target" / "compiled").rglob(f"{MODEL}.sql")).read_text()
    # dbt's debug log of this call: how it parsed
    log = (project.home / "logs" / "dbt.log").read_text(errors="replace").rsplit("Running with dbt=", 1)[-1]
    return log, compiled


def test_a_new_date_or_raw_folder_keeps_the_saved_parse_and_the_var_still_wins(tmp_path, tiny_raw):
    raw_path, truth = tiny_raw
    vars = build_vars(truth)
    as_of_date = vars.pop("as_of_date")
    day_before = "2026-11-17" if as_of_date != "2026-11-17" else "2026-11-16"
    project = DbtProject(tmp_path / "home", raw_path)
    other_raw = tmp_path / "other_raw"  # the same files under another path
    other_raw.symlink_to(raw_path, target_is_directory=True)

    _compile(project, day_before, raw_path, vars)  # the first call parses the project
    log, by_env = _compile(project, as_of_date, other_raw, vars)
    assert SAVED_PARSE in log and FULL_PARSE not in log, log[:3000]
    assert f"cast('{as_of_date}' as date)" in by_env and day_before not in by_env
    assert "int_as_of_date" not in by_env

    # the var on the command line: dbt parses again, and the var wins over the environment
    log, by_var = _compile(project, day_before, raw_path, {**vars, "as_of_date": as_of_date})
    assert FULL_PARSE in log
    assert by_var == by_env
