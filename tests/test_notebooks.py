"""Every lesson notebook runs top to bottom, headless, within its time budget, and shows every
figure in the course style; every committed notebook (lessons, solutions, exercises) is stored
without outputs.

Budgets (issue 23, replacing issue 5's): each lesson under 120 s, lesson 04 under 40 s (the
browser test runs it), all lessons under 180 s together, on a 2-core machine. The timeout of
each test is twice its lesson's budget, so a test fails only when a lesson has clearly
outgrown it; `benchmarks/bench_lessons.py` measures the times against the budgets.

The executed lessons are kept in ``test-artifacts/executed/``: the course website is built from
them (tests/test_website.py, ``scaling-course site --executed``), so CI executes no lesson twice.

Figures (issue 23): every image a lesson shows is a PNG of at least 150 dpi with its text
alternative and a visible caption, and every figure it draws (its explorers' included) passes
:func:`course_utils.figure_audit.figure_problems`; the figures are kept for the contact sheet.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from course_utils import nbtools
from course_utils.course_root import find_course_root
from notebook_figures import execute_capturing, figure_failures

ROOT = find_course_root().path
#: Execution budget of each lesson in seconds (issue 23).
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
#: All lessons together (issue 23).
TOTAL_BUDGET_S = 180
LESSONS = [ROOT / "notebooks" / f"{name}.ipynb" for name in BUDGET_S]
#: where each executed lesson is kept, for the website (tests/test_website.py)
EXECUTED = ROOT / "test-artifacts" / "executed"


def test_every_lesson_has_a_budget():
    """The lesson list here is the course's: no lesson without a test, no test without a lesson."""
    assert [p.stem for p in nbtools.lesson_notebooks()] == list(BUDGET_S)


def _lesson_case(path: Path):
    return pytest.param(path, id=path.stem,
                        marks=[pytest.mark.slow, pytest.mark.timeout(2 * BUDGET_S[path.stem])])


@pytest.mark.parametrize("path", [_lesson_case(p) for p in LESSONS])
def test_lesson_runs_top_to_bottom_and_shows_its_figures_in_the_course_style(path: Path, tmp_path: Path):
    """The lesson runs without an error in a scratch folder (nothing may depend on the cwd), and
    each figure it shows follows the course style (see the module docstring)."""
    (EXECUTED / path.name).unlink(missing_ok=True)  # a lesson that fails now leaves no copy
    nb, figures = execute_capturing(path, tmp_path, timeout=2 * BUDGET_S[path.stem])
    nbtools.write_notebook(nb, EXECUTED / path.name)
    assert all(cell.get("outputs") is not None for cell in nb.cells if cell.cell_type == "code")
    failures = figure_failures(nb, figures)
    assert not failures, "\n".join(failures)


COMMITTED = sorted(p for folder in ("notebooks", "solutions", "exercises")
                   for p in (ROOT / folder).glob("*.ipynb"))


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_notebook_carries_no_outputs(path: Path):
    """Notebooks are committed clean (strip_outputs): no outputs, no execution counts."""
    nb = nbtools.read_notebook(path)
    assert nbtools.cells_with_outputs(nb) == [], (
        f"{path.relative_to(ROOT)} carries outputs in cells {nbtools.cells_with_outputs(nb)}; "
        "clean it with course_utils.nbtools.strip_outputs + write_notebook")


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_line_of_prose_starts_like_a_heading_by_accident(path: Path):
    """Issue 23: a wrapped "(Lex Fridman Podcast\\n#452, 2024)" became a heading in the HTML export.
    In Markdown cells, a line starting with '#' is a heading ('# Title'), never wrapped text."""
    for index, cell in enumerate(nbtools.read_notebook(path).cells):
        if cell.cell_type != "markdown":
            continue
        accidental = [line for line in cell.source.splitlines() if re.match(r"\s{0,3}#+[^#\s]", line)]
        assert not accidental, f"cell {index} of {path.name}: {accidental}"


@pytest.mark.parametrize("path", LESSONS + sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.stem)
def test_figures_are_shown_with_their_caption_never_with_plt_show(path: Path):
    """One caption convention (issue 23): every figure goes through plotting.show(alt, fig)."""
    code = "\n".join(c.source for c in nbtools.read_notebook(path).cells if c.cell_type == "code")
    assert "plt.show(" not in code and "ax.legend(" not in code
