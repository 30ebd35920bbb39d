"""Hostile submissions: every one costs its author only the affected points, is named in
the feedback with the reason, and leaves every other exercise and student graded.

One class is graded once (module fixture), with ``--jobs 2``: a student per hostile case,
built from the fixture notebook ``fixture/tiny.ipynb`` (exercises ``add`` 2 points, ``mean``
2 points, ``scale`` 2 points; tests in ``fixture/test_tiny.py``), the dishonest students of
issue 10 (:mod:`attacks`: sandbox escapes, attacks on the grader and on classmates), students
with awkward folder names, and good students graded before and after all of them.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_utils.course_root import find_course_root
from course_utils.grading.config import GradingConfig
from course_utils.grading.commands.grade import grade_class

sys.path.insert(0, str(Path(__file__).parent))
import attacks  # noqa: E402  (the dishonest students, shared with the before/after table)

pytestmark = pytest.mark.slow  # grades a class of about 50 hostile students (~40 s)

FIXTURE = Path(__file__).parent / "fixture"
TIMEOUT = 5.0  # seconds per call: the endless loops below cost this much, once each
#: the limits of this class: small enough that the attacks meet them quickly
CONFIG = GradingConfig(timeout=TIMEOUT, startup_seconds=8.0, memory_mb=512, processes=32, file_mb=64,
                       max_notebook_mb=4)
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
    **{name: notebook for name, (notebook, _what) in attacks.ATTACKS.items()},
    "big_untagged_cell": attacks.with_add(attacks.base()["cells"][2]["source"], attacks._huge_untagged(2)),
    "lost_in_a_big_cell": attacks.with_add("", ("", "".join(attacks.base()["cells"][2]["source"]) + "\n"
                                                + attacks._huge_untagged(0.2)[1])),
}
#: awkward folder names (bytes: not UTF-8), each holding the good notebook
NAMES = {
    "non_utf8": b"caf\xe9-\xff",
    "long": ("x" * 245).encode(),
    "formula": b'=HYPERLINK("evil.example","click me")',
    "plus": b"+1+1",
    "at": b"@SUM(A1)",
    "newline": b"two\nlines",
}
#: students who are graded before and after everyone (their grades must not move)
BYSTANDERS = ("aa_good", "zz_victim")


def _tree_digest(*folders: Path) -> dict[str, str]:
    """SHA-256 of every file below ``folders`` (caches left out)."""
    found = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and ".pytest_cache" not in path.parts:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _our_processes() -> list[str]:
    """Processes this suite may have left: survivors (by their tag), our children, and sandbox
    uids running this interpreter (another grader on the machine runs its own)."""
    from course_utils.grading.sandbox.isolation import SANDBOX_UID_BASE

    ours = os.fsencode(sys.executable) + b"\0"
    left = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        ppid = int(next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1])
        sandboxed = uid >= SANDBOX_UID_BASE and cmdline.startswith(ours)
        if attacks.SURVIVOR_TAG.encode() in cmdline or sandboxed or ppid == os.getpid():
            left.append(f"{entry} uid {uid}: {cmdline[:80]!r}")
    return left


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the whole hostile class once with --jobs 2; return (out folder, summary, evidence)."""
    root = tmp_path_factory.mktemp("hostile")
    submissions = root / "submissions"
    for student, notebook in CLASS.items():
        attacks.write_notebook(submissions / student, notebook)
    for student in BYSTANDERS:
        attacks.write_notebook(submissions / student, attacks.base())
    for name in NAMES.values():
        os.makedirs(os.path.join(os.fsencode(submissions), name))
        (Path(os.fsdecode(os.path.join(os.fsencode(submissions), name))) / "tiny.ipynb").write_text(
            json.dumps(attacks.base()))
    (submissions / "stray_file.txt").write_text("not a student folder")
    (submissions / "linked_notebook").mkdir()
    (submissions / "linked_notebook" / "tiny.ipynb").symlink_to("../aa_good/tiny.ipynb")
    (submissions / "linked_outside").mkdir()
    (submissions / "linked_outside" / "tiny.ipynb").symlink_to(FIXTURE / "tiny.ipynb")
    (submissions / "linked_folder").symlink_to("aa_good")
    course = find_course_root().path
    before = {"submissions": _tree_digest(submissions),
              "course": _tree_digest(course / "course_utils", course / "tests", course / "solutions")}
    summary = grade_class(submissions, root / "out", jobs=2, config=CONFIG, tests_dir=FIXTURE, progress=False)
    evidence = {"left_running": _our_processes(), "grades_right_after": (root / "out" / "grades.csv").read_bytes()}
    time.sleep(1.5)  # a survivor would rewrite the gradebook about now
    evidence.update(
        left_running_later=_our_processes(),
        grades_later=(root / "out" / "grades.csv").read_bytes(),
        submissions_changed=[p for p, h in _tree_digest(submissions).items() if before["submissions"].get(p) != h],
        course_changed=[p for p, h in _tree_digest(course / "course_utils", course / "tests", course / "solutions")
                        .items() if before["course"].get(p) != h]
        + [p for p in before["course"] if not Path(p).exists()])
    return root / "out", summary, evidence


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return [{**row, "student": row["student"].removeprefix("'")} for row in csv.DictReader(handle)]


