"""Hostile submissions: every one costs its author only the affected points, is named in
the feedback with the reason, and leaves every other exercise and student graded.

One class is graded once (module fixture): a student per hostile case, built from the
fixture notebook ``fixture/tiny.ipynb`` (exercises ``add`` 2 points, ``mean`` 2 points,
``scale`` 2 points; tests in ``fixture/test_tiny.py``), plus one good student.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.grading.grade import grade_class

pytestmark = pytest.mark.slow  # grades a class of 23 hostile students (~20 s)

FIXTURE = Path(__file__).parent / "fixture"
TIMEOUT = 5.0  # seconds per call: the endless loops below cost this much, once each
POINTS = {"add": 2.0, "mean": 2.0, "scale": 2.0}
GOOD_MEAN = ('def mean(xs):\n    if len(xs) == 0:\n        raise ValueError("empty")\n'
             '    return float(np.sum(xs)) / len(xs)')


def _base() -> dict:
    return json.loads((FIXTURE / "tiny.ipynb").read_text(encoding="utf-8"))


def _with_exercise(name: str, source: str) -> dict:
    """The fixture notebook with exercise ``name``'s cell replaced by ``source``."""
    nb = _base()
    for cell in nb["cells"]:
        if "exercise" in cell["metadata"].get("tags", []) and f"def {name}(" in "".join(cell["source"]):
            cell["source"] = source
    return nb


def _without(name: str) -> dict:
    nb = _base()
    nb["cells"] = [c for c in nb["cells"] if f"def {name}(" not in "".join(c["source"])]
    return nb


def _untagged(name: str) -> dict:
    nb = _base()
    for cell in nb["cells"]:
        if f"def {name}(" in "".join(cell["source"]):
            cell["metadata"]["tags"] = []
    return nb


def _duplicated_add() -> dict:
    nb = _base()
    index = next(i for i, c in enumerate(nb["cells"]) if "def add(" in "".join(c["source"]))
    wrong = dict(nb["cells"][index], source="def add(a, b):\n    return a - b", id="wrongadd")
    nb["cells"].insert(index, wrong)
    return nb


def _patcher() -> dict:
    patch = ("import builtins, numpy, pytest\n"
             "import course_utils.grading as grading\n"
             "builtins.abs = lambda x: 0\n"
             "numpy.allclose = numpy.isclose = lambda *a, **k: True\n"
             "numpy.testing.assert_allclose = lambda *a, **k: None\n"
             "pytest.approx = lambda *a, **k: a[0]\n"
             "grading.StudentError = grading.NotImplementedYet = Exception\n"
             "def add(a, b):\n    return -1\n")
    return _with_exercise("add", patch)


