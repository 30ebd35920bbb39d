"""The one way exercise tests compare a learner's result with the expected value.

Every check here refuses what a vacuous comparison lets through: ``pytest.approx`` and
``numpy.testing.assert_allclose`` both accept an empty array, and a NaN slips past a
``<`` test. So a result must be a number or numeric array of exactly the expected shape,
non-empty and finite, before it is compared at all.

Failures are :class:`AssertionError` with one plain sentence for the learner: what is
wrong (an empty array, NaN, a string, shape ``(0,)`` where ``(3,)`` was expected) or how
far off the value is ("has the wrong sign", "is 4.6× too large", "is 32% too small", "is
close, but outside the tolerance"), never the expected value itself. The factor is given to
two significant figures: a 4.6× error is a different mistake from a 39× one, and rounding
both to a power of ten hid that. This reverses an earlier rule of coarse words only, on
purpose: the public tests may say how far, since their inputs are public anyway; hidden tests
show a learner their name and points only (:mod:`.report`), so they say nothing.

Each failure is a :class:`Mismatch` (an :class:`AssertionError`) whose ``kind`` names the
way the result missed (:data:`KINDS`: ``"wrong sign"``, ``"too large"``, ``"did not raise"``...),
so that a test can give a hint for that kind of mistake (``@exercise(..., hints={...})``).

Functions
---------
:func:`assert_close`
    a number, an array, or a tuple of them, within a tolerance of the expected value.
:func:`rejects`
    a ``with`` block in which the learner's function must raise (``pytest.raises`` with a
    sentence for the learner: "fit_power_law accepted a negative y; it should raise ValueError").
:func:`number`, :func:`numbers`, :func:`items`, :func:`array`, :func:`fields`
    a learner's result checked and converted, for tests that go on to compute with it
    (an inequality, a difference of two calls).
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

_NUMERIC_KINDS = "iuf"  # integers and floats; never bool, complex, strings or objects

#: the ways a result can miss, as the ``kind`` of a :class:`Mismatch` names them
KINDS = ("wrong sign", "too large", "too small", "close", "zero", "not zero", "wrong type", "wrong shape",
         "not finite", "did not raise", "raised another error")


class Mismatch(AssertionError):
    """A learner's result that is not the expected one: one sentence, and its ``kind``
    (one of :data:`KINDS`, or ``""`` when no finer kind applies)."""

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


def _kind_of(value: Any) -> str:
    """A learner-readable name for the type of ``value``."""
    if value is None:
        return "None (did the function forget to return its result?)"
    if isinstance(value, bool):
        return "True/False, not a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a dict"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if isinstance(value, np.ndarray):
        if value.size == 0:
            return f"an empty array (shape {value.shape})"
        return f"an array of shape {value.shape}"
    if isinstance(value, complex):
        return "a complex number"
    return f"a {type(value).__name__}"


def _fail(message: str, kind: str = "") -> None:
    __tracebackhide__ = True
    raise Mismatch(message, kind)


def _numeric_array(got: Any, what: str, noun: str = "numbers") -> np.ndarray:
    """``got`` as a float array, refusing strings, bools, objects, ragged lists and None."""
    __tracebackhide__ = True
    if got is None or isinstance(got, (bool, str, bytes, dict, complex)):
        _fail(f"{what} should be {noun}, but is {_kind_of(got)}", "wrong type")
    try:
        values = np.asarray(got)
    except (ValueError, TypeError):
        _fail(f"{what} should be {noun}, but is {_kind_of(got)} that is not a rectangular array", "wrong shape")
    if values.dtype.kind not in _NUMERIC_KINDS:
        kind = "True/False values" if values.dtype.kind == "b" else f"values of type {values.dtype}"
        _fail(f"{what} should be {noun}, but holds {kind}", "wrong type")
    return values.astype(float)


def _check_finite(values: np.ndarray, what: str) -> None:
    __tracebackhide__ = True
    bad = ~np.isfinite(values)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        which = "NaN (not a number)" if np.isnan(values[index]) else "infinite"
        where = f" (at index {index[0] if len(index) == 1 else index})" if values.ndim else ""
        _fail(f"{what} is {which}{where}" if values.ndim == 0 else f"{what} contains a value that is {which}{where}",
              "not finite")


def number(got: Any, what: str = "your result", *, positive: bool = False) -> float:
    """``got`` as a finite float: a Python or NumPy number, or a 0-d array.

    Raises AssertionError (learner-facing) for anything else: an array (even of one
    element), an empty array, None, a string, a bool, NaN or infinity; with ``positive``,
    also for a number that is not above zero (a size, a count of tokens).
    """
    __tracebackhide__ = True
    if isinstance(got, np.ndarray) and got.ndim > 0:
        _fail(f"{what} should be a single number, but is {_kind_of(got)}", "wrong shape")
    if isinstance(got, (list, tuple)):
        _fail(f"{what} should be a single number, but is {_kind_of(got)}", "wrong shape")
    values = _numeric_array(got, what, "a number")
    if values.ndim != 0:
        _fail(f"{what} should be a single number, but is {_kind_of(got)}", "wrong shape")
    _check_finite(values, what)
    if positive and not float(values) > 0:
        zero = float(values) == 0
        _fail(f"{what} should be positive, but is {'zero' if zero else 'negative'}", "zero" if zero else "wrong sign")
    return float(values)


def array(got: Any, what: str = "your result", *, shape: tuple[int, ...] | None = None,
          ndim: int | None = None) -> np.ndarray:
    """``got`` as a finite, non-empty float array (of ``shape`` or ``ndim`` when given)."""
    __tracebackhide__ = True
    values = _numeric_array(got, what)
    if shape is not None and values.shape != tuple(shape):
        _fail(f"{what} has shape {values.shape}, but should have shape {tuple(shape)}", "wrong shape")
    if ndim is not None and values.ndim != ndim:
        _fail(f"{what} should be a {ndim}-D array, but is {_kind_of(got)}", "wrong shape")
    if values.size == 0:
        _fail(f"{what} is an empty array", "wrong shape")
    _check_finite(values, what)
    return values


def items(got: Any, count: int, what: str = "your result") -> tuple:
    """The ``count`` items of a tuple or list result (as ``return a, b`` gives), unconverted."""
    __tracebackhide__ = True
    if not isinstance(got, (tuple, list)) or len(got) != count:
        _fail(f"{what} should be {count} values (a tuple), but is {_kind_of(got)}", "wrong shape")
    return tuple(got)


def numbers(got: Any, count: int, what: str = "your result", names: Sequence[str] | None = None, *,
            positive: bool = False) -> tuple[float, ...]:
    """``got`` as a tuple of ``count`` finite numbers (a tuple or list, as ``return a, b`` gives)."""
    __tracebackhide__ = True
    values = items(got, count, what)
    labels = list(names) if names is not None else [f"item {i + 1} of {what}" for i in range(count)]
    return tuple(number(value, label, positive=positive) for value, label in zip(values, labels))


def fields(got: Any, keys: Iterable[str], what: str = "your result") -> dict[str, float]:
    """``got`` as a dict of finite numbers with (at least) these ``keys``."""
    __tracebackhide__ = True
    keys = list(keys)
    if not isinstance(got, dict):
        _fail(f"{what} should be a dict with keys {', '.join(map(repr, keys))}, but is {_kind_of(got)}",
              "wrong type")
    missing = [key for key in keys if key not in got]
    if missing:
        _fail(f"{what} has no key {', '.join(map(repr, missing))}", "wrong type")
    return {key: number(got[key], f"{what}[{key!r}]") for key in keys}


# ------------------------------------------------------------------ how far off


def _tolerance(expected: np.ndarray, rtol: float | None, atol: float | None) -> np.ndarray:
    """pytest.approx's rule: the larger of ``rtol·|expected|`` and ``atol``."""
    return np.maximum((rtol or 0.0) * np.abs(expected), atol or 0.0)


