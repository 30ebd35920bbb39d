"""Grading a class as five named stages: discover -> extract -> run -> score -> write.

Each stage is a function with one input and one output:

============  ===========================  =============================================
stage         takes                        gives
============  ===========================  =============================================
discover      the folders and options      :class:`Plan`: roster, the notebooks chosen
                                           (``--notebook``), test modules (public and
                                           hidden), the syllabus, rubrics, the tests' hash
extract       the plan                     :class:`Submission` per student: each notebook
                                           copied into a private staging folder, or a
                                           reason it was refused (link, size) or missing
run           plan and submissions         :class:`Outcome` per student: every test's row
                                           and the notes, with learner code sandboxed
score         plan, submissions, outcomes  :class:`Gradebook`: rows completed from the
                                           syllabus, gated (``scoring.apply_gates``);
                                           written answers, fingerprints, submission
                                           times read from the staged notebooks
write         the gradebook                merged into the gradebook's record
                                           (:mod:`.ledger`) with the instructor's marks,
                                           overrides and dates; every output rebuilt
                                           from it (:func:`.outputs.write_outputs`),
                                           after every learner process is gone
============  ===========================  =============================================

Nothing a learner submits is ever written to, followed out of its folder or trusted as
text: folder names that are not UTF-8, very long or that look like spreadsheet formulas
are written so that a file system and a spreadsheet take them as plain names.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..config import GradingConfig, Status
from ..notebook.names import missing_notebook_message
from ..scoring import apply_gates

_PRELOAD_ROOTS = {"numpy", "scipy", "course_utils", "math", "statistics", "torch"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ------------------------------------------------------------------ names


def label_of(name: str) -> str:
    """A student's folder name as printable text that keeps every byte recoverable: bytes
    that are not UTF-8 become ``\\xNN``, control characters ``\\uNNNN``-style escapes; in
    Unicode NFC, so that ``rené`` from a macOS zip (decomposed, NFD) is the roster's ``rené``."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return unicodedata.normalize("NFC", text)


