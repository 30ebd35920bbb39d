"""Attacks on the grader's channel (issue 21): one class, honest classmates beside them.

Each learner in :mod:`channel_attacks` writes to their own process's channel to the
grader, or submits a notebook whose JSON has a shape Jupyter never writes. The class is
graded once as the user running the tests (root in CI) and once by a grader that has
become ``nobody``, each time with ``python -m course_utils grade`` (``--jobs 2``), as an
instructor runs it. Every test below holds for both runs:

* ``grade`` exits 0 and the honest classmates keep full marks;
* every row of an attacker carries a learner-facing status with the reason (never
  "grader error");
* the outputs stay small and clean: no control character, no raw HTML, no fake heading;
  no learner-chosen string in ``manifest.json``;
* every learner's tests take at most their notebook's time budget plus the stated margin
  (:data:`~course_utils.grading.config.GRACE_SECONDS`), and no grading worker's memory
  passes 1 GiB.

Before this issue the same class ended ``grade`` with exit 1 and no gradebook (a list in the
isolation record), wrote the forged strings into the manifest, hung a worker until its
deadline (a half frame), gave every row of four learners "grader error", let a 140-byte
reply allocate 3 GiB, and wrote a 100 MB feedback file with the terminal escapes raw.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import channel_attacks as hostile  # noqa: E402

from course_utils.grading.config import GRACE_SECONDS, GradingConfig, Status  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not sys.platform.startswith("linux"), reason="grades on Linux")]

HONEST = ("aa_good", "mm_good", "zz_victim")
FULL = {"add": 2.0, "mean": 2.0, "scale": 2.0}
#: a notebook's time budget in this class (GradingConfig.notebook_deadline: startup + each exercise's limit)
BUDGET = GradingConfig(timeout=hostile.TIMEOUT, startup_seconds=hostile.STARTUP).notebook_deadline([None] * 3)
#: the most a gradebook file may hold per learner ("a few hundred kilobytes")
PER_LEARNER_BYTES = 100_000
NOBODY = 65534


def _users() -> list[str]:
    return ["root", "nobody"] if os.geteuid() == 0 else ["unprivileged"]


def _runnable_by_nobody(path: str) -> bool:
    """Whether ``nobody`` may run ``path``: every folder above it searchable by others."""
    real = Path(os.path.realpath(path))
    return bool(real.stat().st_mode & 0o001) and all(folder.stat().st_mode & 0o001 for folder in real.parents)


def _interpreter_for_nobody(base: Path) -> str:
    """This interpreter, or where it lives under root's own home (mode 700: pyenv), the
    system's Python of the same version run as this environment: a folder of ``base`` holding
    a ``pyvenv.cfg``, a link to that Python and a link to this environment's site-packages
    (the way a virtual environment is made, so the sandbox binds it as it binds any)."""
    if _runnable_by_nobody(sys.executable):
        return sys.executable
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = shutil.which(f"python{version}", path="/usr/bin:/usr/local/bin:/bin")
    if system is None or not _runnable_by_nobody(system):
        pytest.skip(f"nobody cannot run {sys.executable}, and there is no system python{version}")
    import site
    import sysconfig

    helper = base / "python"
    (helper / "bin").mkdir(parents=True)
    (helper / "bin" / "python").symlink_to(system)
    (helper / "pyvenv.cfg").write_text(f"home = {Path(system).parent}\ninclude-system-site-packages = false\n")
    packages = helper / Path(sysconfig.get_path("purelib", vars={"base": "", "platbase": ""}).lstrip("/"))
    packages.parent.mkdir(parents=True)
    packages.symlink_to(site.getsitepackages()[0])
    return str(helper / "bin" / "python")


@pytest.fixture(scope="module", params=_users())
def graded(request):
    """Grade the class with the CLI as this user; (out folder, exit code, output, peak KiB)."""
    base = Path(tempfile.mkdtemp(prefix="course-hostile-channel-"))
    try:
        base.chmod(0o755)
        submissions, out, home = base / "submissions", base / "out", base / "home"
        for student in HONEST:
            hostile.write_notebook(submissions / student, hostile.base())
        hostile.write_notebook(submissions / "slow_but_right", hostile.SLOW)
        for student, (notebook, _what, _expected) in hostile.ATTACKS.items():
            hostile.write_notebook(submissions / student, notebook)
        home.mkdir()
        user, python = {}, sys.executable
        if request.param == "nobody":  # a child that has become nobody (CI runs as root)
            for path in (base, *base.rglob("*")):
                os.chown(path, NOBODY, NOBODY)
            python = _interpreter_for_nobody(base)
            user = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
        code = ("import resource, sys\nfrom course_utils.__main__ import main\ncode = main(sys.argv[1:])\n"
                "print('peak KiB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
                "sys.exit(code)")
        env = dict(os.environ, HOME=str(home), PYTHONDONTWRITEBYTECODE="1", MPLCONFIGDIR=str(home))
        ran = subprocess.run([python, "-c", code, "grade", str(submissions), "--out", str(out), "--tests",
                              str(hostile.FIXTURE), "--jobs", "2", "--quiet", "--timeout", str(hostile.TIMEOUT),
                              "--startup", str(hostile.STARTUP)],
                             capture_output=True, text=True, env=env, timeout=500, **user)
        peak = re.search(r"peak KiB (\d+)", ran.stderr)
        book = out / "grades.csv"  # written, and by the user this run stands for
        assert book.is_file() and book.stat().st_uid == (NOBODY if user else os.geteuid()), ran.stderr[-2000:]
        yield out, ran.returncode, ran.stdout + ran.stderr, int(peak.group(1)) if peak else None
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def _points(out: Path, student: str) -> dict[str, float]:
    found = {}
    for row in _rows(out):
        if row["student"] == student:
            found[row["exercise"]] = found.get(row["exercise"], 0.0) + row["points"]
    return found


def test_grade_exits_zero_and_the_honest_classmates_keep_full_marks(graded):
    out, code, output, _ = graded
    assert code == 0, output[-3000:]
    for student in HONEST:
        assert _points(out, student) == FULL, student


@pytest.mark.parametrize("student", sorted(hostile.ATTACKS))
def test_each_attack_costs_only_its_own_points_with_a_learner_facing_reason(graded, student):
    out, _, _, _ = graded
    _notebook, _what, expected = hostile.ATTACKS[student]
    rows = [row for row in _rows(out) if row["student"] == student]
    assert {row["exercise"] for row in rows} == set(FULL)
    for row in rows:
        assert Status(row["status"]).learner_facing, row
        if row["exercise"] in expected:
            status, words = expected[row["exercise"]]
            assert row["status"] == status and row["points"] == 0, row
        else:
            assert row["status"] == "passed", row
    for exercise, (status, words) in expected.items():
        first = next(row for row in rows if row["exercise"] == exercise)
        assert first["status"] == status and words in first["message"], first


def test_correct_but_slow_code_is_too_slow_past_the_notebook_budget_never_a_grader_error(graded):
    """Every call sleeps 1.9 s of its 2 s and answers right; the cells sleep 4.5 s: the fifth
    call is past the notebook's 14 s, and it and every later call are "too slow"."""
    out, _, output, _ = graded
    rows = [row for row in _rows(out) if row["student"] == "slow_but_right"]
    assert {row["status"] for row in rows} <= {"passed", "too slow"}, rows
    slow = [row for row in rows if row["status"] == "too slow"]
    assert slow and all(row["points"] == 0 for row in slow)
    assert f"all of its time ({BUDGET:g} s" in slow[0]["message"]
    assert any(row["status"] == "passed" for row in rows)
    assert "too slow: 1 learner used a notebook's whole time budget" in output and "slow_but_right" in output


