"""Learner-facing text for test results: what passed, what failed and the hint.

Used by ``check`` (in a notebook and on the command line) and by the per-student
feedback files of ``grade``. It never shows a test's code: only the exercise, a readable
test name, the reason (a learner exception, a time limit, "wrong result"...) and the hint.
A hidden test (``row["hidden"]``) shows its name and points only: no reason, no hint,
since either could reveal its inputs. Rows that are not tests (``marked`` by hand against a
rubric, an instructor's ``override``, a ``late penalty``) are shown neutrally, with ``•``:
they are decisions, not failures; a written answer not marked yet (``unmarked``) shows ``◌``.

Every message and note may hold a learner's text (an exception's message, a cell's label):
in Markdown (the feedback files) it is escaped by :func:`.safetext.markdown`, so it cannot
start a line, a heading, a list or a tag, or fake a total; in plain text it is cleaned by
:func:`.safetext.clean` (one line, no control characters).
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

from ..safetext import NOTE_CHARS, RESULT_CHARS, clean, markdown as markdown_text

PASS, FAIL, NOTE, PARTLY, PENDING = "✓", "✗", "•", "◐", "◌"
#: row statuses that record a person's decision or a rule, not a test
DECISIONS = frozenset({"marked", "override", "late penalty"})


def score(results: Iterable[Mapping]) -> tuple[float, float]:
    """Points earned and points possible."""
    rows = list(results)
    return sum(r["points"] for r in rows), sum(r["max_points"] for r in rows)


def by_exercise(results: Iterable[Mapping]) -> dict[str, list[Mapping]]:
    """Results grouped by exercise, in the order the tests ran."""
    groups: dict[str, list[Mapping]] = {}
    for row in results:
        groups.setdefault(row["exercise"], []).append(row)
    return groups


def row_mark(row: Mapping) -> str:
    """✓ passed, ◐ some of its points (a prediction scored by accuracy), • waiting for a value
    test (a raise-only check, :mod:`.scoring`), ✗ otherwise."""
    status = row.get("status")
    return {"passed": PASS, "partial": PARTLY, "gated": NOTE}.get(status, FAIL)


def _number(value: float) -> str:
    return f"{value:g}"


def _decision(row: Mapping, text: Callable[[object], str] = clean) -> str:
    """One line for a row that is not a test (``text`` writes its message: escaped or cleaned)."""
    if row["status"] == "marked":
        comment = f": {text(row['message'])}" if row.get("message") else ""
        return f"marked by hand, {_number(row['points'])}/{_number(row['max_points'])} points{comment}"
    if row["status"] == "override":
        return text(row.get("message")) if row.get("message") else \
            f"points set by the instructor ({_number(row['points']):s} points)"
    return f"{text(row.get('message') or row['status'])} ({_number(row['points'])} points)"


def format_results(results: Sequence[Mapping], notes: Sequence[str] = (), *,
                   heading: str = "", markdown: bool = False, total: bool = True) -> str:
    """A short report: one line per test, the hint under each failure, then the score.

    Messages, notes and test names are written through :func:`.safetext.markdown` when
    ``markdown``, else :func:`.safetext.clean`; the hints are the tests' own text.
    """
    bullet = "- " if markdown else "  "
    text: Callable[..., str] = markdown_text if markdown else clean
    lines = [f"## {heading}" if markdown else heading] if heading else []
    groups = by_exercise(results)
    messages = {row["message"] for row in results}
    statuses = {row["status"] for row in results}
    if len(results) > 1 and len(messages) == 1 and statuses <= {"unreadable", "missing", "refused"}:
        # one reason for everything (a notebook that is missing or unreadable): say it once
        lines.append(f"{FAIL} {text(messages.pop() or results[0]['status'], RESULT_CHARS)}")
        lines.append(bullet + ", ".join(f"{name} 0/{_number(score(rows)[1])}" for name, rows in groups.items()))
        groups = {}
    for name, rows in groups.items():
        earned, possible = score(rows)
        if all(row["status"] == "unmarked" for row in rows):  # a written answer a person has not marked yet
            lines.append(f"{'### ' if markdown else ''}{PENDING} {f'`{name}`' if markdown else name}: not marked yet "
                         f"({_number(possible)} points)")
            continue
        decided = all(row["status"] in DECISIONS for row in rows)
        mark = NOTE if decided else PASS if earned == possible else FAIL
        title = f"`{name}`" if markdown else name
        amount = f"{_number(earned)} points" if decided and not possible else \
            f"{_number(earned)}/{_number(possible)} points"
        lines.append(f"{'### ' if markdown else ''}{mark} {title}: {amount}")
        for row in rows:
            if row["status"] in DECISIONS:
                lines.append(f"{bullet}{NOTE} {_decision(row, text)}")
                continue
            if row.get("hidden"):
                lines.append(f"{bullet}{row_mark(row)} hidden test: {text(row['test'])} "
                             f"({_number(row['points'])}/{_number(row['max_points'])} points)")
                continue
            if row["status"] == "passed":
                lines.append(f"{bullet}{PASS} {text(row['test'])}")
                continue
            if row["status"] in ("partial", "gated"):  # part of the points, or waiting: not a failure
                amount = f" ({_number(row['points'])}/{_number(row['max_points'])} points)" \
                    if row["status"] == "partial" else ""
                lines.append(f"{bullet}{row_mark(row)} {text(row['test'])}: "
                             f"{text(row['message'], RESULT_CHARS)}{amount}")
                if row["status"] == "partial" and row.get("hint"):
                    lines.append(f"{'  ' if markdown else '    '}hint: {row['hint']}")
                continue
            lines.append(f"{bullet}{FAIL} {text(row['test'])}: {text(row['message'] or row['status'], RESULT_CHARS)}")
            if row.get("hint"):
                lines.append(f"{'  ' if markdown else '    '}hint: {row['hint']}")
    if notes:
        lines.append("#### Notes on your notebook" if markdown else "Notes on your notebook:")
        lines += [f"{bullet}{text(note, NOTE_CHARS)}" for note in dict.fromkeys(notes)]
    if total and results:
        earned, possible = score(results)
        percent = 100.0 * earned / possible if possible else 0.0
        lines.append(f"{'**' if markdown else ''}Score: {_number(earned)}/{_number(possible)} points "
                     f"({percent:.0f}%){'**' if markdown else ''}")
    return "\n".join(lines)
