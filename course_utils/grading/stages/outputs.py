"""The write stage: every output of a gradebook, rebuilt from its record.

:func:`write_outputs` is the one function that writes a gradebook folder. It takes the
record (:class:`.ledger.Ledger`: result rows, written answers, the manifest) and rebuilds
every file from it, so that ``grade``, a later ``grade --merge-rubric`` and a merge of
sharded runs all give the same files for the same record:

======================================  ===================================================
``results.jsonl``, ``answers.jsonl``,   the record itself
``manifest.json``
``grades.csv``                          per student: a column per exercise (and per written
                                        question), a column per notebook, total, possible,
                                        percent (:func:`.assignments.gradebook_csv`)
``feedback/<learner>.md``               what passed and failed, marks, overrides, penalties;
                                        named by :mod:`.filenames`, listed in
                                        ``feedback/index.csv``
``summary.csv``                         pass rate per test; mean, spread, min, max per
                                        exercise and notebook (:func:`.summary.summary_csv`)
``totals.png``                          histogram of students' totals
``identical.csv``                       notebooks with the same exercise code, for a person
                                        to read (:mod:`.similarity`)
``late.csv``                            late submissions and their evidence, when a due date
                                        is set or the download marked one LATE
``predictions.csv``                     the pseudonymous class table of prediction errors,
                                        when the instructor asked for it (:mod:`.predictions`)
``answers/<notebook>/*.html``           one page per student's written answers, an index
``marking_<notebook>.csv``              the rubric's marking sheet (never overwritten: a new
                                        one is ``marking_<notebook>.new.csv``)
``canvas.csv``, ``moodle.csv``,         exports, when asked for (:class:`Export`)
``gradescope_<notebooks>.zip``
======================================  ===================================================

Before writing, the rows derived from decisions are recomputed (:func:`settle`): each
override against the tests' current points, each late penalty from the due dates and the
late rule. Every output is computed first, then each file is written through a temporary
file renamed into place, the record last: an interrupted write leaves the previous
record whole, and running the write again rebuilds everything from it.
"""

from __future__ import annotations

import glob
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..course.answers import answer_pages, answers_from_rows
from ..course.assignments import gradebook_csv
from ..course.csvio import TableError, read_table
from ..course.filenames import INDEX, index_csv, learner_files
from ..course.lateness import (LateFlag, late_csv, late_flags, parse_late_rule, parse_time, penalty_rows,
                               submitted_from_record)
from ..course.ledger import (ANSWERS, DERIVED_STATUSES, EXTENSIONS, MANIFEST, PREDICTION_TABLE, RECORD, RESULTS, Ledger,
                             jsonl_text, read_ledger, text_sha256)
from ..course.notebook_page import CELLS, cells_file, notebook_page, read_cells
from ..course.overrides import reapply_overrides
from ..course.predictions import TABLE_FILE as PREDICTION_TABLE_FILE, Standing, class_table, feedback_lines, standings
from ..course.report import format_results, score as total_of
from ..course.rubric import (MARKED_STATUS, UNMARKED_STATUS, Rubric, find_rubrics, load_rubric, marking_sheet_csv, part_marked,
                             rubric_questions, unmarked_rows)
from ..course.similarity import identical_csv, identical_groups
from ..course.summary import histogram_png_bytes, summary_csv
from ..safetext import FOLDER_CHARS, NOTE_CHARS, markdown

EXPORT_KINDS = ("canvas", "moodle", "gradescope")
_RANK = {"marked": 1, "unmarked": 1, "override": 2, "late penalty": 3}


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ exports


