"""``start``: a learner's folder, in a source checkout and anywhere else (issues 12 and 19).

In a checkout, ``my_work/`` receives the exercises only (the lessons are in ``notebooks/``).
Anywhere else, ``start --dir DIR`` writes a whole course folder: the lessons in
``DIR/notebooks/``, the exercises in ``DIR/my_work/`` (the same place, relative to the lessons,
as in a checkout) and the marker ``DIR/.scaling-course`` that makes ``DIR`` the course root for
``check``, ``run-all`` and ``lab``. ``start --update`` brings a folder made by an older version
up to date without touching a learner's exercise copy.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils.course_root import ENV_ROOT, MARKER, find_course_root, find_folder
from course_utils.grading.commands.workcopy import cells_fingerprint, start_course

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
    assert sorted(p.name for p in (folder / "my_work").glob("*.ipynb")) == EXERCISES
    assert list(folder.glob("*.ipynb")) == []
    assert json.loads((folder / MARKER).read_text())["course"] == "scaling-laws-course"


def test_the_course_folder_is_private_to_the_learner(tmp_path):
    start_course(tmp_path / "course")
    assert (tmp_path / "course").stat().st_mode & 0o777 == 0o700


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
    (folder / "my_work" / EXERCISES[0]).write_text("my answers")
    (folder / "notebooks" / LESSONS[0]).unlink()
    report = start_course(folder)
    assert [p.name for p in report.copied] == [LESSONS[0]]
    assert (folder / "my_work" / EXERCISES[0]).read_text() == "my answers"


def test_start_run_inside_a_course_folder_copies_from_the_course_not_from_itself(tmp_path, monkeypatch):
    folder = tmp_path / "course"
    start_course(folder)
    (folder / "exercises").mkdir()  # a stray folder of the learner's: never a source
    monkeypatch.chdir(folder)
    report = start_course(folder / "again")
    assert sorted(p.name for p in report.copied if p.parent == folder / "again" / "my_work") == EXERCISES


def test_the_start_command_says_where_the_lessons_are(tmp_path):
    done = subprocess.run([sys.executable, "-m", "course_utils", "start", "--dir", str(tmp_path / "course")],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "00_welcome.ipynb" in done.stdout and f"jupyter lab {tmp_path / 'course'}" in done.stdout


def _start(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "course_utils", "start", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_a_folder_start_cannot_create_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    done = _start("--dir", str(tmp_path / "a-file" / "course"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: dir: cannot create the folder {tmp_path / 'a-file' / 'course'}")
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


# ------------------------------------------------------------------ after an upgrade


def _older_folder(folder: Path) -> None:
    """A course folder as version 0.1.0 left it: its own marker, a lesson that has changed
    since, a lesson that did not exist yet, and a learner who edited one lesson and answered."""
    start_course(folder, version="0.1.0")
    marker = json.loads((folder / MARKER).read_text())
    (folder / MARKER).write_text(json.dumps({"course": marker["course"], "started_with": "0.1.0"}))
    for name, text in ((LESSONS[1], "what 0.1.0 said"), (LESSONS[2], "what 0.1.0 said, and my notes")):
        nb = nbformat.read(folder / "notebooks" / name, as_version=4)
        nb.cells[-1].source = text
        nbformat.write(nb, folder / "notebooks" / name)
    (folder / "notebooks" / LESSONS[-1]).unlink()  # new in this version
    (folder / "my_work" / EXERCISES[0]).write_text("my answers")
    (folder / "my_work" / EXERCISES[-1]).unlink()  # a new exercise


def test_start_on_a_folder_made_by_an_older_version_says_so_and_how_to_update(tmp_path):
    from course_utils import __version__

    _older_folder(tmp_path / "course")
    done = _start("--dir", str(tmp_path / "course"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"holds the lessons of version 0.1.0; the installed course is {__version__}" in done.stdout
    assert f"scaling-course start --dir {tmp_path / 'course'} --update" in done.stdout
    assert "what 0.1.0 said" in (tmp_path / "course" / "notebooks" / LESSONS[1]).read_text()  # not yet


def test_update_brings_in_changed_and_new_lessons_and_never_touches_an_exercise_copy(tmp_path):
    from course_utils import __version__

    folder = tmp_path / "course"
    _older_folder(folder)
    done = _start("--dir", str(folder), "--update", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name in LESSONS:  # every lesson is now the current one
        assert (folder / "notebooks" / name).read_bytes() == (CHECKOUT / "notebooks" / name).read_bytes(), name
    assert (folder / "my_work" / EXERCISES[0]).read_text() == "my answers"
    assert (folder / "my_work" / EXERCISES[-1]).read_bytes() == (CHECKOUT / "exercises" / EXERCISES[-1]).read_bytes()
    kept = folder / "earlier-lessons" / "0.1.0"
    assert {p.name for p in kept.iterdir()} == {LESSONS[1], LESSONS[2]}  # nothing recorded says who edited them
    assert "what 0.1.0 said, and my notes" in (kept / LESSONS[2]).read_text()
    marker = json.loads((folder / MARKER).read_text())
    assert marker["started_with"] == "0.1.0" and marker["lessons_version"] == __version__
    assert f"updated {folder / 'notebooks' / LESSONS[2]} (your edited copy is kept as {kept / LESSONS[2]})" \
        in done.stdout
    assert f"added   {folder / 'notebooks' / LESSONS[-1]}" in done.stdout
    assert f"added   {folder / 'my_work' / EXERCISES[-1]}" in done.stdout


def test_update_replaces_a_lesson_the_learner_only_ran_and_keeps_one_they_edited(tmp_path):
    folder = tmp_path / "course"
    start_course(folder, version="0.1.0")
    ran = nbformat.read(folder / "notebooks" / LESSONS[1], as_version=4)
    ran.cells[1].outputs = [nbformat.v4.new_output("stream", text="run by the learner")]
    nbformat.write(ran, folder / "notebooks" / LESSONS[1])
    edited = nbformat.read(folder / "notebooks" / LESSONS[2], as_version=4)
    edited.cells.append(nbformat.v4.new_markdown_cell("my own notes"))
    nbformat.write(edited, folder / "notebooks" / LESSONS[2])
    recorded = json.loads((folder / MARKER).read_text())["lessons"]
    assert recorded[LESSONS[1]] == cells_fingerprint(folder / "notebooks" / LESSONS[1])  # outputs do not count
    assert recorded[LESSONS[2]] != cells_fingerprint(folder / "notebooks" / LESSONS[2])
    changed = tmp_path / "next" / "notebooks"  # the next version changes every lesson
    changed.mkdir(parents=True)
    for name in LESSONS:
        nb = nbformat.read(CHECKOUT / "notebooks" / name, as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell("new in this version"))
        nbformat.write(nb, changed / name)

    from unittest import mock

    from course_utils.grading.commands import workcopy

    real = workcopy.find_folder
    with mock.patch.object(workcopy, "find_folder",
                           lambda name, **kw: changed if name == "notebooks" else real(name, **kw)):
        report = start_course(folder, update=True)
    assert {p.name for p in report.updated} == set(LESSONS)
    assert {p.name for p in report.saved} == {LESSONS[2]}  # the run-only lesson was not worth keeping
    assert "my own notes" in (folder / "earlier-lessons" / "0.1.0" / LESSONS[2]).read_text()


def test_update_moves_exercise_copies_of_the_0_2_0_layout_into_my_work(tmp_path):
    folder = tmp_path / "course"
    start_course(folder, version="0.2.0")
    for name in EXERCISES:
        (folder / "my_work" / name).rename(folder / name)
    (folder / EXERCISES[0]).write_text("my answers")
    report = start_course(folder, update=True)
    assert (folder / "my_work" / EXERCISES[0]).read_text() == "my answers"
    assert list(folder.glob("*.ipynb")) == [] and len(report.moved) == len(EXERCISES)


def test_update_when_nothing_changed_says_so(tmp_path):
    start_course(tmp_path / "course")
    done = _start("--dir", str(tmp_path / "course"), "--update", cwd=tmp_path)
    assert done.returncode == 0 and ": nothing had changed" in done.stdout


# ------------------------------------------------- every path the learner is told about exists

#: a path the course names for a learner: in backticks, starting with one of the course's folders
_COURSE_PATH = re.compile(r"`((?:notebooks|my_work|exercises|solutions|tests|course_utils)/[^`\s]*)`")
#: a notebook the course names by itself, in backticks (not the "-Copy1" example of a bad name)
_NOTEBOOK_NAME = re.compile(r"`((?:ex\d\d|\d\d)_[\w-]+\.ipynb)`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _named_paths(notebook: Path) -> list[tuple[str, list[Path]]]:
    """Each path a notebook's text names, with where it may be (relative to the course folder)."""
    folder = notebook.parent.parent if notebook.parent.name in {"notebooks", "my_work"} else notebook.parent
    found = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        for target in _LINK.findall(cell.source):
            if not re.match(r"^[a-zA-Z][\w+.-]*:|^#", target):
                found.append((target, [notebook.parent / target.split("#")[0]]))
        for path in _COURSE_PATH.findall(cell.source):
            found.append((path, [folder / path.replace("…", "*")]))
        for name in _NOTEBOOK_NAME.findall(cell.source):
            if "-Copy" not in name:
                found.append((name, [folder / "my_work" / name, folder / "notebooks" / name]))
    return found