def spreadsheet_cell(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet evaluates: a leading ``= + - @`` (or tab, CR)
    gets a ``'`` in front (OWASP's advice for CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def safe_text(text: Any) -> str:
    """Any message as text every file can hold (lone surrogates written as escapes)."""
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")


#: the most notes per notebook a gradebook keeps
MAX_NOTES = 40


def kept_row(row: dict[str, Any]) -> dict[str, Any]:
    """A result row as the gradebook keeps it: its message one clean line of at most
    :data:`.safetext.RESULT_CHARS` (:func:`.safetext.clean`), every other text writable."""
    from ..safetext import RESULT_CHARS, clean

    return {k: (clean(v, RESULT_CHARS) if k == "message" else safe_text(v)) if isinstance(v, str) else v
            for k, v in row.items()}


def kept_notes(notes: Iterable[Any]) -> list[str]:
    """A notebook's notes as the gradebook keeps them: each cleaned and capped
    (:data:`.safetext.NOTE_CHARS`), repeats dropped, at most :data:`MAX_NOTES`."""
    from ..safetext import NOTE_CHARS, clean

    unique = list(dict.fromkeys(clean(note, NOTE_CHARS) for note in notes))
    if len(unique) > MAX_NOTES:
        unique = unique[:MAX_NOTES - 1] + [f"... and {len(unique) - MAX_NOTES + 1} more notes"]
    return unique


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
    notebooks: list[str] = field(default_factory=list)  # the run's scope: stems (tests) and rubric-only notebooks
    rubrics: dict[str, Any] = field(default_factory=dict)  # stem -> Rubric, every rubric of the tests folder
    imported: list[dict[str, str]] = field(default_factory=list)  # the import's record (.lms_import.csv rows)
    recorded: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> the gradebook's submission times
    assigning: bool = False  # the run sets its notebooks (--notebook, or a gradebook in assignment mode)
    available: list[str] = field(default_factory=list)  # every notebook with tests or a rubric
    tested: list[str] = field(default_factory=list)  # every notebook with a test module
    shard: Any = None  # sharding.Shard: this run grades the students of one shard (grade --shard K/N)
    class_size: int = 0  # student folders in the submissions, every shard's
    class_sha256: str = ""  # SHA-256 of those folders' names (class_identity): the class a shard was cut from
    everyone: list[str] = field(default_factory=list)  # the labels of every student folder, every shard's

    def __post_init__(self) -> None:
        self.notebooks = self.notebooks or list(self.stems)

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


def class_identity(folders: Iterable[str]) -> str:
    """SHA-256 of a class's student folder names (sorted, as bytes, each ended by a NUL): the
    same for every shard cut from the same submissions, different for another class."""
    digest = hashlib.sha256()
    for name in sorted(folder.encode("utf-8", "surrogateescape") for folder in folders):
        digest.update(name + b"\0")
    return digest.hexdigest()


def discover(submissions: Path, out: Path, *, students: list[str] | None = None, notebooks: list[str] | None = None,
             tests_dir: Path | None = None, hidden_dir: Path | None = None,
             config: GradingConfig | None = None, shard: Any = None) -> Plan:
    """The roster, the notebooks to grade, their test modules, syllabus and rubrics.

    ``notebooks`` chooses the notebooks (default: every notebook with tests or a rubric);
    a notebook with a rubric (``rubric_<stem>.toml``) has its written answers collected.
    ``shard`` (a :class:`course_utils.sharding.Shard`) keeps the students whose folder name
    it owns (:func:`course_utils.sharding.key_shard`: the same students in every re-run);
    a shard may own none, and every student named in ``students`` must be its own.

    Raises
    ------
    ValueError
        When grading cannot run: no such folder, no student, no tests, an unknown student
        or notebook, test modules that define no exercise tests or do not import, a rubric
        that cannot be read.
    """
    from ..course.assignments import select_notebooks
    from ..errors import GraderProblem
    from ..exercise_tests import tests_folder
    from .outputs import load_rubrics
    from ..course.rubric import RubricError
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
    if not roster:
        raise ValueError(f"submissions: no student folders in {submissions}")
    alike: dict[str, list[str]] = {}
    for name in roster:
        alike.setdefault(label_of(name), []).append(name)
    for label, names in alike.items():
        if len(names) > 1:
            ignored.append(f"{len(names)} folders are named {label} once their Unicode is normalised (one unpacked on "
                           f"a Mac?): each is graded on its own, the second under a name with a hash; move the "
                           f"notebooks into one folder")
    class_size, class_sha256, everyone = len(roster), class_identity(roster), sorted(map(label_of, roster))
    if students:
        students = [unicodedata.normalize("NFC", name) for name in students]
        unknown = sorted(set(students) - set(roster) - {label_of(name) for name in roster})
        if unknown:
            raise ValueError(f"student: no folder {', '.join(map(label_of, unknown))} in {submissions}")
        roster = [name for name in roster if name in students or label_of(name) in students]
    if shard is not None:
        others = [name for name in roster if not shard.owns(name)] if students else []
        if others:
            from ...sharding import key_shard

            raise ValueError(f"student: {label_of(others[0])} belongs to shard {key_shard(others[0], shard.count)}/"
                             f"{shard.count}, not {shard} (a shard grades the students whose folder name it owns)")
        roster = [name for name in roster if shard.owns(name)]

    tests_dir = Path(tests_dir or tests_folder())
    public, hidden = test_modules(tests_dir, hidden_dir)
    try:
        rubrics = load_rubrics(tests_dir)
    except RubricError as exc:
        raise ValueError(f"tests: {exc}") from None
    if not public and not rubrics:
        raise ValueError(f"tests: no test_<notebook>.py files in {tests_dir}")
    chosen = select_notebooks(sorted({*public, *rubrics}), notebooks)
    syllabus = {}
    for stem in (stem for stem in chosen if stem in public):
        try:
            syllabus[stem] = collect_syllabus(public[stem], *([hidden[stem]] if stem in hidden else []))
        except GraderProblem as exc:
            raise ValueError(f"tests: {exc}") from None
    stems = [stem for stem in syllabus if syllabus[stem]]
    if not stems and not any(stem in rubrics for stem in chosen):
        raise ValueError(f"tests: the modules in {tests_dir} define no exercise tests "
                         f"(no test marked with @exercise)")
    scope = [stem for stem in chosen if stem in stems or stem in rubrics]
    support = [path for folder in {tests_dir, *(p.parent for p in hidden.values())}
               for path in Path(folder).glob("conftest.py")]
    rubric_files = [tests_dir / f"rubric_{stem}.toml" for stem in scope if stem in rubrics]
    digest = _hash_tests([*(public[s] for s in stems), *(hidden[s] for s in stems if s in hidden), *support,
                          *rubric_files])
    return Plan(submissions, out, roster, ignored, stems, {s: public[s] for s in stems},
                {s: hidden[s] for s in stems if s in hidden}, {s: syllabus[s] for s in stems}, digest,
                replace_only=bool(students), config=config, notebooks=scope, rubrics=rubrics,
                imported=_import_records(submissions, ignored), available=sorted({*public, *rubrics}),
                tested=sorted(public), shard=shard, class_size=class_size, class_sha256=class_sha256,
                everyone=everyone)


def _import_records(submissions: Path, notes: list[str]) -> list[dict[str, str]]:
    """``submissions/.lms_import.csv``: what ``import`` recorded of each file."""
    from ..course.csvio import TableError
    from ..course.lms_import import read_manifest

    try:
        return read_manifest(submissions)
    except (TableError, OSError) as exc:
        notes.append(f"the import record .lms_import.csv could not be read ({exc}); submission times come "
                     f"from the files")
        return []


def imported_record(rows: Iterable[dict[str, str]], folder: str, source: Path, sha256: str) -> dict[str, str] | None:
    """The import's record of a file of ``folder`` with this content (SHA-256), whatever it is
    named now; a record written before the import kept hashes matches by file name."""
    folder = unicodedata.normalize("NFC", folder)  # the folder as the import named it, or as a Mac unpacked it
    rows = [row for row in rows if unicodedata.normalize("NFC", row.get("folder", "")) == folder]
    return next((row for row in rows if row.get("sha256") == sha256), None) or next(
        (row for row in rows if not row.get("sha256") and row.get("filename") == source.name), None)


def test_modules(tests_dir: Path | None, hidden_dir: Path | None) -> tuple[dict[str, Path], dict[str, Path]]:
    """``({stem: public test module}, {stem: hidden test module})``: ``test_<stem>.py`` in
    ``tests_dir`` (default: the course's ``tests/exercises``), and the hidden module of the
    same name in ``hidden_dir`` for each."""
    from ..exercise_tests import tests_folder

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
        from ...course_root import find_folder

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
    sources: dict[str, Path] = field(default_factory=dict)  # stem -> the submitted file it was copied from
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # "<stem>:<sha256>" -> submission time kept
    cells: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # notebook SHA-256 -> its cells, as kept


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
        for stem in plan.notebooks:
            path, reason = _find_notebook(folder, stem)
            if path is None:
                found.refused[stem] = ((Status.REFUSED, reason) if reason else
                                       (Status.MISSING, missing_notebook_message(folder, stem)))
                continue
            target = staging / str(number) / f"{stem}.ipynb"
            refused = _copy_capped(path, target, plan.config.max_notebook_mb * 2**20)
            if refused:
                found.refused[stem] = (Status.REFUSED, refused)
                continue
            found.notebooks[stem] = target
            found.sources[stem] = path
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
    """In a grading worker: one pytest run over one student's notebooks (plain data back).

    ``student`` seeds the hidden tests' inputs: the folder name in Unicode NFC, so that a
    folder unpacked from a macOS zip (NFD) draws what the roster's name draws (Gradescope)."""
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
        stems = [stem for stem in found.notebooks if stem in plan.syllabus]
        if stems:
            work.append(Job(number, grade_student,
                            (plan.test_files(stems), {s: str(found.notebooks[s]) for s in stems}, plan.config,
                             launcher, unicodedata.normalize("NFC", found.student)), deadline=plan.deadline(stems),
                            memory_mb=plan.config.worker_memory_mb))
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
    """What one run found (output of :func:`score`): :meth:`ledger` turns it into the
    gradebook's record, which :func:`write` merges into the gradebook folder."""

    plan: Plan
    results: list[dict[str, Any]]  # one row per test per student (label in "student")
    notes: dict[tuple[str, str], list[str]]  # (student label, stem) -> notes
    files: dict[str, str]  # student label -> feedback file name
    grader_errors: list[str] = field(default_factory=list)  # one line per student the grader failed
    isolation: dict[str, Any] = field(default_factory=dict)  # what the template's probe achieved
    sandboxes: dict[str, list[str]] = field(default_factory=dict)  # student -> what their sandboxes said
    facts: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (label, stem) -> see Ledger
    answers: list[dict[str, Any]] = field(default_factory=list)  # written answers (answers.jsonl rows)
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> submission times by content
    reference: dict[str, str] = field(default_factory=dict)  # stem -> fingerprint of the reference solution
    cells: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # notebook SHA-256 -> its cells
    graded_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    def order(self) -> dict[str, list[str]]:
        """``{notebook: its exercises in syllabus order}``: the order of ``grades.csv``'s columns."""
        return {stem: list(dict.fromkeys(test["exercise"] for test in self.plan.syllabus[stem]))
                for stem in self.plan.stems}

    def ledger(self) -> Any:
        """This run's part of the gradebook's record (a :class:`.ledger.Ledger`)."""
        from ... import __version__
        from ..course.ledger import Ledger

        plan = self.plan
        tests: dict[str, dict[str, Any]] = {stem: {"public": plan.public[stem].name, "hidden": stem in plan.hidden}
                                            for stem in plan.stems}
        for stem in plan.notebooks:
            if stem in plan.rubrics:
                tests.setdefault(stem, {})["rubric"] = f"rubric_{stem}.toml"
        run: dict[str, Any] = {"tests": tests, "order": self.order()}
        if plan.shard is not None:
            run["shard"] = {"index": plan.shard.index, "count": plan.shard.count, "class_students": plan.class_size, "class_sha256": plan.class_sha256,
                            "submissions": str(plan.submissions.resolve())}
        if self.reference:
            run["reference"] = {**self.reference}
        if plan.stems:  # a run of written answers only runs no code: the last test run's record stays
            run.update({"course_version": __version__, "tests_sha256": plan.tests_sha256, "isolation": self.isolation,
                        "graded_at": self.graded_at, "config": plan.config.to_dict()})
        students = {}
        for label, feedback in self.files.items():
            students[label] = {"feedback": f"feedback/{feedback}"}
            if plan.stems:
                students[label].update({"tests_sha256": plan.tests_sha256, "course_version": __version__,
                                        "graded_at": self.graded_at, "sandbox": self.sandboxes.get(label, [])})
            if self.evidence.get(label):
                students[label]["submissions"] = dict(self.evidence[label])
            students[label]["notebooks"] = {stem: {"graded_at": self.graded_at, "tests_sha256": plan.tests_sha256,
                                                   "notes": self.notes.get((label, stem), []),
                                                   **self.facts.get((label, stem), {})}
                                            for stem in plan.notebooks}
        return Ledger(list(self.results), list(self.answers), students, run, {})


def _filled(rows: list[dict], syllabus: list[dict], stem: str, status: Status, message: str) -> list[dict]:
    """``rows`` completed with a row for every syllabus test that did not report."""
    seen = {(row["exercise"], row["test"]) for row in rows}
    extra = [dict(notebook=stem, exercise=test["exercise"], test=test["test"], status=status.value, points=0.0,
                  max_points=test["max_points"], message=message, hint=test["hint"], seconds=0.0,
                  hidden=test.get("hidden", False), requires_value=test.get("requires_value", False))
             for test in syllabus if (test["exercise"], test["test"]) not in seen]
    return rows + extra


def _released(stems: Iterable[str], folder: str = "exercises") -> dict[str, dict]:
    """The released (blank) notebooks of ``stems``, as JSON: the stubs that prove nothing
    when compared, and the placeholders of answer cells (``folder="solutions"``: the reference
    solutions, on an instructor's machine). Missing ones are left out."""
    from ..notebook.extract import NotebookProblem, read_notebook_json

    try:
        from ...course_root import find_folder

        found = find_folder(folder)
    except (ValueError, ImportError):
        return {}
    released = {}
    for stem in stems:
        try:
            released[stem] = read_notebook_json(found / f"{stem}.ipynb")
        except NotebookProblem:
            continue
    return released


def reference_fingerprints(stems: Iterable[str], released: Mapping[str, dict]) -> dict[str, str]:
    """``{stem: fingerprint}`` of the course's reference solutions (:func:`.similarity.fingerprint`):
    a hash, so that identical.csv can say which learners handed in the reference solution
    while the solutions themselves never leave the instructor's machine. Empty where there
    are no solutions (a workshop copy)."""
    from ..course.similarity import fingerprint

    found = {}
    for stem, nb in _released(stems, "solutions").items():
        value = fingerprint(nb, released.get(stem))
        if value is not None:
            found[stem] = value
    return found


def _inspect(plan: Plan, found: Submission, label: str, stem: str, released: dict[str, dict]
             ) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """What the grader reads from a staged notebook without running it: the fingerprint of
    its exercise cells, its written answers (rubric notebooks), when it was submitted.
    Returns ``(facts, answer rows, notes)``; nothing in the notebook can make it raise."""
    from ..course.answers import answer_rows, collect_answers
    from ..notebook.extract import NotebookProblem, read_notebook_json
    from ..course.lateness import file_time, judge, submitted_record
    from ..course.notebook_page import cell_record
    from ..course.similarity import fingerprint

    facts: dict[str, Any] = {"found": stem in found.notebooks, "fingerprint": None, "submitted": None}
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    if stem not in found.notebooks:
        return facts, rows, notes
    source = found.sources[stem]
    digest = hashlib.sha256(found.notebooks[stem].read_bytes()).hexdigest()
    key = f"{stem}:{digest}"
    seen, kept = judge(plan.recorded.get(label, {}).get(key), imported_record(plan.imported, found.student, source,
                                                                              digest), file_time(source))
    facts.update({"sha256": digest, "submitted": submitted_record(seen)})
    if kept is not None:
        found.evidence[key] = kept
    try:
        nb = read_notebook_json(found.notebooks[stem], plan.config.max_notebook_mb * 2**20)
    except NotebookProblem:
        return facts, rows, notes  # the run stage says why, with the rows
    found.cells[digest] = cell_record(nb)
    try:
        if stem in plan.syllabus:
            facts["fingerprint"] = fingerprint(nb, released.get(stem))
        if stem in plan.rubrics:
            collected = collect_answers(nb, released.get(stem))
            rows = [{k: safe_text(v) if isinstance(v, str) else v for k, v in row.items()}
                    for row in answer_rows(label, stem, collected)]
            notes += [safe_text(note) for note in collected.notes]
    except Exception as exc:  # noqa: BLE001 - a notebook must never stop the grader
        notes.append(f"the grader could not read this notebook's cells ({type(exc).__name__})")
    return facts, rows, notes


def score(plan: Plan, submissions: list[Submission], outcomes: dict[str, Outcome],
          isolation: dict[str, Any] | None = None) -> Gradebook:
    """Every student's rows, completed from the syllabus and gated, with their notes, the
    facts read from each notebook (:func:`_inspect`) and the written answers."""
    from ..course.filenames import slug

    results, notes, files, errors, sandboxes = [], {}, {}, [], {}
    facts, answers, evidence, cells = {}, [], {}, {}
    released = _released(plan.notebooks)
    reference = reference_fingerprints(plan.stems, released)
    for found in submissions:
        label = label_of(found.student)
        if label in files:  # two folder names written alike ("caf\xe9" the bytes, and as text)
            label += f" [{hashlib.sha256(found.student.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}]"
        files[label] = f"{slug(label)}.md"
        outcome = outcomes.get(found.student, Outcome())
        sandboxes[label] = sorted({m for mechanisms in outcome.isolation.values() for m in mechanisms
                                   if isinstance(m, str)})
        if outcome.error:
            errors.append(f"{label}: {outcome.error}")
        for stem in plan.notebooks:
            facts[label, stem], written, read_notes = _inspect(plan, found, label, stem, released)
            answers += written
            stem_notes = [*found.notes.get(stem, []), *outcome.notes.get(stem, []), *read_notes]
            if stem not in plan.syllabus:  # written answers only: nothing to run
                if stem in found.refused:
                    stem_notes.insert(0, found.refused[stem][1])
                notes[label, stem] = kept_notes(stem_notes)
                continue
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
            results += [{"student": label, **kept_row(row)} for row in rows]
            notes[label, stem] = kept_notes(stem_notes)
        evidence[label] = found.evidence
        cells.update(found.cells)
    return Gradebook(plan, results, notes, files, errors, dict(isolation or {}), sandboxes, facts, answers, evidence,
                     reference, cells)


# --------------------------------------------------------------------- write


def write(book: Gradebook, instructions: Any = None) -> Any:
    """Merge this run into the gradebook folder's record and rebuild every output.

    The run's scope (its students, or everyone; its notebooks) replaces what the record
    held for it; everything else is kept (:meth:`.ledger.Ledger.merged`). A run that sets its
    notebooks (``plan.assigning``) records them in the settings (assignment mode). ``instructions``
    (:class:`.instructions.Instructions`) adds marks, overrides, due dates, the late rule
    and exports. The files are written by :func:`.outputs.write_outputs`, once every
    learner process is gone. Returns its :class:`.outputs.Written`.
    """
    from ..course.ledger import ASSIGNED, FORGOTTEN, read_ledger
    from .outputs import write_outputs

    plan = book.plan
    previous = read_ledger(plan.out)
    ledger = previous.merged(book.ledger(), students=set(book.files) if plan.replace_only else None,
                             notebooks=plan.notebooks)
    if plan.assigning:  # assignment mode: record what is set (a notebook set again is no longer forgotten)
        before = previous.assigned if previous.assigned is not None else previous.graded_notebooks
        forgotten = {stem: when for stem, when in previous.forgotten.items() if stem not in plan.notebooks}
        ledger.settings.update({ASSIGNED: sorted({*before, *plan.notebooks} - set(forgotten)),
                                FORGOTTEN: forgotten or None})
    exports = ()
    if instructions is not None:
        ledger = instructions.apply(ledger)
        exports = instructions.exports
    return write_outputs(plan.out, ledger, rubrics=plan.rubrics, order=ledger.run.get("order"), exports=exports,
                         cells=book.cells)


def private_folder() -> tempfile.TemporaryDirectory:
    """A folder only the grader can read, for the staged notebooks."""
    return tempfile.TemporaryDirectory(prefix="course-grade-")


def remove_staging(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
