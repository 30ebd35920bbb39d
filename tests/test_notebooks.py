"""Every lesson notebook runs top to bottom, headless, within its time budget, and every
committed notebook (lessons, solutions, exercises) is stored without outputs.

Budgets (issue 5): each lesson under 2 minutes, lesson 04 under 40 seconds (the browser test
runs it), on a 2-core machine. The timeout of each test is twice its lesson's budget, so a
test fails only when a lesson has clearly outgrown it; `benchmarks/bench_lessons.py` prints
the measured times.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from course_utils import nbtools
from course_utils.course_root import find_course_root

ROOT = find_course_root().path
#: Execution budget of each lesson in seconds (issue 5).
BUDGET_S = {
    "00_welcome": 120,
    "01_history": 120,
    "02_power_laws": 120,
    "03_scaling_lab": 120,
    "04_chinchilla": 40,
    "05_data_limits": 120,
    "06_since_chinchilla": 120,
    "07_capstone": 120,
}
LESSONS = [ROOT / "notebooks" / f"{name}.ipynb" for name in BUDGET_S]


def test_every_lesson_has_a_budget():
    """The lesson list here is the course's: no lesson without a test, no test without a lesson."""
    assert [p.stem for p in nbtools.lesson_notebooks()] == list(BUDGET_S)


def _lesson_case(path: Path):
    return pytest.param(path, id=path.stem,
                        marks=[pytest.mark.slow, pytest.mark.timeout(2 * BUDGET_S[path.stem])])


@pytest.mark.parametrize("path", [_lesson_case(p) for p in LESSONS])
def test_lesson_executes_top_to_bottom(path: Path, tmp_path: Path):
    """The lesson runs without an error in a scratch folder (nothing may depend on the cwd)."""
    result = nbtools.execute_notebook(path, cwd=tmp_path, timeout=2 * BUDGET_S[path.stem])
    assert all(cell.get("outputs") is not None for cell in result.notebook.cells if cell.cell_type == "code")


COMMITTED = sorted(p for folder in ("notebooks", "solutions", "exercises")
                   for p in (ROOT / folder).glob("*.ipynb"))


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_notebook_carries_no_outputs(path: Path):
    """Notebooks are committed clean (strip_outputs): no outputs, no execution counts."""
    nb = nbtools.read_notebook(path)
    assert nbtools.cells_with_outputs(nb) == [], (
        f"{path.relative_to(ROOT)} carries outputs in cells {nbtools.cells_with_outputs(nb)}; "
        "clean it with course_utils.nbtools.strip_outputs + write_notebook")
