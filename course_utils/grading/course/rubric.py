"""Rubrics for written answers: the definition, the sheet an instructor fills in, the merge.

A notebook whose answers are marked by a person carries a rubric instead of (or beside)
tests: ``tests/exercises/rubric_<notebook>.toml``. It is public on purpose, like the tests:
it names what a good answer contains, not a model answer.

.. code-block:: toml

    notebook = "ex07_capstone"
    title = "Capstone: plan a training run and defend it"

    [[question]]
    id = "plan"                 # the answer cell carries the tags "answer" and "question:plan"
    title = "The plan"
    points = 6
    prompt = "Which N and D, and why?"
    criteria = ["states N, D and tokens per parameter", "..."]

The marking sheet (:func:`marking_sheet_csv`) has one row per student and question:
``student, notebook, question, max_points, points, comment``; unanswered questions come
pre-filled with 0 and "no answer". :func:`merge_marks` checks a filled sheet (unknown students
or questions, points that are not numbers, negative or above the maximum, a question marked
twice: every problem, each with its line) and returns rows for the gradebook with status
``marked``: the exercise is the question, the message the comment.

Until every question of a learner's notebook is marked, :func:`unmarked_rows` adds a row per
question still to mark (status ``unmarked``, 0 of its points), so the notebook counts its full
points, its feedback says "marking in progress", and an export refuses it
(:func:`part_marked`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .csvio import Table, TableError, csv_text, parse_number, read_table

RUBRIC_PREFIX = "rubric_"
SHEET_COLUMNS = ("student", "notebook", "question", "max_points", "points", "comment")
MARKED_STATUS = "marked"
#: a rubric's question not marked yet, in a notebook whose marking has begun (a derived row)
UNMARKED_STATUS = "unmarked"
_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class RubricError(ValueError):
    """A rubric or a filled marking sheet cannot be used; the message names file and line."""


@dataclass(frozen=True)
class Question:
    """One written question: its id (the answer cell's ``question:<id>`` tag), points and
    what a good answer contains."""

    id: str
    points: float
    title: str = ""
    prompt: str = ""
    criteria: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rubric:
    notebook: str
    title: str
    questions: tuple[Question, ...] = field(default_factory=tuple)

    @property
    def total(self) -> float:
        return sum(question.points for question in self.questions)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def as_markdown(self) -> str:
        """The rubric as a learner reads it: each question, its points, and what a good answer contains."""
        lines = [f"**Rubric: {self.title}** ({self.total:g} points)", ""]
        for question in self.questions:
            lines += [f"**{question.title}** ({question.points:g} points)", ""]
            if question.prompt:
                lines += [" ".join(question.prompt.split()), ""]
            lines += [f"- {criterion}" for criterion in question.criteria] + [""]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:  # shown by Jupyter when the rubric is a cell's value
        return self.as_markdown()


def parse_rubric(data: Mapping[str, Any], source: str) -> Rubric:
    """Validate a rubric read from TOML (a dict) and build the :class:`Rubric`.

    Raises
    ------
    RubricError
        A missing ``notebook``, no questions, a bad or repeated id, points that are not a
        positive number, criteria that are not a list of text.
    """
    problems = []
    notebook = data.get("notebook")
    if not isinstance(notebook, str) or not notebook:
        problems.append("'notebook' must name the notebook (e.g. \"ex07_capstone\")")
    raw = data.get("question")
    if not isinstance(raw, list) or not raw:
        problems.append("no [[question]] tables")
        raw = []
    questions, seen = [], set()
    for number, item in enumerate(raw, start=1):
        where = f"question {number}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: not a table")
            continue
        qid = item.get("id")
        if not isinstance(qid, str) or not _QUESTION_ID.match(qid):
            problems.append(f"{where}: id {qid!r} must be lower-case letters, digits and _ (starting with a letter)")
            continue
        if qid in seen:
            problems.append(f"{where}: id {qid!r} is used twice")
        seen.add(qid)
        points = item.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
            problems.append(f"{where} ({qid}): points must be a positive number, got {points!r}")
            continue
        criteria = item.get("criteria", [])
        if not isinstance(criteria, list) or not all(isinstance(c, str) and c.strip() for c in criteria):
            problems.append(f"{where} ({qid}): criteria must be a list of non-empty strings")
            criteria = []
        questions.append(Question(qid, float(points), str(item.get("title", qid)), str(item.get("prompt", "")).strip(),
                                  tuple(c.strip() for c in criteria)))
    if problems:
        raise RubricError(f"{source}: " + "; ".join(problems))
    return Rubric(notebook, str(data.get("title", notebook)), tuple(questions))


def _toml_loads(text: str, source: str) -> dict:
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise RubricError(f"{source}: reading a rubric needs Python 3.11 or the package tomli") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{source}: not valid TOML ({exc})") from None


def load_rubric(path: str | os.PathLike) -> Rubric:
    """Read and validate ``rubric_<notebook>.toml``; its ``notebook`` must match the file name."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"{path}: cannot be read ({exc})") from None
    rubric = parse_rubric(_toml_loads(text, str(path)), str(path))
    expected = path.stem.removeprefix(RUBRIC_PREFIX)
    if rubric.notebook != expected:
        raise RubricError(f"{path}: says notebook = {rubric.notebook!r} but is named for {expected!r}")
    return rubric


# ------------------------------------------------------- which notebooks carry what


def _tests_dir(tests_dir: str | os.PathLike | None) -> Path:
    if tests_dir is not None:
        return Path(tests_dir)
    from ..exercise_tests import tests_folder

    return tests_folder()


def rubric_for(notebook: str, tests_dir: str | os.PathLike | None = None) -> Rubric:
    """The rubric that marks ``notebook`` (e.g. ``"ex07_capstone"``), from the course's tests
    folder wherever the course is (a checkout, a course folder, the installed package)."""
    found = find_rubrics(tests_dir)
    if notebook not in found:
        raise RubricError(f"no rubric for {notebook!r} in {_tests_dir(tests_dir)}; "
                          f"rubrics there: {', '.join(found) or 'none'}")
    return load_rubric(found[notebook])


def find_rubrics(tests_dir: str | os.PathLike | None = None) -> dict[str, Path]:
    """``{notebook: rubric file}`` for every ``rubric_<notebook>.toml`` in the tests folder."""
    folder = _tests_dir(tests_dir)
    return {path.stem.removeprefix(RUBRIC_PREFIX): path for path in sorted(folder.glob(f"{RUBRIC_PREFIX}*.toml"))}


def is_rubric_only(notebook: str | os.PathLike, tests_dir: str | os.PathLike | None = None) -> bool:
    """True for a notebook marked only by a person: a rubric and no ``test_<notebook>.py``."""
    folder = _tests_dir(tests_dir)
    stem = Path(notebook).stem
    return (folder / f"{RUBRIC_PREFIX}{stem}.toml").is_file() and not (folder / f"test_{stem}.py").is_file()


def exercise_notebooks(folder: str | os.PathLike, tests_dir: str | os.PathLike | None = None) -> list[Path]:
    """The notebooks in ``folder`` that exercise tests grade, in name order.

    Rubric-only notebooks (:func:`is_rubric_only`) are left out: they have no tests to pass
    or fail, which is what tools listing "notebooks with tests" (``check`` on a folder, the
    honesty test) must know.
    """
    tests = _tests_dir(tests_dir)
    return [path for path in sorted(Path(folder).glob("*.ipynb")) if not is_rubric_only(path, tests)]


# ------------------------------------------------------------- marking sheets


def marking_sheet_csv(rubric: Rubric, answered: Mapping[str, Mapping[str, bool]],
                      marks: Mapping[tuple[str, str], tuple[float, str]] | None = None) -> str:
    """The sheet an instructor fills in: one row per student (sorted) and question.

    Parameters
    ----------
    answered
        ``{student: {question id: whether they wrote an answer}}``; a question that is False
        or absent is pre-filled with 0 points and the comment "no answer".
    marks
        ``{(student, question id): (points, comment)}`` already merged into the gradebook:
        filled in as they were, so a new sheet carries on from the last one.
    """
    marks = marks or {}
    rows = []
    for student in sorted(answered):
        for question in rubric.questions:
            wrote = answered[student].get(question.id, False)
            if (student, question.id) in marks:
                points, comment = marks[student, question.id]
                rows.append([student, rubric.notebook, question.id, question.points, points, comment])
                continue
            rows.append([student, rubric.notebook, question.id, question.points,
                         None if wrote else 0.0, "" if wrote else "no answer"])
    return csv_text(SHEET_COLUMNS, rows)


@dataclass
class MergedMarks:
    """What a filled sheet adds: gradebook ``rows``, and the (student, question) left blank."""

    rows: list[dict[str, Any]]
    unmarked: list[tuple[str, str, str]]


def merge_marks(sheet: Table, rubrics: Mapping[str, Rubric] | Rubric, students: Iterable[str]) -> MergedMarks:
    """Check a filled marking sheet and turn it into gradebook rows.

    Parameters
    ----------
    sheet
        The parsed sheet (columns ``student``, ``question``, ``points``; ``notebook`` may be
        omitted when there is one rubric; ``comment`` optional).
    rubrics
        The rubric, or ``{notebook: rubric}``.
    students
        The folders the gradebook knows.

    Raises
    ------
    RubricError
        Listing every bad row with its line: unknown student, notebook or question; points
        that are not a number, negative or above the question's maximum; a question marked
        twice for one student.
    """
    if isinstance(rubrics, Rubric):
        rubrics = {rubrics.notebook: rubrics}
    known = set(students)
    problems, rows, unmarked = [], [], []
    seen: dict[tuple[str, str, str], int] = {}
    for row in sheet.rows:
        line = row["_line"]
        student, question_id = row.get("student", ""), row.get("question", "")
        notebook = row.get("notebook", "")
        if not notebook and len(rubrics) == 1:
            notebook = next(iter(rubrics))
        if student not in known:
            problems.append(f"line {line}: unknown student {student!r}")
            continue
        rubric = rubrics.get(notebook)
        if rubric is None:
            problems.append(f"line {line}: no rubric for notebook {notebook!r} (known: {', '.join(sorted(rubrics))})")
            continue
        question = rubric.question(question_id)
        if question is None:
            problems.append(f"line {line}: {notebook} has no question {question_id!r} "
                            f"(its questions: {', '.join(q.id for q in rubric.questions)})")
            continue
        key = (student, notebook, question_id)
        if key in seen:
            problems.append(f"line {line}: {student} / {question_id} is already marked on line {seen[key]}")
            continue
        seen[key] = line
        text = row.get("points", "")
        if not text.strip():
            unmarked.append(key)
            continue
        try:
            points = parse_number(text, f"line {line}: points")
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if points < 0:
            problems.append(f"line {line}: points {points:g} below 0 for {student} / {question_id}")
            continue
        if points > question.points:
            problems.append(f"line {line}: points {points:g} above the maximum {question.points:g} "
                            f"for {student} / {question_id}")
            continue
        rows.append({"student": student, "notebook": notebook, "exercise": question_id, "test": "marked by hand",
                     "status": MARKED_STATUS, "points": points, "max_points": question.points,
                     "message": row.get("comment", ""), "hint": "", "seconds": 0.0})
    if problems:
        raise RubricError(f"{sheet.source}: " + "; ".join(problems))
    return MergedMarks(rows, unmarked)


def read_marking_sheet(path: str | os.PathLike) -> Table:
    """Read a filled marking sheet (columns ``student``, ``question``, ``points`` required)."""
    try:
        return read_table(path, required=("student", "question", "points"))
    except TableError as exc:
        raise RubricError(str(exc)) from None


def replace_marks(results: Sequence[Mapping], marks: Sequence[Mapping]) -> list[dict]:
    """``results`` with earlier marks for the same (student, notebook, question) replaced by
    ``marks``: merging a corrected sheet again never counts a question twice."""
    keys = {(m["student"], m["notebook"], m["exercise"]) for m in marks}
    kept = [dict(row) for row in results
            if not (row.get("status") == MARKED_STATUS and (row["student"], row["notebook"], row["exercise"]) in keys)]
    return kept + [dict(m) for m in marks]


# ------------------------------------------------------------- marking in progress


def rubric_questions(rubric: Rubric) -> dict[str, float]:
    """``{question id: points}`` in the rubric's order (what a gradebook records of a rubric)."""
    return {question.id: question.points for question in rubric.questions}


def unmarked_rows(rows: Sequence[Mapping], questions: Mapping[str, Mapping[str, float]]) -> list[dict]:
    """A row (status ``unmarked``, 0 of the question's points) for every question not marked
    yet in each (learner, notebook) of ``rows`` that has at least one mark; ``questions`` is
    ``{notebook: {question: points}}`` (:func:`rubric_questions`)."""
    marked: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if row.get("status") == MARKED_STATUS and row["notebook"] in questions:
            marked.setdefault((row["student"], row["notebook"]), set()).add(row["exercise"])
    return [{"student": student, "notebook": stem, "exercise": question, "test": "not marked yet",
             "status": UNMARKED_STATUS, "points": 0.0, "max_points": float(points), "message": "", "hint": "",
             "seconds": 0.0}
            for (student, stem), done in sorted(marked.items())
            for question, points in questions[stem].items() if question not in done]


def part_marked(rows: Iterable[Mapping]) -> dict[str, list[str]]:
    """``{notebook: learners}`` whose notebook still has a question to mark (rows of
    :func:`unmarked_rows` among ``rows``)."""
    found: dict[str, set[str]] = {}
    for row in rows:
        if row.get("status") == UNMARKED_STATUS:
            found.setdefault(row["notebook"], set()).add(row["student"])
    return {stem: sorted(students) for stem, students in sorted(found.items())}
