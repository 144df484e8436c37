# Sourced by bin/run and bin/test: create .venv and install each lock file that
# is new or changed since the last install, then this project's tooling.
# MEMBER_ANALYTICS_WITH_SPARK=1 (bin/test sets it) adds requirements/spark-lock.txt
# (dbt-spark, pyspark: ~500 MB), which DuckDB-only users never need.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"

_python="${PYTHON:-python3}"
if ! "$_python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "member_analytics needs Python 3.11 or newer (found: $("$_python" --version 2>&1)). Set PYTHON=/path/to/python3.11." >&2
    exit 1
fi

_locks=(lock.txt)
if [[ "${MEMBER_ANALYTICS_WITH_SPARK:-0}" == 1 ]]; then
    _locks+=(spark-lock.txt)
fi

[[ -x "$MEMBER_ANALYTICS_VENV/bin/python" ]] || {
    echo "== creating $MEMBER_ANALYTICS_VENV (first run: about 2 minutes, 4 with Spark)"
    "$_python" -m venv "$MEMBER_ANALYTICS_VENV"
}
for _lock in "${_locks[@]}"; do
    _stamp="$MEMBER_ANALYTICS_VENV/.installed-$_lock"
    _wanted="$(cat "$MEMBER_ANALYTICS_HOME/requirements/$_lock" "$MEMBER_ANALYTICS_HOME/pyproject.toml" | sha256sum | cut -d' ' -f1)"
    [[ "$(cat "$_stamp" 2>/dev/null)" == "$_wanted" ]] && continue
    echo "== installing requirements/$_lock into $MEMBER_ANALYTICS_VENV"
    # This machine's pip config may name local package folders that do not
    # exist; pip warns about each. The filter hides that noise, not errors.
    "$MEMBER_ANALYTICS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$MEMBER_ANALYTICS_HOME/requirements/$_lock" 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
    "$MEMBER_ANALYTICS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-deps -e "$MEMBER_ANALYTICS_HOME" 2>&1 \
        | { grep -v "is ignored: it is neither a file nor a directory" || true; }
    echo "$_wanted" > "$_stamp"
done
export PATH="$MEMBER_ANALYTICS_VENV/bin:$PATH"
