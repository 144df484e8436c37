"""`member-analytics run` (bin/run): the commands the main job runs, in order,
with their arguments (each command is replaced by a stand-in; no dbt run)."""

from __future__ import annotations

import json

import pytest

from member_analytics import cli


@pytest.fixture
def commands(tmp_path, monkeypatch) -> list[list[str]]:
    ran: list[list[str]] = []
    real_main = cli.main

    def fake_main(argv=None):
        if argv and argv[0] == "run":
            return real_main(argv)
        ran.append(argv)
        if argv[0] == "generate":
            out = tmp_path / "raw"
            out.mkdir(exist_ok=True)
            (out / "ground_truth.json").write_text(json.dumps({"as_of_date": "2026-11-18"}))
        return 0

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(cli, "ensure_environment", lambda: None)
    monkeypatch.setenv("MEMBER_ANALYTICS_RAW_DATA_PATH", str(tmp_path / "raw"))
    monkeypatch.setenv("MEMBER_ANALYTICS_REPORTS_DIR", str(tmp_path / "reports"))
    return ran


def test_a_sample_is_generated_built_in_full_and_shown(commands, tmp_path):
    assert cli.main(["run", "--scale", "tiny", "--seed", "7"]) == 0
    assert commands == [
        ["generate", "--out", str(tmp_path / "raw"), "--scale", "tiny", "--seed", "7", "--format", "parquet"],
        ["build", "--vars", '{"as_of_date": "2026-11-18"}', "--full-refresh"],
        ["summary"], ["export-contacts"], ["export-bundle"], ["export-bundle", "--each-shop"],
        ["docs", "--out", str(tmp_path / "reports" / "docs" / "index.html"), "--as-of-date", "2026-11-18"],
    ]


def test_your_own_data_is_a_daily_run_unless_full_refresh(commands, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    assert cli.main(["run", "--raw-data", str(mine), "--bundles", "head-office"]) == 0
    assert commands == [["build", "--vars", "{}"], ["summary"], ["export-contacts"], ["export-bundle"],
                        ["docs", "--out", str(tmp_path / "reports" / "docs" / "index.html")]]
    commands.clear()
    assert cli.main(["run", "--raw-data", str(mine), "--as-of-date", "2026-11-01", "--full-refresh",
                     "--bundles", "none"]) == 0
    assert commands[0] == ["build", "--vars", '{"as_of_date": "2026-11-01"}', "--full-refresh"]
    assert ["export-bundle"] not in commands


def test_the_job_stops_at_the_first_failing_command(tmp_path_factory, monkeypatch):
    ran = []
    monkeypatch.setattr(cli, "ensure_environment", lambda: None)
    real_main = cli.main
    monkeypatch.setattr(cli, "main", lambda argv=None: real_main(argv) if argv[0] == "run"
                        else (ran.append(argv[0]) or (3 if argv[0] == "build" else 0)))
    mine = tmp_path_factory.mktemp("mine")
    monkeypatch.setenv("MEMBER_ANALYTICS_RAW_DATA_PATH", str(mine))
    monkeypatch.setenv("MEMBER_ANALYTICS_REPORTS_DIR", str(mine / "reports"))
    assert cli.main(["run", "--raw-data", str(mine)]) == 3
    assert ran == ["build"]
