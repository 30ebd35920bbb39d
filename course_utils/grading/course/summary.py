"""The class at a glance: pass rates per test, points per exercise and notebook, a histogram.

All functions take the gradebook's result rows (``results.jsonl`` plus merged rubric,
override and late rows). A student counts for a notebook when they have rows for it, so a
notebook that was not assigned this week never drags an average down.

* per test: how many students it ran for and how many passed (rows with status
  ``marked``, ``override``, ``late penalty`` or ``unmarked`` are not tests and are left out
  here);
* per exercise and per notebook: the mean, the standard deviation (population,
  ``numpy.std`` with ``ddof=0``: the class is the whole population, not a sample), minimum,
  maximum and possible points, over the students graded, every kind of row included but
  questions not marked yet;
* :func:`histogram_png` draws the distribution of students' totals with matplotlib's Agg
  backend (no display needed, no global pyplot state).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

from .csvio import csv_text

NOT_TESTS = frozenset({"marked", "override", "late penalty", "unmarked"})
SUMMARY_COLUMNS = ("level", "notebook", "exercise", "test", "students", "passed", "pass_rate",
                   "mean", "sd", "min", "max", "max_points")


@dataclass(frozen=True)
class PassCounts:
    notebook: str
    exercise: str
    test: str
    students: int
    passed: int

    @property
    def pass_rate(self) -> float:
        return self.passed / self.students if self.students else 0.0


@dataclass(frozen=True)
class PointStats:
    """Points of one exercise or notebook (``exercise`` empty) over the students graded."""

    notebook: str
    exercise: str
    students: int
    mean: float
    sd: float
    minimum: float
    maximum: float
    max_points: float


def pass_counts(rows: Iterable[Mapping]) -> list[PassCounts]:
    """Per test, in first-seen order: students it ran for, students who passed."""
    counts: dict[tuple[str, str, str], list[int]] = {}
    for row in rows:
        if row.get("status") in NOT_TESTS:
            continue
        key = (row["notebook"], row["exercise"], row["test"])
        ran_passed = counts.setdefault(key, [0, 0])
        ran_passed[0] += 1
        ran_passed[1] += row.get("status") == "passed"
    return [PassCounts(*key, ran, passed) for key, (ran, passed) in counts.items()]


def _point_stats(per_student: Mapping[tuple[str, ...], dict[str, list[float]]]) -> list[PointStats]:
    stats = []
    for key, students in per_student.items():
        earned = np.array([values[0] for values in students.values()])
        possible = max(values[1] for values in students.values())
        stats.append(PointStats(key[0], key[1] if len(key) > 1 else "", len(earned), float(earned.mean()),
                                float(earned.std(ddof=0)), float(earned.min()), float(earned.max()), possible))
    return stats


def point_stats(rows: Iterable[Mapping]) -> tuple[list[PointStats], list[PointStats]]:
    """``(per exercise, per notebook)`` point statistics, in first-seen order."""
    exercises: dict[tuple[str, ...], dict[str, list[float]]] = {}
    notebooks: dict[tuple[str, ...], dict[str, list[float]]] = {}
    for row in rows:
        if row.get("status") == "unmarked":  # not marked yet: the statistics are of what is decided
            continue
        for table, key in ((exercises, (row["notebook"], row["exercise"])), (notebooks, (row["notebook"],))):
            values = table.setdefault(key, {}).setdefault(row["student"], [0.0, 0.0])
            values[0] += float(row["points"])
            values[1] += float(row["max_points"])
    # an exercise that only carries overrides or penalties (max 0) is not an exercise of its own
    return ([s for s in _point_stats(exercises) if s.max_points > 0], _point_stats(notebooks))


def student_totals(rows: Iterable[Mapping]) -> dict[str, tuple[float, float]]:
    """``{student: (earned, possible)}`` over every row."""
    totals: dict[str, tuple[float, float]] = {}
    for row in rows:
        earned, possible = totals.get(row["student"], (0.0, 0.0))
        totals[row["student"]] = (earned + float(row["points"]), possible + float(row["max_points"]))
    return totals


def summary_csv(rows: Sequence[Mapping]) -> str:
    """One table with a ``level`` column: ``test`` rows (pass counts and rates), then
    ``exercise`` and ``notebook`` rows (mean, sd, min, max, possible)."""
    table = []
    for t in pass_counts(rows):
        table.append(["test", t.notebook, t.exercise, t.test, t.students, t.passed, round(t.pass_rate, 4),
                      None, None, None, None, None])
    by_exercise, by_notebook = point_stats(rows)
    for level, stats in (("exercise", by_exercise), ("notebook", by_notebook)):
        for s in stats:
            table.append([level, s.notebook, s.exercise, "", s.students, None, None, s.mean, s.sd, s.minimum,
                          s.maximum, s.max_points])
    return csv_text(SUMMARY_COLUMNS, table)


def histogram_png_bytes(rows: Sequence[Mapping], *, title: str = "", bins: int | None = None) -> bytes:
    """A histogram of students' totals (percent of their possible points) as PNG bytes.

    Uses ``matplotlib.figure.Figure`` with the Agg canvas directly: nothing is shown, no
    backend is switched, nothing global changes. ``bins`` defaults to 10 bins of 10 %.

    Raises
    ------
    ValueError
        No rows (nothing to draw).
    """
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    totals = student_totals(rows)
    if not totals:
        raise ValueError("no results to draw a histogram of")
    percent = [100.0 * earned / possible if possible else 0.0 for earned, possible in totals.values()]
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    edges = np.linspace(0, 100, (bins or 10) + 1)
    ax.hist(np.clip(percent, 0, 100), bins=edges, color="#4c72b0", edgecolor="white")
    ax.set(xlabel="total (% of possible points)", ylabel="students", xlim=(0, 100),
           title=title or f"Totals of {len(totals)} student{'s' if len(totals) != 1 else ''}")
    ax.yaxis.get_major_locator().set_params(integer=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def histogram_png(rows: Sequence[Mapping], path: str | os.PathLike, *, title: str = "",
                  bins: int | None = None) -> Path:
    """Write :func:`histogram_png_bytes` to ``path`` (see there); returns the path."""
    data = histogram_png_bytes(rows, title=title, bins=bins)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
