"""The CLI sets its own environment (member_analytics.env), the same variables
as bin/_env.sh: compared here in a scratch project folder, with nothing set and
with the caller's own (relative and absolute) values; and `member-analytics`
started with an empty environment gets them (issue 26: run from .venv/bin
without sourcing bin/_env.sh, dbt found no profiles folder)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from member_analytics.env import VARIABLES, ensure_environment, project_root

ENV_SH = project_root() / "bin" / "_env.sh"


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **extra}


def _from_env_sh(home: Path, cwd: Path, preset: dict[str, str]) -> dict[str, str]:
    """The variables after `source bin/_env.sh` of a project at `home`, run from `cwd`."""
    script = f'source "{home / "bin" / "_env.sh"}" && env -0'
    output = subprocess.run(["bash", "-c", script], env=_clean_env(home, **preset), cwd=cwd, check=True,
                            capture_output=True, text=True).stdout
    values = dict(entry.split("=", 1) for entry in output.split("\0") if "=" in entry)
    return {name: values.get(name) for name in VARIABLES}


def _from_python(home: Path, cwd: Path, preset: dict[str, str], monkeypatch) -> dict[str, str]:
    monkeypatch.chdir(cwd)
    environ = ensure_environment(dict(preset), home=home)
    return {name: environ.get(name) for name in VARIABLES}


def _key_is_new_and_private(path: Path) -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", path.read_text()), path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("preset", [
    {},
    {"MEMBER_ANALYTICS_WAREHOUSE_DIR": "relative/warehouse", "DBT_TARGET_PATH": "/elsewhere/target",
     "MEMBER_ANALYTICS_RAW_DATA_PATH": "data/mine", "MEMBER_ANALYTICS_PII_KEY_FILE": "keys/pii",
     "DBT_PROFILES_DIR": "", "DBT_PROJECT_DIR": "/another/project", "MEMBER_ANALYTICS_HOME": "/another"},
], ids=["nothing set", "the caller's own values"])
def test_ensure_environment_sets_what_env_sh_sets(tmp_path, monkeypatch, preset):
    home, cwd = tmp_path / "project", tmp_path / "cwd"
    (home / "bin").mkdir(parents=True)
    cwd.mkdir()
    shutil.copy(ENV_SH, home / "bin" / "_env.sh")

    shell = _from_env_sh(home, cwd, preset)
    key = Path(shell["MEMBER_ANALYTICS_PII_KEY_FILE"])
    _key_is_new_and_private(key)
    key.unlink()
    python = _from_python(home, cwd, preset, monkeypatch)
    _key_is_new_and_private(key)

    assert python == shell
    assert all(value for value in python.values()), python
    assert python["MEMBER_ANALYTICS_HOME"] == python["DBT_PROJECT_DIR"] == str(home)
    assert all(python[name].startswith("/") for name in VARIABLES if name.endswith(("_DIR", "_PATH", "_FILE")))
    assert Path(python["MEMBER_ANALYTICS_DUCKDB_TEMP_DIR"]).is_dir()


def test_an_existing_key_is_kept(tmp_path):
    key = tmp_path / "pii_key"
    key.write_text("a" * 64)
    ensure_environment({"MEMBER_ANALYTICS_PII_KEY_FILE": str(key),
                        "MEMBER_ANALYTICS_WAREHOUSE_DIR": str(tmp_path / "warehouse")}, home=tmp_path)
    assert key.read_text() == "a" * 64


def test_the_cli_sets_the_environment_itself(tmp_path):
    """`python -m member_analytics` (as .venv/bin/member-analytics) with an empty
    environment: dbt would find the project's profiles folder."""
    code = ("import os\nfrom member_analytics import cli\ntry:\n    cli.main(['build', '--help'])\n"
            "except SystemExit:\n    pass\nprint('ENV', os.environ['DBT_PROFILES_DIR'], os.environ['DBT_PROJECT_DIR'],"
            " os.environ['DBT_SEND_ANONYMOUS_USAGE_STATS'])")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True,
        env=_clean_env(tmp_path, MEMBER_ANALYTICS_PII_KEY_FILE=str(tmp_path / "key"),
                       MEMBER_ANALYTICS_WAREHOUSE_DIR=str(tmp_path / "warehouse"),
                       PYTHONPATH=str(project_root() / "src")))  # this checkout's package
    assert "--all-tests" in result.stdout
    assert result.stdout.splitlines()[-1] == f"ENV {project_root() / 'profiles'} {project_root()} false"
    assert (project_root() / "profiles" / "profiles.yml").exists()
