#!/usr/bin/env bash
# A learner's laptop, one command: set up (the first time) and open the course in JupyterLab.
#   ./start.sh                 # extra options go to JupyterLab, e.g. ./start.sh --no-browser
# The first run creates .venv/ with CPU PyTorch, the course and JupyterLab (a few minutes);
# later runs start in seconds. Your exercises are copied once into my_work/, which git ignores.
# The server's root is this folder, so the file browser shows notebooks/ and my_work/ side by
# side; lesson 00 is the page it opens (its default URL).
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup-venv.sh lab
.venv/bin/python -m course_utils start | grep -v '^kept' || true  # only what is new
extra=()
if [ "$(id -u)" = "0" ]; then
    extra+=(--allow-root)  # JupyterLab refuses to run as root without it (containers, CI)
fi
# Never `jupyter lab notebooks/00_welcome.ipynb`: given a file, JupyterLab serves that file's
# folder only, and the exercises in my_work/ would be out of reach. (${extra[@]+...} keeps
# macOS's bash 3.2 from calling an empty array unbound under set -u.)
exec .venv/bin/jupyter lab ${extra[@]+"${extra[@]}"} --ServerApp.root_dir="$PWD" \
    --LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb "$@"
