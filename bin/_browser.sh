# Sourced by bin/test (or run: bash bin/_browser.sh): make sure headless
# Chromium and its WebDriver are installed for the dashboard's browser test
# (pytests/dbt/test_dashboard.py), installing the Debian packages `chromium`
# and `chromium-driver` when they are missing, and a small CJK font
# (`fonts-wqy-microhei`, 1.6 MB) so the screenshot shows Chinese product names
# rather than boxes. Exports MEMBER_ANALYTICS_CHROMIUM and
# MEMBER_ANALYTICS_CHROMEDRIVER (absolute paths; empty when not found).
# Installing needs apt-get and root (or sudo); when the browser cannot be had,
# the test fails with a message saying so rather than being skipped.
_ma_find_browser() {
    MEMBER_ANALYTICS_CHROMIUM="${MEMBER_ANALYTICS_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
    MEMBER_ANALYTICS_CHROMEDRIVER="${MEMBER_ANALYTICS_CHROMEDRIVER:-$(command -v chromedriver || true)}"
    [[ -n "$MEMBER_ANALYTICS_CHROMIUM" && -n "$MEMBER_ANALYTICS_CHROMEDRIVER" ]]
}

_ma_packages=()
_ma_find_browser || _ma_packages+=(chromium chromium-driver)
_ma_has_cjk_font() { command -v fc-list >/dev/null 2>&1 && [[ -n "$(fc-list :lang=zh 2>/dev/null)" ]]; }
_ma_has_cjk_font || _ma_packages+=(fonts-wqy-microhei)

if (( ${#_ma_packages[@]} )); then
    echo "== installing ${_ma_packages[*]} (Debian packages) for the dashboard's browser test"
    _ma_sudo=""
    [[ "$(id -u)" == 0 ]] || _ma_sudo="$(command -v sudo || true)"
    if [[ "$(id -u)" != 0 && -z "$_ma_sudo" ]] || ! command -v apt-get >/dev/null 2>&1; then
        echo "   cannot install: needs apt-get and root or sudo; install ${_ma_packages[*]} yourself" >&2
    else
        # Quiet apt (its errors still reach stderr); wait for another apt run's lock;
        # refresh the package lists only when the first attempt fails.
        _ma_apt=($_ma_sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -qq)
        "${_ma_apt[@]}" install "${_ma_packages[@]}" >/dev/null \
            || { "${_ma_apt[@]}" update >/dev/null && "${_ma_apt[@]}" install "${_ma_packages[@]}" >/dev/null; } \
            || echo "   apt-get could not install ${_ma_packages[*]}" >&2
        unset _ma_apt
    fi
    unset MEMBER_ANALYTICS_CHROMIUM MEMBER_ANALYTICS_CHROMEDRIVER _ma_sudo
    _ma_find_browser || true
fi
export MEMBER_ANALYTICS_CHROMIUM MEMBER_ANALYTICS_CHROMEDRIVER
unset _ma_packages
unset -f _ma_find_browser _ma_has_cjk_font
