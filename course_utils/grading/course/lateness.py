"""Due dates and late work: flagged by default, penalised only under a rule the instructor gives.

A submission's time is recorded once, for its content: :func:`judge` keys it by the learner,
the notebook and the SHA-256 of the notebook's bytes, so renaming the file (as the feedback
may ask), copying it (``cp`` without ``-p`` gives it a new file time) or grading it again
keeps the time first recorded. The evidence, best first: the time the learning system's
download gave the file (the import's record, ``submissions/.lms_import.csv``, found by the
file's content), with Canvas's ``LATE`` marker (Canvas's own judgement against its own due
date); else the file's modification time when the grader first saw it. File times are weak
evidence: a time that changed after it was recorded, or file times of two learners within
two seconds of each other (:func:`copied_together`: one copy wrote both), are flagged for the
instructor and never penalised.

A due date is an ISO 8601 time, ``2025-03-07T23:59+01:00``; one without a zone is read in the
grading machine's local zone. ``--due ex02_power_laws=2025-03-07T23:59`` sets one notebook's,
``--due 2025-03-07T23:59`` every notebook's; an extension (``--extensions FILE``,
:func:`.instructions.read_extensions`) moves one learner's due date for one notebook.

A late rule (:func:`parse_late_rule`) reads like ``10%/day``, ``5% per hour, grace 15min,
max 50%``: the percentage of the notebook's possible points deducted per *started* period
after the due date plus grace, never more than ``max`` (default 100%) and never below zero
points. Formula: ``deduction = min(max, ceil((late - grace) / period) * percent) / 100 * possible``,
capped at the points earned (the message then says so, and what was deducted).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
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


#: where a submission time came from, as the feedback and late.csv say it
SOURCES = {"download": "the time the download from the learning system gave the file",
           "canvas-marker": "Canvas's LATE marker",
           "file-time": "the file's time when the grader first saw it"}
#: file times closer than this are one copy's, not two learners' (FAT keeps times to 2 s)
COPY_WINDOW = timedelta(seconds=2)


@dataclass(frozen=True)
class Submitted:
    """When a notebook was submitted, as far as the evidence goes.

    ``when`` is None when only a marker is known; ``source`` says where the time came from
    (a key of :data:`SOURCES`); ``doubt``, when not empty, why the time cannot be trusted
    for a penalty (the work is flagged for the instructor, never penalised).
    """

    when: datetime | None
    source: str
    late_marker: bool = False
    doubt: str = ""


def file_time(path: str | os.PathLike | None) -> datetime | None:
    """The modification time of ``path``, read without following a symbolic link (None when
    there is no such file)."""
    if path is None:
        return None
    try:
        return datetime.fromtimestamp(os.lstat(path).st_mtime).astimezone()
    except (OSError, ValueError, OverflowError):
        return None


def imported_at(record: Mapping[str, str] | None) -> Submitted | None:
    """What an import's record says of one file (:func:`.lms_import.read_manifest`): the time
    the download gave it, with Canvas's LATE marker; None when it says nothing."""
    if not record:
        return None
    marker = record.get("late_marker") == "yes"
    if record.get("file_time"):
        try:
            return Submitted(parse_time(record["file_time"]), "download", marker)
        except ValueError:
            pass  # a hand-edited record: what else is known decides
    return Submitted(None, "canvas-marker", True) if marker else None