#: student -> notebook (a dict is written as JSON, bytes as they are)
CLASS = {
    "good": _base(),
    "endless_loop": _with_exercise("add", "def add(a, b):\n    while True:\n        pass"),
    "endless_loop_at_top": _with_exercise("add", "while True:\n    pass\ndef add(a, b):\n    return a + b"),
    "sys_exit": _with_exercise("add", "import sys\ndef add(a, b):\n    sys.exit(1)"),
    "os_exit": _with_exercise("add", "import os\ndef add(a, b):\n    os._exit(3)"),
    "exit_at_top": _with_exercise("add", "import os\nos._exit(0)\ndef add(a, b):\n    return a + b"),
    "keyboard_interrupt": _with_exercise("add", "def add(a, b):\n    raise KeyboardInterrupt"),
    "system_exit_raised": _with_exercise("add", "def add(a, b):\n    raise SystemExit(0)"),
    "memory_hog": _with_exercise("add", "def add(a, b):\n    block = bytearray(64 * 2**30)\n    return a + b"),
    "memory_hog_numpy": _with_exercise("scale", "def scale(xs, k):\n    big = np.ones((200_000, 100_000))\n"
                                                "    return k * np.asarray(xs)"),
    "million_lines": _with_exercise("add", "for i in range(1_000_000):\n    print('spam')\n"
                                           "def add(a, b):\n    print('x' * 10_000_000)\n    return a + b"),
    "syntax_error": _with_exercise("add", "def add(a, b)\n    return a + b"),
    "deleted_cell": _without("mean"),
    "duplicated_cell": _duplicated_add(),
    "untagged_cell": _untagged("scale"),
    "invalid_json": b'{"cells": [ this is not json',
    "empty_file": b"",
    "empty_notebook": {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
    "not_a_notebook": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "monkeypatcher": _patcher(),
    "warnings": _with_exercise("add", "import warnings\ndef add(a, b):\n"
                                      "    warnings.warn('deprecated, but fine', DeprecationWarning)\n"
                                      "    warnings.warn('a user warning')\n    return a + b"),
    "blocked_reference": _with_exercise("mean", "import statistics\ndef mean(xs):\n"
                                                "    return statistics.mean(xs)"),
    "returns_an_object": _with_exercise("scale", "class Anything:\n    def __eq__(self, other):\n"
                                                 "        return True\ndef scale(xs, k):\n    return Anything()"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the whole hostile class once with --jobs 2; return (out folder, summary)."""
    root = tmp_path_factory.mktemp("hostile")
    submissions = root / "submissions"
    for student, notebook in CLASS.items():
        folder = submissions / student
        folder.mkdir(parents=True)
        data = notebook if isinstance(notebook, bytes) else json.dumps(notebook).encode()
        (folder / "tiny.ipynb").write_bytes(data)
    (submissions / "stray_file.txt").write_text("not a student folder")
    summary = grade_class(submissions, root / "out", jobs=2, timeout=TIMEOUT, tests_dir=FIXTURE,
                          progress=False)
    return root / "out", summary


def _points(out: Path) -> dict[str, dict[str, float]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: {k: float(v) for k, v in row.items() if k != "student"}
                for row in csv.DictReader(handle)}


def _feedback(out: Path, student: str) -> str:
    return (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")


def _expect(out: Path, student: str, lost: dict[str, float], reason: str) -> None:
    """``student`` lost exactly ``lost`` points per exercise, and the feedback says ``reason``."""
    points = _points(out)[student]
    for name, full in POINTS.items():
        assert points[name] == full - lost.get(name, 0.0), (student, name, points)
    assert reason in _feedback(out, student), _feedback(out, student)


def test_every_student_gets_a_row_and_a_feedback_file(graded):
    out, summary = graded
    assert sorted(_points(out)) == sorted(CLASS)
    assert sorted(p.stem for p in (out / "feedback").glob("*.md")) == sorted(CLASS)
    assert summary["ignored"] == ["stray_file.txt"]


def test_the_good_student_gets_full_marks(graded):
    out, _ = graded
    assert _points(out)["good"]["total"] == sum(POINTS.values())


@pytest.mark.parametrize("student, lost, reason", [
    ("endless_loop", {"add": 2}, "did not finish within 5 s"),
    ("endless_loop_at_top", {"add": 2}, "ran longer than 5 s; it was skipped"),
    ("sys_exit", {"add": 2}, "SystemExit"),
    ("os_exit", {"add": 2}, "ended the grading process (exit code 3)"),
    ("exit_at_top", {"add": 2}, "ended the grading process (exit code 0); it was skipped"),
    ("keyboard_interrupt", {"add": 2}, "KeyboardInterrupt"),
    ("system_exit_raised", {"add": 2}, "SystemExit"),
    ("memory_hog", {"add": 2}, "MemoryError"),
    ("memory_hog_numpy", {"scale": 2}, "MemoryError"),
    ("syntax_error", {"add": 2}, "SyntaxError"),
    ("deleted_cell", {"mean": 2}, "mean: no cell tagged 'exercise' defines it"),
    ("monkeypatcher", {"add": 2}, "wrong result"),
    ("blocked_reference", {"mean": 2}, "statistics.mean is not available while grading: write it yourself"),
    ("returns_an_object", {"scale": 2}, "returned a Anything; expected numbers/arrays"),
])
def test_a_hostile_exercise_costs_only_its_own_points(graded, student, lost, reason):
    out, _ = graded
    _expect(out, student, lost, reason)


@pytest.mark.parametrize("student, reason", [
    ("duplicated_cell", "add: defined in 2 exercise cells"),
    ("untagged_cell", "which is not tagged 'exercise'; graded its definition"),
])
def test_a_damaged_but_findable_exercise_is_graded_with_a_note(graded, student, reason):
    out, _ = graded
    _expect(out, student, {}, reason)


@pytest.mark.parametrize("student, reason", [
    ("invalid_json", "is not valid JSON"),
    ("empty_file", "is empty, not a notebook"),
    ("not_a_notebook", "is not a notebook (not a text file)"),
    ("empty_notebook", "no cell tagged 'exercise' defines it"),
])
def test_an_unreadable_notebook_scores_zero_and_says_why(graded, student, reason):
    out, _ = graded
    _expect(out, student, POINTS, reason)


def test_printing_millions_of_lines_costs_nothing_and_floods_nothing(graded):
    out, _ = graded
    _expect(out, "million_lines", {}, "Score: 6/6")
    assert (out / "results.jsonl").stat().st_size < 200_000


def test_printed_warnings_cost_nothing(graded):
    out, _ = graded
    _expect(out, "warnings", {}, "Score: 6/6")


def test_feedback_never_shows_test_code(graded):
    out, _ = graded
    for path in (out / "feedback").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "student." not in text and "assert " not in text and "pytest" not in text, path.name


def test_grader_exits_zero_on_a_hostile_class_and_two_when_it_cannot_run(tmp_path):
    bad = subprocess.run([sys.executable, "-m", "course_utils", "grade", str(tmp_path / "nowhere"),
                          "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert bad.returncode == 2 and "is not a folder" in bad.stderr
    usage = subprocess.run([sys.executable, "-m", "course_utils", "grade", str(tmp_path), "--jobs", "0",
                            "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert usage.returncode == 2
    (tmp_path / "subs" / "mallory").mkdir(parents=True)
    (tmp_path / "subs" / "mallory" / "tiny.ipynb").write_text(
        json.dumps(CLASS["os_exit"]), encoding="utf-8")
    ran = subprocess.run([sys.executable, "-m", "course_utils", "grade", str(tmp_path / "subs"), "--out",
                          str(tmp_path / "out"), "--tests", str(FIXTURE), "--quiet", "--timeout", "2"],
                         capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "out" / "grades.csv").read_text().splitlines()[1].startswith("mallory,0,")
