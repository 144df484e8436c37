"""The project's environment, set by the tooling itself: the same variables
bin/_env.sh exports, so `member-analytics <command>` works however it is started
(from bin/, from .venv/bin, from another folder, as `python -m member_analytics`).

    project_root() -> Path
        The project folder: the checkout this package is installed from
        (bin/_setup.sh installs it editable, `pip install -e`).
    ensure_environment(environ=os.environ, home=None) -> environ
        Fill in what bin/_env.sh sets: absolute paths for everything dbt
        touches, DBT_PROFILES_DIR, DBT_PROJECT_DIR, the offline flags, and the
        PII key file (created once, owner-only). Variables already set are kept
        (made absolute), except MEMBER_ANALYTICS_HOME and DBT_PROJECT_DIR, which
        are always this project, as in bin/_env.sh. pytests/test_env.py checks
        that the two give the same variables.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import MutableMapping

# The variables, in bin/_env.sh's order: name -> default (a path relative to
# another variable's value). Kept in step with bin/_env.sh by pytests/test_env.py.
PATH_DEFAULTS: tuple[tuple[str, str, str], ...] = (
    ("MEMBER_ANALYTICS_VENV", "MEMBER_ANALYTICS_HOME", ".venv"),
    ("DBT_PROFILES_DIR", "MEMBER_ANALYTICS_HOME", "profiles"),
    ("DBT_TARGET_PATH", "MEMBER_ANALYTICS_HOME", "target"),
    ("DBT_LOG_PATH", "MEMBER_ANALYTICS_HOME", "logs"),
    ("MEMBER_ANALYTICS_WAREHOUSE_DIR", "MEMBER_ANALYTICS_HOME", "warehouse"),
    ("MEMBER_ANALYTICS_DUCKDB_PATH", "MEMBER_ANALYTICS_WAREHOUSE_DIR", "member_analytics.duckdb"),
    ("MEMBER_ANALYTICS_DUCKDB_TEMP_DIR", "MEMBER_ANALYTICS_WAREHOUSE_DIR", "tmp"),
    ("MEMBER_ANALYTICS_RAW_DATA_PATH", "MEMBER_ANALYTICS_HOME", "data/raw"),
    ("MEMBER_ANALYTICS_REPORTS_DIR", "MEMBER_ANALYTICS_HOME", "reports"),
    # The key that pseudonymises phone numbers and nicknames (docs/decisions/0062).
    ("MEMBER_ANALYTICS_PII_KEY_FILE", "MEMBER_ANALYTICS_HOME", "secrets/pii_key"),
)
# Offline and CI friendly: always these values.
FIXED = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DBT_VERSION_CHECK": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "PYTHONUNBUFFERED": "1",
}
# Every variable ensure_environment sets (the test compares these with bin/_env.sh).
VARIABLES = ("MEMBER_ANALYTICS_HOME", "DBT_PROJECT_DIR", *(name for name, _base, _default in PATH_DEFAULTS), *FIXED)


def project_root() -> Path:
    """The project folder this package belongs to (src/member_analytics/../..)."""
    return Path(__file__).resolve().parents[2]


def _absolute(value: str) -> str:
    """A path made absolute against the current folder, as bin/_env.sh does."""
    return value if value.startswith("/") else os.path.join(os.getcwd(), value)


def ensure_environment(environ: MutableMapping[str, str] | None = None,
                       home: Path | None = None) -> MutableMapping[str, str]:
    """Set the project's variables in `environ` (default: this process's
    environment, so dbt and every child process see them) and return it."""
    environ = os.environ if environ is None else environ
    environ["MEMBER_ANALYTICS_HOME"] = str(home or project_root())
    environ["DBT_PROJECT_DIR"] = environ["MEMBER_ANALYTICS_HOME"]
    for name, base, default in PATH_DEFAULTS:
        value = environ.get(name) or os.path.join(environ[base], default)
        environ[name] = _absolute(value)
    key = Path(environ["MEMBER_ANALYTICS_PII_KEY_FILE"])
    if not key.exists() or key.stat().st_size == 0:
        key.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    environ.update(FIXED)
    for folder in (Path(environ["MEMBER_ANALYTICS_DUCKDB_PATH"]).parent, Path(environ["MEMBER_ANALYTICS_DUCKDB_TEMP_DIR"])):
        folder.mkdir(parents=True, exist_ok=True)
    return environ