def _stamp(when: datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") if when is not None else None


def judge(recorded: Mapping | None, imported: Mapping[str, str] | None, seen: datetime | None,
          now: datetime | None = None) -> tuple[Submitted | None, dict | None]:
    """The evidence of when one notebook's content was submitted, and the record to keep for it.

    The import's time wins over a recorded file time (an import can come after a first
    grading); otherwise the recorded time stands, whatever the file's time is now; a file
    time is recorded only when nothing else is known. A recorded file time that differs
    from the file's time now by :data:`COPY_WINDOW` or more is kept, with a doubt: the file
    was copied since, so file times here do not say when work was submitted.

    Parameters
    ----------
    recorded
        What the gradebook recorded for this learner, notebook and content before (the
        record this function returned then), or None.
    imported
        The import's record of a file with this content in the learner's folder, or None.
    seen
        The file's modification time now (:func:`file_time`).
    now
        The time to record as the judgement's (default: now).
    """
    now = now or datetime.now().astimezone()
    earlier = submitted_from_record(recorded)
    download = imported_at(imported)
    if download is not None and (earlier is None or earlier.source == "file-time"):
        return download, {**submitted_record(download), "file_time": _stamp(seen), "recorded_at": _stamp(now)}
    if earlier is not None:
        first = None
        try:
            first = parse_time(str(recorded.get("file_time"))) if recorded.get("file_time") else None
        except ValueError:
            pass
        if earlier.source == "file-time" and seen is not None and first is not None \
                and abs(seen - first) >= COPY_WINDOW:
            earlier = replace(earlier, doubt=f"its file time changed after the grader first saw it ({_stamp(first)} "
                                             f"then, {_stamp(seen)} now): it was copied since, so file times here do "
                                             f"not say when it was submitted")
        return earlier, dict(recorded)
    if seen is None:
        return None, None
    found = Submitted(seen, "file-time")
    return found, {**submitted_record(found), "file_time": _stamp(seen), "recorded_at": _stamp(now)}


def copied_together(times: Mapping[tuple[str, str], Submitted]) -> dict[tuple[str, str], str]:
    """``{(student, notebook): doubt}`` for file-time evidence within :data:`COPY_WINDOW` of
    another learner's: learners do not hand work in within the same two seconds, a copy
    (``cp`` without ``-p``) writes all its files so."""
    found = sorted((seen.when, key) for key, seen in times.items()
                   if seen.source == "file-time" and seen.when is not None and not seen.doubt)
    doubt = ("its file time lies within 2 seconds of another learner's: one copy wrote both (cp without -p), so "
             "file times here do not say when work was submitted")
    doubtful: dict[tuple[str, str], str] = {}
    for number, (when, key) in enumerate(found):
        for other_when, other in found[number + 1:]:
            if other_when - when >= COPY_WINDOW:
                break
            if key[0] != other[0]:
                doubtful[key] = doubtful[other] = doubt
    return doubtful


def submitted_record(seen: Submitted | None) -> dict | None:
    """A :class:`Submitted` as plain data for the gradebook's manifest (None stays None)."""
    if seen is None:
        return None
    record = {"when": _stamp(seen.when), "source": seen.source, "late_marker": seen.late_marker}
    return {**record, "doubt": seen.doubt} if seen.doubt else record


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
    return Submitted(when, str(record.get("source", "")), bool(record.get("late_marker")),
                     str(record.get("doubt") or ""))


def _when(time: datetime) -> str:
    return time.isoformat(sep=" ", timespec="minutes")


@dataclass(frozen=True)
class LateFlag:
    """A late submission: when it was due (``extended``: by the learner's own extension), when
    it was submitted and by what evidence, and why that evidence is doubtful (if it is)."""

    student: str
    notebook: str
    due: datetime | None
    submitted: datetime | None
    late_by: timedelta | None
    source: str
    doubt: str = ""
    extended: bool = False

    @property
    def amount(self) -> str:
        """How late, in hours (under two days) or days; empty when only a marker says so."""
        if self.late_by is None:
            return ""
        hours = self.late_by.total_seconds() / 3600
        return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"

    @property
    def description(self) -> str:
        if self.late_by is None:
            return "marked LATE by Canvas"
        weak = " (by file time, which copying can change)" if self.source == "file-time" else ""
        return f"submitted {self.amount} after the due date{weak}"

    @property
    def line(self) -> str:
        """The late line of a learner's feedback: the due date, the submission time and where
        that time came from."""
        due = f"due {_when(self.due)}{' (your extension)' if self.extended else ''}" if self.due else "no due date set"
        if self.late_by is None:
            when = f"; submitted {_when(self.submitted)}" if self.submitted else ""
            return f"Late: marked LATE by Canvas ({due}){when}."
        line = f"Late: {due}; submitted {_when(self.submitted)}, by {SOURCES.get(self.source, self.source)}"
        line += f" ({self.amount} after the due date)."
        if self.doubt:
            line += " Your instructor checks this by hand: the time is uncertain, so nothing is deducted for it."
        return line


def late_flags(times: Mapping[tuple[str, str], Submitted], due: Mapping[str, datetime],
               grace: timedelta = timedelta(0),
               extensions: Mapping[tuple[str, str], datetime] | None = None) -> list[LateFlag]:
    """Flags for submissions after their due date plus ``grace``, and for every submission
    Canvas marked LATE (whatever the due dates given here). Sorted by student.

    ``extensions`` (``{(student, notebook): due}``) moves one learner's due date for one
    notebook; everyone else's stays. File times copied together (:func:`copied_together`)
    carry their doubt.
    """
    extensions = extensions or {}
    copied = copied_together(times)
    flags = []
    for (student, notebook), seen in sorted(times.items()):
        extended = (student, notebook) in extensions
        deadline = extensions.get((student, notebook), due.get(notebook))
        doubt = seen.doubt or copied.get((student, notebook), "")
        if seen.when is not None and deadline is not None and seen.when > deadline + grace:
            flags.append(LateFlag(student, notebook, deadline, seen.when, seen.when - deadline, seen.source, doubt,
                                  extended))
        elif seen.late_marker and not extended:
            flags.append(LateFlag(student, notebook, deadline, seen.when, None, "canvas-marker", doubt, extended))
    return flags


def penalty_rows(flags: Sequence[LateFlag], results: Sequence[Mapping], rule: LateRule) -> list[dict]:
    """Gradebook rows deducting points under ``rule`` (status ``late penalty``, ``max_points`` 0).

    A flag without a measured lateness (Canvas's marker alone) or with a doubt gets no
    deduction: the rule needs a time that can be trusted. The deduction never exceeds the
    points earned in that notebook, and the message says what was deducted.
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
        if flag.late_by is None or flag.doubt or (flag.student, flag.notebook) not in totals:
            continue
        earned, possible = totals[flag.student, flag.notebook]
        fraction = rule.fraction(flag.late_by)
        full = round(fraction * possible, 2)
        deduction = round(min(full, max(earned, 0.0)), 2)
        if deduction <= 0:
            continue
        capped = f", capped at the {earned:g} points earned" if deduction < full else ""
        rows.append({"student": flag.student, "notebook": flag.notebook, "exercise": "late work",
                     "test": "late penalty", "status": LATE_STATUS, "points": -deduction,
                     "max_points": 0.0, "hint": "", "seconds": 0.0,
                     "message": f"{flag.description}: {fraction * 100:g}% of {possible:g} points is {full:g}{capped}; "
                                f"{deduction:g} points deducted under the course's late rule"})
    return rows


def late_csv(flags: Sequence[LateFlag]) -> str:
    """``student, notebook, due, extension, submitted, late_hours, evidence, note`` for the
    instructor; a doubtful flag's note says why it was not penalised."""
    return csv_text(("student", "notebook", "due", "extension", "submitted", "late_hours", "evidence", "note"),
                    ([f.student, f.notebook, f.due.isoformat(timespec="minutes") if f.due else "",
                      "yes" if f.extended else "",
                      f.submitted.isoformat(timespec="minutes") if f.submitted else "",
                      round(f.late_by.total_seconds() / 3600, 2) if f.late_by is not None else None,
                      f.source, f.description + (f"; not penalised: {f.doubt}" if f.doubt else "")] for f in flags))
