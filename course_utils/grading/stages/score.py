"""The score stage: the rows of a run completed from the syllabus and gated
(:func:`.scoring.apply_gates`), with what is read from each staged notebook without running it:
written answers, fingerprints, submission times (a :class:`Gradebook`).

Every text that came from a learner's process is cleaned and capped here, once, before the
gradebook keeps it.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..config import Status
from ..scoring import apply_gates
from .discover import Plan, label_of
from .extract import Submission
from .run import Outcome


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


def imported_record(rows: Iterable[dict[str, str]], folder: str, source: Path, sha256: str) -> dict[str, str] | None:
    """The import's record of a file of ``folder`` with this content (SHA-256), whatever it is
    named now; a record written before the import kept hashes matches by file name."""
    folder = unicodedata.normalize("NFC", folder)  # the folder as the import named it, or as a Mac unpacked it
    rows = [row for row in rows if unicodedata.normalize("NFC", row.get("folder", "")) == folder]
    return next((row for row in rows if row.get("sha256") == sha256), None) or next(
        (row for row in rows if not row.get("sha256") and row.get("filename") == source.name), None)


@dataclass
class Gradebook:
    """What one run found (output of :func:`score`): :meth:`ledger` turns it into the
    gradebook's record, which :func:`.write.write` merges into the gradebook folder."""

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
