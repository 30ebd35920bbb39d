"""Due dates and late work: flagged by default, penalised only under a rule the instructor gives.

Submission times come, best first, from Canvas's ``LATE`` marker (Canvas's own judgement
against its own due date, recorded by the import), the time the download recorded for the
file (the import's manifest), or the file's modification time in the submissions folder.
File times are weak evidence (copying a folder can reset them): a flag based on them says so.

A due date is an ISO 8601 time, ``2025-03-07T23:59+01:00``; one without a zone is read in the
grading machine's local zone. ``--due ex02_power_laws=2025-03-07T23:59`` sets one notebook's,
``--due 2025-03-07T23:59`` every notebook's.

A late rule (:func:`parse_late_rule`) reads like ``10%/day``, ``5% per hour, grace 15min,
max 50%``: the percentage of the notebook's possible points deducted per *started* period
after the due date plus grace, never more than ``max`` (default 100%) and never below zero
points. Formula: ``deduction = min(max, ceil((late - grace) / period) * percent) / 100 * possible``,
capped at the points earned.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from .csvio import csv_text

LATE_STATUS = "late penalty"
_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
          "d": 86400, "day": 86400, "w": 604800, "week": 604800}


def parse_time(text: str) -> datetime:
    """An ISO 8601 time as an aware datetime (no zone given: the local zone).

    Raises
    ------
    ValueError
        Text that is not an ISO 8601 date or time.
    """
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date and time like 2025-03-07T23:59 or 2025-03-07T23:59+01:00") from None
    return when if when.tzinfo is not None else when.astimezone()


def parse_due(option: str) -> tuple[str | None, datetime]:
    """``"ex02_power_laws=2025-03-07T23:59"`` -> ``("ex02_power_laws", time)``; a bare time -> ``(None, time)``."""
    stem, sep, when = option.partition("=")
    if not sep:
        return None, parse_time(option)
    if not stem.strip():
        raise ValueError(f"due date {option!r}: expected NOTEBOOK=TIME or TIME")
    return stem.strip(), parse_time(when)


def due_dates(options: Iterable[str], notebooks: Iterable[str]) -> dict[str, datetime]:
    """``{notebook: due}`` from ``--due`` options; a per-notebook date beats an all-notebook one."""
    notebooks = list(notebooks)
    general, specific = None, {}
    for option in options:
        stem, when = parse_due(option)
        if stem is None:
            general = when
        else:
            specific[stem] = when
    unknown = sorted(set(specific) - set(notebooks))
    if unknown:
        raise ValueError(f"due date for unknown notebook {', '.join(unknown)} (known: {', '.join(notebooks)})")
    return {stem: specific.get(stem, general) for stem in notebooks if stem in specific or general is not None}


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+?)s?\s*", text.lower())
    if not match or match.group(2) not in _UNITS:
        raise ValueError(f"{text!r} is not a duration like 15min, 2h or 1day")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class LateRule:
    """Deduct ``percent`` of the possible points per started ``period`` late, after ``grace``,
    at most ``max_percent``."""

    percent: float
    period: timedelta
    grace: timedelta = timedelta(0)
    max_percent: float = 100.0

    def fraction(self, late: timedelta) -> float:
        """Fraction of the possible points deducted for work ``late`` after the due date."""
        over = late - self.grace
        if over <= timedelta(0):
            return 0.0
        periods = math.ceil(over / self.period)
        return min(self.max_percent, periods * self.percent) / 100.0


def parse_late_rule(text: str) -> LateRule:
    """``"10%/day"``, ``"10% per day"``, ``"5%/hour, grace 15min, max 50%"`` -> :class:`LateRule`.

    Raises
    ------
    ValueError
        Anything else, percentages outside 0..100 included, saying what is expected.
    """
    parts = [part.strip() for part in re.split(r"[;,]", text) if part.strip()]
    usage = "a rule like '10%/day' or '5% per hour, grace 15min, max 50%'"
    if not parts:
        raise ValueError(f"empty late rule; expected {usage}")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%\s*(?:/|per)\s*(\d*\.?\d*\s*[a-z]+)", parts[0].lower())
    if not match:
        raise ValueError(f"late rule {text!r}: expected {usage}")
    try:
        period_text = match.group(2)
        period = _duration(period_text if re.match(r"\d", period_text) else "1" + period_text)
        percent, grace, maximum = float(match.group(1)), timedelta(0), 100.0
        for part in parts[1:]:
            words = part.lower().split(None, 1)
            if len(words) == 2 and words[0] == "grace":
                grace = _duration(words[1])
            elif len(words) == 2 and words[0] == "max" and re.fullmatch(r"\d+(\.\d+)?\s*%", words[1].strip()):
                maximum = float(words[1].strip()[:-1])
            else:
                raise ValueError(f"cannot read {part!r}")
    except ValueError as exc:
        raise ValueError(f"late rule {text!r}: {exc}; expected {usage}") from None
    if not (0 < percent <= 100 and 0 < maximum <= 100) or period <= timedelta(0):
        raise ValueError(f"late rule {text!r}: percentages must lie in (0, 100] and the period be positive; "
                         f"expected {usage}")
    return LateRule(percent, period, grace, maximum)


@dataclass(frozen=True)
class Submitted:
    """When a notebook was submitted, as far as the evidence goes.

    ``when`` is None when only a marker is known; ``source`` says where the time came from
    (``canvas-marker``, ``download``, ``file-time``, ``gradescope``).
    """

    when: datetime | None
    source: str
    late_marker: bool = False


def submitted_at(path: str | os.PathLike | None, record: Mapping[str, str] | None = None) -> Submitted | None:
    """The best evidence of when one notebook was submitted, or None when there is none.

    ``record`` is the import manifest's row for the file (:func:`.lms_import.read_manifest`):
    its ``file_time`` and ``late_marker`` win; else the modification time of ``path``, read
    without following a symbolic link.
    """
    marker = bool(record and record.get("late_marker") == "yes")
    if record and record.get("file_time"):
        try:
            return Submitted(parse_time(record["file_time"]), "download", marker)
        except ValueError:
            pass  # a hand-edited manifest: fall back to the file
    if path is not None:
        try:
            stamp = os.lstat(path).st_mtime
        except OSError:
            stamp = None
        if stamp is not None:
            return Submitted(datetime.fromtimestamp(stamp).astimezone(), "file-time", marker)
    return Submitted(None, "canvas-marker", True) if marker else None


def submission_times(submissions: str | os.PathLike, students: Iterable[str], notebooks: Iterable[str],
                     manifest: Sequence[Mapping[str, str]] = ()) -> dict[tuple[str, str], Submitted]:
    """The best evidence of each (student, notebook) submission time (see the module docstring).

    ``manifest`` is :func:`.lms_import.read_manifest`'s rows; notebooks without a file are left out.
    """
    recorded = {(row["folder"], row["filename"]): row for row in manifest}
    found = {}
    notebooks = list(notebooks)
    for student in students:
        for stem in notebooks:
            path = Path(submissions) / student / f"{stem}.ipynb"
            seen = submitted_at(path if path.is_file() else None, recorded.get((student, f"{stem}.ipynb")))
            if seen is not None:
                found[student, stem] = seen
    return found


def submitted_record(seen: Submitted | None) -> dict | None:
    """A :class:`Submitted` as plain data for the gradebook's manifest (None stays None)."""
    if seen is None:
        return None
    return {"when": seen.when.isoformat(timespec="seconds") if seen.when else None, "source": seen.source,
            "late_marker": seen.late_marker}


