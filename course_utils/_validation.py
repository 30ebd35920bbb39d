"""One place that checks the numbers handed to the course's public functions.

Every science module (``powerlaw``, ``chinchilla``, ``compute``, ``trends``,
``data_limits``) validates its inputs with these helpers, so that the same mistake gets
the same answer everywhere:

* a boolean or a string where a number belongs is refused, never converted
  (``True`` is not 1 parameter and ``"1e9"`` is not a token count);
* every message starts with the argument's name and says what was expected and what
  arrived: ``"N must be positive; got -1.0"``, ``"N must be a number, not str ('1e9')"``.

All helpers raise :class:`ValueError` and return plain floats, ints or float arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "real_array", "finite_array", "positive_array", "non_negative_array", "positive_number",
    "non_negative_number", "finite_number", "positive_int", "fraction", "level",
]

_NOT_NUMBERS = (bool, np.bool_, str, bytes)


def _kind(value: Any) -> str:
    return type(value).__name__


def real_array(name: str, values: ArrayLike) -> np.ndarray:
    """``values`` as a float array of real numbers (NaN and inf allowed), or ValueError.

    Refused, not converted: booleans, strings, bytes, complex numbers, ``None`` and other
    objects, alone or inside a list. Empty input is refused too.
    """
    if isinstance(values, _NOT_NUMBERS):
        raise ValueError(f"{name} must be a number, not {_kind(values)} ({values!r})")
    if isinstance(values, np.ndarray) and values.dtype.kind in "iuf":
        array = values
    else:
        items = np.asarray(values, dtype=object)
        for item in items.flat:
            if isinstance(item, _NOT_NUMBERS) or not isinstance(item, (int, float, np.integer, np.floating)):
                raise ValueError(f"{name} must be a number or an array of numbers, not one holding "
                                 f"{_kind(item)} ({item!r})")
        array = items
    array = np.asarray(array, dtype=float)
    if array.size == 0:
        raise ValueError(f"{name} must not be empty")
    return array


def finite_array(name: str, values: ArrayLike) -> np.ndarray:
    """Real numbers with no NaN or infinity, as a float array."""
    array = real_array(name, values)
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{name} must be finite; got {array[bad].flat[0]}")
    return array


def positive_array(name: str, values: ArrayLike) -> np.ndarray:
    """Finite numbers strictly above zero (sizes, token counts, FLOP, losses), as a float array.

    The fits take logarithms of these, so zero and negative values are refused.
    """
    array = finite_array(name, values)
    if (array <= 0).any():
        raise ValueError(f"{name} must be positive; got {array[array <= 0].flat[0]}")
    return array


def non_negative_array(name: str, values: ArrayLike) -> np.ndarray:
    """Finite numbers at or above zero (e.g. tokens served at inference), as a float array."""
    array = finite_array(name, values)
    if (array < 0).any():
        raise ValueError(f"{name} must be >= 0; got {array[array < 0].flat[0]}")
    return array


def _scalar(name: str, array: np.ndarray) -> float:
    if array.ndim != 0:
        raise ValueError(f"{name} must be a single number; got an array of shape {array.shape}")
    return float(array)


def positive_number(name: str, value: float) -> float:
    """One finite number above zero, as a float."""
    return _scalar(name, positive_array(name, value))


def non_negative_number(name: str, value: float) -> float:
    """One finite number at or above zero, as a float."""
    return _scalar(name, non_negative_array(name, value))


def finite_number(name: str, value: float) -> float:
    """One finite real number (e.g. a decimal year), as a float."""
    return _scalar(name, finite_array(name, value))


def positive_int(name: str, value: int, minimum: int = 1) -> int:
    """A whole number of at least ``minimum`` (a count: layers, GPUs, resamples, points).

    Accepts Python and NumPy integers only: ``2.0`` and ``True`` are refused.
    """
    if isinstance(value, _NOT_NUMBERS) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, not {_kind(value)} ({value!r})")
    if value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}; got {value!r}")
    return int(value)


def fraction(name: str, value: float) -> float:
    """A number in (0, 1], such as a utilisation (a fraction of peak throughput)."""
    number = finite_number(name, value)
    if not 0.0 < number <= 1.0:
        raise ValueError(f"{name} must be in (0, 1]; got {value!r}")
    return number


def level(name: str, value: float) -> float:
    """A confidence level strictly between 0 and 1 (0.9 for a 90% interval)."""
    number = finite_number(name, value)
    if not 0.0 < number < 1.0:
        raise ValueError(f"{name} must be between 0 and 1; got {value!r}")
    return number
