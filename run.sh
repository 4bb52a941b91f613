#!/usr/bin/env bash
# Set up everything reportedly needs (a Python >= 3.12 virtualenv with the pinned packages), then run.
#   ./run.sh estimate   fit the shipped case, write estimates/, print the posterior summary
#   ./run.sh test       run the whole test suite
#   ./run.sh notebooks  regenerate and execute every notebook (refits the shipped case)
#   ./run.sh bench      benchmark (bench/results.md); ./run.sh bench --scale adds the scale curve
#   ./run.sh <command>  any other `reportedly` command, e.g. ./run.sh summary --json
# Set REPORTEDLY_PYTHON to choose the interpreter.
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }

find_python() {
    local candidates=()
    [ -n "${REPORTEDLY_PYTHON:-}" ] && candidates+=("$REPORTEDLY_PYTHON")
    candidates+=(python3.13 python3.12 python3)
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    for dir in "$root"/versions/3.1[2-9]*/bin; do
        [ -x "$dir/python3" ] && candidates+=("$dir/python3")
    done
    for p in "${candidates[@]}"; do
        if command -v "$p" >/dev/null 2>&1 && python_ok "$p"; then command -v "$p"; return 0; fi
    done
    return 1
}

setup() {
    local stamp="$VENV/.installed" want
    want=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
    if [ -x "$VENV/bin/python" ] && python_ok "$VENV/bin/python" && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    local python
    if ! python=$(find_python); then
        echo "reportedly needs Python 3.12 or newer and none was found (tried \$REPORTEDLY_PYTHON, python3.13," >&2
        echo "python3.12, python3 and pyenv versions under ${PYENV_ROOT:-$HOME/.pyenv}/versions)." >&2
        echo "Install one (e.g. 'pyenv install 3.12') or set REPORTEDLY_PYTHON=/path/to/python3.12." >&2
        exit 3
    fi
    echo "setting up $VENV with $python ($("$python" --version 2>&1))" >&2
    [ -x "$VENV/bin/python" ] && python_ok "$VENV/bin/python" || { rm -rf "$VENV"; "$python" -m venv "$VENV"; }
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.lock
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
    echo "$want" > "$stamp"
}

# The browser test of `reportedly report` needs a headless Chromium: install Debian's when it is missing.
browser() {
    command -v chromium >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing chromium (Debian package) for the browser test" >&2
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "the browser test needs chromium: install it (e.g. 'sudo apt-get install chromium')" >&2
    fi
}

command="${1:-estimate}"
[ $# -gt 0 ] && shift
setup
case "$command" in
    estimate) exec "$VENV/bin/reportedly" estimate "$@" ;;
    # The suite compiles a dozen models from empty caches: at numba's optimisation level 1 they compile in about
    # 0.84 of the time of numba's default 3, which the package keeps (README, Performance and Tests).
    test) browser; export NUMBA_OPT="${NUMBA_OPT:-1}"; exec "$VENV/bin/python" -m pytest "$@" ;;
    notebooks) exec "$VENV/bin/python" notebooks/build.py "$@" ;;
    bench) exec "$VENV/bin/python" bench/bench.py "$@" ;;
    *) exec "$VENV/bin/reportedly" "$command" "$@" ;;
esac
