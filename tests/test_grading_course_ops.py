"""``grade``'s course operations on the grader's small fixture: assignments week by week, written
answers, marks and overrides that survive regrades, and an instructor's mistakes, each a
clear error (exit 2) before anything is graded, or a note, never a changed gradebook.

The class: ``tiny`` (6 points over add, mean and scale: ``tests/hostile/fixture``) and
``essay``, a notebook of written answers marked with a rubric (one question, ``why``, 5 points).
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from course_utils.__main__ import main

FIXTURE = Path(__file__).parent / "hostile" / "fixture"
RUBRIC = 'notebook = "essay"\ntitle = "Why"\n\n[[question]]\nid = "why"\ntitle = "Why?"\npoints = 5\n'
ROSTER = "folder,name,canvas_id,email\nada,Ada Lovelace,101,ada@example.org\nbob,Bob Bee,102,bob@example.org\n"


def _essay(text: str) -> dict:
    cell = {"cell_type": "markdown", "id": "a1", "metadata": {"tags": ["answer", "question:why"]}, "source": text}
    return {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def course(tmp_path):
    """Tests (the fixture's plus a rubric), a class of two, a roster; returns a runner of the CLI."""
    tests = tmp_path / "tests"
    shutil.copytree(FIXTURE, tests, ignore=shutil.ignore_patterns("tiny_hidden", "__pycache__"))
    (tests / "rubric_essay.toml").write_text(RUBRIC, encoding="utf-8")
    for student, answer in (("ada", "Because <b>it scales</b>."), ("bob", "")):
        (tmp_path / "subs" / student).mkdir(parents=True)
        shutil.copy(FIXTURE / "tiny.ipynb", tmp_path / "subs" / student / "tiny.ipynb")
        (tmp_path / "subs" / student / "essay.ipynb").write_text(json.dumps(_essay(answer)), encoding="utf-8")
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")

    def grade(*options: str) -> int:
        return main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--tests", str(tests),
                     "--quiet", *options])

    return tmp_path, grade


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _sheet(tmp_path: Path, rows: str) -> str:
    path = tmp_path / "marks.csv"
    path.write_text("student,notebook,question,max_points,points,comment\n" + rows, encoding="utf-8")
    return str(path)


def test_one_notebook_is_graded_and_the_other_is_not_counted_as_missing(course):
    tmp_path, grade = course
    assert grade("--notebook", "tiny") == 0
    grades = _grades(tmp_path / "out")
    assert grades["ada"]["tiny"] == grades["ada"]["possible"] == "6" and "essay" not in grades["ada"]


def test_written_answers_are_collected_into_pages_and_a_prefilled_sheet(course):
    tmp_path, grade = course
    assert grade("--notebook", "essay") == 0
    out = tmp_path / "out"
    assert "Because &lt;b&gt;it scales&lt;/b&gt;." in (out / "answers" / "essay" / "ada.html").read_text()
    with open(out / "marking_essay.csv", newline="", encoding="utf-8") as handle:
        sheet = [(r["student"], r["question"], r["points"], r["comment"]) for r in csv.DictReader(handle)]
    assert sheet == [("ada", "why", "", ""), ("bob", "why", "0", "no answer")]
    assert not (out / "grades.csv").read_text().splitlines()[1:]  # nothing is graded until marks are merged


