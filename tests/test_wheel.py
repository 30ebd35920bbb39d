"""The course's wheel, tested as a user would meet it (issue 12, items 1 and 2).

The wheel is built from a copy of this checkout (``pip wheel --no-build-isolation``, so no
network), then:

* its contents are checked statically: the lessons, the exercise notebooks and the public
  exercise tests are in ``course_utils/_course/``; no solution text, no ``solutions/``, no
  ``tests/hidden/`` and no held-out data are anywhere in it;
* it is installed into a fresh virtual environment outside the checkout, the way a lesson's
  first cell installs it on Colab, and from there ``start`` makes a learner's folder, lesson
  00 executes, ``check`` runs in a kernel and on the command line, and a one-student class is
  graded.

The fresh environment reuses this environment's third-party packages (PyTorch alone is
~1 GB) through a folder of links to them, one per package, that leaves out everything of the
course itself: this checkout's editable finder, its ``.pth`` files and its ``course_utils``.
A test asserts that ``course_utils`` then comes from the new environment only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import nbformat
import pytest

from course_utils import nbtools
from course_utils.course_root import BUNDLE_NAME, MARKER

CHECKOUT = Path(__file__).resolve().parents[1]
BUNDLE = f"course_utils/{BUNDLE_NAME}/"
SOLUTION_MARKER = "### BEGIN SOLUTION"

pytestmark = pytest.mark.timeout(300)


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, **kwargs)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(course_wheel) -> Path:
    """The course's wheel, built offline from a copy of this checkout (tests/conftest.py)."""
    return course_wheel


# --------------------------------------------------------------------------- what it holds


def _names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_carries_every_lesson_exercise_and_public_test(wheel):
    names = set(_names(wheel))
    expected = {f"{BUNDLE}{path.relative_to(CHECKOUT).as_posix()}"
                for folder, pattern in (("notebooks", "[0-9][0-9]_*.ipynb"), ("exercises", "*.ipynb"),
                                        ("tests/exercises", "test_*.py"))
                for path in (CHECKOUT / folder).glob(pattern)}
    assert expected and expected <= names, sorted(expected - names)
    assert f"{BUNDLE}tests/conftest.py" in names  # registers the grading plugin for the tests


def test_the_wheel_carries_no_solution_hidden_test_or_held_out_data(wheel):
    names = _names(wheel)
    assert not [n for n in names if "/solutions/" in f"/{n}" or "/hidden/" in f"/{n}"]
    with zipfile.ZipFile(wheel) as archive:
        leaking = [n for n in names if (n.endswith(".ipynb") or n.startswith(BUNDLE))
                   and SOLUTION_MARKER in archive.read(n).decode("utf-8", "replace")]
    assert leaking == []


def test_the_wheels_exercises_are_the_released_ones(wheel):
    """The learners get exactly exercises/ (generated from solutions/ by ``release``)."""
    with zipfile.ZipFile(wheel) as archive:
        for path in sorted((CHECKOUT / "exercises").glob("*.ipynb")):
            assert archive.read(f"{BUNDLE}exercises/{path.name}") == path.read_bytes(), path.name


def test_the_wheel_carries_the_data_files_and_the_console_script(wheel):
    names = set(_names(wheel))
    for path in (CHECKOUT / "course_utils" / "data").iterdir():
        assert f"course_utils/data/{path.name}" in names
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert "scaling-course = course_utils.__main__:main" in archive.read(entry_points).decode()


# ----------------------------------------------------------------- in a fresh environment


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory, wheel, make_environment) -> dict:
    """A new virtual environment, outside the checkout, with the course installed from the
    wheel by a lesson's first cell (the Colab route): ``{python, bin, env, home, site}``."""
    home = tmp_path_factory.mktemp("learner")
    made = make_environment(home / "venv")
    python, site = made["python"], made["site"]
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "SCALING_COURSE", "COURSE_", "JUPYTER", "VIRTUAL_ENV"))}
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", JUPYTER_PLATFORM_DIRS="1",
               JUPYTER_DATA_DIR=str(home / "jupyter-data"), JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(home / "jupyter-runtime"), MPLBACKEND="Agg", HOME=str(home),
               PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}", COURSE_HEADLESS="1")
    uploads = home / "uploads"  # the Colab session's folder, where the learner uploaded the wheel
    uploads.mkdir()
    shutil.copy(wheel, uploads / wheel.name)
    cell = home / "first_cell.py"
    cell.write_text(nbtools.LESSON_SETUP_CELL + "\n", encoding="utf-8")
    installed = _run([str(python), str(cell)], cwd=uploads, env=env)
    again = _run([str(python), str(cell)], cwd=uploads, env=env)
    return {"python": python, "bin": python.parent, "env": env, "home": home, "site": site,
            "first_run": installed.stdout, "second_run": again.stdout}


