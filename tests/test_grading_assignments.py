"""Week-by-week assignments: choosing notebooks, replacing only what was regraded, and a
grades.csv with a column per notebook that never counts an unassigned notebook as missing."""

from __future__ import annotations

import csv
import io

import pytest

from course_utils.grading.course.assignments import gradebook_csv, gradebook_table, merge_results, select_notebooks


def _row(student, notebook, exercise, points, max_points, status="passed"):
    return dict(student=student, notebook=notebook, exercise=exercise, test="t", status=status, points=points,
                max_points=max_points, message="", hint="", seconds=0.0)


def test_chosen_notebooks_are_checked_and_kept_in_course_order():
    assert select_notebooks(["ex01", "ex02", "ex03"], ["ex03", "ex01"]) == ["ex01", "ex03"]
    assert select_notebooks(["ex01", "ex02"], None) == ["ex01", "ex02"]
    with pytest.raises(ValueError, match="no tests or rubric for ex09 .*ex01, ex02"):
        select_notebooks(["ex01", "ex02"], ["ex09"])


def test_a_regrade_replaces_only_the_students_and_notebooks_it_covers():
    previous = [_row("ada", "ex01", "f", 1, 1), _row("ada", "ex02", "g", 0, 1), _row("alan", "ex02", "g", 0, 1)]
    fresh = [_row("ada", "ex02", "g", 1, 1)]
    merged = merge_results(previous, fresh, students=["ada"], notebooks=["ex02"])
    assert [(r["student"], r["notebook"], r["points"]) for r in merged] == [
        ("ada", "ex01", 1), ("alan", "ex02", 0), ("ada", "ex02", 1)]


def test_grades_csv_has_a_column_per_notebook_after_its_exercises():
    rows = [_row("ada", "ex01", "f", 1, 1), _row("ada", "ex01", "g", 0.5, 1), _row("ada", "ex02", "h", 2, 2),
            _row("alan", "ex01", "f", 0, 1), _row("alan", "ex01", "g", 1, 1)]
    header, table = gradebook_table(rows)
    assert header == ["student", "f", "g", "ex01", "h", "ex02", "total", "possible", "percent"]
    assert table[0] == ["ada", 1.0, 0.5, 1.5, 2.0, 2.0, 3.5, 4.0, 87.5]
    # alan has no ex02 results yet: blank, and his percent is over ex01 only (1 of 2)
    assert table[1] == ["alan", 0.0, 1.0, 1.0, None, None, 1.0, 2.0, 50.0]


def test_exercise_names_shared_by_two_notebooks_are_prefixed():
    header, _ = gradebook_table([_row("ada", "ex01", "fit", 1, 1), _row("ada", "ex02", "fit", 1, 1),
                                 _row("ada", "ex02", "ex01", 1, 1)])
    assert header[1:6] == ["ex01:fit", "ex01", "ex02:fit", "ex02:ex01", "ex02"]


def test_grades_csv_is_spreadsheet_safe():
    text = gradebook_csv([_row("=cmd|' /C calc'!A0", "ex01", "f", 1, 1)])
    assert list(csv.reader(io.StringIO(text)))[1][0] == "'=cmd|' /C calc'!A0"