def _two_figures(value: float) -> str:
    """``value`` to two significant figures, as a learner reads it: ``4.6``, ``39``, ``1,200``,
    ``0.41``; from 100,000 on in powers of ten, ``3.4×10^6``."""
    if value >= 1e5:
        mantissa, exponent = f"{value:.1e}".split("e")
        return f"{mantissa}×10^{int(exponent)}"
    rounded = float(f"{value:.2g}")
    decimals = max(0, 1 - math.floor(math.log10(rounded))) if rounded > 0 else 0
    return f"{rounded:,.{decimals}f}"


def miss(got: float, expected: float, tolerance: float) -> tuple[str, str]:
    """``(kind, phrase)``: how ``got`` misses ``expected`` by more than ``tolerance``.

    ``kind`` is one of :data:`KINDS`; ``phrase`` is :func:`how_far`'s sentence ending.
    """
    error = abs(got - expected)
    if expected == 0:
        if error > 10 * tolerance:
            return "not zero", "should be much closer to zero"
        return "close", "is close, but outside the tolerance"
    if got == 0:
        return "zero", "is zero, but should not be"
    if (got > 0) != (expected > 0):
        if abs(abs(got) - abs(expected)) <= tolerance:
            return "wrong sign", "has the wrong sign (its size is right)"
        return "wrong sign", "has the wrong sign"
    if error <= 10 * tolerance and error < 0.01 * abs(expected):  # a wide tolerance is not "close"
        return "close", "is close, but outside the tolerance"
    ratio = abs(got) / abs(expected)
    direction = "large" if ratio > 1 else "small"
    kind = f"too {direction}"
    factor = ratio if ratio > 1 else 1 / ratio
    if factor >= 1.5:
        times = _two_figures(factor)
        return kind, f"is {times}{' times' if '^' in times else '×'} too {direction}"
    return kind, f"is {_two_figures(100 * error / abs(expected))}% too {direction}"