def _points(out: Path) -> dict[str, dict[str, float]]:
    return {row["student"]: {k: float(v) for k, v in row.items() if k != "student"} for row in _rows(out)}


def _feedback(out: Path, student: str) -> str:
    """The student's feedback as a reader sees it (Markdown's escapes of learner text undone)."""
    manifest = json.loads((out / "manifest.json").read_text())
    text = (out / manifest["students"][student]["feedback"]).read_text(encoding="utf-8")
    return html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text))


def _expect(out: Path, student: str, lost: dict[str, float], reason: str) -> None:
    """``student`` lost exactly ``lost`` points per exercise, and the feedback says ``reason``."""
    points = _points(out)[student]
    for name, full in POINTS.items():
        assert points[name] == full - lost.get(name, 0.0), (student, name, points)
    assert reason in _feedback(out, student), _feedback(out, student)


def _label(name: bytes) -> str:
    from course_utils.grading.stages.discover import label_of

    return label_of(os.fsdecode(name))


def test_every_student_gets_a_row_and_a_feedback_file(graded):
    out, summary, _ = graded
    labels = sorted([*CLASS, *BYSTANDERS, "linked_notebook", "linked_outside", *map(_label, NAMES.values())])
    assert sorted(row["student"] for row in _rows(out)) == labels
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["students"]) == labels
    assert all((out / entry["feedback"]).is_file() for entry in manifest["students"].values())
    assert summary["ignored"] == ["ignored linked_folder (a symbolic link; the grader does not follow links)",
                                  "ignored stray_file.txt (not a student folder)"]


def test_the_good_students_get_full_marks(graded):
    out, _, _ = graded
    for student in ("good", *BYSTANDERS):
        assert _points(out)[student]["total"] == sum(POINTS.values()), student


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
    out, _, _ = graded
    _expect(out, student, lost, reason)


@pytest.mark.parametrize("student, reason", [
    ("duplicated_cell", "add: defined in 2 exercise cells"),
    ("untagged_cell", "which is not tagged 'exercise'; graded its definition"),
])
def test_a_damaged_but_findable_exercise_is_graded_with_a_note(graded, student, reason):
    out, _, _ = graded
    _expect(out, student, {}, reason)


@pytest.mark.parametrize("student, reason", [
    ("invalid_json", "is not valid JSON"),
    ("empty_file", "is empty, not a notebook"),
    ("not_a_notebook", "is not a notebook (not a text file)"),
    ("empty_notebook", "no cell tagged 'exercise' defines it"),
])
def test_an_unreadable_notebook_scores_zero_and_says_why(graded, student, reason):
    out, _, _ = graded
    _expect(out, student, POINTS, reason)


def test_printing_millions_of_lines_costs_nothing_and_floods_nothing(graded):
    out, _, _ = graded
    _expect(out, "million_lines", {}, "Score: 6/6")
    assert (out / "results.jsonl").stat().st_size < 200_000


def test_printed_warnings_cost_nothing(graded):
    out, _, _ = graded
    _expect(out, "warnings", {}, "Score: 6/6")


def test_feedback_never_shows_test_code(graded):
    out, _, _ = graded
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


# ------------------------------------------------------- the dishonest students of issue 10

#: attack -> what the feedback says when it is stopped (each costs only add's 2 points)
STOPPED = {
    "memory_thief": "attack stopped: found no grader objects",
    "course_writer": "attack stopped: could not write into the course",
    "solution_reader": "attack stopped: no reference found via course_utils.__file__",
    "hidden_reader": "attack stopped: no hidden tests visible",
    "grader_killer": "FileNotFoundError",  # no /proc in the sandbox to find the grader in
    "grader_stopper": "attack stopped: no ancestor to stop",
    "rlimit_raiser": "attack stopped: could not raise RLIMIT_AS",
    "proc_mem": "attack stopped: /proc/0/mem",
    "ptracer": "attack stopped: no parent to trace",
    "fork_bomb": "Resource temporarily unavailable",
    "file_filler": "File too large",
    "outside_files": "attack stopped: saw nothing outside its sandbox",
    "network": "attack stopped: interfaces ['lo']",
    "undecodable_message": "ValueError: \\ud800 \\udfff",
}


