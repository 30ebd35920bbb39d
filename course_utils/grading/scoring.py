"""Scoring rules applied to result rows after the tests ran.

A test that only checks that bad input raises (``pytest.raises(ValueError)``) is passed by
a function that raises ``ValueError`` for everything. Such a test is marked
``@exercise(..., requires_value=True)`` and :func:`apply_gates` lets it earn its points
only when a value test of the same exercise (a test without the mark, public or hidden)
passed, wholly or in part, for the same student and notebook. Until then the row says it
"counts once your function returns the right value", and nothing that blames the raising.

Hidden tests (``tests/hidden/``) are not shipped to learners, so the public test module of
a notebook states their worth as ``HIDDEN_POINTS``; :func:`hidden_points_note` turns it
into the line ``check_all()`` prints.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from .config import Status

#: status of a passed test whose points wait for a passing value test of its exercise
GATED = Status.GATED.value
#: what a gated row says: nothing about the raising itself, which may well be right
GATED_MESSAGE = "counts once your function returns the right value"
#: statuses of a value test that open the gate (a prediction scored in part counts)
VALUE_STATUSES = frozenset({Status.PASSED.value, Status.PARTIAL.value})


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
        A passed ``requires_value`` row whose exercise has no passed (or partly passed)
        row without the mark gets ``status`` :data:`GATED`, ``points`` 0, the message
        :data:`GATED_MESSAGE` and no hint (the raising was right; the value is what is
        missing); every other row is copied unchanged.
    """
    rows = [dict(row) for row in rows]
    earned_value = {_exercise_key(row) for row in rows
                    if row.get("status") in VALUE_STATUSES and not row.get("requires_value", False)}
    for row in rows:
        if (row.get("requires_value", False) and row.get("status") == "passed"
                and _exercise_key(row) not in earned_value):
            row.update(status=GATED, points=0.0, message=GATED_MESSAGE, hint="")
    return rows


def literal_constant(path: str | os.PathLike | None, name: str, default: Any = None) -> Any:
    """The literal value assigned to ``name`` at the top of a Python file, read without
    importing it (``default`` when the file, the name or a literal value is missing)."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8")) if path else None
    except (OSError, SyntaxError, ValueError):
        return default
    for node in tree.body if tree is not None else ():
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return default
    return default


def hidden_points_note(test_module: str | os.PathLike | None) -> str:
    """What ``check_all()`` says about the hidden tests of a notebook ("" when it has none)."""
    points = literal_constant(test_module, "HIDDEN_POINTS", 0)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
        return ""
    return (f"Hidden tests worth {points:g} more points run when your instructor grades: "
            f"the same behaviours, checked on inputs of your own.")
