#!/usr/bin/env bash
# Shared by start.sh and test.sh: make sure .venv/ exists and holds CPU PyTorch and the course
# (and, for the dev extra, the hub journey's proxy from npm).
#   usage: scripts/setup-venv.sh EXTRAS      (EXTRAS: lab or dev)
# Idempotent: a second run only reinstalls the course when pyproject.toml has changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:?usage: scripts/setup-venv.sh lab|dev}"
python="${PYTHON:-python3}"
torch_version="2.13.0"

if [ ! -x .venv/bin/python ]; then
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
        echo "error: the course needs Python 3.10 or newer; '$python' is $("$python" --version 2>&1 || echo missing)." >&2
        echo "       Install one, or name it: PYTHON=python3.12 $0 $extras" >&2
        exit 2
    fi
    echo "creating the virtual environment .venv/ with $("$python" --version)"
    "$python" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi

# The CPU-only build of PyTorch first: a plain `torch` requirement pulls a multi-GB CUDA build
# on Linux. Order of sources: PyTorch's CPU build by its exact name (torch==X+cpu), wherever pip
# can see it (a local wheel folder, a mirror), with its dependencies from the usual indexes;
# then PyTorch's CPU index on Linux; PyPI elsewhere (whose macOS and Windows wheels are CPU
# builds already).
if ! .venv/bin/python -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("torch") is None)'; then
    echo "installing PyTorch ${torch_version} (CPU build)"
    if .venv/bin/python -m pip install --quiet --only-binary=:all: "torch==${torch_version}+cpu" 2>/dev/null; then
        :
    elif [ "$(uname -s)" = "Linux" ]; then
        .venv/bin/python -m pip install --quiet "torch==${torch_version}" \
            --index-url "${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"
    else
        .venv/bin/python -m pip install --quiet "torch==${torch_version}"
    fi
fi

stamp=".venv/.course-installed-${extras}"
want="$(cksum pyproject.toml setup.py | cksum)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "installing the course with its '${extras}' extra (editable: this folder is the course)"
    .venv/bin/python -m pip install --quiet -e ".[${extras}]"
    echo "$want" > "$stamp"
fi

# The development extra runs the hub journey (tests/browser/test_journeys.py), which needs
# JupyterHub's proxy, configurable-http-proxy: from npm, into .venv/node/ so that it goes
# with this environment. Without npm the journey skips and says so (and fails under CI=true).
chp=".venv/node/node_modules/.bin/configurable-http-proxy"
if [ "$extras" = "dev" ] && [ ! -x "$chp" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "installing configurable-http-proxy (npm) into .venv/node/ for the hub journey"
        npm install --silent --no-audit --no-fund --prefix .venv/node "configurable-http-proxy@^5" \
            || echo "note: npm could not install configurable-http-proxy; the hub journey will skip"
    else
        echo "note: npm is not installed, so the hub journey will skip (it needs configurable-http-proxy)"
    fi
fi