@pytest.mark.parametrize("student", sorted(STOPPED))
def test_an_attack_on_the_grader_costs_only_its_own_points(graded, student):
    out, _, _ = graded
    _expect(out, student, {"add": 2}, STOPPED[student])


def test_a_survivor_of_the_run_is_dead_before_grade_returns_and_cannot_rewrite_the_gradebook(graded):
    out, _, evidence = graded
    assert evidence["left_running"] == [] and evidence["left_running_later"] == []
    assert evidence["grades_later"] == evidence["grades_right_after"]
    assert _points(out)["survivor"]["add"] == 2  # its add is right; only its escape failed


def test_no_submission_file_and_nothing_of_the_course_changed(graded):
    _, _, evidence = graded
    assert evidence["submissions_changed"] == []
    assert evidence["course_changed"] == []


def test_learner_cells_tagged_setup_share_one_start_up_budget(graded):
    out, summary, _ = graded
    _expect(out, "setup_sleeper", POINTS, "start-up budget (8 s in all)")
    times = [json.loads(line)["seconds"] for line in (out / "results.jsonl").read_text().splitlines()
             if json.loads(line)["student"] == "setup_sleeper"]
    assert sum(times) < 3 * CONFIG.startup_seconds  # not 6 cells x 30 s


def test_a_notebook_past_the_size_cap_is_refused_with_a_note(graded):
    out, _, _ = graded
    _expect(out, "huge_notebook", POINTS, "MB; the grader reads notebooks up to 4 MB")


def test_a_large_untagged_cell_is_never_parsed_and_costs_nothing(graded):
    out, _, _ = graded
    _expect(out, "big_untagged_cell", {}, "Score: 6/6")
    _expect(out, "lost_in_a_big_cell", {"add": 2}, "of untagged code) is too large to search for it")


@pytest.mark.parametrize("student", ["linked_notebook", "linked_outside"])
def test_a_notebook_that_is_a_symbolic_link_is_refused_and_never_followed(graded, student):
    out, _, _ = graded
    _expect(out, student, POINTS, "tiny.ipynb is a symbolic link; the grader does not follow links")


@pytest.mark.parametrize("key", sorted(NAMES))
def test_awkward_folder_names_are_graded_and_written_as_plain_names(graded, key):
    out, _, _ = graded
    label = _label(NAMES[key])
    assert _points(out)[label]["total"] == sum(POINTS.values())
    assert f"# Feedback for {label}" in _feedback(out, label)
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(Path(manifest["students"][label]["feedback"]).name.encode()) < 100


def test_formula_like_names_are_written_so_a_spreadsheet_does_not_run_them(graded):
    out, _, _ = graded
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        cells = [row[0] for row in csv.reader(handle)][1:]
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in cells), cells
    assert "'" + _label(NAMES["formula"]) in cells


def test_a_hostile_class_uses_the_sandbox_where_the_machine_has_it(graded):
    _, summary, _ = graded
    from course_utils.grading.sandbox.template import probe_isolation

    assert summary["isolation"]["level"] == probe_isolation().level.value
    if os.environ.get("CI") == "true":  # CI's machine has namespaces: grading must not fall back there
        assert summary["isolation"]["level"] == "namespaces", summary["isolation"]["note"]


def test_a_large_untagged_notebook_costs_the_grader_little_memory(tmp_path):
    """Issue 10: a 5 MB notebook of untagged code cost 2.4 GB in the worker. Graded alone in a
    fresh interpreter (default caps), the largest process the grading started stays small."""
    attacks.write_notebook(tmp_path / "subs" / "bulky", attacks.ATTACKS["huge_notebook"][0])
    code = ("import resource, sys\nfrom pathlib import Path\nfrom course_utils.grading.commands.grade import grade_class\n"
            f"grade_class(Path({str(tmp_path / 'subs')!r}), Path({str(tmp_path / 'out')!r}), "
            f"tests_dir=Path({str(FIXTURE)!r}), progress=False)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stderr
    assert int(ran.stdout.split()[-1]) < 600 * 1024  # KiB: the workers and the template
    assert "Score: 6/6" in (tmp_path / "out" / "feedback" / "bulky.md").read_text()


def test_a_tests_folder_that_defines_no_exercise_tests_is_an_error(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_tiny.py").write_text("def test_nothing():\n    pass\n")
    (tmp_path / "subs" / "ada").mkdir(parents=True)
    ran = subprocess.run([sys.executable, "-m", "course_utils", "grade", str(tmp_path / "subs"), "--out",
                          str(tmp_path / "out"), "--tests", str(tmp_path / "tests"), "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 2 and "define no exercise tests" in ran.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
