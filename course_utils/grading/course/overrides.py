"""Manual overrides: an instructor sets a student's points for an exercise, with a reason.

The overrides file is a CSV with columns ``student, exercise, points, reason`` (``exercise``
may be written ``notebook:exercise`` when two notebooks share a name). ``points`` is the
exercise's new total for that student, between 0 and the exercise's maximum. The reason is
required: it is shown in the student's feedback.

:func:`apply_overrides` keeps every test result as it was and adds one row per override
(status ``override``, ``max_points`` 0) whose points are the difference, so totals add up,
the feedback shows both what the tests found and what the instructor decided, and applying
the same file twice changes nothing. The row keeps what was decided (``set_to``, ``reason``),
so :func:`reapply_overrides` recomputes the difference after a regrade changes the tests'
points: an override outlives regrades until a new overrides file replaces it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .csvio import Table, TableError, parse_number, read_table

OVERRIDE_STATUS = "override"
REQUIRED = ("student", "exercise", "points", "reason")


class OverrideError(ValueError):
    """The overrides file cannot be used; the message names every bad line."""


@dataclass(frozen=True)
class Override:
    student: str
    notebook: str
    exercise: str
    points: float
    max_points: float
    reason: str
    line: int


def read_overrides(path: str | os.PathLike) -> Table:
    try:
        return read_table(path, required=REQUIRED)
    except TableError as exc:
        raise OverrideError(str(exc)) from None


def _exercise_points(results: Sequence[Mapping]) -> dict[tuple[str, str, str], tuple[float, float]]:
    """``{(student, notebook, exercise): (earned, possible)}`` over rows that are not overrides."""
    totals: dict[tuple[str, str, str], tuple[float, float]] = {}
    for row in results:
        if row.get("status") == OVERRIDE_STATUS:
            continue
        key = (row["student"], row["notebook"], row["exercise"])
        earned, possible = totals.get(key, (0.0, 0.0))
        totals[key] = (earned + float(row["points"]), possible + float(row["max_points"]))
    return totals


def parse_overrides(table: Table, results: Sequence[Mapping]) -> list[Override]:
    """Check every line of an overrides table against the gradebook ``results``.

    Raises
    ------
    OverrideError
        Listing each bad line: unknown student or exercise, an exercise name found in two
        notebooks (write ``notebook:exercise``), points that are not a number or outside
        0..maximum, an empty reason, the same exercise overridden twice.
    """
    totals = _exercise_points(results)
    students = {key[0] for key in totals}
    problems, found, seen = [], [], {}
    for row in table.rows:
        line, student, name = row["_line"], row.get("student", ""), row.get("exercise", "")
        if student not in students:
            problems.append(f"line {line}: unknown student {student!r}")
            continue
        notebook, _, exercise = name.rpartition(":")
        matches = [key for key in totals if key[0] == student and key[2] == exercise
                   and (not notebook or key[1] == notebook)]
        if not matches and exercise == "late work":
            problems.append(f"line {line}: a late penalty follows the due date, so it is not overridden: give "
                            f"{student} an extension (--extensions FILE, a CSV of student, notebook, due)")
            continue
        if not matches:
            problems.append(f"line {line}: {student} has no exercise {name!r}")
            continue
        if len(matches) > 1:
            problems.append(f"line {line}: {exercise!r} is in notebooks {', '.join(sorted(k[1] for k in matches))}; "
                            f"write notebook:{exercise}")
            continue
        key = matches[0]
        try:
            points = parse_number(row.get("points", ""), f"line {line}: points")
        except ValueError as exc:
            problems.append(str(exc))
            continue
        maximum = totals[key][1]
        if not 0 <= points <= maximum:
            problems.append(f"line {line}: points {points:g} outside 0..{maximum:g} for {student} / {exercise}")
            continue
        if not row.get("reason", "").strip():
            problems.append(f"line {line}: no reason given for {student} / {exercise} (it is shown to the student)")
            continue
        if key in seen:
            problems.append(f"line {line}: {student} / {exercise} is already overridden on line {seen[key]}")
            continue
        seen[key] = line
        found.append(Override(student, key[1], exercise, points, maximum, row["reason"].strip(), line))
    if problems:
        raise OverrideError(f"{table.source}: " + "; ".join(problems))
    return found


def apply_overrides(results: Sequence[Mapping], overrides: Sequence[Override]) -> list[dict[str, Any]]:
    """``results`` without earlier override rows, plus one adjustment row per override."""
    kept = [dict(row) for row in results if row.get("status") != OVERRIDE_STATUS]
    totals = _exercise_points(kept)
    for item in overrides:
        earned = totals[item.student, item.notebook, item.exercise][0]
        kept.append({"student": item.student, "notebook": item.notebook, "exercise": item.exercise,
                     "test": "manual override", "status": OVERRIDE_STATUS, "points": item.points - earned,
                     "max_points": 0.0, "hint": "", "seconds": 0.0, "set_to": item.points, "reason": item.reason,
                     "message": f"set to {item.points:g} of {item.max_points:g} points by the instructor "
                                f"(the tests gave {earned:g}): {item.reason}"})
    return kept


def stored_overrides(results: Sequence[Mapping]) -> list[Override]:
    """The overrides recorded in ``results`` (override rows that keep ``set_to`` and ``reason``)."""
    found = []
    for row in results:
        if row.get("status") == OVERRIDE_STATUS and isinstance(row.get("set_to"), (int, float)):
            found.append(Override(row["student"], row["notebook"], row["exercise"], float(row["set_to"]), 0.0,
                                  str(row.get("reason", "")), 0))
    return found


def reapply_overrides(results: Sequence[Mapping]) -> tuple[list[dict[str, Any]], list[str]]:
    """``results`` with every recorded override recomputed against the current test rows.

    After a regrade the tests may give other points, or the exercise may have another
    maximum: the difference row is computed again, ``set_to`` is capped at the maximum,
    and an override whose exercise no longer has results is dropped. Returns the rows and
    a note for each override capped or dropped.
    """
    totals = _exercise_points([row for row in results if row.get("status") != OVERRIDE_STATUS])
    keep, notes = [], []
    for item in stored_overrides(results):
        key = (item.student, item.notebook, item.exercise)
        if key not in totals:
            notes.append(f"override of {item.student} / {item.notebook}:{item.exercise} dropped: "
                         f"that exercise has no results any more")
            continue
        maximum = totals[key][1]
        points = min(max(item.points, 0.0), maximum)
        if points != item.points:
            notes.append(f"override of {item.student} / {item.exercise} capped at its maximum {maximum:g} "
                         f"(it set {item.points:g})")
        keep.append(Override(item.student, item.notebook, item.exercise, points, maximum, item.reason, 0))
    return apply_overrides(results, keep), notes
