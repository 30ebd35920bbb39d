"""Gradebook exports that Canvas and Moodle import: pure functions from result rows to CSV text.

Rows are those of ``results.jsonl`` (``student``, ``notebook``, ``exercise``, ``test``,
``status``, ``points``, ``max_points``, ...), plus any rubric, override or late-penalty rows
merged into them. Each exported column is one *assignment* (one notebook): the sum of the
student's points in that notebook, optionally rescaled to the points the assignment is worth
in the learning system.

Canvas gradebook import (checked against Canvas's importer, ``app/models/gradebook_importer.rb``
in github.com/instructure/canvas-lms: ``row_has_student_headers?``, ``update_column_count``,
``check_for_non_student_row``; and Ohio State's guide "Import a CSV file into Carmen Grades",
teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades):
the header is ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per
assignment titled ``Title (assignment id)`` (``Assignment.title_and_id`` reads the id from the
trailing parentheses; a title without an id matches an assignment of that title or creates a
new one). An optional row whose first cell contains ``Points Possible`` sets the points of new
assignments. Canvas matches a row to a student by ``ID`` (Canvas's user ID) first, then SIS
User ID, then SIS Login ID, then name.

Moodle grade import (checked against ``grade/import/csv/classes/load_data.php`` in
github.com/moodle/moodle, ``map_user_data_with_value`` and ``update_grade_item``; and MoodleDocs
"Grade import", docs.moodle.org/405/en/Grade_import): any header row; when importing, the
instructor maps one column to the user by ``useremail`` (Email address), ``useridnumber`` (ID
number), ``username`` or ``userid`` and each other column to a grade item or its feedback.
A grade is a number (a local decimal comma is accepted), ``-`` or empty means no grade, and
by default no grade may exceed 100 (site setting ``gradepointmax``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .csvio import csv_text
from .roster import Roster, RosterError

CANVAS_STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: Canvas's own pattern for "Title (id)" (Assignment.title_and_id)
_TITLE_AND_ID = re.compile(r"\A(.*)\s\((\d+)\)\Z", re.DOTALL)
MOODLE_IDENTIFIERS = {"email": "Email address", "idnumber": "ID number"}


@dataclass(frozen=True)
class Assignment:
    """A notebook as an assignment of the learning system.

    Attributes
    ----------
    notebook
        The notebook stem (``ex02_power_laws``).
    title
        The assignment's title in the learning system.
    lms_id
        Canvas's assignment id (optional; without it Canvas matches by title).
    points
        What the assignment is worth there; the notebook's score is rescaled to it.
        None exports raw points.
    """

    notebook: str
    title: str = ""
    lms_id: str = ""
    points: float | None = None

    @property
    def label(self) -> str:
        return self.title or self.notebook


def parse_assignment(text: str) -> Assignment:
    """``"ex02_power_laws=Power laws (1234)"`` or ``"ex02_power_laws=Power laws (1234)/10"``.

    The part after ``=`` is the title, with Canvas's id in trailing parentheses; ``/N`` at the
    end rescales to N points. A bare ``ex02_power_laws`` keeps the stem as the title.

    Raises
    ------
    ValueError
        An empty stem or a points value that is not positive.
    """
    stem, _, rest = text.partition("=")
    stem = stem.strip()
    if not stem:
        raise ValueError(f"assignment {text!r}: expected NOTEBOOK=TITLE (ID)[/POINTS]")
    points = None
    match = re.search(r"/\s*(\d+(?:\.\d+)?)\s*$", rest)
    if match:
        points = float(match.group(1))
        if not points > 0:
            raise ValueError(f"assignment {text!r}: points must be positive")
        rest = rest[:match.start()]
    rest = rest.strip()
    title, lms_id = rest, ""
    found = _TITLE_AND_ID.match(rest)
    if found:
        title, lms_id = found.group(1).strip(), found.group(2)
    return Assignment(stem, title or stem, lms_id, points)


def notebook_scores(rows: Iterable[Mapping]) -> dict[tuple[str, str], tuple[float, float]]:
    """``{(student, notebook): (earned, possible)}`` summed over every row."""
    scores: dict[tuple[str, str], tuple[float, float]] = {}
    for row in rows:
        key = (row["student"], row["notebook"])
        earned, possible = scores.get(key, (0.0, 0.0))
        scores[key] = (earned + float(row["points"]), possible + float(row["max_points"]))
    return scores


def assignment_score(scores: Mapping[tuple[str, str], tuple[float, float]], student: str,
                     assignment: Assignment, *, cap: bool = False) -> float | None:
    """The student's score in ``assignment`` (rescaled if it has points), None if not graded.

    Never below zero; with ``cap``, never above the assignment's maximum either (its points,
    or the notebook's possible points), as Moodle stores it.
    """
    if (student, assignment.notebook) not in scores:
        return None
    earned, possible = scores[student, assignment.notebook]
    earned = max(earned, 0.0)
    if cap:
        earned = min(earned, possible)
    if assignment.points is None:
        return earned
    return assignment.points * earned / possible if possible else 0.0


def _exported_students(rows: Sequence[Mapping], roster: Roster) -> list[str]:
    students = list(dict.fromkeys(row["student"] for row in rows))
    unknown = [student for student in students if roster.by_folder(student) is None]
    if unknown:
        raise RosterError(f"{roster.source}: no roster entry for the graded folder(s) "
                          f"{', '.join(sorted(unknown))}; add them (with their LMS identity) before exporting")
    return students


def canvas_gradebook_csv(rows: Sequence[Mapping], roster: Roster, assignments: Sequence[Assignment]) -> str:
    """Canvas's gradebook import CSV for ``assignments``.

    One row per roster student who has a result in at least one of the assignments (students
    without any are left out, so their Canvas scores stay as they are); a blank cell means
    no result for that assignment. Canvas compares a blank with the score it holds and may
    offer to clear it (``no_change_to_value?`` treats blank-versus-score as a change), so
    export an assignment once all its students have a result, or on its own. A ``Points Possible`` row gives the points of assignments
    without a Canvas id (new ones) and is blank for the others, so existing assignments keep
    their settings.

    Raises
    ------
    RosterError
        A graded folder the roster does not list, or a student without a Canvas ID.
    ValueError
        No assignments, or the same notebook twice.
    """
    _check_assignments(assignments)
    _exported_students(rows, roster)
    roster.require("canvas_id", "the Canvas export")
    scores = notebook_scores(rows)
    possible = {}
    for (_, notebook), (_, points) in scores.items():
        possible[notebook] = max(points, possible.get(notebook, 0.0))
    header = [*CANVAS_STUDENT_COLUMNS,
              *(f"{a.label} ({a.lms_id})" if a.lms_id else a.label for a in assignments)]
    table = []
    if any(not a.lms_id for a in assignments):
        table.append(["Points Possible", "", "", "", "",
                      *("" if a.lms_id else (a.points if a.points is not None else possible.get(a.notebook, ""))
                        for a in assignments)])
    for entry in roster:
        values = [assignment_score(scores, entry.folder, a) for a in assignments]
        if all(value is None for value in values):
            continue
        table.append([entry.name or entry.folder, entry.canvas_id, entry.sis_user_id, entry.sis_login_id,
                      entry.section, *values])
    return csv_text(header, table)


def moodle_grades_csv(rows: Sequence[Mapping], roster: Roster, assignments: Sequence[Assignment], *,
                      identifier: str = "email", feedback: Mapping[tuple[str, str], str] | None = None) -> str:
    """A CSV for Moodle's "Import grades from CSV": the identifier column, then one grade
    column per assignment (and a ``Feedback: <title>`` column per assignment when ``feedback``
    maps ``(student, notebook)`` to text). On import, map the first column to ``useremail``
    (or ``useridnumber``) and each grade column to its grade item.

    Students without any result are left out; a blank cell is "no grade". A grade is capped
    at the assignment's maximum: Moodle bounds every grade by its item's maximum unless the
    site allows unlimited grades (``grade_item::bounded_grade``, ``lib/grade/grade_item.php``),
    so the file says what Moodle will store.

    Raises
    ------
    RosterError
        A graded folder the roster does not list, or a student without the identifier.
    ValueError
        An unknown ``identifier``; a score above 100 (Moodle's default ``gradepointmax``:
        rescale the assignment with ``points``).
    """
    if identifier not in MOODLE_IDENTIFIERS:
        raise ValueError(f"identifier must be one of {', '.join(MOODLE_IDENTIFIERS)}, got {identifier!r}")
    _check_assignments(assignments)
    _exported_students(rows, roster)
    roster.require(identifier, "the Moodle export")
    scores = notebook_scores(rows)
    header = [MOODLE_IDENTIFIERS[identifier], *(a.label for a in assignments)]
    if feedback is not None:
        header += [f"Feedback: {a.label}" for a in assignments]
    table = []
    for entry in roster:
        values = [assignment_score(scores, entry.folder, a, cap=True) for a in assignments]
        if all(value is None for value in values):
            continue
        too_big = [a.label for a, value in zip(assignments, values) if value is not None and value > 100]
        if too_big:
            raise ValueError(f"{entry.folder}: score above 100 in {', '.join(too_big)}; Moodle refuses grades "
                             f"above its gradepointmax (100 by default): give the assignment /POINTS")
        line = [getattr(entry, identifier), *values]
        if feedback is not None:
            line += [feedback.get((entry.folder, a.notebook), "") for a in assignments]
        table.append(line)
    return csv_text(header, table)


def _check_assignments(assignments: Sequence[Assignment]) -> None:
    if not assignments:
        raise ValueError("no assignments to export (name at least one notebook)")
    notebooks = [a.notebook for a in assignments]
    repeated = sorted({n for n in notebooks if notebooks.count(n) > 1})
    if repeated:
        raise ValueError(f"notebook {', '.join(repeated)} is exported twice")
