"""Grading a class as five named stages: discover -> extract -> run -> score -> write.

Each stage is a function with one input and one output:

============  ===========================  =============================================
stage         takes                        gives
============  ===========================  =============================================
discover      the folders and options      :class:`Plan`: roster, test modules (public and
                                           hidden), the syllabus, the tests' hash
extract       the plan                     :class:`Submission` per student: each notebook
                                           copied into a private staging folder, or a
                                           reason it was refused (link, size) or missing
run           plan and submissions         :class:`Outcome` per student: every test's row
                                           and the notes, with learner code sandboxed
score         plan, submissions, outcomes  :class:`Gradebook`: rows completed from the
                                           syllabus, gated (``scoring.apply_gates``),
                                           totals
write         the gradebook                the files, each written atomically, after
                                           every learner process is gone
============  ===========================  =============================================

Nothing a learner submits is ever written to, followed out of its folder or trusted as
text: folder names that are not UTF-8, very long or that look like spreadsheet formulas
are written so that a file system and a spreadsheet take them as plain names.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .config import GradingConfig, Status
from .scoring import apply_gates

_PRELOAD_ROOTS = {"numpy", "scipy", "course_utils", "math", "statistics", "torch"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


# ------------------------------------------------------------------ names


def label_of(name: str) -> str:
    """A student's folder name as printable text that keeps every byte recoverable: bytes
    that are not UTF-8 become ``\\xNN``, control characters ``\\uNNNN``-style escapes."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def spreadsheet_cell(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet evaluates: a leading ``= + - @`` (or tab, CR)
    gets a ``'`` in front (OWASP's advice for CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def feedback_file(name: str) -> str:
    """The feedback file's name for student folder ``name``: ``<name>.md`` when the name is
    plain and short, else a readable part and a hash of the name (any length, any bytes)."""
    label = label_of(name)
    if _PLAIN_NAME.fullmatch(label):
        return f"{label}.md"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("._-")[:60] or "student"
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return f"{slug}-{digest}.md"


