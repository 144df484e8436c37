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
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m member_analytics.bi", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    docs = commands.add_parser("docs", help="dbt docs generate --static; print where the page is")
    docs.add_argument("--out", help="copy the page to this file (default: leave it in the target folder)")
    docs.add_argument("--as-of-date", help="the build's as_of_date var (YYYY-MM-DD), for the compiled SQL shown")
    mf = commands.add_parser("mf", help="MetricFlow's mf on this project (bin/mf), e.g. mf list metrics")
    mf.add_argument("mf_args", nargs=argparse.REMAINDER, help="the arguments for mf")
    args = parser.parse_args(argv)
    if args.command == "mf":
        result = run_mf(args.mf_args, check=False)
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr)
        return result.returncode
    try:
        page = generate_docs(Path(args.out).resolve() if args.out else None,
                             {"as_of_date": args.as_of_date} if args.as_of_date else None)
    except BiError as error:
        print(f"docs: {error}", file=sys.stderr)
        return 1
    print(f"docs: {page} ({page.stat().st_size / 1e6:.1f} MB; open it in a browser, no server needed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
