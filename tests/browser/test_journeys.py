"""A learner's first hour on every route the README and the learners' guide offer, taken in a
real browser (issue 19).

Each journey starts the course the way they say, then (:class:`journey.Journey`)
opens lesson 00 and runs it: the environment check must end in "All set", which it says only
once the page's widget manager has answered, and its slider must move its readout; finds
the learner's copies of the exercises in the file browser; opens exercise 1, runs all its
cells and sees the ``check_all()`` table; writes one function and sees ✓ from its check.
Screenshots of every step go to ``test-artifacts/``.

The routes:

* **the laptop**: ``./start.sh --no-browser`` on a fresh copy of the checkout, which builds its
  own ``.venv/`` the first time (a few minutes);
* **the course folder**: the wheel installed in a fresh environment, ``scaling-course start --dir
  scaling-course``, then ``jupyter lab scaling-course``;
* **a real JupyterHub** (test_hub.py).

Needs Debian's Chromium and Playwright (the browser fixtures skip without them, and fail
under ``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, start_lab, stop_lab, wait_until_ready
from journey import EXERCISES, Journey, take

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

#: seconds ./start.sh may take on a fresh copy: it creates .venv/ and installs PyTorch (CPU),
#: the course and JupyterLab (about two minutes on two idle cores)
FIRST_START_S = 600


def learner_environment(home: Path, bin_dir: Path | None = None) -> dict:
    """A learner's shell: their own HOME, none of this test run's environment or course settings."""
    path = os.environ.get("PATH", "").split(os.pathsep)
    ours = str(Path(sys.executable).parent)
    path = [entry for entry in path if entry != ours]
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "SCALING_COURSE", "COURSE_", "JUPYTER", "VIRTUAL_ENV", "MPLBACKEND",
                                  "PYTEST", "IPYTHON"))}
    env.update(HOME=str(home), PATH=os.pathsep.join(([str(bin_dir)] if bin_dir else []) + path))
    return env


def _stop(process, server) -> None:
    survivors = stop_lab(process, server)
    assert not survivors, f"processes left behind by JupyterLab: {sorted(survivors)}"


def _fresh_copy(target: Path) -> Path:
    """What a learner has after cloning the course: the files git tracks, nothing built."""
    listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=False)
    if listing.returncode != 0:
        pytest.skip("the laptop journey copies a git checkout (git ls-files failed)")
    for name in filter(None, listing.stdout.decode().split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_the_laptop_route_start_sh_on_a_fresh_copy(page, tmp_path_factory):
    home = tmp_path_factory.mktemp("laptop")
    course = _fresh_copy(home / "scaling-course")
    work = tmp_path_factory.mktemp("laptop-lab")
    process, server = start_lab(course, work, command=["./start.sh"], cwd=course,
                                env=learner_environment(home))
    try:
        wait_until_ready(process, server, timeout=FIRST_START_S)
        # the root is the course folder: the exercise copies are in its listing
        listing = {item["name"] for item in server.api("contents/my_work")["content"]}
        assert listing == {f"{name}.ipynb" for name in EXERCISES}
        page.goto(f"{server.url}/?token={server.token}")  # the default URL is lesson 00
        page.wait_for_url("**/lab/tree/notebooks/00_welcome.ipynb*", timeout=60_000)
        take(Journey(page, "laptop").first_hour())
    finally:
        _stop(process, server)


@pytest.fixture(scope="module")
def wheel_environment(tmp_path_factory, course_wheel, make_environment) -> dict:
    """A fresh environment with the course's wheel installed (``pip install scaling_laws_course-….whl``)."""
    home = tmp_path_factory.mktemp("course-folder")
    made = make_environment(home / "venv")
    env = learner_environment(home, made["bin"])
    done = subprocess.run([str(made["python"]), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           str(course_wheel)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return {**made, "home": home, "env": env}


def test_the_course_folder_route_start_dir_then_jupyter_lab(page, wheel_environment, tmp_path_factory):
    home, env = wheel_environment["home"], wheel_environment["env"]
    started = subprocess.run([str(wheel_environment["bin"] / "scaling-course"), "start", "--dir", "scaling-course"],
                             capture_output=True, text=True, cwd=home, env=env, timeout=120)
    assert started.returncode == 0, started.stderr
    assert "Open it with:  jupyter lab scaling-course" in started.stdout
    # `jupyter lab scaling-course`, with this environment's JupyterLab
    process, server = start_lab(home / "scaling-course", tmp_path_factory.mktemp("course-folder-lab"),
                                command=[str(wheel_environment["python"]), "-m", "jupyterlab", "scaling-course"],
                                cwd=home, env=env)
    try:
        wait_until_ready(process, server)
        page.goto(f"{server.url}/lab?token={server.token}")
        journey = Journey(page, "course-folder")
        journey.open_lesson_00()  # `jupyter lab DIR` opens the file browser at DIR
        take(journey.first_hour())
    finally:
        _stop(process, server)