def submitted_from_record(record: Mapping | None) -> Submitted | None:
    """The inverse of :func:`submitted_record`; None for anything that is not one."""
    if not isinstance(record, Mapping):
        return None
    when = None
    if record.get("when"):
        try:
            when = parse_time(str(record["when"]))
        except ValueError:
            when = None
    if when is None and not record.get("late_marker"):
        return None
    return Submitted(when, str(record.get("source", "")), bool(record.get("late_marker")))


@dataclass(frozen=True)
class LateFlag:
    student: str
    notebook: str
    due: datetime | None
    submitted: datetime | None
    late_by: timedelta | None
    source: str

    @property
    def description(self) -> str:
        if self.late_by is None:
            return "marked LATE by Canvas"
        hours = self.late_by.total_seconds() / 3600
        amount = f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"
        weak = " (by file time, which copying can change)" if self.source == "file-time" else ""
        return f"submitted {amount} after the due date{weak}"


def late_flags(times: Mapping[tuple[str, str], Submitted], due: Mapping[str, datetime],
               grace: timedelta = timedelta(0)) -> list[LateFlag]:
    """Flags for submissions after their notebook's due date plus ``grace``, and for every
    submission Canvas marked LATE (whatever the due dates given here). Sorted by student."""
    flags = []
    for (student, notebook), seen in sorted(times.items()):
        deadline = due.get(notebook)
        if seen.when is not None and deadline is not None and seen.when > deadline + grace:
            flags.append(LateFlag(student, notebook, deadline, seen.when, seen.when - deadline, seen.source))
        elif seen.late_marker:
            flags.append(LateFlag(student, notebook, deadline, seen.when, None, "canvas-marker"))
    return flags


def penalty_rows(flags: Sequence[LateFlag], results: Sequence[Mapping], rule: LateRule) -> list[dict]:
    """Gradebook rows deducting points under ``rule`` (status ``late penalty``, ``max_points`` 0).

    A flag without a measured lateness (Canvas's marker alone) gets no deduction: the rule
    needs a time. The deduction never exceeds the points earned in that notebook.
    """
    totals: dict[tuple[str, str], tuple[float, float]] = {}
    for row in results:
        if row.get("status") == LATE_STATUS:
            continue
        key = (row["student"], row["notebook"])
        earned, possible = totals.get(key, (0.0, 0.0))
        totals[key] = (earned + float(row["points"]), possible + float(row["max_points"]))
    rows = []
    for flag in flags:
        if flag.late_by is None or (flag.student, flag.notebook) not in totals:
            continue
        earned, possible = totals[flag.student, flag.notebook]
        deduction = min(rule.fraction(flag.late_by) * possible, max(earned, 0.0))
        if deduction <= 0:
            continue
        rows.append({"student": flag.student, "notebook": flag.notebook, "exercise": "late work",
                     "test": "late penalty", "status": LATE_STATUS, "points": -round(deduction, 4),
                     "max_points": 0.0, "hint": "", "seconds": 0.0,
                     "message": f"{flag.description}: {rule.fraction(flag.late_by) * 100:g}% of {possible:g} "
                                f"points deducted under the course's late rule"})
    return rows


def late_csv(flags: Sequence[LateFlag]) -> str:
    """``student, notebook, due, submitted, late_hours, evidence, note`` for the instructor."""
    return csv_text(("student", "notebook", "due", "submitted", "late_hours", "evidence", "note"),
                    ([f.student, f.notebook, f.due.isoformat(timespec="minutes") if f.due else "",
                      f.submitted.isoformat(timespec="minutes") if f.submitted else "",
                      round(f.late_by.total_seconds() / 3600, 2) if f.late_by is not None else None,
                      f.source, f.description] for f in flags))