def how_far(got: float, expected: float, tolerance: float) -> str:
    """A learner-facing phrase for how ``got`` misses ``expected`` (never its value).

    ``"has the wrong sign"``, ``"is 4.6× too large"``, ``"is 39× too small"``,
    ``"is 3.4×10^6 times too large"`` (a factor of 1.5 or more, to two significant figures),
    ``"is 32% too large"`` (less), ``"is close, but outside the tolerance"`` (within ten
    tolerances and 1%)...
    """
    return miss(got, expected, tolerance)[1]


def _compare_array(got: Any, expected: np.ndarray, rtol: float | None, atol: float | None, what: str) -> None:
    __tracebackhide__ = True
    if expected.ndim == 0:
        value = number(got, what)
        tolerance = float(_tolerance(expected, rtol, atol))
        if not abs(value - float(expected)) <= tolerance:
            kind, phrase = miss(value, float(expected), tolerance)
            _fail(f"{what} {phrase}", kind)
        return
    values = array(got, what, shape=expected.shape)
    tolerance = _tolerance(expected, rtol, atol)
    wrong = ~(np.abs(values - expected) <= tolerance)
    if wrong.any():
        where = [tuple(int(i) for i in position) for position in np.argwhere(wrong)]
        misses = [miss(float(values[i]), float(expected[i]), float(tolerance[i])) for i in where]
        index = where[0]
        label = index[0] if len(index) == 1 else index
        kind, phrase = misses[0]
        if expected.size == 1:
            _fail(f"{what} {phrase}", kind)
        count = len(misses)
        if count == expected.size and len(set(misses)) == 1:  # every value is off the same way
            verb, rest = phrase.split(" ", 1)
            plural = f"{ {'is': 'are', 'has': 'have'}.get(verb, verb)} {rest.replace('its size', 'their size')}"
            _fail(f"{what}: all {count} values {plural}", kind)
        kind = kind if len({k for k, _ in misses}) == 1 else ""
        _fail(f"{what}: {count} of {expected.size} values are off; the first, at index {label}, {phrase}", kind)


