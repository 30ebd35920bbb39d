"""``python -m course_utils grade``: the gradebook files and regrading one student.

Uses the grader's fixture (``tests/hostile/fixture``: ``tiny.ipynb``, 6 points over
``add``, ``mean`` and ``scale``).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from course_utils.grading.grade import grade_class

FIXTURE = Path(__file__).parent / "hostile" / "fixture"


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture
def klass(tmp_path):
    for student in ("ada", "bob"):
        (tmp_path / "subs" / student).mkdir(parents=True)
        shutil.copy(FIXTURE / "tiny.ipynb", tmp_path / "subs" / student / "tiny.ipynb")
    return tmp_path / "subs", tmp_path / "out"


def test_the_gradebook_has_a_column_per_exercise_a_total_and_a_row_per_student(klass):
    subs, out = klass
    grade_class(subs, out, tests_dir=FIXTURE, progress=False)
    rows = _rows(out)
    assert list(rows["ada"]) == ["student", "add", "mean", "scale", "total", "percent"]
    assert rows["ada"]["total"] == "6" and rows["bob"]["percent"] == "100.0"


def test_results_jsonl_has_every_test_of_every_student(klass):
    subs, out = klass
    grade_class(subs, out, tests_dir=FIXTURE, progress=False)
    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(lines) == 2 * 5  # 5 tests in fixture/test_tiny.py
    assert set(lines[0]) >= {"student", "notebook", "exercise", "test", "status", "points", "message", "seconds"}


def test_regrading_one_student_keeps_everyone_elses_results(klass):
    subs, out = klass
    grade_class(subs, out, tests_dir=FIXTURE, progress=False)
    (subs / "bob" / "tiny.ipynb").write_text("{}")  # bob's resubmission is broken
    grade_class(subs, out, students=["bob"], tests_dir=FIXTURE, progress=False)
    rows = _rows(out)
    assert rows["ada"]["total"] == "6" and rows["bob"]["total"] == "0"
    assert len((out / "results.jsonl").read_text().splitlines()) == 10


def test_an_unknown_student_is_an_error_before_any_work(klass):
    subs, out = klass
    with pytest.raises(ValueError, match="no folder carol"):
        grade_class(subs, out, students=["carol"], tests_dir=FIXTURE, progress=False)
    assert not out.exists()
