"""The exercise tests are honest: 100% on solutions/, 0% on the untouched exercises/, and
nothing for a student who answers without working (issue 10, items 3 and 4).

* The public tests run through the grading engine, one ``python -m course_utils check``
  subprocess for both targets.
* The hidden tests (``tests/hidden/``) pass on the reference solutions for 50 students'
  seeds and fail on the blank exercises: one child process per notebook serves every
  seed's calls (the test functions are called directly, with ``student_seed`` as argument).
* Degenerate students, generated from the solution notebooks, score at most 5% of each
  notebook's points (public and hidden, with the ``requires_value`` gate): every function
  returns ``np.array([])``; every function raises ``ValueError``; every function returns
  its first argument; every function returns NaN; every function returns None. The three
  that return no answer at all (empty array, NaN, None) pass no test whatever.

Also: every solution notebook runs top to bottom, each has a test module (and each test
module a notebook), every exercise has a hidden test, ``HIDDEN_POINTS`` is right, and the
committed exercises/ is exactly what ``release`` produces. A workshop copy (no solutions/)
skips this module.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.course_root import find_course_root
from course_utils.grading.plugin import MARKER, blocked_names, student_seed_for
from course_utils.grading.commands.release import release
from course_utils.grading.course.rubric import exercise_notebooks, is_rubric_only
from course_utils.grading.scoring import GATED

ROOT = find_course_root()
SOLUTIONS, EXERCISES, TESTS = ROOT.solutions, ROOT.exercises, ROOT.exercise_tests
HIDDEN = ROOT.hidden_tests
SEEDS = 50  # students whose hidden inputs the reference solutions must pass
DEGENERATE_SHARE = 0.05  # the most a degenerate student may score

pytestmark = [
    pytest.mark.skipif(not SOLUTIONS.is_dir(), reason="a workshop copy has no solutions/ to prove tests on"),
    pytest.mark.slow,
]


def _stems(folder: Path, pattern: str, prefix: str = "") -> list[str]:
    return sorted(path.stem.removeprefix(prefix) for path in folder.glob(pattern))


def _tested_stems(folder: Path) -> list[str]:
    """Notebooks graded by tests: rubric-only notebooks (marked by a person) are left out."""
    return [path.stem for path in exercise_notebooks(folder, TESTS)]


def _import(path: Path):
    spec = importlib.util.spec_from_file_location(f"_honesty_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _call(test, student, *seed: int) -> None:
    """Run an exercise test outside pytest: its student (and seed), and a ``record_property``
    that keeps nothing for a prediction test that records one."""
    extra = {"record_property": lambda name, value: None} \
        if "record_property" in inspect.signature(test).parameters else {}
    test(student, *seed, **extra)


def _exercise_tests(path: Path, module=None) -> list[tuple[object, dict]]:
    """``(function, marker kwargs)`` of every exercise test in the module at ``path``."""
    module = module or _import(path)
    found = []
    for name, value in vars(module).items():
        marks = [mark for mark in getattr(value, "pytestmark", []) if mark.name == MARKER]
        if name.startswith("test_") and marks:
            found.append((value, dict(marks[0].kwargs)))
    return found


# ------------------------------------------------------------------ public tests


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict[str, list[dict]]]:
    """Results of every exercise test on every solution and every blank exercise notebook
    (and, under "notes", the grader's notes on each solution notebook)."""
    out = tmp_path_factory.mktemp("honesty") / "results.json"
    command = [sys.executable, "-m", "course_utils", "check",
               *map(str, exercise_notebooks(SOLUTIONS, TESTS) + exercise_notebooks(EXERCISES, TESTS)),
               "--jobs", "2", "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 1, f"check exits 1 when a test fails (the blanks):\n{done.stderr[-3000:]}"
    raw = json.loads(out.read_text(encoding="utf-8"))
    results: dict[str, dict[str, list]] = {"solutions": {}, "exercises": {}, "notes": {}}
    for path, (rows, notes) in raw.items():
        assert rows, f"{path}: no test ran ({notes})"
        results[Path(path).parent.name][Path(path).stem] = rows
        if Path(path).parent.name == "solutions":
            results["notes"][Path(path).stem] = notes
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


def test_the_setup_cells_run_cleanly_while_the_references_are_blocked(graded):
    """Blocking removes the reference code from the grading process; the notebooks' own
    setup cells (ex04's synthetic_isoflop_data(seed=7) needs blocked code) must still run."""
    assert graded["notes"] == {stem: [] for stem in _tested_stems(SOLUTIONS)}


def test_every_exercise_test_fails_on_the_blank_exercises(graded):
    passed = [f"{nb}: {r['exercise']} / {r['test']}"
              for nb, rows in graded["exercises"].items() for r in rows if r["status"] == "passed"]
    assert not passed, "tests that pass on a blank notebook prove nothing:\n" + "\n".join(passed)
    assert sorted(graded["exercises"]) == _tested_stems(SOLUTIONS)


# ------------------------------------------------------------------ hidden tests


def test_every_exercise_has_a_hidden_test():
    missing = []
    for stem in _stems(TESTS, "test_*.py", "test_"):
        public = {info["name"] for _, info in _exercise_tests(TESTS / f"test_{stem}.py")}
        hidden_path = HIDDEN / f"test_{stem}.py"
        hidden = {info["name"] for _, info in _exercise_tests(hidden_path)} if hidden_path.is_file() else set()
        missing += [f"{stem}: {name}" for name in sorted(public - hidden)]
    assert not missing, "exercises without a hidden test:\n" + "\n".join(missing)


def test_hidden_tests_are_marked_hidden_and_hidden_points_are_announced_right():
    """check_all() tells learners ``HIDDEN_POINTS`` of the public module: it must be the sum."""
    for path in sorted(HIDDEN.glob("test_*.py")):
        tests = _exercise_tests(path)
        assert tests and all(info["hidden"] for _, info in tests), f"{path.name}: every test must be hidden=True"
        public = _import(TESTS / path.name)
        assert getattr(public, "HIDDEN_POINTS", None) == sum(info["points"] for _, info in tests), path.name


class _Recorder:
    """A stand-in for the ``student`` proxy: answers with the reference solution (run here)
    and records every call's arguments, as bytes, to compare the inputs tests use."""

    def __init__(self, notebook: Path) -> None:
        self.calls: set[bytes] = set()
        self.namespace: dict = {"__name__": "__reference__"}
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            tags = cell.get("metadata", {}).get("tags", [])
            if cell["cell_type"] == "code" and ("setup" in tags or "exercise" in tags):
                exec("".join(cell["source"]), self.namespace)

    def __getattr__(self, name: str):
        import pickle

        from course_utils.grading.sandbox.plaindata import to_plain

        def call(*args, **kwargs):
            self.calls.add(pickle.dumps((name, to_plain(args), to_plain(kwargs))))
            return to_plain(self.namespace[name](*args, **kwargs))

        return call


@pytest.mark.parametrize("stem", _stems(HIDDEN, "test_*.py", "test_"))
def test_hidden_inputs_differ_per_student_and_from_every_public_case(stem):
    """So a table of answers to the public cases, or to a classmate's hidden cases, earns
    nothing: no hidden call repeats a public test's call or another student's."""
    def calls(path: Path, *seed: int) -> set[bytes]:
        recorder = _Recorder(SOLUTIONS / f"{stem}.ipynb")
        for test, _info in _exercise_tests(path):
            _call(test, recorder, *seed)
        return recorder.calls

    public = calls(TESTS / f"test_{stem}.py")
    ada, alan = (calls(HIDDEN / f"test_{stem}.py", student_seed_for(name)) for name in ("ada", "alan"))
    assert public and ada and alan
    assert not ada & public and not ada & alan


def _serve_seeds(stem: str, notebook: Path, seeds: list[int]) -> list[str]:
    """Call every hidden test of ``stem`` once per seed on ``notebook``, one child process."""
    from course_utils.grading.sandbox.proxy import Student

    path = HIDDEN / f"test_{stem}.py"
    module = _import(path)
    tests = _exercise_tests(path, module)
    timeouts = {info["name"]: info["timeout"] for _, info in tests if info.get("timeout")}
    failures = []
    with Student(notebook, expected=[info["name"] for _, info in tests], blocked=blocked_names(module),
                 timeouts=timeouts) as student:
        for seed in seeds:
            for test, _info in tests:
                try:
                    _call(test, student, seed)
                except Exception as exc:  # AssertionError, or whatever the learner's code raised
                    failures.append(f"{stem} seed {seed}: {test.__name__}: {type(exc).__name__}: {exc}")
    return failures


def _serve_all(folder: Path, seeds: list[int]) -> dict[str, list[str]]:
    """``{stem: failures}`` for every notebook of ``folder``, two notebooks at a time."""
    from course_utils.grading.stages.runner import Job, run_isolated

    jobs = [Job(path.stem, _serve_seeds, (path.stem, path, seeds), deadline=600)
            for path in sorted(folder.glob("*.ipynb")) if (HIDDEN / f"test_{path.stem}.py").is_file()]
    out = {}
    for stem, status, value in run_isolated(jobs, workers=2):
        assert status == "ok", f"{stem}: {value}"
        out[stem] = value
    return out


def test_the_solutions_pass_the_hidden_tests_for_fifty_students():
    seeds = [student_seed_for(f"student-{i:02d}") for i in range(SEEDS)]
    failures = _serve_all(SOLUTIONS, seeds)
    assert sorted(failures) == _stems(HIDDEN, "test_*.py", "test_")
    assert not sum(failures.values(), []), "\n".join(sum(failures.values(), []))


def test_every_hidden_test_fails_on_the_blank_exercises():
    tests = {stem: len(_exercise_tests(HIDDEN / f"test_{stem}.py")) for stem in _stems(HIDDEN, "test_*.py", "test_")}
    failures = _serve_all(EXERCISES, [student_seed_for("exercises")])
    passed = {stem: tests[stem] - len(failed) for stem, failed in failures.items() if len(failed) != tests[stem]}
    assert not passed, f"hidden tests that pass on a blank notebook (count per notebook): {passed}"


# ------------------------------------------------------------- degenerate students

DEGENERATE = {
    "empty_arrays": lambda first: "return np.array([])",
    "raises_value_error": lambda first: 'raise ValueError("no answer")',
    "returns_first_argument": lambda first: f"return {first}",
    "returns_nan": lambda first: "return float('nan')",
    "returns_none": lambda first: "return None",
}
#: degenerate students whose functions return no answer: not one test may pass for them
NO_ANSWER = ["empty_arrays", "returns_nan", "returns_none"]


def degenerate_notebook(source: Path, destination: Path, body: str) -> None:
    """``source`` with the body of every function in its exercise cells replaced by ``body``
    (a statement in which ``{first}`` names the function's first parameter)."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or "exercise" not in cell.get("metadata", {}).get("tags", []):
            continue
        tree = ast.parse("".join(cell["source"]))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                first = node.args.args[0].arg if node.args.args else "None"
                node.body = ast.parse(DEGENERATE[body](first)).body
        cell["source"] = ast.unparse(tree)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps(nb), encoding="utf-8")


def _grade_with_hidden(folder: Path) -> list[dict]:
    """Every public and hidden test on the notebooks of ``folder`` (gates applied)."""
    from course_utils.grading.learner.feedback import run_group

    notebooks = {path.stem: str(path) for path in sorted(folder.glob("*.ipynb"))}
    files = [str(TESTS / f"test_{stem}.py") for stem in notebooks]
    files += [str(HIDDEN / f"test_{stem}.py") for stem in notebooks if (HIDDEN / f"test_{stem}.py").is_file()]
    return [row for rows, _notes in run_group(files, notebooks).values() for row in rows]


@pytest.fixture(scope="module")
def degenerate_rows(tmp_path_factory) -> dict[str, list[dict]]:
    """``{student: result rows}`` for each degenerate student, every public and hidden test
    of every notebook that tests grade (rubric-only ones have none), gates applied."""
    from course_utils.grading.stages.runner import Job, run_isolated

    root = tmp_path_factory.mktemp("degenerate")
    for kind in DEGENERATE:
        for path in exercise_notebooks(SOLUTIONS, TESTS):
            degenerate_notebook(path, root / kind / path.name, kind)
    jobs = [Job(kind, _grade_with_hidden, (root / kind,), deadline=600) for kind in DEGENERATE]
    out = {}
    for kind, status, rows in run_isolated(jobs, workers=2):
        assert status == "ok", f"{kind}: {rows}"
        out[kind] = rows
    return out


def _all_points() -> float:
    paths = [*TESTS.glob("test_*.py"), *HIDDEN.glob("test_*.py")]
    return sum(info["points"] for path in paths for _, info in _exercise_tests(path))


def _named(row: dict) -> str:
    return f"{row['notebook']}: {row['exercise']} / {row['test']} ({row['status']}, {row['points']:g} points)"


@pytest.mark.parametrize("kind", sorted(DEGENERATE))
def test_a_degenerate_student_scores_at_most_five_percent(degenerate_rows, kind):
    """Of all the points, and of each notebook's points: a notebook cannot hide behind the others."""
    rows = degenerate_rows[kind]
    assert sum(r["max_points"] for r in rows) == _all_points()  # every public and hidden test was graded
    over = []
    for stem in sorted({r["notebook"] for r in rows}):
        mine = [r for r in rows if r["notebook"] == stem]
        earned, possible = sum(r["points"] for r in mine), sum(r["max_points"] for r in mine)
        if earned > DEGENERATE_SHARE * possible:
            earning = "; ".join(f"{r['exercise']} / {r['test']} ({r['points']:g})" for r in mine if r["points"])
            over.append(f"{stem}: {earned:g}/{possible:g} points from {earning}")
    assert not over, f"{kind} scores more than {DEGENERATE_SHARE:.0%}:\n" + "\n".join(over)


@pytest.mark.parametrize("kind", NO_ANSWER)
def test_a_student_returning_no_answer_passes_no_test(degenerate_rows, kind):
    """An empty array, NaN or None is never a right answer: no value check may pass on it
    (the comparison helper's job), and no raise-only test either (these never raise)."""
    rows = degenerate_rows[kind]
    assert sum(r["max_points"] for r in rows) == _all_points()
    passed = [_named(r) for r in rows if r["status"] in ("passed", GATED)]
    assert not passed, f"{kind} passes:\n" + "\n".join(passed)


# ------------------------------------------------------------------ the notebooks


def test_committed_exercises_are_what_release_produces(tmp_path):
    release(SOLUTIONS, tmp_path)
    fresh = {path.name: path.read_bytes() for path in tmp_path.glob("*.ipynb")}
    committed = {path.name: path.read_bytes() for path in EXERCISES.glob("*.ipynb")}
    drifted = sorted(name for name in fresh.keys() | committed.keys() if fresh.get(name) != committed.get(name))
    assert not drifted, f"exercises/ differs from solutions/ for {drifted}: run `python -m course_utils release`"


@pytest.mark.parametrize("notebook", sorted(SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_solution_notebook_executes_top_to_bottom(notebook, tmp_path):
    """check() cells are skipped here ($COURSE_SKIP_CHECKS): the tests above grade the code. The
    demos' figures are shown in the course style (issue 23; tests/notebook_figures.py), and kept
    for the contact sheet."""
    from notebook_figures import execute_capturing, figure_failures

    nb, figures = execute_capturing(notebook, tmp_path, timeout=600, env={"COURSE_SKIP_CHECKS": "1"})
    failures = figure_failures(nb, figures)
    assert not failures, "\n".join(failures)