@dataclass(frozen=True)
class Export:
    """One export to write with the gradebook.

    Attributes
    ----------
    kind
        ``canvas``, ``moodle`` or ``gradescope``.
    roster
        The class's :class:`.roster.Roster` (Canvas and Moodle need it; for Gradescope it
        maps e-mails to folders so hidden-test inputs match, and is optional).
    assignments
        :class:`.lms_export.Assignment` per exported notebook; empty: every notebook the
        gradebook has results for, under its own name, in raw points.
    moodle_id
        Moodle's identifier column: ``email`` or ``idnumber``.
    wheel, notebooks, course_root
        Gradescope: the course's wheel, the notebooks its autograder grades, and the
        course whose tests it carries.
    allow_partial
        Export notebooks whose written answers are not all marked yet (their points so
        far); without it such an export is refused (:meth:`text`).
    """

    kind: str
    roster: Any = None
    assignments: tuple = ()
    moodle_id: str = "email"
    wheel: Path | None = None
    notebooks: tuple[str, ...] = ()
    course_root: Path | None = None
    allow_partial: bool = False

    @property
    def file_name(self) -> str:
        if self.kind == "gradescope":
            return f"gradescope_{'+'.join(self.notebooks)}.zip"
        return f"{self.kind}.csv"

    def chosen(self, rows: Sequence[Mapping]) -> list:
        """The assignments to export: those given, else one per notebook with results."""
        from ..course.lms_export import Assignment

        if self.assignments:
            return list(self.assignments)
        return [Assignment(stem) for stem in sorted({row["notebook"] for row in rows})]

    def text(self, rows: Sequence[Mapping]) -> str:
        """The Canvas or Moodle CSV for ``rows``.

        Raises
        ------
        ValueError
            No results for an exported notebook (grade it first), a graded folder the
            roster lacks, a roster without the identity this system matches on.
        """
        from ..course.lms_export import canvas_gradebook_csv, moodle_grades_csv

        if self.roster is None:
            raise ValueError("needs the class roster (--roster FILE)")
        assignments = self.chosen(rows)
        if not assignments:
            raise ValueError("the gradebook has no results yet (grade a notebook first)")
        graded = {row["notebook"] for row in rows}
        missing = [a.notebook for a in assignments if a.notebook not in graded]
        if missing:
            raise ValueError(f"no results for {', '.join(missing)} in the gradebook "
                             f"(grade it first: grade ... --notebook {missing[0]})")
        chosen_rows = [row for row in rows if row["notebook"] in {a.notebook for a in assignments}]
        partial = part_marked(chosen_rows)
        if partial and not self.allow_partial:
            raise ValueError(f"marking in progress: {_partial_text(partial)}; finish marking and merge the sheet "
                             f"(--merge-rubric), or pass --allow-partial to export their points so far")
        if self.kind == "canvas":
            return canvas_gradebook_csv(chosen_rows, self.roster, assignments)
        return moodle_grades_csv(chosen_rows, self.roster, assignments, identifier=self.moodle_id)

    def partial_note(self, rows: Sequence[Mapping]) -> str | None:
        """What an export with ``allow_partial`` says of the part-marked notebooks it carries."""
        if self.kind == "gradescope" or not self.allow_partial:
            return None
        partial = part_marked(row for row in rows if row["notebook"] in {a.notebook for a in self.chosen(rows)})
        return (f"export {self.kind}: part-marked notebooks exported with their points so far, out of their full "
                f"points (--allow-partial): {_partial_text(partial)}") if partial else None

    def write(self, out: Path, rows: Sequence[Mapping]) -> Path:
        """Write this export into ``out``; returns the file."""
        target = out / self.file_name
        if self.kind == "gradescope":
            from ..gradescope import write_bundle

            mapping = None
            if self.roster is not None and self.roster.has("email"):
                mapping = {entry.email.lower(): entry.folder for entry in self.roster if entry.email}
            return write_bundle(target, wheel=self.wheel, notebooks=self.notebooks, course_root=self.course_root,
                                email_to_folder=mapping)
        write_atomic(target, self.text(rows))
        return target


def _partial_text(partial: Mapping[str, Sequence[str]]) -> str:
    """``"ex07_capstone for 2 learners (hedy, katherine)"``, per notebook."""
    return "; ".join(f"{stem} for {len(who)} learner{'s' if len(who) != 1 else ''} ({', '.join(who[:5])}"
                     f"{', ...' if len(who) > 5 else ''})" for stem, who in partial.items())


