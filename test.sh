#!/usr/bin/env bash
# One command to set up (the first time) and run every test, exactly as CI does (.ci/run).
# It creates .venv/ with CPU PyTorch and the course's development extra, then runs the test
# command of the manual steps (docs/guides/learners.md). Chromium (for the browser test) is the
# one thing it does not install.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup-venv.sh dev
# shellcheck disable=SC1091
source .venv/bin/activate
# The manual steps' test command, verbatim (tests/test_packaging.py checks).
pytest
