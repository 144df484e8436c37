"""The dbt command line `member-analytics build` assembles (no dbt run): the
production selector by default, the suite selector with --all-tests, and the
user's own --select/--selector/--exclude passed through unchanged (after the
Great Expectations raw audit: the selectors' _after_raw_audit variants). dbt is
replaced by a stand-in that records its arguments and writes the working copy."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from member_analytics import cli
from member_analytics.publish import wap
from member_analytics.publish.wap import AFTER_RAW_AUDIT, PRODUCTION_SELECTOR, SUITE_SELECTOR, BuildError, dbt_build_args

VARS = '{"as_of_date": "2026-11-18"}'


class Calls(list):
    """The dbt argument lists, and the as_of_date each call had in its environment."""

    as_of_dates: list[str | None]


@pytest.fixture
def dbt_calls(tmp_path, monkeypatch) -> list[list[str]]:
    """Run cli.main in tmp_path with a stand-in for dbt; the dbt argument lists it was given."""
    calls = Calls()
    calls.as_of_dates = []
    published = tmp_path / "warehouse" / "member_analytics.duckdb"

    class Done:
        returncode = 0
        stdout = ""

    def fake_dbt(args: list[str], env: dict[str, str], target_path: Path | None = None) -> Done:
        calls.append(args)
        calls.as_of_dates.append(env.get("MEMBER_ANALYTICS_AS_OF_DATE"))
        Path(env["MEMBER_ANALYTICS_DUCKDB_PATH"]).write_bytes(b"")  # the working copy dbt would write
        return Done()

    monkeypatch.setattr(wap, "_dbt", fake_dbt)
    monkeypatch.setattr(cli, "ensure_environment", lambda: None)  # this test's own variables only
    monkeypatch.setenv("MEMBER_ANALYTICS_DUCKDB_PATH", str(published))
    monkeypatch.setenv("MEMBER_ANALYTICS_REPORTS_DIR", str(tmp_path / "reports"))
    published.parent.mkdir(parents=True)
    return calls


def _build(*args: str) -> int:
    return cli.main(["build", "--no-quality", "--vars", VARS, *args])


def test_the_selectors_are_named_once():
    assert (PRODUCTION_SELECTOR, SUITE_SELECTOR, AFTER_RAW_AUDIT) == ("production", "suite", "_after_raw_audit")


def test_build_runs_the_production_selector_by_default(dbt_calls):
    assert _build() == 0
    # as_of_date goes to dbt by the environment (docs/decisions/0140), the other vars as vars
    assert dbt_calls == [["build", "--vars", "{}", "--selector", PRODUCTION_SELECTOR]]
    assert dbt_calls.as_of_dates == ["2026-11-18"]


def test_as_of_date_goes_by_the_environment_and_other_vars_stay(dbt_calls, monkeypatch):
    """A well-formed date (quoted, or a YAML date) leaves the vars for env
    MEMBER_ANALYTICS_AS_OF_DATE, so a daily run keeps dbt's saved parse; a malformed one
    stays a var for the macros to reject; no date clears a value left in the shell."""
    monkeypatch.setenv("MEMBER_ANALYTICS_AS_OF_DATE", "2020-01-01")
    for given in (["--vars", "{as_of_date: 2026-11-17, max_x: 3}"], ["--vars", '{"as_of_date": "2026-1-17"}'], []):
        assert cli.main(["build", "--no-quality", *given]) == 0
        Path(os.environ["MEMBER_ANALYTICS_DUCKDB_PATH"]).unlink()  # the stand-in's empty file
    assert [call[2] for call in dbt_calls] == ['{"max_x": 3}', '{"as_of_date": "2026-1-17"}', "{}"]
    assert dbt_calls.as_of_dates == ["2026-11-17", None, None]


def test_all_tests_runs_the_suite_selector(dbt_calls, tmp_path):
    assert _build("--all-tests", "--full-refresh") == 0
    assert dbt_calls == [["build", "--vars", "{}", "--full-refresh", "--selector", SUITE_SELECTOR]]
    report = json.loads((tmp_path / "reports" / "build" / "last_build.json").read_text())
    assert report["outcome"] == "published"


@pytest.mark.parametrize("given, expected", [
    (["--select", "+dim_members", "rpt_build_metadata"], ["--select", "+dim_members", "rpt_build_metadata"]),
    (["--selector", "nightly"], ["--selector", "nightly"]),
    (["--exclude", "tag:slow"], ["--exclude", "tag:slow"]),
    (["--select", "marts", "--exclude", "tag:slow"], ["--select", "marts", "--exclude", "tag:slow"]),
])
def test_the_users_own_selection_is_passed_through_unchanged(dbt_calls, given, expected):
    assert _build(*given) == 0
    assert dbt_calls == [["build", "--vars", "{}", *expected]]


def test_all_tests_with_an_own_selection_is_refused(dbt_calls, capsys):
    with pytest.raises(SystemExit) as stopped:
        _build("--all-tests", "--select", "dim_members")
    assert stopped.value.code == 2 and "--all-tests" in capsys.readouterr().err
    assert dbt_calls == []
    with pytest.raises(BuildError):
        dbt_build_args(VARS, all_tests=True, selector="production")


def test_after_the_raw_audit_the_raw_nodes_are_left_out():
    """With the Great Expectations audit, the raw input was built and tested first:
    our selectors' _after_raw_audit variants leave it out (dbt ignores --exclude
    next to --selector), a --select/--exclude selection excludes it (as before),
    and the user's own selector goes to dbt as it is."""
    assert dbt_build_args(VARS, after_raw_audit=True) == [
        "build", "--vars", VARS, "--selector", "production_after_raw_audit"]
    assert dbt_build_args(VARS, all_tests=True, after_raw_audit=True) == [
        "build", "--vars", VARS, "--selector", "suite_after_raw_audit"]
    assert dbt_build_args(VARS, select=["marts"], after_raw_audit=True) == [
        "build", "--vars", VARS, "--select", "marts",
        "--exclude", wap.RAW_AUDIT_SELECTION, "--indirect-selection", "cautious"]
    assert dbt_build_args(VARS, selector="nightly", after_raw_audit=True) == [
        "build", "--vars", VARS, "--selector", "nightly"]


def test_the_raw_input_step_runs_the_build_tier():
    """The raw-input step (staging and the raw profile) runs the tier of the build: the
    production tier leaves out the staging models' suite-tier data tests and their unit
    tests (docs/decisions/0100), --all-tests keeps them; --full-refresh goes through."""
    from member_analytics.publish.wap import raw_audit_args

    production = raw_audit_args(VARS)
    assert production == ["build", "--select", wap.RAW_AUDIT_SELECTION, "--indirect-selection", "cautious",
                           "--vars", VARS, "--exclude", "tag:suite", "resource_type:unit_test"]
    assert raw_audit_args(VARS, all_tests=True) == production[:production.index("--exclude")]
    assert "--full-refresh" in raw_audit_args(VARS, full_refresh=True)
