# Sourced by bin/run and bin/test: create .venv from the lock file when it is
# missing or the lock changed, and install this project's tooling into it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"

_python="${PYTHON:-python3}"
if ! "$_python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "member_analytics needs Python 3.11 or newer (found: $("$_python" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
    exit 1
fi

_stamp="$MEMBER_ANALYTICS_VENV/.member_analytics-lock"
_wanted="$(cat "$MEMBER_ANALYTICS_HOME/requirements/lock.txt" "$MEMBER_ANALYTICS_HOME/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$MEMBER_ANALYTICS_VENV/bin/python" ]] || [[ "$(cat "$_stamp" 2>/dev/null)" != "$_wanted" ]]; then
    echo "== setting up $MEMBER_ANALYTICS_VENV from requirements/lock.txt (first run: about 2 minutes)"
    [[ -x "$MEMBER_ANALYTICS_VENV/bin/python" ]] || "$_python" -m venv "$MEMBER_ANALYTICS_VENV"
    # (this machine's pip config may point at local package folders that do not
    # exist; pip warns about each one: the filter keeps real errors visible)
    "$MEMBER_ANALYTICS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$MEMBER_ANALYTICS_HOME/requirements/lock.txt" 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
    if [[ "${PIPESTATUS[0]}" != 0 ]]; then
        echo "installing requirements/lock.txt failed (see above)" >&2
        exit 1
    fi
    "$MEMBER_ANALYTICS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-deps --no-build-isolation -e "$MEMBER_ANALYTICS_HOME" 2>/dev/null \
        || "$MEMBER_ANALYTICS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --no-deps -e "$MEMBER_ANALYTICS_HOME"
    echo "$_wanted" > "$_stamp"
fi
export PATH="$MEMBER_ANALYTICS_VENV/bin:$PATH"
