#!/usr/bin/env bash
# A learner's laptop, one command: set up (the first time) and open the course in JupyterLab.
#   ./start.sh                 # extra options go to JupyterLab, e.g. ./start.sh --no-browser
# The first run creates .venv/ with CPU PyTorch, the course and JupyterLab (a few minutes);
# later runs start in seconds. Your exercises are copied once into my_work/, which git ignores.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup-venv.sh lab
.venv/bin/python -m course_utils start | grep -v '^kept' || true  # only what is new
extra=()
if [ "$(id -u)" = "0" ]; then
    extra+=(--allow-root)  # JupyterLab refuses to run as root without it (containers, CI)
fi
exec .venv/bin/jupyter lab "${extra[@]}" "$@" notebooks/00_welcome.ipynb