# ------------------------------------------------------------------ settling derived rows


def late_flags_of(ledger: Ledger) -> list[LateFlag]:
    """Late submissions in the record: submission times in the manifest against its due dates
    (a learner's own, where an extension gives one)."""
    due = {}
    for stem, text in ledger.settings.get("due", {}).items():
        try:
            due[stem] = parse_time(str(text))
        except ValueError:
            continue  # a hand-edited manifest; `grade --due` checks what it records
    times = {}
    for student, entry in ledger.students.items():
        for stem, facts in entry.get("notebooks", {}).items():
            seen = submitted_from_record(facts.get("submitted") if isinstance(facts, dict) else None)
            if seen is not None:
                times[student, stem] = seen
    extensions = {}
    for student, dates in (ledger.settings.get(EXTENSIONS) or {}).items():
        for stem, text in (dates if isinstance(dates, dict) else {}).items():
            try:
                extensions[student, stem] = parse_time(str(text))
            except ValueError:
                continue  # a hand-edited manifest; `grade --extensions` checks what it records
    return late_flags(times, due, extensions=extensions)


def settle(ledger: Ledger, order: Mapping[str, Sequence[str]] | None = None
           ) -> tuple[Ledger, list[LateFlag], list[str]]:
    """The record as the outputs show it: forgotten notebooks left out (:meth:`.ledger.Ledger.counted`),
    overrides recomputed against the tests' current points, a row for each question still to
    mark in a notebook whose marking has begun (:func:`.rubric.unmarked_rows`, so it counts
    its full points) and late penalties recomputed from the due dates, extensions and the
    late rule; the late flags; notes.

    Rows come sorted by notebook and student; within, the tests in the order they ran,
    then marks (in ``order``: a rubric's question order), overrides, late penalties.
    """
    ledger, _ = ledger.counted()
    rows = [dict(row) for row in ledger.rows if row.get("status") not in DERIVED_STATUSES]
    rows, notes = reapply_overrides(rows)
    rows += unmarked_rows(rows, ledger.run.get("questions") or {})
    flags = late_flags_of(ledger)
    rule = ledger.settings.get("late_rule")
    if rule:
        try:
            rows += penalty_rows(flags, rows, parse_late_rule(str(rule)))
        except ValueError as exc:  # a hand-edited manifest: `grade --late-rule` checks what it records
            notes.append(f"the late rule in the manifest cannot be read, so nothing is deducted ({exc})")
    notebook_order = {stem: i for i, stem in enumerate(sorted({row["notebook"] for row in rows}))}
    position = {stem: {name: i for i, name in enumerate(names)} for stem, names in (order or {}).items()}

    def key(row: Mapping) -> tuple:
        rank = _RANK.get(row.get("status", ""), 0)
        where = position.get(row["notebook"], {}).get(row["exercise"], len(position.get(row["notebook"], {})))
        return notebook_order[row["notebook"]], row["student"], rank, where if rank == 1 else 0

    rows = sorted(rows, key=key)
    students = {label: {**entry, "notebooks": dict(entry.get("notebooks", {}))}
                for label, entry in ledger.students.items()}
    return replace(ledger, rows=rows, students=students), flags, notes


# ------------------------------------------------------------------ feedback


def _recorded_feedback(entry: Mapping[str, Any]) -> str | None:
    """The feedback file name the record holds for a learner, when it is a plain name inside
    ``feedback/`` (an earlier write's, to remove once the learner's name has changed)."""
    recorded = str(entry.get("feedback", ""))
    name = recorded.removeprefix("feedback/")
    if recorded.startswith("feedback/") and name.endswith(".md") and "/" not in name and "\\" not in name \
            and not name.startswith(".") and len(name.encode()) < 200 and name.isprintable():
        return name
    return None