def test_every_learner_is_graded_within_the_notebook_budget_and_the_stated_margin(graded):
    out, _, _, _ = graded
    seconds: dict[str, float] = {}
    for row in _rows(out):
        assert row["status"] != "grader error", row
        seconds[row["student"]] = seconds.get(row["student"], 0.0) + row["seconds"]
    assert max(seconds.values()) <= BUDGET + GRACE_SECONDS, seconds


def test_no_learner_chosen_string_reaches_the_manifest(graded):
    out, _, _, _ = graded
    text = (out / "manifest.json").read_text(encoding="utf-8")
    assert not any(forged in text for forged in hostile.FORGED)
    students = json.loads(text)["students"]
    honest = students["aa_good"]["sandbox"]
    for student in ("forged_isolation_list", "forged_isolation_text"):
        assert students[student]["sandbox"] == honest


def test_the_outputs_stay_small_and_clean(graded):
    out, _, _, _ = graded
    learners = len(HONEST) + 1 + len(hostile.ATTACKS)
    assert (out / "results.jsonl").stat().st_size < learners * PER_LEARNER_BYTES
    for path in [*out.glob("*.csv"), *out.glob("*.json*"), *(out / "feedback").glob("*.md")]:
        text = path.read_text(encoding="utf-8")
        assert path.stat().st_size < learners * PER_LEARNER_BYTES, path
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), path
        assert "\\u001b" not in text and "\\x1b" not in text, path  # not even escaped


def test_learner_text_in_the_feedback_opens_no_heading_tag_or_fake_total(graded):
    out, _, _, _ = graded
    text = (out / "feedback" / "feedback_injection.md").read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if line.startswith("#")] == [
        "# Feedback for feedback_injection", "## tiny.ipynb", "### ✗ `add`: 0/2 points", "### ✓ `mean`: 2/2 points",
        "### ✓ `scale`: 2/2 points"]
    assert [line for line in text.splitlines() if "Total:" in line and line.startswith("**")] == [
        "**Total: 4/6 points (67%)**"]
    assert "<img" not in text and "&lt;img" in text
    mistune = pytest.importorskip("mistune")
    page = mistune.html(text)
    assert "<img" not in page and page.count("<h1>") == 1 and page.count("<strong>") == 2


def test_no_grading_worker_grows_past_one_gibibyte(graded):
    """The largest process ``grade`` started (workers and the template), as ``getrusage``
    reports it; the 3 GiB array the attacks promised was never allocated."""
    _, _, _, peak = graded
    assert peak is not None and peak < 2**20  # KiB
