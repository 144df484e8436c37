"""The tooling's layout (issue 26): src/member_analytics organised by job, no
module over 500 lines, every module importable, and the docs tell users about
`member-analytics` commands (or `python -m member_analytics`, the same CLI) rather
than `python -m member_analytics.<module>`."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "member_analytics"
MAX_LINES = 500
JOBS = {"generator", "publish", "benchmark", "bi", "exports", "quality"}


def _modules() -> list[str]:
    return sorted(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
                  for path in PACKAGE.rglob("*.py") if path.name != "__main__.py")


def test_no_module_over_500_lines():
    sizes = {path.relative_to(ROOT): len(path.read_text(encoding="utf-8").splitlines())
             for path in PACKAGE.rglob("*.py")}
    assert {path: lines for path, lines in sizes.items() if lines > MAX_LINES} == {}


def test_one_folder_per_job():
    assert JOBS <= {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}


@pytest.mark.parametrize("module", _modules())
def test_every_module_imports(module):
    importlib.import_module(module)


def test_users_are_told_about_commands_not_modules():
    texts = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "bin").iterdir()]
    told = {f"{path.relative_to(ROOT)}: {match}" for path in texts if path.is_file()
            for match in re.findall(r"python -m member_analytics\.[\w.]*", path.read_text(encoding="utf-8"))}
    # The peers run in their own capped process (decision 0090): internal, not a user command.
    assert told <= {"docs/decisions/0090-benchmark-peers.md: python -m member_analytics.benchmark.peers"}
