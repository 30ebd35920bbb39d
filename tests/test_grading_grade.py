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

from course_utils.grading.commands.grade import grade_class

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


def test_the_gradebook_has_a_column_per_exercise_and_notebook_a_total_and_a_row_per_student(klass):
    subs, out = klass
    grade_class(subs, out, tests_dir=FIXTURE, progress=False)
    rows = _rows(out)
    assert list(rows["ada"]) == ["student", "add", "mean", "scale", "tiny", "total", "possible", "percent"]
    assert rows["ada"]["tiny"] == rows["ada"]["total"] == rows["ada"]["possible"] == "6"
    assert rows["bob"]["percent"] == "100"


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
    import glob
    import tempfile

    subs, out = klass
    workspaces = set(glob.glob(f"{tempfile.gettempdir()}/course-sandbox-*"))
    with pytest.raises(ValueError, match="no folder carol"):
        grade_class(subs, out, students=["carol"], tests_dir=FIXTURE, progress=False)
    assert not out.exists()
    assert set(glob.glob(f"{tempfile.gettempdir()}/course-sandbox-*")) == workspaces  # the template cleaned up


# ------------------------------------------------------------- hidden tests, manifest

LOOKUP_TABLE_ADD = ('def add(a, b):\n    """Right on the public examples only."""\n'
                    '    return {(2, 3): 5, (0.25, 0.5): 0.75}.get((a, b), 0)\n')