def test_marks_and_overrides_survive_a_regrade_and_the_override_follows_the_new_result(course):
    tmp_path, grade = course
    (tmp_path / "overrides.csv").write_text("student,exercise,points,reason\nbob,add,1,shown in class\n")
    assert grade("--merge-rubric", _sheet(tmp_path, "ada,essay,why,5,4,good\nbob,essay,why,5,0,none\n"),
                 "--overrides", str(tmp_path / "overrides.csv")) == 0
    assert _grades(tmp_path / "out")["bob"]["add"] == "1"  # set to 1 of 2 (the tests gave 2)
    (tmp_path / "subs" / "bob" / "tiny.ipynb").write_text("{}")  # bob's resubmission is broken: tests give 0
    assert grade("--student", "bob", "--notebook", "tiny") == 0
    grades = _grades(tmp_path / "out")
    assert grades["bob"]["add"] == "1" and grades["bob"]["mean"] == "0"  # the override still sets add to 1
    assert grades["ada"]["why"] == "4" and grades["ada"]["essay"] == "4"  # ada's mark is kept
    feedback = (tmp_path / "out" / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert "• set to 1 of 2 points by the instructor (the tests gave 0): shown in class" in feedback


def test_rebuilding_from_the_record_gives_the_same_files(course):
    from course_utils.grading.stages.outputs import rebuild

    tmp_path, grade = course
    assert grade("--merge-rubric", _sheet(tmp_path, "ada,essay,why,5,4,good\n")) == 0
    out = tmp_path / "out"
    before = {k: v for k, v in _digest(out).items() if k != "totals.png"}
    rebuild(out, tests_dir=tmp_path / "tests")
    assert {k: v for k, v in _digest(out).items() if k != "totals.png"} == before


MISTAKES = {
    "a roster of another class": (["--roster", "{tmp}/other.csv"], "lists none of the 2 folder(s)"),
    "a roster file that is not there": (["--roster", "{tmp}/nowhere.csv"], "roster: {tmp}/nowhere.csv: no such file"),
    "a marking sheet with an unknown student": (["--merge-rubric", "{tmp}/unknown.csv"], "unknown student 'zed'"),
    "marks above the maximum": (["--merge-rubric", "{tmp}/too_many.csv"], "points 6 above the maximum 5"),
    "an override of an unknown exercise": (["--overrides", "{tmp}/typo.csv"], "ada has no exercise 'ad'"),
    "a due date in the wrong format": (["--due", "tiny=07/03/2025"], "'07/03/2025' is not a date and time"),
    "a due date for an unknown notebook": (["--due", "tny=2025-03-07T23:59"], "unknown notebook tny"),
    "a late rule that cannot be read": (["--late-rule", "10 percent"], "expected a rule like '10%/day'"),
    "a Canvas export without a roster": (["--export", "canvas"], "give the class roster with --roster"),
    "a Canvas export the roster cannot serve": (["--export", "canvas", "--roster", "{tmp}/half.csv"],
                                                "no roster entry for the folder(s) bob"),
    "a Canvas export before anything is graded": (["--notebook", "essay", "--export", "canvas", "--roster",
                                                   "{tmp}/roster.csv"], "the gradebook has no results yet"),
    "a Gradescope bundle of written answers": (["--export", "gradescope", "--wheel", "{tmp}/c-1-py3-none-any.whl",
                                                "--notebook", "essay"], "essay has no tests to run on Gradescope"),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_an_instructor_s_mistake_is_an_error_before_anything_is_graded(course, mistake, capsys):
    tmp_path, grade = course
    (tmp_path / "other.csv").write_text("folder,name\nx1,X\nx2,Y\n")
    (tmp_path / "half.csv").write_text("folder,canvas_id\nada,101\n")
    (tmp_path / "typo.csv").write_text("student,exercise,points,reason\nada,ad,1,typo\n")
    (tmp_path / "c-1-py3-none-any.whl").write_bytes(b"stand-in")
    _sheet(tmp_path, "zed,essay,why,5,1,\n")
    (tmp_path / "marks.csv").rename(tmp_path / "unknown.csv")
    _sheet(tmp_path, "ada,essay,why,5,6,\n")
    (tmp_path / "marks.csv").rename(tmp_path / "too_many.csv")
    if mistake != "a Canvas export before anything is graded":
        assert grade() == 0  # a gradebook that must stay as it is
    before = _digest(tmp_path / "out") if (tmp_path / "out").exists() else {}
    capsys.readouterr()
    options, message = MISTAKES[mistake]
    assert grade(*(option.format(tmp=tmp_path) for option in options)) == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err
    assert (_digest(tmp_path / "out") if (tmp_path / "out").exists() else {}) == before


def test_exporting_before_any_grading_says_to_grade_first(tmp_path, capsys):
    assert main(["export", "canvas", "--out", str(tmp_path / "gradebook"), "--roster", str(tmp_path / "r.csv")]) == 2
    assert "holds no gradebook yet (no results.jsonl); grade first" in capsys.readouterr().err
    assert not (tmp_path / "gradebook").exists()


def test_a_roster_that_lacks_a_folder_is_a_note_and_the_class_is_graded(course, capsys):
    tmp_path, grade = course
    (tmp_path / "half.csv").write_text("folder,canvas_id\nada,101\n")
    assert grade("--roster", str(tmp_path / "half.csv")) == 0
    assert "note: roster: 1 folder(s) not in" in capsys.readouterr().out
    assert set(_grades(tmp_path / "out")) == {"ada", "bob"}


def test_a_canvas_export_is_written_beside_the_gradebook(course):
    tmp_path, grade = course
    assert grade("--notebook", "tiny", "--export", "canvas", "--roster", str(tmp_path / "roster.csv"),
                 "--assignment", "tiny=Week 1 (55)/10") == 0
    lines = (tmp_path / "out" / "canvas.csv").read_text().splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,Week 1 (55)"
    assert lines[1] == "Ada Lovelace,101,,,,10"
