"""The learner's own notebook as feedback (issue 20, item 9): the page's parts, without a
browser (tests/browser/test_feedback_page_browser.py opens one in Chromium)."""

from __future__ import annotations

from pathlib import Path

from course_utils.grading.course.notebook_page import cell_record, cells_file, notebook_page


def _row(exercise: str, test: str, status: str, points: float, max_points: float, **extra) -> dict:
    return {"student": "ada", "notebook": "nb", "exercise": exercise, "test": test, "status": status,
            "points": points, "max_points": max_points, "message": extra.pop("message", ""),
            "hint": extra.pop("hint", ""), **extra}


CELLS = [{"type": "markdown", "source": "# My work", "tags": []},
         {"type": "code", "source": "def add(a, b):\n    return a - b  # first try", "tags": []},
         {"type": "code", "source": "def add(a, b):\n    return a + b", "tags": ["exercise"]},
         {"type": "code", "source": "print(add(1, 2))", "tags": []},
         {"type": "markdown", "source": "Because it scales.", "tags": ["answer", "question:why"]}]
ROWS = [_row("add", "adds two integers", "passed", 1, 1),
        _row("add", "on your own numbers", "failed", 0, 2, hidden=True, message="add(7, 9) gave 3", hint="look at 7"),
        _row("why", "marked by hand", "marked", 3, 5, message="Say what scales."),
        _row("late work", "late penalty", "late penalty", -0.5, 0, message="submitted 1.0 hours after the due date")]


def test_each_exercise_s_results_follow_the_tagged_cell_that_defines_it():
    page = notebook_page("ada", "nb", CELLS, ROWS)
    assert page.index("return a - b") < page.index("return a + b") < page.index('data-exercise="add"') \
        < page.index("print(add(1, 2))")


def test_a_mark_follows_its_written_answer_and_a_penalty_comes_at_the_end():
    page = notebook_page("ada", "nb", CELLS, ROWS)
    assert page.index("Because it scales.") < page.index("marked by hand, 3/5 points: Say what scales.")
    assert page.index('id="elsewhere"') < page.index("submitted 1.0 hours after the due date")


def test_a_hidden_test_shows_its_name_and_points_only():
    page = notebook_page("ada", "nb", CELLS, ROWS)
    assert "hidden test: on your own numbers (0/2 points)" in page
    assert "add(7, 9)" not in page and "look at 7" not in page


def test_the_score_the_late_line_and_the_notes_head_the_page():
    page = notebook_page("ada", "nb", CELLS, ROWS, ["a note"], late="Late: due 2025-03-07 23:59+00:00; ...")
    assert "Score: 3.5/8 points (44%)" in page
    assert page.index('id="score"') < page.index('id="late"') < page.index("a note") < page.index("# My work")


def test_every_piece_of_learner_text_is_escaped_and_nothing_can_load():
    cells = [{"type": "code", "source": "</code></pre><script>alert(1)</script>", "tags": ["exercise"]},
             {"type": "markdown", "source": '<img src=x onerror="alert(2)">', "tags": []}]
    rows = [_row("f", "<b>t</b>", "failed", 0, 1, message="<svg onload=alert(3)>")]
    page = notebook_page("<i>ada</i>", "nb", cells, rows)
    assert "<script>alert" not in page and "<img" not in page and "<svg" not in page and "<i>ada" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "default-src 'none'" in page


def test_only_notebook_cells_are_kept_without_outputs_and_capped():
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1\n", "y = 2"], "outputs": [{"text": "big"}],
                     "metadata": {"tags": ["exercise"]}},
                    "not a cell", {"cell_type": "unknown", "source": "?"},
                    {"cell_type": "markdown", "source": "a" * 30_000}]}
    kept = cell_record(nb)
    assert kept[0] == {"type": "code", "source": "x = 1\ny = 2", "tags": ["exercise"]}
    assert len(kept) == 2 and len(kept[1]["source"]) <= 20_001


def test_a_record_can_only_name_a_cells_file_by_its_sha256(tmp_path):
    assert cells_file(tmp_path, "ab" * 32) == tmp_path / "cells" / f"{'ab' * 32}.json"
    assert cells_file(tmp_path, "../../etc/passwd") is None and cells_file(tmp_path, None) is None
    assert isinstance(cells_file(Path("g"), "0" * 64), Path)
