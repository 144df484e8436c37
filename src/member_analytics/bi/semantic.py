"""For BI users: the project's browsable docs and its semantic layer.

    generate_docs(out=None, dbt_vars=None, env=None) -> Path
        `dbt docs generate --static` through bin/dbt: one self-contained HTML page
        (lineage with the exposures, every model and column with its description).
    undocumented(target_path) -> list[str]
        Models and columns (as built in the warehouse) without a description.
    run_mf(args, env=None) -> subprocess.CompletedProcess
        MetricFlow's `mf` on this project (semantic models under models/semantic,
        docs/decisions/0081), wherever DBT_TARGET_PATH points.

Run after the build, never alongside it: DuckDB lets one process open the file.
The commands: `member-analytics docs` and `member-analytics mf ...` (bin/mf).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from member_analytics.env import project_root

ROOT = project_root()


class BiError(RuntimeError):
    """A docs or MetricFlow command that failed; the message holds its output."""


def _env(env: dict[str, str] | None) -> dict[str, str]:
    merged = dict(os.environ if env is None else env)
    merged.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    merged.setdefault("DBT_VERSION_CHECK", "false")
    return merged


def target_path(env: dict[str, str] | None = None) -> Path:
    """The dbt target folder bin/dbt uses under this environment."""
    return Path(_env(env).get("DBT_TARGET_PATH") or ROOT / "target").resolve()


def generate_docs(out: Path | None = None, dbt_vars: dict | None = None,
                  env: dict[str, str] | None = None) -> Path:
    """Build the static docs page and return its path: out (a file path) when
    given, else <target>/static_index.html. Needs a built warehouse (the catalog
    reads its tables and columns)."""
    command = [str(ROOT / "bin" / "dbt"), "docs", "generate", "--static"]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    result = subprocess.run(command, env=_env(env), capture_output=True, text=True, cwd="/")
    if result.returncode != 0:
        raise BiError(f"dbt docs generate failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    page = target_path(env) / "static_index.html"
    if not page.exists():
        raise BiError(f"dbt docs generate --static wrote no {page}")
    if out is None:
        return page
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(page, out)
    return out


def undocumented(target: Path) -> list[str]:
    """`model` and `model.column` names (every model of this project, every
    column the warehouse holds for it) that have no description, read from the
    manifest.json and catalog.json of `dbt docs generate`."""
    manifest = json.loads((Path(target) / "manifest.json").read_text())
    catalog = json.loads((Path(target) / "catalog.json").read_text())
    missing = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["package_name"] != "member_analytics":
            continue
        name = node["name"]
        if not node.get("description", "").strip():
            missing.append(name)
        described = {column.lower() for column, spec in node.get("columns", {}).items()
                     if spec.get("description", "").strip()}
        built = catalog["nodes"].get(unique_id, {}).get("columns", {})
        missing += [f"{name}.{column}" for column in built if column.lower() not in described]
    return sorted(missing)


def run_mf(args: list[str], env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run `mf <args>` on this project. MetricFlow reads the semantic manifest
    from <project>/target/ whatever DBT_TARGET_PATH says; when the build wrote it
    elsewhere, mf runs on a shadow of the project (symlinks) whose target/ is
    that folder."""
    env = _env(env)
    venv = Path(env.get("MEMBER_ANALYTICS_VENV", ROOT / ".venv"))
    mf = venv / "bin" / "mf" if (venv / "bin" / "mf").exists() else Path(shutil.which("mf") or "mf")
    target = target_path(env)
    env.setdefault("DBT_PROFILES_DIR", str(ROOT / "profiles"))
    with tempfile.TemporaryDirectory(prefix="mf-project-") as shadow:
        if target == (ROOT / "target").resolve():
            project = ROOT
        else:
            project = Path(shadow)
            for entry in ROOT.iterdir():
                if entry.name not in {"target", "logs", ".git", ".venv"}:
                    (project / entry.name).symlink_to(entry)
            (project / "target").symlink_to(target)
        env["DBT_PROJECT_DIR"] = str(project)
        result = subprocess.run([str(mf), *args], env=env, capture_output=True, text=True, cwd=project)
    if check and result.returncode != 0:
        raise BiError(f"mf {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return result
