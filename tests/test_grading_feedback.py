"""Feedback that teaches (issue 14, item 4): what a learner reads when something fails.

A small course is built in a temporary folder: ``mini.ipynb``, whose exercises make the
mistakes the issue lists (a wrong sign, a helper in an untagged cell, a function that
accepts bad input, a call to another exercise that fails or is unwritten), and its tests
``test_mini.py``. It is graded once through the grading engine (``check_notebooks``, as
``python -m course_utils check`` does) and the tests read the messages.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from course_utils.grading.notebook.extract import extract_cells
from course_utils.grading.learner.feedback import check_notebooks
from course_utils.grading.notebook.names import exercise_stem, missing_notebook_message, rename_note


def _code(source: str, *tags: str) -> dict:
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "source": textwrap.dedent(source).strip() + "\n",
            "outputs": [], "execution_count": None, "id": f"c{abs(hash(source)) % 10**8}"}


MINI = [
    _code("import numpy as np", "setup"),
    _code('''
        def slope(x, y):
            return np.polyfit(x, y, 1)[0] * SIGN
        ''', "exercise"),
    _code('''
        SIGN = -1  # a learner's constant, in a cell of its own
        print("a demo line the grader must not run")
        '''),
    _code('''
        def doubled_slope(x, y):
            return 2 * _helper(x, y)
        ''', "exercise"),
    _code('''
        def _helper(x, y):
            return slope(x, y)
        '''),
    _code('''
        def positive(x):
            return x
        ''', "exercise"),
    _code('''
        def near(x):
            return x
        ''', "exercise"),
    _code('''
        def unwritten(x):
            raise NotImplementedError("write your solution here")

        def outer(x):
            return unwritten(x)
        ''', "exercise"),
    _code('''
        def uses_data(x):
            return x + data_from_a_demo
        ''', "exercise"),
    _code("data_from_a_demo = np.ones(3)"),
]

TESTS = '''
import numpy as np
import pytest

from course_utils.grading import exercise
from course_utils.grading.compare import assert_close, rejects


@exercise("slope", points=2, hint="Fit a line.", hints={"wrong sign": "A rising line has a positive slope."})
def test_slope_of_a_rising_line(student):
    assert_close(student.slope([0.0, 1.0, 2.0], [0.0, 2.0, 4.0]), 2.0, rtol=1e-9, what="the slope")


@exercise("doubled_slope", points=1, hint="Twice the slope.")
def test_doubled_slope(student):
    assert_close(student.doubled_slope([0.0, 1.0, 2.0], [0.0, 2.0, 4.0]), 4.0, rtol=1e-9)


@exercise("positive", points=1, hint="Refuse it.")
def test_positive_refuses_a_negative_number(student):
    with rejects(ValueError, "positive", "a negative number"):
        student.positive(-1.0)


@exercise("positive", points=1)
def test_positive_refuses_a_negative_number_the_pytest_way(student):
    with pytest.raises(ValueError):
        student.positive(-2.0)


@exercise("near", points=1)
def test_near_compared_by_numpy(student):
    np.testing.assert_allclose(student.near(1.0), 2.0, rtol=1e-12)


@exercise("outer", points=1)
def test_outer(student):
    assert_close(student.outer(1.0), 1.0, rtol=0, atol=0)


@exercise("unwritten", points=1, hints={"not implemented": "Replace the raise line with your code."})
def test_unwritten(student):
    assert_close(student.unwritten(1.0), 1.0, rtol=0, atol=0)


@exercise("uses_data", points=1)
def test_uses_data(student):
    assert_close(student.uses_data(1.0), 2.0, rtol=0, atol=0)
'''


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("mini")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_mini.py").write_text(TESTS, encoding="utf-8")
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": MINI}
    (folder / "mini.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def graded(course) -> tuple[dict[str, dict], list[str]]:
    (rows, notes), = check_notebooks([course / "mini.ipynb"], tests_dir=course / "tests").values()
    return {row["test"]: row for row in rows}, notes


# ------------------------------------------------------------------ messages


def test_a_wrong_sign_says_so_and_gets_the_hint_for_that_kind_of_mistake(graded):
    row = graded[0]["of a rising line"]
    assert row["message"] == "the slope has the wrong sign (its size is right)"
    assert row["hint"] == "A rising line has a positive slope."


def test_a_failure_caused_by_another_exercise_names_it_and_its_record(graded):
    """doubled_slope calls slope through a helper in an untagged cell: the failure points
    there, and the hint says to fix slope first (not to double differently)."""
    row = graded[0]["doubled slope"]
    assert row["message"].endswith("— it uses your slope, which fails 1 of 1 checks")
    assert row["hint"] == "fix slope first; then: Twice the slope."


def test_did_not_raise_reads_as_what_the_function_accepted(graded):
    assert graded[0]["refuses a negative number"]["message"] == \
        "positive accepted a negative number; it should raise ValueError"
    assert graded[0]["refuses a negative number the pytest way"]["message"] == \
        "positive accepted this test's input; it should raise ValueError"


def test_a_numpy_tolerance_dump_never_reaches_the_learner(graded):
    message = graded[0]["compared by numpy"]["message"]
    assert message == "your result is not the expected one, within this test's tolerance"


def test_a_call_to_an_unwritten_exercise_names_the_stub_not_the_caller(graded):
    assert graded[0]["outer"]["message"] == "outer calls unwritten, which is not implemented yet"
    assert graded[0]["unwritten"]["hint"] == "Replace the raise line with your code."


def test_a_name_set_only_by_a_demo_is_explained(graded):
    rows, notes = graded
    message = rows["uses data"]["message"]
    assert message.startswith("uses_data raised NameError: name 'data_from_a_demo' is not defined "
                              "(line 2 of the cell defining uses_data)")
    assert "only the setup cell and the cells tagged 'exercise' are graded" in message
    assert any(note.startswith("uses_data: uses data_from_a_demo, which no graded cell defines") for note in notes)


def test_helpers_from_untagged_cells_are_graded_as_definitions_and_said_to_be(graded):
    _, notes = graded
    assert "also graded, from cells not tagged 'exercise': SIGN and _helper" in "\n".join(notes)
    assert not [note for note in notes if "raised" in note]  # the demo's print never ran


def test_no_message_names_a_cell_by_a_number(graded):
    import re

    rows, notes = graded
    text = "\n".join([*(row["message"] for row in rows.values()), *notes])
    assert not re.search(r"\bcells? \d", text)


# ------------------------------------------------------------------ extraction


def test_a_cell_is_named_by_the_function_it_defines():
    found = extract_cells({"cells": [_code("import math", "setup"), _code("def f(x):\n    return x", "exercise"),
                                     _code("x = 1", "exercise")]}, ["f"])
    assert [cell.label for cell in found.cells] == ["the setup cell", "the cell defining f",
                                                    "the exercise cell starting 'x = 1'"]


def test_a_syntax_error_is_placed_by_its_function_and_the_cells_own_line():
    found = extract_cells({"cells": [_code("def f(x):\n    return = x", "exercise")]}, ["f"])
    assert found.notes == ["f: the cell defining it has a SyntaxError: invalid syntax (line 2)"]


def test_only_definitions_are_taken_from_untagged_cells_and_lines_keep_their_numbers():
    cells = [_code("import numpy as np", "setup"),
             _code("def f(x):\n    return g(x) + K + sp.pi", "exercise"),
             _code("import scipy as sp\nK = 2 * 3\nvalues = np.load('data.npy')\n\ndef g(x):\n    return x\ng(1)")]
    found = extract_cells({"cells": cells}, ["f"])
    helpers = [cell for cell in found.cells if cell.kind == "helper"]
    assert [cell.defines for cell in helpers] == [("sp",), ("K",), ("g",)]
    assert helpers[2].source.splitlines()[4] == "def g(x):"  # line 5 of its cell, as Jupyter numbers it
    assert "np.load" not in "".join(cell.source for cell in helpers) and "g(1)" not in helpers[2].source


def test_which_exercise_uses_which_is_read_from_the_code():
    cells = [_code("def a(x):\n    return x", "exercise"), _code("def b(x):\n    return h(x)", "exercise"),
             _code("def h(x):\n    return a(x) + 1"), _code("def c(x):\n    return x", "exercise")]
    assert extract_cells({"cells": cells}, ["a", "b", "c"]).uses == {"b": ("a",)}


# ------------------------------------------------------------------ names


@pytest.mark.parametrize("name", ["ex02_power_laws-Copy1.ipynb", "ex02_power_laws (1).ipynb", "Ex02_Power_Laws.ipynb",
                                  "Copy of ex02_power_laws.ipynb", "ex02_power_laws copy 2.ipynb",
                                  "ex02_power_laws_final.ipynb", "ex02_power_laws.ipynb"])
def test_a_copy_of_an_exercise_notebook_is_recognised(name):
    assert exercise_stem(name, ["ex01_history_compute", "ex02_power_laws"]) == "ex02_power_laws"


@pytest.mark.parametrize("name", ["ex02_power_laws-checkpoint.ipynb", "ex02.ipynb", "notes.ipynb",
                                  "ex02_power_laws.py", "ex03_scaling_lab.ipynb"])
def test_other_files_are_not_taken_for_it(name):
    assert exercise_stem(name, ["ex02_power_laws"]) is None


def test_grade_names_a_misnamed_copy_and_what_to_rename_it_to(tmp_path):
    assert missing_notebook_message(tmp_path, "ex02_power_laws") == "no notebook ex02_power_laws.ipynb was submitted"
    (tmp_path / "ex02_power_laws-Copy1.ipynb").write_text("{}")
    assert missing_notebook_message(tmp_path, "ex02_power_laws") == (
        "no notebook ex02_power_laws.ipynb was submitted, but ex02_power_laws-Copy1.ipynb was: "
        "rename it to ex02_power_laws.ipynb")


def test_check_grades_a_misnamed_copy_and_says_to_rename_it(course, tmp_path):
    copy = tmp_path / "mini-Copy1.ipynb"
    copy.write_bytes((course / "mini.ipynb").read_bytes())
    (rows, notes), = check_notebooks([copy], tests_dir=course / "tests", exercises=["positive"]).values()
    assert notes[0] == rename_note(copy.name, "mini") == (
        "this notebook is named mini-Copy1.ipynb; rename it to mini.ipynb (the grader looks for that name only)")
    assert [row["exercise"] for row in rows] == ["positive", "positive"]


def test_a_notebook_that_is_no_exercise_gets_no_internal_path(course, tmp_path):
    other = tmp_path / "notes.ipynb"
    other.write_bytes((course / "mini.ipynb").read_bytes())
    (rows, notes), = check_notebooks([other], tests_dir=course / "tests").values()
    assert not rows and notes == ["no tests for notes.ipynb: exercise notebooks keep the name they came with "
                                  "(such as ex02_power_laws.ipynb)"]
    assert str(course) not in notes[0]


def test_checking_one_exercise_still_points_at_the_exercise_it_uses(course):
    (rows, _notes), = check_notebooks([course / "mini.ipynb"], tests_dir=course / "tests",
                                      exercises=["doubled_slope"]).values()
    assert [row["exercise"] for row in rows] == ["doubled_slope"]  # slope ran, but is not reported
    assert rows[0]["message"].endswith("it uses your slope, which fails 1 of 1 checks")