def by_student(rows: Sequence[Mapping]) -> dict[str, list[Mapping]]:
    """Rows grouped by student, in their order."""
    groups: dict[str, list[Mapping]] = {}
    for row in rows:
        groups.setdefault(row["student"], []).append(row)
    return groups


def notebook_notes(stem: str, rows: Sequence[Mapping], facts: Mapping[str, Any], answers: Sequence[Mapping],
                   rubrics: Mapping[str, Rubric]) -> list[str]:
    """The notes on one learner's notebook: the grader's (``facts["notes"]``), then where the
    marking of its written answers stands (in progress: which questions are left; not begun:
    how many answers were collected)."""
    notes = list((facts or {}).get("notes", []))
    todo = [row["exercise"] for row in rows if row.get("status") == UNMARKED_STATUS]
    if todo:
        done = sum(row.get("status") == MARKED_STATUS for row in rows)
        notes.insert(0, f"marking in progress: {done} of {done + len(todo)} questions marked; still to mark: "
                        f"{', '.join(todo)}. The score counts the marked questions, out of the notebook's full "
                        f"{total_of(rows)[1]:g} points")
    elif (answers or stem in rubrics) and not any(row.get("status") == MARKED_STATUS for row in rows):
        questions = len(rubrics[stem].questions) if stem in rubrics else len(answers)
        if facts and facts.get("found", True):
            notes.append(f"your written answers were collected ({sum(bool(r.get('answered')) for r in answers)} "
                         f"of {questions} answered); they are marked by hand")
    return notes


def feedback_text(student: str, ledger: Ledger, rubrics: Mapping[str, Rubric], *,
                  rows: Sequence[Mapping] | None = None, answers: Sequence[Mapping] | None = None,
                  standing: Sequence[Standing] = (), now: datetime | None = None,
                  late: Mapping[str, LateFlag] | None = None, pages: Mapping[str, str] | None = None) -> str:
    """One student's feedback (Markdown): the total, then each notebook's results and notes,
    its late line (:attr:`.lateness.LateFlag.line`), how good its predictions were
    (:func:`.predictions.feedback_lines`) and where its page is (the notebook with the results
    under the code, :mod:`.notebook_page`).

    ``rows`` and ``answers`` are the student's own (default: picked from ``ledger``);
    ``standing`` their places in the class table of predictions, when the instructor asked
    for one; ``now`` the time the due dates are compared with (default: now); ``late`` the
    student's late flags and ``pages`` their notebook pages (a path inside ``feedback/``),
    by notebook.
    """
    late, pages = late or {}, pages or {}
    rows = [row for row in ledger.rows if row["student"] == student] if rows is None else list(rows)
    answers = [row for row in ledger.answers if row["student"] == student] if answers is None else list(answers)
    facts = ledger.notebooks_of(student)
    earned, possible = total_of(rows)
    parts = [f"# Feedback for {markdown(student, FOLDER_CHARS)}", "",
             f"**Total: {earned:g}/{possible:g} points ({100.0 * earned / possible if possible else 0:.0f}%)**", ""]
    stems = sorted({*(row["notebook"] for row in rows), *(row["notebook"] for row in answers), *facts})
    for stem in stems:
        mine = [row for row in rows if row["notebook"] == stem]
        written = [row for row in answers if row["notebook"] == stem]
        notes = notebook_notes(stem, mine, facts.get(stem) or {}, written, rubrics)
        parts += [format_results(mine, notes, heading=f"{stem}.ipynb", markdown=True), ""]
        if stem in late:
            parts += [markdown(late[stem].line, NOTE_CHARS), ""]
        predicted = feedback_lines(mine, stem, ledger.settings, standing, now)
        parts += [*predicted, ""] if predicted else []
        if stem in pages:
            parts += [f"Your notebook with these results under your code: {markdown(pages[stem], FOLDER_CHARS)}", ""]
    return "\n".join(parts)


# ------------------------------------------------------------------ written answers


