"""Scoring rules applied to result rows after the tests ran.

A test that only checks that bad input raises (``pytest.raises(ValueError)``) is passed by
a function that raises ``ValueError`` for everything. Such a test is marked
``@exercise(..., requires_value=True)`` and :func:`apply_gates` lets it earn its points
only when a value test of the same exercise (a test without the mark, public or hidden)
passed for the same student and notebook.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

#: status of a passed test whose points wait for a passing value test of its exercise
GATED = "gated"
GATED_MESSAGE = ("this check counts once a test of this exercise's result passes "
                 "(raising an error for every input is not an answer)")


def _exercise_key(row: Mapping[str, Any]) -> tuple:
    return row.get("student"), row.get("notebook"), row.get("exercise")


def apply_gates(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with the gate applied: new dicts, in the same order; the input is not changed.

    Parameters
    ----------
    rows
        Result rows: dicts with at least ``exercise``, ``status``, ``points`` and
        ``max_points``; ``requires_value`` (bool, default False) marks a gated test;
        ``student`` and ``notebook``, when present, keep students and notebooks apart.

    Returns
    -------
    list of dict
        A passed ``requires_value`` row whose exercise has no passed row without the
        mark gets ``status`` :data:`GATED`, ``points`` 0 and a message saying why; every
        other row is copied unchanged.
    """
    rows = [dict(row) for row in rows]
    earned_value = {_exercise_key(row) for row in rows
                    if row.get("status") == "passed" and not row.get("requires_value", False)}
    for row in rows:
        if (row.get("requires_value", False) and row.get("status") == "passed"
                and _exercise_key(row) not in earned_value):
            row.update(status=GATED, points=0.0, message=GATED_MESSAGE)
    return rows
