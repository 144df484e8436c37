"""Checks on the project's own definitions: docs, grain statements, tests,
threshold vars, and the sqlfluff lint."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _model_yaml() -> dict[str, dict]:
    models = {}
    for path in (ROOT / "models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            models[model["name"]] = model
    return models


def _model_files() -> dict[str, Path]:
    return {path.stem: path for path in (ROOT / "models").rglob("*.sql")}


def test_every_model_is_documented_with_its_grain_first():
    models, files = _model_yaml(), _model_files()
    assert set(files) == set(models), "models without YAML or YAML without model"
    for name, model in models.items():
        assert model.get("description", "").strip().startswith("One row"), f"{name}: description must start with its grain"
        assert model.get("columns"), f"{name}: columns are not documented"
        for column in model["columns"]:
            assert column.get("description"), f"{name}.{column['name']} has no description"


def test_every_model_has_a_key_or_row_test():
    for name, model in _model_yaml().items():
        tests = [next(iter(test)) if isinstance(test, dict) else test for test in model.get("data_tests", [])]
        for column in model["columns"]:
            tests += [next(iter(test)) if isinstance(test, dict) else test for test in column.get("data_tests", [])]
        assert tests, f"{name} has no data test"


def test_public_marts_have_enforced_contracts_with_portable_types():
    portable = re.compile(r"^(string|int|bigint|double|boolean|date|timestamp|decimal\([0-9]{1,2},[0-9]\))$")
    # data_quality (the quarantine, for data engineers) and campaigns/audience_rules (the
    # audience rules' working tables, docs/decisions/0100) are not public marts
    paths = [path for path in (ROOT / "models" / "marts").rglob("*.yml")
             if not {"data_quality", "audience_rules"} & set(path.parts)]
    assert len(paths) >= 2
    for path in paths:
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            # a report whose columns a seed declares (rpt_member_traits_wide, one column per
            # trait of seed member_traits: docs/decisions/0124) cannot have a fixed contract
            follows = model.get("config", {}).get("meta", {}).get("columns_follow_seed")
            if follows:
                assert (ROOT / "seeds" / f"{follows}.csv").exists(), model["name"]
                assert not model.get("config", {}).get("contract", {}).get("enforced"), model["name"]
                continue
            assert model.get("config", {}).get("contract", {}).get("enforced") is True, model["name"]
            for column in model["columns"]:
                assert portable.match(column.get("data_type", "")), f"{model['name']}.{column['name']}"


def test_every_threshold_var_is_recorded_in_build_metadata():
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    # access and installation settings, not thresholds: the grant roles, the key files'
    # paths and the schema layout in a consumer project (docs/decisions/0127)
    settings = {"member_analytics__bi_reader_roles", "member_analytics__pii_key_file",
                "member_analytics__person_key_file", "member_analytics__package_schema_layout"}
    declared = {name for name in project["vars"] if name.startswith("member_analytics__") and "__pii__" not in name
                and name not in settings}
    macro = (ROOT / "macros" / "rules" / "threshold_vars.sql").read_text()
    recorded = set(re.findall(r"'(member_analytics__[a-z0-9_]+)'", macro))
    assert declared == recorded


def test_every_threshold_var_is_commented_in_dbt_project_yml():
    lines = (ROOT / "dbt_project.yml").read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^\s+member_analytics__\w+:", line):
            assert lines[index - 1].strip().startswith("#"), f"var without a comment: {line.strip()}"


def test_engine_specific_sql_lives_only_in_dispatched_macros():
    for path in list((ROOT / "models").rglob("*.sql")) + list((ROOT / "tests").rglob("*.sql")):
        text = path.read_text()
        assert "target.type" not in text, path
        assert not re.search(r"\b(strftime|strptime|date_diff|regexp_matches|read_csv|read_parquet)\s*\(", text), path


@pytest.mark.dbt
def test_sqlfluff_lint_is_clean(tmp_path):
    env = dict(os.environ)
    env.update(
        MEMBER_ANALYTICS_DUCKDB_PATH=str(tmp_path / "lint.duckdb"),
        MEMBER_ANALYTICS_DUCKDB_TEMP_DIR=str(tmp_path),
        DBT_TARGET_PATH=str(tmp_path / "target"),
        DBT_LOG_PATH=str(tmp_path / "logs"),
    )
    result = subprocess.run(
        [str(Path(os.environ.get("MEMBER_ANALYTICS_VENV", ROOT / ".venv")) / "bin" / "sqlfluff"),
         "lint", "models", "tests", "analyses", "--disable-progress-bar", "--nocolor"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_duckdb_temp_directory_is_set_once_when_the_database_opens():
    """dbt-duckdb runs every `settings` entry as SET on each new cursor; once DuckDB has
    spilled, SET temp_directory fails ("Cannot switch temporary directory after the
    current one has been used"), which broke the large-scale build. Connect-time
    config_options are applied once."""
    output = yaml.safe_load((ROOT / "profiles" / "profiles.yml").read_text())["member_analytics"]["outputs"]["duckdb"]
    assert "temp_directory" in output["config_options"] and "memory_limit" in output["config_options"]
    assert "temp_directory" not in output.get("settings", {})