def _answer_files(out: Path, ledger: Ledger, rubrics: Mapping[str, Rubric], pages: Mapping[str, str]
                  ) -> tuple[dict[Path, str], list[str]]:
    """``{path: text}`` of the answer pages and marking sheets, and notes on the sheets."""
    files: dict[Path, str] = {}
    notes: list[str] = []
    stems = sorted({row["notebook"] for row in ledger.answers}
                   | {stem for entry in ledger.students.values() for stem in entry.get("notebooks", {})
                      if stem in rubrics})
    written: dict[tuple[str, str], list[Mapping]] = {}
    for row in ledger.answers:
        written.setdefault((row["notebook"], row["student"]), []).append(row)
    for stem in stems:
        students = sorted({student for notebook, student in written if notebook == stem}
                          | {label for label in ledger.students if stem in ledger.notebooks_of(label)})
        collected = {}
        for student in students:
            notes_here = (ledger.notebooks_of(student).get(stem) or {}).get("notes", [])
            collected[student] = answers_from_rows(written.get((stem, student), []), notes_here)
        rubric = rubrics.get(stem)
        for name, text in answer_pages(stem, collected, rubric, {s: pages[s] for s in students if s in pages}).items():
            files[out / "answers" / stem / name] = text
        if rubric is None:
            continue
        marks = {(row["student"], row["exercise"]): (float(row["points"]), str(row.get("message", "")))
                 for row in ledger.rows if row["notebook"] == stem and row.get("status") == MARKED_STATUS}
        fresh = marking_sheet_csv(rubric, {s: a.answered() for s, a in collected.items()}, marks)
        sheet = out / f"marking_{stem}.csv"
        if not sheet.exists():
            files[sheet] = fresh
            continue
        try:
            existing = {(row.get("student", ""), row.get("question", "")) for row in read_table(sheet).rows}
        except TableError:
            existing = set()
        wanted = {(s, q.id) for s in collected for q in rubric.questions}
        if not wanted <= existing:
            new = sorted({s for s, _ in wanted - existing})
            files[sheet.with_name(f"marking_{stem}.new.csv")] = fresh
            notes.append(f"{sheet.name} is kept (it may hold your marks); it lacks {len(new)} student(s) "
                         f"({', '.join(new[:5])}{', ...' if len(new) > 5 else ''}): the whole sheet, with the "
                         f"marks merged so far, is {sheet.with_name(f'marking_{stem}.new.csv').name}")
    return files, notes


# ------------------------------------------------------------------ the write stage


@dataclass
class Written:
    """What :func:`write_outputs` wrote and what it noticed."""

    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    late: list[LateFlag] = field(default_factory=list)
    identical: list = field(default_factory=list)
    exports: list[Path] = field(default_factory=list)
    export_errors: list[str] = field(default_factory=list)
    ledger: Ledger | None = None


def load_rubrics(tests_dir: str | os.PathLike | None = None) -> dict[str, Rubric]:
    """Every rubric in the tests folder (``rubric_<notebook>.toml``), loaded and checked."""
    try:
        found = find_rubrics(tests_dir)
    except ValueError:
        return {}
    return {stem: load_rubric(path) for stem, path in found.items()}


def _notebook_pages(out: Path, student: str, name: str, ledger: Ledger, rows: Sequence[Mapping],
                    answers: Sequence[Mapping], rubrics: Mapping[str, Rubric], late: Mapping[str, LateFlag],
                    cells: Mapping[str, list], cells_from: Sequence[Path]) -> dict[Path, tuple[str, str]]:
    """``{path: (notebook, page)}``: a learner's notebooks with the results under their code
    (:func:`.notebook_page.notebook_page`), one per notebook whose cells the gradebook keeps."""
    pages = {}
    for stem, facts in sorted(ledger.notebooks_of(student).items()):
        sha256 = (facts or {}).get("sha256")
        record = cells.get(sha256) if isinstance(sha256, str) else None
        if record is None and isinstance(sha256, str):
            record = read_cells([out, *cells_from], sha256)
        if record is None:
            continue
        mine = [row for row in rows if row["notebook"] == stem]
        notes = notebook_notes(stem, mine, facts or {}, [row for row in answers if row["notebook"] == stem], rubrics)
        pages[out / "feedback" / name / f"{stem}.html"] = (stem, notebook_page(
            student, stem, record, mine, notes, late[stem].line if stem in late else ""))
    return pages


