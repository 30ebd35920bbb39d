"""Assignments, week by week: which notebooks a run grades, how a regrade replaces results,
and the ``grades.csv`` table with a column per notebook.

* :func:`select_notebooks` checks ``--notebook STEM`` options against the notebooks that
  have tests;
* :func:`merge_results` keeps everything a run did not regrade: with ``--student`` and/or
  ``--notebook`` only those (student, notebook) results are replaced;
* :func:`gradebook_table` builds ``grades.csv``: per student, a column per exercise, a column
  per notebook (its total, right after its exercises), then ``total``, ``possible`` and
  ``percent``. A notebook counts for a student only when they have results for it, so a
  notebook not yet assigned never counts as missing; a question still to mark in a notebook
  whose marking has begun is a blank cell, and its points count in ``possible``; every cell
  is written spreadsheet-safe.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from .csvio import csv_text


def select_notebooks(available: Sequence[str], chosen: Sequence[str] | None) -> list[str]:
    """The notebooks to grade: ``chosen`` (in ``available`` order) or all of ``available``.

    Raises
    ------
    ValueError
        A chosen notebook without tests (or rubric), naming those that have them.
    """
    if not chosen:
        return list(available)
    unknown = [stem for stem in dict.fromkeys(chosen) if stem not in available]
    if unknown:
        raise ValueError(f"notebook: no tests or rubric for {', '.join(unknown)} "
                         f"(notebooks that can be graded: {', '.join(available)})")
    return [stem for stem in available if stem in set(chosen)]


def merge_results(previous: Iterable[Mapping], fresh: Iterable[Mapping], *, students: Iterable[str] | None = None,
                  notebooks: Iterable[str] | None = None) -> list[dict]:
    """``previous`` results with those in the regraded scope replaced by ``fresh``.

    The scope is every (student, notebook) with the student in ``students`` (all when None)
    and the notebook in ``notebooks`` (all when None). Rows outside it are kept in their
    order; fresh rows follow.
    """
    students = set(students) if students is not None else None
    notebooks = set(notebooks) if notebooks is not None else None

    def regraded(row: Mapping) -> bool:
        return (students is None or row["student"] in students) and (notebooks is None or row["notebook"] in notebooks)

    return [dict(row) for row in previous if not regraded(row)] + [dict(row) for row in fresh]


def gradebook_table(rows: Sequence[Mapping], order: Mapping[str, Sequence[str]] | None = None
                    ) -> tuple[list[str], list[list]]:
    """``(header, table)`` for ``grades.csv`` (see the module docstring); students sorted.

    ``order`` gives, per notebook, the order of its exercise columns (the syllabus, a
    rubric's questions); exercises it does not name follow in the order first seen, and
    notebooks are in the order first seen.
    """
    known = {notebook: list(names) for notebook, names in (order or {}).items()}
    notebooks: dict[str, list[str]] = {}
    for row in rows:
        notebooks.setdefault(row["notebook"], [])
        if row["exercise"] not in notebooks[row["notebook"]]:
            notebooks[row["notebook"]].append(row["exercise"])
    columns: dict[str, list[str]] = {}
    for notebook, seen in notebooks.items():
        ranked = [name for name in known.get(notebook, []) if name in seen]
        columns[notebook] = ranked + [name for name in seen if name not in ranked]
    names = [name for exercises in columns.values() for name in exercises]
    clashes = {name for name in names if names.count(name) > 1} | set(columns)
    header = ["student"]
    for notebook, exercises in columns.items():
        header += [f"{notebook}:{name}" if name in clashes else name for name in exercises] + [notebook]
    header += ["total", "possible", "percent"]
    earned: dict[tuple[str, str, str], float] = {}
    possible: dict[tuple[str, str], float] = {}
    for row in rows:
        key = (row["student"], row["notebook"], row["exercise"])
        if row.get("status") != "unmarked":  # a question still to mark: a blank cell, its points in possible
            earned[key] = earned.get(key, 0.0) + float(row["points"])
        possible[row["student"], row["notebook"]] = possible.get((row["student"], row["notebook"]), 0.0) + float(
            row["max_points"])
    table = []
    for student in sorted({row["student"] for row in rows}):
        line: list = [student]
        total = 0.0
        for notebook, exercises in columns.items():
            assigned = (student, notebook) in possible
            points = [earned.get((student, notebook, name)) for name in exercises]
            line += [p if assigned else None for p in points]
            notebook_total = sum(p for p in points if p is not None)
            line.append(notebook_total if assigned else None)
            total += notebook_total
        out_of = sum(possible.get((student, notebook), 0.0) for notebook in columns)
        line += [total, out_of, round(100.0 * total / out_of, 1) if out_of else 0.0]
        table.append(line)
    return header, table


def gradebook_csv(rows: Sequence[Mapping], order: Mapping[str, Sequence[str]] | None = None) -> str:
    """:func:`gradebook_table` as spreadsheet-safe CSV text."""
    header, table = gradebook_table(rows, order)
    return csv_text(header, table)