def _with_add(source: str) -> dict:
    nb = json.loads((FIXTURE / "tiny.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if "def add(" in "".join(cell["source"]) and "exercise" in cell["metadata"].get("tags", []):
            cell["source"] = source
    return nb


@pytest.fixture
def hidden_graded(klass):
    subs, out = klass
    (subs / "bob" / "tiny.ipynb").write_text(json.dumps(_with_add(LOOKUP_TABLE_ADD)))
    summary = grade_class(subs, out, tests_dir=FIXTURE, hidden_dir=FIXTURE / "tiny_hidden", progress=False)
    return out, summary


def test_hidden_tests_are_graded_with_the_public_ones(hidden_graded):
    out, summary = hidden_graded
    rows = _rows(out)
    assert rows["ada"]["add"] == "4" and rows["ada"]["total"] == "8"  # 2 public + 2 hidden points
    assert rows["bob"]["add"] == "2"  # a table of the public cases fails the hidden test
    assert summary["hidden_tests"] == 1


def test_feedback_names_a_hidden_test_and_its_points_only(hidden_graded):
    out, _ = hidden_graded
    text = (out / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert "✗ hidden test: your own numbers (0/2 points)" in text
    assert "Check add on numbers other than" not in text and "add(" not in text  # no hint, no inputs


def test_hidden_inputs_are_drawn_from_the_students_folder_name(hidden_graded):
    """The hidden test's message (instructors only, in results.jsonl) names its inputs: they
    are the ones student_seed_for("bob") draws, although the grader reads a staged copy."""
    import numpy as np

    from course_utils.grading.plugin import student_seed_for

    out, _ = hidden_graded
    [row] = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()
             if json.loads(line)["student"] == "bob" and json.loads(line)["hidden"]]
    a, b = (int(v) for v in np.random.default_rng(student_seed_for("bob")).integers(-10**6, 10**6, size=2))
    assert f"add({a}, {b}) is {a + b}" in row["message"]


def test_the_manifest_records_the_course_version_the_tests_hash_and_the_isolation(hidden_graded):
    import hashlib

    from course_utils import __version__

    out, summary = hidden_graded
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["course_version"] == __version__
    assert len(manifest["tests_sha256"]) == 64 and manifest["tests_sha256"] == summary["tests_sha256"]
    assert manifest["isolation"]["level"] == summary["isolation"]["level"]
    assert manifest["students"]["bob"]["tests_sha256"] == manifest["tests_sha256"]
    assert manifest["tests"] == {"tiny": {"public": "test_tiny.py", "hidden": True}}
    assert manifest["tests_sha256"] != hashlib.sha256(b"").hexdigest()


def test_changing_a_test_changes_the_recorded_hash(klass, tmp_path):
    subs, out = klass
    grade_class(subs, out, tests_dir=FIXTURE, progress=False)
    first = json.loads((out / "manifest.json").read_text())["tests_sha256"]
    changed = tmp_path / "tests"
    shutil.copytree(FIXTURE, changed)
    (changed / "test_tiny.py").write_text((FIXTURE / "test_tiny.py").read_text() + "\n# one more line\n")
    grade_class(subs, out, tests_dir=changed, progress=False)
    assert json.loads((out / "manifest.json").read_text())["tests_sha256"] != first


def test_a_regrade_cannot_be_influenced_by_the_regraded_learners_code(klass):
    """bob's resubmission tries to rewrite every gradebook it can find while it is regraded."""
    subs, out = klass
    grade_class(subs, out, tests_dir=FIXTURE, progress=False)
    before = {line for line in (out / "results.jsonl").read_text().splitlines() if '"ada"' in line}
    forger = ("import gc, os\nfrom pathlib import Path\n"
              "for obj in gc.get_objects():\n"
              "    if isinstance(obj, Path) and (obj / 'results.jsonl').exists():\n"
              "        (obj / 'results.jsonl').write_text('')\n"
              f"for root, dirs, files in os.walk({str(out.parent)!r}):\n"
              "    if 'results.jsonl' in files:\n"
              "        Path(root, 'results.jsonl').write_text('')\n"
              "def add(a, b):\n    return a + b\n")
    (subs / "bob" / "tiny.ipynb").write_text(json.dumps(_with_add(forger)))
    grade_class(subs, out, students=["bob"], tests_dir=FIXTURE, progress=False)
    after = (out / "results.jsonl").read_text().splitlines()
    assert {line for line in after if '"ada"' in line} == before
    assert _rows(out)["bob"]["total"] == "6"


# --------------------------------------------------------------- pytest as the engine


def test_the_session_plugin_is_hashable_as_pytest_needs():
    """pytest keeps plugins in sets: a dataclass with eq=True is unhashable (pytest 9.0.3 then
    wrote no result and exited 0)."""
    from course_utils.grading.stages.runner import Session

    session = Session()
    assert hash(session) == hash(session) and session != Session()


def test_pytest_stopping_with_an_internal_error_is_a_grader_error_with_its_message(tmp_path):
    from course_utils.grading.errors import GraderProblem
    from course_utils.grading.stages.runner import run_tests

    (tmp_path / "test_tiny.py").write_text("import no_such_module_anywhere\n")
    with pytest.raises(GraderProblem, match=r"exit code 2 \(interrupted\).*no_such_module_anywhere"):
        run_tests([tmp_path / "test_tiny.py"], notebooks={"tiny": str(FIXTURE / "tiny.ipynb")})


def test_a_grader_error_is_never_an_empty_result(klass, monkeypatch):
    """The worker's pytest fails (here: an internal error): every test is a 'grader error' row
    with pytest's message, the totals are written, and the summary names the student."""
    from course_utils.grading.stages import runner

    subs, out = klass
    real = runner.run_pytest
    monkeypatch.setattr(runner, "run_pytest", lambda args, plugins, **options: real(args, plugins, **options)
                        if "--collect-only" in args else (3, "INTERNALERROR> TypeError: unhashable"))
    summary = grade_class(subs, out, tests_dir=FIXTURE, progress=False)
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert rows and {row["status"] for row in rows} == {"grader error"}
    assert "exit code 3 (internal error): INTERNALERROR> TypeError: unhashable" in rows[0]["message"]
    assert len(summary["grader_errors"]) == 2


def test_the_score_stage_applies_the_scoring_gates(klass, monkeypatch):
    """Every student's rows pass through scoring.apply_gates before they are written (here a
    stand-in gate that zeroes the exercise 'mean': ada's total drops from 6 to 4)."""
    from course_utils.grading.stages import score

    subs, out = klass
    monkeypatch.setattr(score, "apply_gates",
                        lambda rows: [{**row, "points": 0.0} if row["exercise"] == "mean" else row for row in rows])
    grade_class(subs, out, tests_dir=FIXTURE, progress=False)
    assert _rows(out)["ada"]["mean"] == "0" and _rows(out)["ada"]["total"] == "4"


def test_the_workers_are_forked_with_what_the_tests_import_already_imported(tmp_path):
    """What a test module imports (here a name in its BLOCKED, found as the run stage finds it)
    is imported, and its BLOCKED read, in the grader before it forks a worker per learner,
    not again in every worker."""
    import subprocess
    import sys

    shutil.copy(FIXTURE / "conftest.py", tmp_path)
    (tmp_path / "test_tiny.py").write_text(
        (FIXTURE / "test_tiny.py").read_text().replace('BLOCKED = ["statistics.mean"]',
                                                       'BLOCKED = ["course_utils.data_limits.effective_data"]'))
    code = ("import sys\n"
            "from pathlib import Path\n"
            "from course_utils.grading.config import GradingConfig\n"
            "from course_utils.grading.plugin import _blocked_names\n"
            "from course_utils.grading.stages.discover import preload_names\n"
            "from course_utils.grading.stages.runner import run_collected\n"
            "seen = ['course_utils.data_limits' in sys.modules]\n"
            "run_collected([sys.argv[1]], lambda suite: seen.extend(['course_utils.data_limits' in sys.modules,\n"
            "              _blocked_names.cache_info().currsize]), config=GradingConfig(),\n"
            "              preload=preload_names([Path(sys.argv[1])]))\n"
            "print(*seen)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "test_tiny.py")], capture_output=True,
                         text=True, timeout=120)
    assert out.stdout.split() == ["False", "True", "1"], out.stderr[-2000:]


def test_grade_does_not_import_the_command_line_module():
    """No import cycle: cli imports grade (lazily), grade never imports cli."""
    import subprocess
    import sys

    code = ("import sys, course_utils.grading.commands.grade, course_utils.grading.stages.write\n"
            "print('course_utils.grading.commands.cli' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="the sandbox is Linux-only")
def test_the_manifest_says_which_sandbox_each_student_was_graded_in(klass):
    from course_utils.grading.sandbox.template import probe_isolation

    subs, out = klass
    grade_class(subs, out, tests_dir=FIXTURE, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    if probe_isolation().active:
        assert {"mount", "pid", "net", "hard rlimits"} <= set(manifest["students"]["ada"]["sandbox"])
    assert manifest["isolation"]["level"] == probe_isolation().level.value


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_in_the_middle_of_grade_stops_every_process_and_exits_130(tmp_path):
    """An instructor presses Ctrl-C while the class is being graded (every learner's add sleeps,
    so the learners' processes are running): the terminal's SIGINT reaches the grader's process
    group; grade says 'interrupted', exits 130, and no process it started (workers, template,
    sandboxes, learner code) is left."""
    import os
    import signal
    import subprocess
    import sys
    import time

    nb = json.loads((FIXTURE / "tiny.ipynb").read_text())
    for cell in nb["cells"]:
        if "exercise" in cell["metadata"].get("tags", []) and "def add(" in "".join(cell["source"]):
            cell["source"] = "import time\ndef add(a, b):\n    time.sleep(60)\n    return a + b"
    for student in ("ada", "bob", "cy"):
        (tmp_path / "subs" / student).mkdir(parents=True)
        (tmp_path / "subs" / student / "tiny.ipynb").write_text(json.dumps(nb))
    grader = subprocess.Popen([sys.executable, "-m", "course_utils", "grade", str(tmp_path / "subs"), "--out",
                               str(tmp_path / "out"), "--tests", str(FIXTURE), "--jobs", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    started: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(started) < 8:  # template, 2 workers, 2 sandboxes of 2 processes
        started |= _descendants(grader.pid)
        time.sleep(0.2)
    time.sleep(1.0)  # the learners' add is running
    started |= _descendants(grader.pid)
    os.killpg(grader.pid, signal.SIGINT)
    _out, err = grader.communicate(timeout=60)
    assert grader.returncode == 130, err[-2000:]
    assert err.strip().splitlines()[-1] == "interrupted"
    assert len(started) >= 8
    time.sleep(1.5)  # the template reaps every half second
    assert [pid for pid in started if os.path.exists(f"/proc/{pid}")] == []


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc: children of each of its threads)."""
    import os

    found, pending = set(), [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as handle:
                    children = {int(child) for child in handle.read().split()}
            except OSError:
                continue
            pending += children - found
            found |= children
    return found