def write_outputs(out: str | os.PathLike, ledger: Ledger, *, rubrics: Mapping[str, Rubric] | None = None,
                  order: Mapping[str, Sequence[str]] | None = None, exports: Sequence[Export] = (),
                  now: datetime | None = None, cells: Mapping[str, list] | None = None,
                  cells_from: Sequence[Path] = ()) -> Written:
    """Rebuild every output of gradebook folder ``out`` from ``ledger`` (see the module docstring).

    Parameters
    ----------
    rubrics
        ``{notebook: rubric}`` for the answer pages, marking sheets and the order of the
        questions' columns (:func:`load_rubrics`).
    order
        ``{notebook: exercise names}``: the order of ``grades.csv``'s columns (the syllabus;
        default: the order the record holds, ``ledger.run["order"]``).
    exports
        Exports to write. One that cannot be made (a folder missing from the roster, no
        results for its notebook) is reported in :attr:`Written.export_errors`; everything
        else is still written.
    now
        The time due dates are compared with, for what prediction feedback may show
        (default: now).
    cells
        ``{notebook SHA-256: cells}`` (:func:`.notebook_page.cell_record`) of the notebooks
        this run read, kept in ``cells/`` for the pages of learners' notebooks; the pages of
        notebooks graded before come from the cells kept then (in ``out`` or, for a merge,
        the folders ``cells_from``).
    """
    out = Path(out)
    rubrics = dict(rubrics or {})
    held = {stem: rubric_questions(rubrics[stem]) for stem in ledger.graded_notebooks if stem in rubrics}
    if held:  # the rubrics' questions travel in the record (part-marked notebooks are known from it alone)
        ledger = replace(ledger, run={**ledger.run, "questions": {**(ledger.run.get("questions") or {}), **held}})
    order = ledger.run.get("order") if order is None else order
    columns = {**{stem: [q.id for q in rubric.questions] for stem, rubric in rubrics.items()}, **(order or {})}
    _, aside = ledger.counted()  # forgotten notebooks: kept in the record, shown nowhere
    ledger, flags, notes = settle(ledger, columns)
    rows = ledger.rows
    files: dict[Path, str | bytes] = {}
    pages: dict[str, str] = {}
    index: dict[str, list[tuple[str, str]]] = {}
    rows_of, answers_of = by_student(rows), by_student(ledger.answers)
    salt = ledger.settings.get(PREDICTION_TABLE)
    places = standings(rows, salt) if salt else {}
    late_of: dict[str, dict[str, LateFlag]] = {}
    for flag in flags:
        late_of.setdefault(flag.student, {})[flag.notebook] = flag
    names = learner_files(ledger.known_students)
    stale = set()
    for sha256, record in (cells or {}).items():  # this run's learners' cells, kept by their notebook's SHA-256
        path = cells_file(out, sha256)
        if path is not None and not path.exists():
            files[path] = json.dumps(record)
    for folder in cells_from:  # a merge keeps the cells its shards kept
        for source in sorted((Path(folder) / CELLS).glob("*.json")):
            path = cells_file(out, source.stem)
            if path is not None and not path.exists() and path not in files:
                files[path] = source.read_bytes()
    for student in ledger.known_students:
        entry = ledger.students.setdefault(student, {})
        name = f"{names[student]}.md"
        stale.add(_recorded_feedback(entry))
        entry["feedback"] = f"feedback/{name}"
        pages[student] = f"{names[student]}.html"
        mine, written = rows_of.get(student, []), answers_of.get(student, [])
        notebooks = _notebook_pages(out, student, names[student], ledger, mine, written, rubrics,
                                    late_of.get(student, {}), cells or {}, cells_from)
        files.update({path: page for path, (_, page) in notebooks.items()})
        index[student] = [("", name), *((stem, path.relative_to(out / "feedback").as_posix())
                                        for path, (stem, _) in notebooks.items())]
        files[out / "feedback" / name] = feedback_text(student, ledger, rubrics, rows=mine, answers=written,
                                                       standing=places.get(student, ()), now=now,
                                                       late=late_of.get(student), pages=dict(index[student][1:]))
    files[out / "feedback" / INDEX] = index_csv(index)
    if salt:
        files[out / PREDICTION_TABLE_FILE] = class_table(rows, salt, ledger.settings, now)
    answer_files, sheet_notes = _answer_files(out, ledger, rubrics, pages)
    files.update(answer_files)
    notes += sheet_notes
    files[out / "grades.csv"] = gradebook_csv(rows, columns)
    files[out / "summary.csv"] = summary_csv(rows)
    if rows:
        files[out / "totals.png"] = histogram_png_bytes(rows)
    fingerprints = {(student, stem): (facts or {}).get("fingerprint")
                    for student, entry in ledger.students.items()
                    for stem, facts in entry.get("notebooks", {}).items()}
    groups = identical_groups(fingerprints, ledger.run.get("reference") or {})
    files[out / "identical.csv"] = identical_csv(groups)
    if ledger.settings.get("due") or flags:
        files[out / "late.csv"] = late_csv(flags)
    # the record last: an interrupted write leaves the previous record whole, and the manifest
    # (written last of all) holds the SHA-256 of the two files written before it
    answers_text, results_text = jsonl_text([*ledger.answers, *aside.answers]), jsonl_text([*rows, *aside.rows])
    for label, entry in aside.students.items():
        ledger.students.setdefault(label, {}).setdefault("notebooks", {}).update(entry["notebooks"])
    files[out / ANSWERS] = answers_text
    files[out / RESULTS] = results_text
    files[out / MANIFEST] = _json({**ledger.manifest(), RECORD: {"results_sha256": text_sha256(results_text),
                                                                 "answers_sha256": text_sha256(answers_text)}})

    partial = part_marked(rows)
    if partial:
        notes.append(f"marking in progress, questions still to mark: {_partial_text(partial)}; their feedback says "
                     f"which, and exports refuse them until they are marked (or --allow-partial)")
    written = Written(notes=notes, late=flags, identical=groups, ledger=ledger)
    out.mkdir(parents=True, exist_ok=True)
    for path, data in files.items():
        write_atomic(path, data)
        written.files.append(path)
    if not salt:  # the table was switched off: a table left from before would be stale
        (out / PREDICTION_TABLE_FILE).unlink(missing_ok=True)
    for name in stale - {path.name for path in files if path.parent == out / "feedback"} - {None}:
        (out / "feedback" / name).unlink(missing_ok=True)  # a learner's earlier name (named otherwise now)
        base = glob.escape(name.removesuffix(".md"))
        for page in [*(out / "answers").glob(f"*/{base}.html"), *(out / "feedback").glob(f"{base}/*.html")]:
            if page not in files:
                page.unlink(missing_ok=True)
    for export in exports:
        try:
            written.exports.append(export.write(out, rows))
            written.notes += filter(None, [export.partial_note(rows)])
        except ValueError as exc:  # RosterError, TableError and RubricError included
            written.export_errors.append(f"export {export.kind}: {exc}")
    return written


def rebuild(out: str | os.PathLike, *, tests_dir: str | os.PathLike | None = None,
            exports: Sequence[Export] = ()) -> Written:
    """Rebuild every output of ``out`` from the record already there (nothing is graded)."""
    return write_outputs(out, read_ledger(out), rubrics=load_rubrics(tests_dir), exports=exports)


def _json(data: Any) -> str:
    return json.dumps(data, indent=1) + "\n"
