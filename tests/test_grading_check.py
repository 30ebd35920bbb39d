"""``check`` and ``check_all`` inside a real Jupyter kernel, on the grader's fixture notebook.

The notebook is executed with :func:`course_utils.nbtools.execute_notebook`; the tests read
what ``check`` printed. Fixture: ``tests/hostile/fixture/tiny.ipynb`` (exercises ``add``,
``mean``, ``scale``, 6 points) with its tests in ``tests/hostile/fixture/test_tiny.py``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from course_utils.nbtools import execute_notebook

pytestmark = pytest.mark.slow  # starts a kernel and several grading subprocesses

FIXTURE = Path(__file__).parent / "hostile" / "fixture"


def _outputs(cell) -> str:
    """Printed text and the plain-text form of a cell's value (a CheckReport)."""
    return "".join(output.get("text", "") + output.get("data", {}).get("text/plain", "")
                   for output in cell.get("outputs", []))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """tiny.ipynb plus check cells, and a cell that redefines add wrongly after saving."""
    folder = tmp_path_factory.mktemp("check")
    nb = nbformat.read(FIXTURE / "tiny.ipynb", as_version=4)
    new = nbformat.v4.new_code_cell
    nb.cells += [new("check_all()"), new("def add(a, b):\n    return a * b"), new('check("add")')]
    nbformat.write(nb, folder / "tiny.ipynb")  # the saved notebook has the right add
    result = execute_notebook(folder / "tiny.ipynb", timeout=180,
                              env={"COURSE_GRADING_TESTS": str(FIXTURE)})
    return result.notebook.cells


def test_check_reports_a_passing_exercise(executed):
    text = _outputs(executed[3])  # check("add") right after the add cell
    assert "✓ add: 2/2 points" in text
    assert "assert" not in text and "student." not in text


def test_check_all_gives_the_notebooks_score(executed):
    assert "Score: 6/6 points (100%)" in _outputs(executed[-3])


def test_check_grades_the_code_the_kernel_ran_and_warns_that_the_saved_file_differs(executed):
    text = _outputs(executed[-1])
    assert "✗ add: 0/2 points" in text
    assert "hint: Use the + operator." in text
    assert "the saved notebook differs from the code you ran" in text


def test_check_is_silent_inside_the_grader(tmp_path):
    """The grader runs only tagged cells, but a check() placed in one must not recurse."""
    from course_utils.grading.sandbox.proxy import Student

    nb = nbformat.read(FIXTURE / "tiny.ipynb", as_version=4)
    nb.cells[2].source += '\n\ncheck("add")\ncheck_all()'
    nbformat.write(nb, tmp_path / "tiny.ipynb")
    with Student(tmp_path / "tiny.ipynb", expected=["add"]) as student:
        assert student.add(1, 2) == 3
        assert not [note for note in student.notes if "raised" in note]


def test_a_report_is_the_cells_value_shown_once(executed):
    """check() returns a CheckReport: one execute_result (HTML table and plain text), nothing printed."""
    outputs = executed[3].get("outputs", [])
    assert [output["output_type"] for output in outputs] == ["execute_result"]
    assert outputs[0]["data"]["text/html"].count("<table>") == 1


def test_a_helper_in_its_own_cell_is_used_and_a_misnamed_copy_is_told_its_name(tmp_path):
    """A learner's copy (tiny-Copy1.ipynb, as Jupyter's Duplicate names it) whose add calls a
    helper defined in an untagged cell above it: check finds the helper, grades add, and
    says what to rename the notebook to (the grader looks for tiny.ipynb only)."""
    nb = nbformat.read(FIXTURE / "tiny.ipynb", as_version=4)
    new = nbformat.v4.new_code_cell
    nb.cells[2].source = "def add(a, b):\n    return _plus(a, b)"
    nb.cells.insert(2, new("def _plus(a, b):\n    return a + b\n\nprint(_plus(1, 2))"))
    copy = tmp_path / "tiny-Copy1.ipynb"
    nbformat.write(nb, copy)
    cells = execute_notebook(copy, timeout=180, env={"COURSE_GRADING_TESTS": str(FIXTURE),
                                                     "JPY_SESSION_NAME": str(copy)}).notebook.cells
    text = _outputs(cells[4])  # check("add")
    assert "✓ add: 2/2 points" in text
    assert "also graded, from cells not tagged 'exercise': _plus" in text
    assert "rename it to tiny.ipynb" in text and "differs" not in text
