"""Plain data across the process boundary: conversion and a restricted pickle.

The grader and the learner's code talk only in numbers, strings, ``None``, lists, tuples,
dicts and NumPy arrays. :func:`to_plain` converts a value (NumPy scalars become Python
numbers, namedtuples plain tuples) or raises :class:`~.errors.BadReturn`;
:func:`loads` refuses any pickle that would build another type, so an object whose
``__eq__`` always answers True can never reach an assertion.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

from .errors import BadReturn

#: the only globals a pickle from the other side may name (NumPy array reconstruction)
_ALLOWED_GLOBALS = {
    ("builtins", "complex"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}
_ARRAY_KINDS = "biufcUS"  # bool, ints, floats, complex, strings (never object arrays)
_MAX_DEPTH = 32


def to_plain(value: Any, *, what: str = "your function returned") -> Any:
    """Return ``value`` as plain data, or raise :class:`BadReturn` naming the bad type."""
    return _plain(value, what, 0)


def _plain(value: Any, what: str, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise BadReturn(f"{what} data nested more than {_MAX_DEPTH} levels deep")
    kind = type(value)
    if value is None or kind in (bool, int, float, complex, str, bytes):
        return value
    if kind in (list, tuple) or isinstance(value, tuple):
        items = [_plain(item, what, depth + 1) for item in value]
        return items if kind is list else tuple(items)
    if kind is dict:
        return {_plain(k, what, depth + 1): _plain(v, what, depth + 1) for k, v in value.items()}
    np = _numpy()
    if np is not None:
        if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
            return value.item()
        if isinstance(value, np.ndarray) and value.dtype.kind in _ARRAY_KINDS:
            return np.array(value, copy=True, subok=False)
    if isinstance(value, (bool, int, float, str)):  # subclasses such as IntEnum
        return type(value).__mro__[-2](value) if kind is not bool else bool(value)
    name = getattr(kind, "__qualname__", kind.__name__)
    if np is not None and isinstance(value, np.ndarray):
        name = f"numpy array of dtype {value.dtype}"
    raise BadReturn(f"{what} a {name}; expected numbers/arrays (or lists, tuples, dicts of them)")


def _numpy():
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is a dependency
        return None
    return numpy


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to unpickle {module}.{name}: not plain data")


def dumps(value: Any) -> bytes:
    """Pickle plain data (call :func:`to_plain` first for values from learner code)."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any:
    """Unpickle ``data``, refusing anything but plain data and NumPy arrays."""
    return _RestrictedUnpickler(io.BytesIO(data)).load()
