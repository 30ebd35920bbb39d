"""The discover stage: what to grade, with what (a :class:`Plan`).

From the submissions folder and the options: the roster (student folders, never followed
through a link), the notebooks chosen (``--notebook``), their test modules (public and
hidden), the syllabus, the rubrics and the tests' hash. Folder names are kept as text that
keeps every byte (:func:`label_of`): a name that is not UTF-8, or that a Mac wrote decomposed,
is still one student. First of the stages of :mod:`course_utils.grading.stages`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..config import GradingConfig

_PRELOAD_ROOTS = {"numpy", "scipy", "course_utils", "math", "statistics", "torch"}


def label_of(name: str) -> str:
    """A student's folder name as printable text that keeps every byte recoverable: bytes
    that are not UTF-8 become ``\\xNN``, control characters ``\\uNNNN``-style escapes; in
    Unicode NFC, so that ``rené`` from a macOS zip (decomposed, NFD) is the roster's ``rené``."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return unicodedata.normalize("NFC", text)


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
        """The one deadline formula (:meth:`.GradingConfig.deadline`) for these notebooks."""
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
    from .runner import collect_syllabi

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
    tested = [stem for stem in chosen if stem in public]
    try:  # one session for every module; they stay imported for the grading workers (runner.run_pytest)
        found = collect_syllabi([path for stem in tested for path in (public[stem], hidden.get(stem)) if path],
                                keep_modules=True)
    except GraderProblem as exc:
        raise ValueError(f"tests: {exc}") from None
    syllabus = {stem: found.get(stem, []) for stem in tested}
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