def test_every_path_the_lessons_and_exercises_name_exists_in_a_course_folder(tmp_path):
    folder = tmp_path / "course"
    start_course(folder)
    notebooks = sorted((folder / "notebooks").glob("*.ipynb")) + sorted((folder / "my_work").glob("*.ipynb"))
    missing, named = [], 0
    for notebook in notebooks:
        for text, places in _named_paths(notebook):
            named += 1
            if not any(list(place.parent.glob(place.name)) for place in places):
                missing.append(f"{notebook.relative_to(folder)}: {text}")
    assert missing == [] and named >= 14, missing  # at least each lesson's link to its exercise


def test_every_lesson_links_to_the_learners_copy_of_its_exercise():
    for number in range(1, 7):
        (lesson,) = (CHECKOUT / "notebooks").glob(f"{number:02d}_*.ipynb")
        (exercise,) = (CHECKOUT / "exercises").glob(f"ex{number:02d}_*.ipynb")
        text = lesson.read_text(encoding="utf-8")
        assert f"(../my_work/{exercise.name})" in text, lesson.name
        assert f"`exercises/{exercise.name}`" not in text, lesson.name


def test_start_inside_a_course_folder_without_dir_updates_that_folder(tmp_path):
    folder = tmp_path / "course"
    start_course(folder, version="0.1.0")
    (folder / "my_work" / EXERCISES[-1]).unlink()
    done = _start("--update", cwd=folder / "notebooks")
    assert done.returncode == 0, done.stderr
    assert f"added   {folder / 'my_work' / EXERCISES[-1]}" in done.stdout
    assert not (folder / "notebooks" / "scaling-course").exists()