def _in_env(fresh_env, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return _run([str(fresh_env["bin"] / "scaling-course"), *args], cwd=cwd, env=fresh_env["env"])


@pytest.mark.slow
def test_the_first_cell_installs_the_course_and_is_silent_once_it_is_there(fresh_env):
    assert "has what the course's kernel needs" in fresh_env["first_run"]
    assert fresh_env["second_run"].startswith("Python ")  # nothing but doctor's report


@pytest.mark.slow
def test_the_course_is_imported_from_the_new_environment_and_nothing_of_the_checkout(fresh_env):
    probe = ("import importlib.metadata as md, json, sys, course_utils, course_utils.course_root as cr\n"
             "print(json.dumps({'file': course_utils.__file__, 'path': sys.path,\n"
             "  'finders': [type(f).__module__ + '.' + type(f).__name__ for f in sys.meta_path],\n"
             "  'dists': [str(d.locate_file('')) for d in md.distributions(name='scaling-laws-course')],\n"
             "  'root': [str(cr.find_course_root().path), cr.find_course_root().found_by]}))")
    seen = json.loads(_run([str(fresh_env["python"]), "-c", probe], cwd=fresh_env["home"],
                           env=fresh_env["env"]).stdout)
    site = fresh_env["site"]
    assert Path(seen["file"]).resolve().parent == (site / "course_utils").resolve()
    assert [Path(d).resolve() for d in seen["dists"]] == [site.resolve()]
    assert not [p for p in seen["path"] if p and Path(p).resolve().is_relative_to(CHECKOUT)]
    assert not [f for f in seen["finders"] if "editable" in f.lower()]
    assert seen["root"] == [str((site / "course_utils" / BUNDLE_NAME).resolve()), "installed package"]


@pytest.mark.slow
def test_a_learner_starts_runs_lesson_00_checks_and_an_instructor_grades(fresh_env, tmp_path):
    """The issue's "done when": no checkout anywhere, a folder made by ``start``, a lesson
    executed, ``check`` in a kernel and on the command line, a class graded."""
    home = fresh_env["home"]
    assert _in_env(fresh_env, "--version", cwd=home).stdout.startswith("scaling-laws-course ")

    course = home / "scaling-course"
    _in_env(fresh_env, "start", "--dir", str(course), cwd=home)
    assert (course / MARKER).is_file() and (course / "notebooks" / "00_welcome.ipynb").is_file()
    assert (course / "my_work" / "ex01_history_compute.ipynb").is_file()

    # lesson 00, executed by run-all from the learner's folder
    ran = _in_env(fresh_env, "run-all", "notebooks/00_welcome.ipynb", cwd=course)
    assert "00_welcome.ipynb" in ran.stdout and "all 1 ok" in ran.stdout

    # check() in a kernel running in the learner's folder finds the wheel's tests
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from course_utils.grading import check\n\n"
        "def training_flops(N, D):\n    return 6 * N * D\n\n"
        "check('training_flops')")]
    checked = course / "kernel_check.ipynb"
    nbformat.write(nb, checked)
    probe = home / "run_check.py"
    probe.write_text("import sys\nfrom course_utils.nbtools import execute_notebook\n"
                     "r = execute_notebook(sys.argv[1], timeout=180)\n"
                     "print(''.join(o.get('text', '') + o.get('data', {}).get('text/plain', '')\n"
                     "              for o in r.notebook.cells[0].outputs))\n")  # check() returns a report
    out = _run([str(fresh_env["python"]), str(probe), str(checked)], cwd=course, env=fresh_env["env"]).stdout
    assert re.search(r"✓ training_flops: (\d+)/\1 points", out), out

    # check on the command line, on the untouched exercise: every test runs, and fails
    cli = subprocess.run([str(fresh_env["bin"] / "scaling-course"), "check", "my_work/ex01_history_compute.ipynb"],
                         capture_output=True, text=True, timeout=240, cwd=course, env=fresh_env["env"])
    assert cli.returncode == 1, cli.stderr  # every test fails on the untouched exercise
    assert "no tests for" not in cli.stdout and "not implemented" in cli.stdout.lower(), cli.stdout

    # an instructor grades a one-student class from anywhere, with the wheel's tests
    submitted = tmp_path / "submissions" / "ada"
    submitted.mkdir(parents=True)
    solved = nbformat.read(course / "my_work" / "ex01_history_compute.ipynb", as_version=4)
    cell = next(c for c in solved.cells if c.source.lstrip().startswith("def training_flops"))
    cell.source = "def training_flops(N, D):\n    return 6 * N * D\n"
    nbformat.write(solved, submitted / "ex01_history_compute.ipynb")
    _in_env(fresh_env, "grade", str(tmp_path / "submissions"), "--out", str(tmp_path / "gradebook"), "--quiet",
            cwd=tmp_path)
    grades = (tmp_path / "gradebook" / "grades.csv").read_text(encoding="utf-8").splitlines()
    header, ada = grades[0].split(","), dict(zip(grades[0].split(","), grades[1].split(",")))
    assert ada["student"] == "ada" and float(ada["training_flops"]) > 0 and "total" in header
    assert float(ada["total"]) == float(ada["training_flops"])  # the other exercises are still blank
