"""The exercise tests are honest: 100% on solutions/, 0% on the untouched exercises/.

Also: every solution notebook runs top to bottom, each has a test module (and each test
module a notebook), and the committed exercises/ is exactly what ``release`` produces.
The exercise tests run through the grading engine, one ``python -m course_utils check``
subprocess for both targets. A workshop copy (no solutions/) skips this module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.course_root import find_course_root
from course_utils.grading.release import release
from course_utils.grading.rubric import exercise_notebooks, is_rubric_only

ROOT = find_course_root()
SOLUTIONS, EXERCISES, TESTS = ROOT.solutions, ROOT.exercises, ROOT.exercise_tests

pytestmark = [
    pytest.mark.skipif(not SOLUTIONS.is_dir(), reason="a workshop copy has no solutions/ to prove tests on"),
    pytest.mark.slow,
]


def _stems(folder: Path, pattern: str, prefix: str = "") -> list[str]:
    return sorted(path.stem.removeprefix(prefix) for path in folder.glob(pattern))


def _tested_stems(folder: Path) -> list[str]:
    """Notebooks graded by tests: rubric-only notebooks (marked by a person) are left out."""
    return [path.stem for path in exercise_notebooks(folder, TESTS)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict[str, list[dict]]]:
    """Results of every exercise test on every solution and every blank exercise notebook."""
    out = tmp_path_factory.mktemp("honesty") / "results.json"
    command = [sys.executable, "-m", "course_utils", "check",
               *map(str, exercise_notebooks(SOLUTIONS, TESTS) + exercise_notebooks(EXERCISES, TESTS)),
               "--jobs", "2", "--json", str(out)]
    subprocess.run(command, capture_output=True, check=True, timeout=900)
    raw = json.loads(out.read_text(encoding="utf-8"))
    results: dict[str, dict[str, list[dict]]] = {"solutions": {}, "exercises": {}}
    for path, (rows, notes) in raw.items():
        assert rows, f"{path}: no test ran ({notes})"
        results[Path(path).parent.name][Path(path).stem] = rows
    return results


def test_every_solution_notebook_has_tests_and_every_test_module_a_notebook():
    assert _tested_stems(SOLUTIONS) == _stems(TESTS, "test_*.py", "test_")


def test_a_notebook_without_tests_is_marked_by_a_rubric_instead():
    """The capstone's answers are marked by a person: it carries a rubric, not tests, and
    that is the only way a solution notebook may go without tests."""
    untested = [path.stem for path in sorted(SOLUTIONS.glob("*.ipynb")) if path.stem not in _tested_stems(SOLUTIONS)]
    assert untested == ["ex07_capstone"]
    assert all(is_rubric_only(SOLUTIONS / f"{stem}.ipynb", TESTS) for stem in untested)


def test_every_exercise_test_passes_on_the_solutions(graded):
    failed = [f"{nb}: {r['exercise']} / {r['test']}: {r['message']}"
              for nb, rows in graded["solutions"].items() for r in rows if r["status"] != "passed"]
    assert not failed, "\n".join(failed)
    assert sorted(graded["solutions"]) == _tested_stems(SOLUTIONS)


def test_every_exercise_test_fails_on_the_blank_exercises(graded):
    passed = [f"{nb}: {r['exercise']} / {r['test']}"
              for nb, rows in graded["exercises"].items() for r in rows if r["status"] == "passed"]
    assert not passed, "tests that pass on a blank notebook prove nothing:\n" + "\n".join(passed)
    assert sorted(graded["exercises"]) == _tested_stems(SOLUTIONS)


def test_committed_exercises_are_what_release_produces(tmp_path):
    release(SOLUTIONS, tmp_path)
    fresh = {path.name: path.read_bytes() for path in tmp_path.glob("*.ipynb")}
    committed = {path.name: path.read_bytes() for path in EXERCISES.glob("*.ipynb")}
    drifted = sorted(name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name))
    assert not drifted, f"exercises/ differs from solutions/ for {drifted}: run `python -m course_utils release`"


@pytest.mark.parametrize("notebook", sorted(SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_solution_notebook_executes_top_to_bottom(notebook, tmp_path):
    """check() cells are skipped here ($COURSE_SKIP_CHECKS): the tests above grade the code."""
    from course_utils.nbtools import execute_notebook

    execute_notebook(notebook, cwd=tmp_path, timeout=600, env={"COURSE_SKIP_CHECKS": "1"})
