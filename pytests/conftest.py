"""Suite-wide hooks: the time each stage (test file) took, printed at the end."""

from __future__ import annotations


_STAGE_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    """Add up the time of every test phase per test file (a "stage")."""
    stage = report.nodeid.split("::")[0]
    _STAGE_SECONDS[stage] = _STAGE_SECONDS.get(stage, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    terminalreporter.section("time per stage (test file)")
    for stage, seconds in sorted(_STAGE_SECONDS.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{seconds:8.1f}s  {stage}")
