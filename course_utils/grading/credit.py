"""Partial credit: tests that pay by how close a result is, and the prediction they record.

Most exercise tests pay all their points or none. A test of a *prediction* pays by accuracy:
full points while the error is within a tolerance, nothing from ``zero_at`` tolerances on, a
straight line between (:func:`accuracy_credit`). The test reports the fraction it earned with
:func:`award`:

* 1: the test passes (status ``passed``);
* 0: it fails with the test's sentence, like any wrong result;
* in between: it raises :class:`PartialCredit`, which the runner records as status
  ``partial`` with ``fraction × max_points`` points, rounded *down* to the hundredth
  (:func:`outcome`), so a partial score never reaches the test's maximum and no sum of
  rounded parts exceeds an exercise's.

A prediction test also records what was predicted, for the learner's feedback and the class
table (:func:`record_prediction`, through pytest's ``record_property``): the runner keeps it
on the result row as ``prediction`` (:func:`prediction_of`), and the write stage shows it
(:mod:`.predictions`). Tests run in the grader, never in the learner's process, so the record
holds the test's own numbers, never the learner's objects.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Mapping

from .compare import Mismatch
from .config import Status

#: the ``record_property`` name a prediction record travels under
PREDICTION_PROPERTY = "prediction"
#: the fields of a prediction record (see :func:`prediction_record`)
PREDICTION_FIELDS = ("quantity", "unit", "predicted", "heldout", "error", "tolerance", "zero_at", "credit",
                     "scale")


class PartialCredit(Mismatch):
    """A result that earns ``fraction`` (strictly between 0 and 1) of its test's points.

    It is a :class:`~.compare.Mismatch` (an ``AssertionError``), so everything that reads a
    failed test's sentence reads this one's; the runner then pays the fraction
    (:func:`outcome`).
    """

    def __init__(self, fraction: float, message: str, kind: str = "") -> None:
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"a partial credit is strictly between 0 and 1; got {fraction!r}")
        super().__init__(message, kind)
        self.fraction = float(fraction)


def accuracy_credit(error: float, tolerance: float, zero_at: float = 3.0) -> float:
    """The fraction of a test's points an error earns.

    ``credit = 1`` for ``|error| <= tolerance``, ``0`` for ``|error| >= zero_at·tolerance``, and
    ``(zero_at − |error|/tolerance) / (zero_at − 1)`` in between; a NaN or infinite error earns 0.

    Parameters
    ----------
    error : float
        How far the result is from the truth, in the tolerance's units (its sign is ignored).
    tolerance : float
        The error that still earns full points (positive).
    zero_at : float
        The multiple of the tolerance from which nothing is earned (greater than 1).
    """
    if not (tolerance > 0 and math.isfinite(tolerance)):
        raise ValueError(f"tolerance must be a positive number; got {tolerance!r}")
    if not (zero_at > 1 and math.isfinite(zero_at)):
        raise ValueError(f"zero_at must be a number above 1; got {zero_at!r}")
    multiple = abs(float(error)) / tolerance
    if not math.isfinite(multiple):
        return 0.0
    return float(min(1.0, max(0.0, (zero_at - multiple) / (zero_at - 1.0))))


def award(fraction: float, message: str, kind: str = "") -> None:
    """End a test with ``fraction`` of its points (see the module docstring).

    ``message`` is the learner's sentence for anything less than full points.
    """
    __tracebackhide__ = True
    fraction = float(fraction) if math.isfinite(fraction) else 0.0
    if fraction >= 1.0:
        return
    if fraction <= 0.0:
        raise Mismatch(message, kind)
    raise PartialCredit(fraction, message, kind)


def _hundredths(fraction: float, max_points: float) -> float:
    """``fraction × max_points`` rounded down to the hundredth (a tiny epsilon absorbs float error)."""
    return math.floor(fraction * max_points * 100.0 + 1e-9) / 100.0


def outcome(status: str, max_points: float, error: BaseException | None) -> tuple[str, float]:
    """``(status, points)`` of a test that ended with ``status`` and exception ``error``.

    A :class:`PartialCredit` is status ``partial`` with its share of ``max_points``, rounded
    down to the hundredth and below the maximum (a share that rounds to nothing is a plain
    failure); a pass pays ``max_points``; anything else 0.
    """
    if isinstance(error, PartialCredit):
        points = min(_hundredths(error.fraction, max_points), max_points - 0.01)
        if points > 0:
            return Status.PARTIAL.value, points
        return str(status), 0.0
    return str(status), float(max_points) if status == Status.PASSED else 0.0


def prediction_record(quantity: str, unit: str, predicted: float, heldout: float, tolerance: float,
                      zero_at: float, *, scale: str = "linear") -> dict[str, Any]:
    """What a prediction test records for the feedback and the class table.

    Parameters
    ----------
    quantity
        What was predicted, in words ("the loss at 6.25e12 FLOP").
    unit
        Its unit ("nats", "parameters").
    predicted, heldout
        The learner's prediction and the held-out value (only the value, never the runs).
    tolerance, zero_at
        The scoring band: full points within ``tolerance``, none from ``zero_at`` tolerances.
    scale
        ``"linear"``: error = predicted − heldout; ``"log"``: error = ln(predicted / heldout),
        and the tolerance is in the same natural-log units.
    """
    if scale not in ("linear", "log"):
        raise ValueError(f"scale must be 'linear' or 'log'; got {scale!r}")
    predicted, heldout = float(predicted), float(heldout)
    if scale == "log":
        error = math.log(predicted / heldout) if predicted > 0 and math.isfinite(predicted) else math.inf
    else:
        error = predicted - heldout if math.isfinite(predicted) else math.inf
    return {"quantity": quantity, "unit": unit, "predicted": predicted if math.isfinite(predicted) else None,
            "heldout": heldout, "error": error if math.isfinite(error) else None, "tolerance": float(tolerance),
            "zero_at": float(zero_at), "credit": accuracy_credit(error, tolerance, zero_at), "scale": scale}


def record_prediction(record_property: Callable[[str, Any], None], record: Mapping[str, Any]) -> None:
    """Attach a :func:`prediction_record` to the running test (its ``record_property`` fixture)."""
    record_property(PREDICTION_PROPERTY, dict(record))


def prediction_of(user_properties: Iterable[tuple[str, Any]]) -> dict[str, Any] | None:
    """The prediction record a test attached (the last one), or None; only known fields of plain types."""
    found = None
    for name, value in user_properties or ():
        if name == PREDICTION_PROPERTY and isinstance(value, Mapping):
            found = {key: value[key] for key in PREDICTION_FIELDS
                     if key in value and (value[key] is None or isinstance(value[key], (str, int, float)))}
    return found


__all__ = ["PartialCredit", "accuracy_credit", "award", "outcome", "prediction_record", "record_prediction",
           "prediction_of", "PREDICTION_FIELDS"]
