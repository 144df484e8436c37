# Sourced by the bin/ scripts: absolute paths for everything dbt touches, so
# nothing depends on the directory you run from. Override any of these by
# exporting it first (a relative path is taken from the current folder).
# The CLI sets the same variables itself (src/member_analytics/env.py,
# ensure_environment); pytests/test_env.py checks that the two agree.
MEMBER_ANALYTICS_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MEMBER_ANALYTICS_HOME
export MEMBER_ANALYTICS_VENV="${MEMBER_ANALYTICS_VENV:-$MEMBER_ANALYTICS_HOME/.venv}"
export DBT_PROJECT_DIR="$MEMBER_ANALYTICS_HOME"
export DBT_PROFILES_DIR="${DBT_PROFILES_DIR:-$MEMBER_ANALYTICS_HOME/profiles}"
export DBT_TARGET_PATH="${DBT_TARGET_PATH:-$MEMBER_ANALYTICS_HOME/target}"
export DBT_LOG_PATH="${DBT_LOG_PATH:-$MEMBER_ANALYTICS_HOME/logs}"
export MEMBER_ANALYTICS_WAREHOUSE_DIR="${MEMBER_ANALYTICS_WAREHOUSE_DIR:-$MEMBER_ANALYTICS_HOME/warehouse}"
export MEMBER_ANALYTICS_DUCKDB_PATH="${MEMBER_ANALYTICS_DUCKDB_PATH:-$MEMBER_ANALYTICS_WAREHOUSE_DIR/member_analytics.duckdb}"
export MEMBER_ANALYTICS_DUCKDB_TEMP_DIR="${MEMBER_ANALYTICS_DUCKDB_TEMP_DIR:-$MEMBER_ANALYTICS_WAREHOUSE_DIR/tmp}"
export MEMBER_ANALYTICS_RAW_DATA_PATH="${MEMBER_ANALYTICS_RAW_DATA_PATH:-$MEMBER_ANALYTICS_HOME/data/raw}"
export MEMBER_ANALYTICS_REPORTS_DIR="${MEMBER_ANALYTICS_REPORTS_DIR:-$MEMBER_ANALYTICS_HOME/reports}"
# The key that pseudonymises phone numbers and nicknames (docs/decisions/0062).
# Created once, readable by its owner only; keep it (and back it up) to keep
# member hashes stable across builds. Point this at your secret store's file.
export MEMBER_ANALYTICS_PII_KEY_FILE="${MEMBER_ANALYTICS_PII_KEY_FILE:-$MEMBER_ANALYTICS_HOME/secrets/pii_key}"
for _ma_var in MEMBER_ANALYTICS_VENV DBT_PROFILES_DIR DBT_TARGET_PATH DBT_LOG_PATH MEMBER_ANALYTICS_WAREHOUSE_DIR \
        MEMBER_ANALYTICS_DUCKDB_PATH MEMBER_ANALYTICS_DUCKDB_TEMP_DIR MEMBER_ANALYTICS_RAW_DATA_PATH \
        MEMBER_ANALYTICS_REPORTS_DIR MEMBER_ANALYTICS_PII_KEY_FILE; do
    [[ "${!_ma_var}" == /* ]] || export "$_ma_var=$PWD/${!_ma_var}"
done
unset _ma_var
if [[ ! -s "$MEMBER_ANALYTICS_PII_KEY_FILE" ]]; then
    mkdir -p "$(dirname "$MEMBER_ANALYTICS_PII_KEY_FILE")"
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$MEMBER_ANALYTICS_PII_KEY_FILE")
fi
# Offline and CI friendly.
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
export DBT_VERSION_CHECK=false
export GX_ANALYTICS_ENABLED=false
export PYTHONUNBUFFERED=1
mkdir -p "$(dirname "$MEMBER_ANALYTICS_DUCKDB_PATH")" "$MEMBER_ANALYTICS_DUCKDB_TEMP_DIR"