def assert_close(got: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None,
                 what: str = "your result", names: Sequence[str] | None = None) -> None:
    """Assert that ``got`` equals ``expected`` within ``max(rtol·|expected|, atol)``.

    Parameters
    ----------
    got
        The learner's result.
    expected
        A number (``got`` must be one number), an array or list (``got`` must have exactly
        its shape), or a tuple (``got`` must be a tuple or list of as many items, each
        compared in turn, as ``return a, b`` gives).
    rtol, atol
        Relative and absolute tolerance, as in ``pytest.approx``; give at least one
        (``rtol=0, atol=0`` for an exact match).
    what
        How the message names the result ("your result", "alpha", "the fitted E").
    names
        For a tuple: a name for each item ("A", "alpha").

    Raises
    ------
    AssertionError
        With one learner-facing sentence, when ``got`` is not a finite number or array of
        the expected shape, or is outside the tolerance.
    """
    __tracebackhide__ = True
    if rtol is None and atol is None:
        raise TypeError("assert_close needs a tolerance: rtol, atol or both (0 for an exact match)")
    if isinstance(expected, tuple):
        if names is not None and len(names) != len(expected):
            raise ValueError("names must name every item of expected")
        labels = list(names) if names is not None else [f"item {i + 1} of {what}" for i in range(len(expected))]
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            _fail(f"{what} should be {len(expected)} values (a tuple), but is {_kind_of(got)}", "wrong shape")
        for value, target, label in zip(got, expected, labels):
            assert_close(value, target, rtol=rtol, atol=atol, what=label)
        return
    target = np.asarray(expected, dtype=float)
    if target.size == 0 or not np.all(np.isfinite(target)):
        raise ValueError("expected must be finite and non-empty: a test that compares with nothing proves nothing")
    _compare_array(got, target, rtol, atol, what)


def assert_all(condition: Any, message: str) -> None:
    """Assert a learner-facing ``condition`` that must be a real True (not an empty array).

    ``assert np.all(x > 0)`` passes on an empty ``x``; this refuses anything but a plain
    ``True`` or a non-empty all-true boolean array.
    """
    __tracebackhide__ = True
    values = np.asarray(condition)
    if values.dtype.kind != "b" or values.size == 0 or not values.all():
        _fail(message)


@contextlib.contextmanager
def rejects(error: type[BaseException], function: str, bad_input: str) -> Iterator[None]:
    """A ``with`` block in which ``function`` must refuse ``bad_input`` by raising ``error``.

    Like ``pytest.raises(error)``, with learner-facing sentences when it does not:
    ``"fit_power_law accepted a negative y; it should raise ValueError"`` (kind
    ``"did not raise"``), or ``"fit_power_law raised TypeError (...) for a negative y; it
    should raise ValueError"`` (kind ``"raised another error"``). A stub, a time-out or a
    crash is left to the grader, which says so itself.

    Parameters
    ----------
    error
        The exception the docstring promises (``ValueError``).
    function
        The learner's function, by name.
    bad_input
        What is wrong with the input, as a phrase ("a negative y", "k above n").
    """
    __tracebackhide__ = True
    from .errors import StudentError

    try:
        yield
    except error:
        return
    except StudentError as exc:  # the learner's code raised something else
        detail = f" ({exc.learner_message[:120]})" if exc.learner_message else ""
        _fail(f"{function} raised {exc.type_name}{detail} for {bad_input}; it should raise {error.__name__}",
              "raised another error")
    _fail(f"{function} accepted {bad_input}; it should raise {error.__name__}", "did not raise")


__all__ = ["assert_close", "assert_all", "number", "numbers", "items", "array", "fields", "how_far", "miss",
           "rejects", "Mismatch", "KINDS"]
