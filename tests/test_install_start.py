"""``start``: a learner's folder, in a source checkout (as before) and anywhere else (issue 12).

In a checkout, ``my_work/`` receives the exercises only (the lessons are in ``notebooks/``).
Anywhere else, ``start --dir DIR`` writes a whole course folder: the lessons in
``DIR/notebooks/``, the exercises in ``DIR/`` and the marker ``DIR/.scaling-course`` that makes
``DIR`` the course root for ``check``, ``run-all`` and ``lab``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.course_root import ENV_ROOT, MARKER, find_course_root, find_folder
from course_utils.grading.workcopy import start_course

CHECKOUT = Path(__file__).resolve().parents[1]
LESSONS = sorted(p.name for p in (CHECKOUT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted(p.name for p in (CHECKOUT / "exercises").glob("*.ipynb"))


@pytest.fixture(autouse=True)
def _no_root_variable(monkeypatch):
    monkeypatch.delenv(ENV_ROOT, raising=False)


def test_a_folder_outside_the_checkout_becomes_a_course_folder(tmp_path):
    report = start_course(tmp_path / "course")
    folder = tmp_path / "course"
    assert report.course_folder and report.kept == []
    assert sorted(p.name for p in (folder / "notebooks").glob("*.ipynb")) == LESSONS
    assert sorted(p.name for p in folder.glob("*.ipynb")) == EXERCISES
    assert json.loads((folder / MARKER).read_text())["course"] == "scaling-laws-course"


def test_the_course_folder_is_the_course_root_with_the_tests_from_the_course(tmp_path):
    start_course(tmp_path / "course")
    root = find_course_root(cwd=tmp_path / "course" / "notebooks")
    assert (root.path, root.found_by) == ((tmp_path / "course").resolve(), "started folder")
    assert find_folder("notebooks", cwd=tmp_path / "course") == (tmp_path / "course" / "notebooks").resolve()
    assert find_folder("exercise_tests", cwd=tmp_path / "course") == CHECKOUT / "tests" / "exercises"


def test_my_work_inside_the_checkout_gets_the_exercises_only_as_before(tmp_path):
    my_work = CHECKOUT / "my_work"  # ignored by git; what this test adds is removed below
    existed = my_work.exists()
    mine = my_work / f"pytest-{tmp_path.name}"
    try:
        report = start_course(mine)
        assert not report.course_folder
        assert sorted(p.name for p in mine.iterdir()) == EXERCISES
    finally:
        shutil.rmtree(mine, ignore_errors=True)
        if not existed:
            shutil.rmtree(my_work, ignore_errors=True)


def test_running_start_again_adds_what_is_new_and_never_overwrites(tmp_path):
    folder = tmp_path / "course"
    start_course(folder)
    (folder / EXERCISES[0]).write_text("my answers")
    (folder / "notebooks" / LESSONS[0]).unlink()
    report = start_course(folder)
    assert [p.name for p in report.copied] == [LESSONS[0]]
    assert (folder / EXERCISES[0]).read_text() == "my answers"


def test_start_run_inside_a_course_folder_copies_from_the_course_not_from_itself(tmp_path, monkeypatch):
    folder = tmp_path / "course"
    start_course(folder)
    (folder / "exercises").mkdir()  # a stray folder of the learner's: never a source
    monkeypatch.chdir(folder)
    report = start_course(folder / "again")
    assert sorted(p.name for p in report.copied if p.parent == folder / "again") == EXERCISES


def test_the_start_command_says_where_the_lessons_are(tmp_path):
    done = subprocess.run([sys.executable, "-m", "course_utils", "start", "--dir", str(tmp_path / "course")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "00_welcome.ipynb" in done.stdout and f"jupyter lab {tmp_path / 'course'}" in done.stdout