def safe_text(text: Any) -> str:
    """Any message as text every file can hold (lone surrogates written as escapes)."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


# ------------------------------------------------------------------ discover


@dataclass
class Plan:
    """What to grade, with what (the output of :func:`discover`)."""

    submissions: Path
    out: Path
    students: list[str]  # folder names, as the OS gives them
    ignored: list[str]  # notes on entries that are not student folders
    stems: list[str]
    public: dict[str, Path]  # stem -> tests/exercises/test_<stem>.py
    hidden: dict[str, Path]  # stem -> tests/hidden/test_<stem>.py
    syllabus: dict[str, list[dict[str, Any]]]  # stem -> every test (public, then hidden)
    tests_sha256: str
    replace_only: bool  # --student: keep everyone else's results
    config: GradingConfig = field(default_factory=GradingConfig)

    def test_files(self, stems: Iterable[str]) -> list[str]:
        return [str(path) for stem in stems for path in (self.public.get(stem), self.hidden.get(stem)) if path]

    def deadline(self, stems: Iterable[str]) -> float:
        """The one deadline formula (:meth:`GradingConfig.deadline`) for these notebooks."""
        per_notebook = []
        for stem in stems:
            timeouts: dict[str, float | None] = {}
            for test in self.syllabus[stem]:
                timeouts[test["exercise"]] = max(filter(None, [timeouts.get(test["exercise"]), test.get("timeout")]),
                                                 default=None)
            per_notebook.append(list(timeouts.values()))
        return self.config.deadline(per_notebook)


def _hash_tests(files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(set(files)):
        digest.update(path.name.encode() + b"\0" + path.parent.name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def discover(submissions: Path, out: Path, *, students: list[str] | None = None, tests_dir: Path | None = None,
             hidden_dir: Path | None = None, config: GradingConfig | None = None) -> Plan:
    """The roster, the test modules and their syllabus.

    Raises
    ------
    ValueError
        When grading cannot run: no such folder, no student, no tests, an unknown student,
        test modules that define no exercise tests or do not import.
    """
    from .errors import GraderProblem
    from .feedback import tests_folder
    from .runner import collect_syllabus

    config = config or GradingConfig()
    submissions, out = Path(submissions), Path(out)
    if not submissions.is_dir():
        raise ValueError(f"submissions: {submissions} is not a folder")
    try:
        entries = sorted(os.scandir(submissions), key=lambda entry: entry.name)
    except OSError as exc:
        raise ValueError(f"submissions: cannot read {submissions} ({exc.strerror})") from None
    roster, ignored = [], []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            ignored.append(f"ignored {label_of(entry.name)} (a symbolic link; the grader does not follow links)")
        elif entry.is_dir(follow_symlinks=False):
            roster.append(entry.name)
        else:
            ignored.append(f"ignored {label_of(entry.name)} (not a student folder)")
    if students:
        unknown = sorted(set(students) - set(roster) - {label_of(name) for name in roster})
        if unknown:
            raise ValueError(f"student: no folder {', '.join(map(label_of, unknown))} in {submissions}")
        roster = [name for name in roster if name in students or label_of(name) in students]
    if not roster:
        raise ValueError(f"submissions: no student folders in {submissions}")

    tests_dir = Path(tests_dir or tests_folder())
    public, hidden = test_modules(tests_dir, hidden_dir)
    if not public:
        raise ValueError(f"tests: no test_<notebook>.py files in {tests_dir}")
    syllabus = {}
    for stem in public:
        try:
            syllabus[stem] = collect_syllabus(public[stem], *([hidden[stem]] if stem in hidden else []))
        except GraderProblem as exc:
            raise ValueError(f"tests: {exc}") from None
    empty = [stem for stem, tests in syllabus.items() if not tests]
    if len(empty) == len(syllabus):
        raise ValueError(f"tests: the modules in {tests_dir} define no exercise tests "
                         f"(no test marked with @exercise)")
    stems = [stem for stem in public if syllabus[stem]]
    support = [path for folder in {tests_dir, *(p.parent for p in hidden.values())}
               for path in Path(folder).glob("conftest.py")]
    digest = _hash_tests([*(public[s] for s in stems), *(hidden[s] for s in stems if s in hidden), *support])
    return Plan(submissions, out, roster, ignored, stems, {s: public[s] for s in stems},
                {s: hidden[s] for s in stems if s in hidden}, {s: syllabus[s] for s in stems}, digest,
                replace_only=bool(students), config=config)


def test_modules(tests_dir: Path | None, hidden_dir: Path | None) -> tuple[dict[str, Path], dict[str, Path]]:
    """``({stem: public test module}, {stem: hidden test module})``: ``test_<stem>.py`` in
    ``tests_dir`` (default: the course's ``tests/exercises``), and the hidden module of the
    same name in ``hidden_dir`` for each."""
    from .feedback import tests_folder

    try:
        folder = Path(tests_dir or tests_folder())
    except ValueError:
        return {}, {}
    public = {path.stem.removeprefix("test_"): path for path in sorted(folder.glob("test_*.py"))}
    hidden = {}
    if hidden_dir is not None and Path(hidden_dir).is_dir():
        hidden = {stem: Path(hidden_dir) / f"test_{stem}.py" for stem in public
                  if (Path(hidden_dir) / f"test_{stem}.py").is_file()}
    return public, hidden


def preload_names(test_files: Iterable[Path]) -> list[str]:
    """Modules the template imports once (named in the test modules and the course's own
    setup cells): never learner code, never the tests themselves (only their text is read
    here, by the grader)."""
    names: set[str] = set()
    test_files = list(test_files)
    stems = [path.stem.removeprefix("test_") for path in test_files]
    for path in test_files:
        text = path.read_text(encoding="utf-8", errors="replace")
        names |= set(re.findall(r"['\"]([A-Za-z_]\w*(?:\.\w+)+)['\"]", text))  # BLOCKED names
        names |= set(re.findall(r"^\s*(?:from|import)\s+([\w.]+)", text, re.MULTILINE))
    try:
        from ..course_root import CourseRootError, find_folder

        exercises = find_folder("exercises")
    except (ValueError, ImportError):
        exercises = None
    for stem in dict.fromkeys(stems) if exercises else []:
        try:
            cells = json.loads((exercises / f"{stem}.ipynb").read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            continue
        for cell in cells:
            if "setup" in (cell.get("metadata", {}).get("tags") or []):
                names |= set(re.findall(r"^\s*(?:from|import)\s+([\w.]+)", "".join(cell.get("source", "")),
                                        re.MULTILINE))
    return sorted(name for name in names if name.split(".")[0] in _PRELOAD_ROOTS)


# ------------------------------------------------------------------- extract


@dataclass
class Submission:
    """One student's notebooks as the grader will read them (output of :func:`extract`)."""

    student: str  # folder name, as the OS gives it
    notebooks: dict[str, Path] = field(default_factory=dict)  # stem -> staged private copy
    refused: dict[str, tuple[Status, str]] = field(default_factory=dict)  # stem -> (status, reason)
    notes: dict[str, list[str]] = field(default_factory=dict)


def _find_notebook(folder: Path, stem: str) -> tuple[Path | None, str | None]:
    """``(path, None)`` of ``<stem>.ipynb`` in ``folder`` (or deeper: a zip unpacked in a
    folder), never through a symbolic link; ``(None, reason)`` when only a link was found."""
    name = f"{stem}.ipynb"
    link = None
    direct = folder / name
    try:
        info = direct.lstat()
        if stat.S_ISLNK(info.st_mode):
            link = direct
        elif stat.S_ISREG(info.st_mode):
            return direct, None
    except OSError:
        pass
    for here, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints" and not d.startswith("."))
        if name in files and Path(here) != folder:
            path = Path(here) / name
            if path.is_symlink():
                link = link or path
                continue
            return path, None
    if link is not None:
        return None, (f"{link.relative_to(folder)} is a symbolic link; the grader does not follow links "
                      f"(submit the notebook itself)")
    return None, None


def _copy_capped(source: Path, target: Path, max_bytes: float) -> str | None:
    """Copy a regular file without following links; the reason when it is refused."""
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return f"{source.name} could not be read ({exc.strerror})"
    with open(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return f"{source.name} is not a file"
        if info.st_size > max_bytes:
            return (f"{source.name} is {info.st_size / 2**20:.1f} MB; the grader reads notebooks up to "
                    f"{max_bytes / 2**20:.0f} MB (clear the outputs and submit again)")
        data = handle.read(int(max_bytes) + 1)
    if len(data) > max_bytes:
        return f"{source.name} is larger than {max_bytes / 2**20:.0f} MB"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return None


def extract(plan: Plan, staging: Path) -> list[Submission]:
    """Each student's notebooks, copied into ``staging`` (private to the grader), so that the
    grader never reads a submission twice, through a link, or past the size cap."""
    submissions = []
    for number, student in enumerate(plan.students):
        found = Submission(student)
        folder = plan.submissions / student
        for stem in plan.stems:
            path, reason = _find_notebook(folder, stem)
            if path is None:
                found.refused[stem] = ((Status.REFUSED, reason) if reason else
                                       (Status.MISSING, f"no notebook {stem}.ipynb was submitted"))
                continue
            target = staging / str(number) / f"{stem}.ipynb"
            refused = _copy_capped(path, target, plan.config.max_notebook_mb * 2**20)
            if refused:
                found.refused[stem] = (Status.REFUSED, refused)
                continue
            found.notebooks[stem] = target
            if path.parent != folder:
                found.notes.setdefault(stem, []).append(f"graded {label_of(str(path.relative_to(folder)))}")
        submissions.append(found)
    return submissions


# ----------------------------------------------------------------------- run


@dataclass
class Outcome:
    """What running one student's tests gave (output of :func:`run`)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # stem -> rows
    notes: dict[str, list[str]] = field(default_factory=dict)
    isolation: dict[str, list[str]] = field(default_factory=dict)  # stem -> what the sandbox enforced
    error: str | None = None  # the grading worker failed (a grader error)


def grade_student(test_files: list[str], notebooks: dict[str, str], config: GradingConfig,
                  launcher: Any, student: str) -> dict[str, Any]:
    """In a grading worker: one pytest run over one student's notebooks (plain data back)."""
    from .runner import run_tests

    session = run_tests(test_files, notebooks=notebooks, config=config, launcher=launcher, student=student,
                        timeout=config.timeout, memory_mb=config.memory_mb)
    rows: dict[str, list[dict]] = {stem: [] for stem in notebooks}
    for row in session.results:
        rows.setdefault(row.notebook, []).append(row.to_dict())
    return {"rows": rows, "notes": session.notes, "isolation": session.isolation}


def run(plan: Plan, submissions: list[Submission], *, launcher: Any = None, jobs: int = 1,
        progress: bool = False) -> dict[str, Outcome]:
    """Every student's tests, ``jobs`` grading workers at a time (student name -> outcome).

    Each worker is a fresh fork of this process; the learner's code runs in processes from
    ``launcher`` (the sandbox's template), never in the worker.
    """
    from .runner import Job, run_isolated

    work = []
    for number, found in enumerate(submissions):
        if found.notebooks:
            stems = list(found.notebooks)
            work.append(Job(number, grade_student,
                            (plan.test_files(stems), {s: str(p) for s, p in found.notebooks.items()}, plan.config,
                             launcher, found.student), deadline=plan.deadline(stems)))
    outcomes = {found.student: Outcome() for found in submissions}
    bar = None
    if progress and work:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread in a process that forks
        bar = tqdm(total=len(work), unit="student", desc="grading", file=sys.stderr)
    for number, status, value in run_isolated(work, workers=jobs):
        outcome = outcomes[submissions[number].student]
        if status == "ok":
            outcome.rows, outcome.notes, outcome.isolation = value["rows"], value["notes"], value["isolation"]
        else:
            outcome.error = value
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return outcomes


# --------------------------------------------------------------------- score


@dataclass
class Gradebook:
    """Everything :func:`write` writes (output of :func:`score`)."""

    plan: Plan
    results: list[dict[str, Any]]  # one row per test per student (label in "student")
    notes: dict[tuple[str, str], list[str]]  # (student label, stem) -> notes
    files: dict[str, str]  # student label -> feedback file name
    grader_errors: list[str] = field(default_factory=list)  # one line per student the grader failed
    isolation: dict[str, Any] = field(default_factory=dict)  # what the template's probe achieved
    sandboxes: dict[str, list[str]] = field(default_factory=dict)  # student -> what their sandboxes said


def _filled(rows: list[dict], syllabus: list[dict], stem: str, status: Status, message: str) -> list[dict]:
    """``rows`` completed with a row for every syllabus test that did not report."""
    seen = {(row["exercise"], row["test"]) for row in rows}
    extra = [dict(notebook=stem, exercise=test["exercise"], test=test["test"], status=status.value, points=0.0,
                  max_points=test["max_points"], message=message, hint=test["hint"], seconds=0.0,
                  hidden=test.get("hidden", False), requires_value=test.get("requires_value", False))
             for test in syllabus if (test["exercise"], test["test"]) not in seen]
    return rows + extra


def score(plan: Plan, submissions: list[Submission], outcomes: dict[str, Outcome],
          isolation: dict[str, Any] | None = None) -> Gradebook:
    """Every student's rows, completed from the syllabus and gated, with their notes."""
    results, notes, files, errors, sandboxes = [], {}, {}, [], {}
    for found in submissions:
        label = label_of(found.student)
        if label in files:  # two folder names written alike ("caf\xe9" the bytes, and as text)
            label += f" [{hashlib.sha256(found.student.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}]"
        files[label] = feedback_file(found.student)
        outcome = outcomes.get(found.student, Outcome())
        sandboxes[label] = sorted({m for mechanisms in outcome.isolation.values() for m in mechanisms})
        if outcome.error:
            errors.append(f"{label}: {outcome.error}")
        for stem in plan.stems:
            syllabus = plan.syllabus[stem]
            if stem in found.refused:
                status, message = found.refused[stem]
                rows = _filled([], syllabus, stem, status, message)
            elif outcome.error:
                rows = _filled([], syllabus, stem, Status.GRADER_ERROR,
                               f"the grader failed on this notebook, not your code: {outcome.error}")
            else:
                rows = _filled(outcome.rows.get(stem, []), syllabus, stem, Status.GRADER_ERROR,
                               "this test did not run (the notebook's grading stopped early)")
            rows = apply_gates(rows)
            results += [{"student": label, **{k: safe_text(v) if isinstance(v, str) else v for k, v in row.items()}}
                        for row in rows]
            stem_notes = [*found.notes.get(stem, []), *outcome.notes.get(stem, [])]
            notes[label, stem] = [safe_text(note) for note in dict.fromkeys(stem_notes)]
    return Gradebook(plan, results, notes, files, errors, dict(isolation or {}), sandboxes)


# --------------------------------------------------------------------- write


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_previous(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("student"), str):
            rows.append(row)
    return rows


def _manifest(book: Gradebook, previous: dict[str, Any]) -> dict[str, Any]:
    from .. import __version__

    plan = book.plan
    graded_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    run_record = {"course_version": __version__, "tests_sha256": plan.tests_sha256,
                  "isolation": book.isolation, "graded_at": graded_at, "config": plan.config.to_dict(),
                  "tests": {stem: {"public": plan.public[stem].name, "hidden": stem in plan.hidden}
                            for stem in plan.stems}}
    students = dict(previous.get("students", {})) if plan.replace_only else {}
    for label, feedback in book.files.items():
        students[label] = {"feedback": f"feedback/{feedback}", "tests_sha256": plan.tests_sha256,
                           "course_version": __version__, "graded_at": graded_at,
                           "sandbox": book.sandboxes.get(label, [])}
    return {**run_record, "students": dict(sorted(students.items()))}


def write(book: Gradebook) -> None:
    """``results.jsonl``, ``grades.csv``, ``feedback/*.md`` and ``manifest.json`` in the plan's
    ``out`` folder, each through a temporary file renamed into place (an interrupted run
    leaves the previous gradebook whole). With ``--student``, everyone else's rows stay."""
    from .report import format_results, score as total

    plan, out = book.plan, book.plan.out
    chosen = set(book.files)
    results = book.results
    previous_manifest: dict[str, Any] = {}
    if plan.replace_only:
        results = [row for row in _read_previous(out / "results.jsonl") if row["student"] not in chosen] + results
        try:
            previous_manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous_manifest = {}
    students = sorted(dict.fromkeys(row["student"] for row in results))

    exercise_names = list(dict.fromkeys((stem, test["exercise"]) for stem in plan.stems
                                        for test in plan.syllabus[stem]))
    clashes = {name for _, name in exercise_names if sum(n == name for _, n in exercise_names) > 1}
    column = {key: (f"{key[0]}:{key[1]}" if key[1] in clashes else key[1]) for key in exercise_names}
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["student", *column.values(), "total", "percent"])
    for student in students:
        mine = [row for row in results if row["student"] == student]
        per = {key: 0.0 for key in exercise_names}
        for row in mine:
            key = (row.get("notebook"), row.get("exercise"))
            if key in per:
                per[key] += float(row.get("points", 0.0))
        earned, possible = total(mine)
        writer.writerow([spreadsheet_cell(student), *(f"{per[key]:g}" for key in exercise_names), f"{earned:g}",
                         f"{100.0 * earned / possible:.1f}" if possible else "0.0"])

    feedback = {}
    for student in sorted(chosen):
        mine = [row for row in results if row["student"] == student]
        earned, possible = total(mine)
        parts = [f"# Feedback for {student}", "",
                 f"**Total: {earned:g}/{possible:g} points ({100.0 * earned / possible if possible else 0:.0f}%)**", ""]
        for stem in plan.stems:
            rows = [row for row in mine if row["notebook"] == stem]
            parts += [format_results(rows, book.notes.get((student, stem), []), heading=f"{stem}.ipynb",
                                     markdown=True), ""]
        feedback[book.files[student]] = "\n".join(parts)

    out.mkdir(parents=True, exist_ok=True)
    for name, text in feedback.items():
        write_atomic(out / "feedback" / name, text)
    write_atomic(out / "results.jsonl", "".join(json.dumps(row) + "\n" for row in results))
    write_atomic(out / "grades.csv", table.getvalue())
    write_atomic(out / "manifest.json", json.dumps(_manifest(book, previous_manifest), indent=1) + "\n")


def private_folder() -> tempfile.TemporaryDirectory:
    """A folder only the grader can read, for the staged notebooks."""
    return tempfile.TemporaryDirectory(prefix="course-grade-")


def remove_staging(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
