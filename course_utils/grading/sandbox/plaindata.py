"""Plain data across the process boundary: conversion, and the wire format of its values.

The grader and the learner's code talk only in numbers, strings, bytes, ``None``, lists,
tuples, dicts and NumPy arrays of numbers, booleans or strings. :func:`to_plain` converts
a value (NumPy scalars become Python numbers, namedtuples plain tuples) or raises
:class:`~.errors.BadReturn`. :func:`dumps` writes plain data as bytes and :func:`loads`
reads them back; both directions use them (the grader's calls to the learner's process,
and its replies). Nothing but plain data can come out of :func:`loads`: it builds no
object of any other type, so an object whose ``__eq__`` always answers True can never reach
an assertion, and it never runs code named by the data (there is no pickle here).

The format (version 1), one value after a version byte ``0x01``; integers in the format are
unsigned big-endian, ``u32`` of 4 bytes, ``u64`` of 8:

============================================  ====================================================================
``N`` / ``T`` / ``F``                         None, True, False
``i`` + 8 bytes                               an int from -2**63 to 2**63 - 1 (signed, big-endian)
``I`` + u32 + bytes                           a larger int (signed, big-endian; at most :data:`MAX_INT_BYTES`)
``f`` + 8 bytes                               a float (IEEE 754 binary64, big-endian)
``c`` + 16 bytes                              a complex (real, then imaginary)
``s`` + u32 + bytes                           a str (UTF-8; lone surrogates kept)
``b`` + u32 + bytes                           bytes
``l`` / ``t`` + u32                           a list / tuple of that many values
``d`` + u32                                   a dict of that many key, value pairs (keys: hashable values)
``a`` + u8 + dtype + u8 + u64 × ndim + bytes  a NumPy array: its dtype as ``numpy.dtype.str`` (``<f8``,
                                              ``|b1``, ``<U5``; kinds ``biufcUS`` only), the number of dimensions,
                                              each dimension, then its C-ordered bytes
============================================  ====================================================================

:func:`loads` trusts nothing in the data. Before it allocates anything it checks that the
bytes it was given can hold what a header promises: a list of a billion items, or an array
of 402,653,184 float64 values, behind 200 bytes is refused at once (:class:`WireError`),
never allocated. It also refuses more than :data:`MAX_ITEMS` values in all, nesting deeper
than :data:`MAX_DEPTH`, an unhashable dict key, an unknown dtype or tag, text that is not
UTF-8, and bytes left over. :mod:`.protocol` builds the grader's messages from these values.
"""

from __future__ import annotations

import re
import struct
from typing import Any

from ..errors import BadReturn

VERSION = 1
#: the most values (scalars and containers together) one message may hold
MAX_ITEMS = 2**20
#: the deepest nesting of lists, tuples and dicts in a value (the message's own tuple aside)
MAX_DEPTH = 32
#: the largest int, in bytes of two's complement (about 9,860 decimal digits)
MAX_INT_BYTES = 4096
_ARRAY_KINDS = "biufcUS"  # bool, ints, floats, complex, strings (never object arrays)
_MAX_NDIM = 32
_DTYPE = re.compile(r"[<>|=][biufc][0-9]{1,2}|[<>|=][US][0-9]{1,9}")

_U32, _U64, _I64, _F64, _C128 = (struct.Struct(f) for f in ("!I", "!Q", "!q", "!d", "!dd"))
_INT64 = range(-2**63, 2**63)


class WireError(ValueError):
    """Bytes that are not plain data in this format (the reason is one sentence)."""


# ------------------------------------------------------------------ conversion


def to_plain(value: Any, *, what: str = "your function returned") -> Any:
    """Return ``value`` as plain data, or raise :class:`BadReturn` naming the bad type."""
    return _plain(value, what, 0)


def _plain(value: Any, what: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise BadReturn(f"{what} data nested more than {MAX_DEPTH} levels deep")
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


# ------------------------------------------------------------------ writing


def dumps(value: Any) -> bytes:
    """Plain data as bytes (call :func:`to_plain` first for values from learner code).

    Raises
    ------
    BadReturn
        When ``value`` holds something that is not plain data, an int larger than
        :data:`MAX_INT_BYTES`, or nests deeper than :data:`MAX_DEPTH`.
    """
    parts: list[bytes | memoryview] = [bytes([VERSION])]
    _write(value, parts, 0)
    return b"".join(parts)


def _write(value: Any, out: list, depth: int) -> None:
    kind = type(value)
    if value is None:
        out.append(b"N")
    elif kind is bool:
        out.append(b"T" if value else b"F")
    elif kind is int:
        if value in _INT64:
            out.append(b"i" + _I64.pack(value))
        else:
            size = (value.bit_length() + 8) // 8  # room for the sign bit
            if size > MAX_INT_BYTES:
                raise BadReturn(f"an integer of {value.bit_length():,} bits is too large to send "
                                f"(at most {MAX_INT_BYTES * 8:,})")
            out += [b"I", _U32.pack(size), value.to_bytes(size, "big", signed=True)]
    elif kind is float:
        out.append(b"f" + _F64.pack(value))
    elif kind is complex:
        out.append(b"c" + _C128.pack(value.real, value.imag))
    elif kind is str:
        data = value.encode("utf-8", "surrogatepass")
        out += [b"s", _U32.pack(len(data)), data]
    elif kind is bytes:
        out += [b"b", _U32.pack(len(value)), value]
    elif kind in (list, tuple, dict):
        if depth > MAX_DEPTH + 1:  # the message's own tuple is one more level
            raise BadReturn(f"data nested more than {MAX_DEPTH} levels deep")
        out += [{list: b"l", tuple: b"t", dict: b"d"}[kind], _U32.pack(len(value))]
        if kind is dict:
            for key, item in value.items():
                _write(key, out, depth + 1)
                _write(item, out, depth + 1)
        else:
            for item in value:
                _write(item, out, depth + 1)
    else:
        _write_array(value, out)


def _write_array(value: Any, out: list) -> None:
    np = _numpy()
    if np is None or type(value) is not np.ndarray or value.dtype.kind not in _ARRAY_KINDS:
        raise BadReturn(f"a {type(value).__name__} is not plain data")
    array = value if value.flags.c_contiguous else value.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)
    dtype = array.dtype.str.encode("ascii")
    out += [b"a", bytes([len(dtype)]), dtype, bytes([array.ndim]), *(_U64.pack(n) for n in array.shape)]
    out.append(memoryview(array.reshape(-1).view(np.uint8)) if array.size else b"")


# ------------------------------------------------------------------ reading


def loads(data: bytes | bytearray | memoryview, *, max_items: int = MAX_ITEMS) -> Any:
    """The plain data in ``data``; :class:`WireError` for anything else (see the module
    docstring). Never allocates more than ``data`` can hold."""
    view = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
    if len(view) < 2 or view[0] != VERSION:
        raise WireError("not a message of this grader (no version 1 header)")
    reader = _Reader(view, max_items)
    try:
        value = reader.value(0)
    except WireError:
        raise
    except (struct.error, ValueError, OverflowError, IndexError) as exc:  # UnicodeDecodeError, numpy's
        raise WireError(f"a malformed message ({type(exc).__name__})") from None
    except RecursionError:
        raise WireError("a message nested too deeply") from None
    if reader.at != len(view):
        raise WireError(f"{len(view) - reader.at:,} bytes follow the message")
    return value


class _Reader:
    """One pass over a message: ``at`` is the next byte to read."""

    def __init__(self, view: memoryview, max_items: int) -> None:
        self.view, self.at, self.items_left, self.max_items = view, 1, max_items, max_items

    def take(self, size: int, what: str) -> memoryview:
        if size > len(self.view) - self.at:
            raise WireError(f"{what} of {size:,} bytes was promised, {len(self.view) - self.at:,} were sent")
        chunk = self.view[self.at:self.at + size]
        self.at += size
        return chunk

    def count(self, what: str) -> int:
        (number,) = _U32.unpack(self.take(4, what))
        if number > len(self.view) - self.at:  # every value takes at least one byte
            raise WireError(f"{what} of {number:,} values was promised, {len(self.view) - self.at:,} bytes "
                            f"were sent")
        if number >= self.items_left:
            raise WireError(f"more than {self.max_items:,} values in one message")
        return number

    def value(self, depth: int) -> Any:
        self.items_left -= 1
        if self.items_left < 0:
            raise WireError(f"more than {self.max_items:,} values in one message")
        tag = bytes(self.take(1, "a value"))
        if tag == b"N":
            return None
        if tag in (b"T", b"F"):
            return tag == b"T"
        if tag == b"i":
            return _I64.unpack(self.take(8, "an int"))[0]
        if tag == b"f":
            return _F64.unpack(self.take(8, "a float"))[0]
        if tag == b"c":
            return complex(*_C128.unpack(self.take(16, "a complex")))
        if tag in (b"s", b"b", b"I"):
            (size,) = _U32.unpack(self.take(4, "a length"))
            if tag == b"I" and size > MAX_INT_BYTES:
                raise WireError(f"an int of {size:,} bytes (at most {MAX_INT_BYTES:,})")
            chunk = self.take(size, {b"s": "a str", b"b": "bytes", b"I": "an int"}[tag])
            if tag == b"s":
                return str(chunk, "utf-8", "surrogatepass")
            return bytes(chunk) if tag == b"b" else int.from_bytes(chunk, "big", signed=True)
        if tag in (b"l", b"t", b"d"):
            if depth > MAX_DEPTH + 1:
                raise WireError(f"data nested more than {MAX_DEPTH} levels deep")
            if tag == b"d":
                return self.mapping(depth)
            items = [self.value(depth + 1) for _ in range(self.count("a list"))]
            return items if tag == b"l" else tuple(items)
        if tag == b"a":
            return self.array()
        raise WireError(f"an unknown value tag {tag!r}")

    def mapping(self, depth: int) -> dict:
        found = {}
        for _ in range(self.count("a dict")):
            key = self.value(depth + 1)
            try:
                hash(key)
            except TypeError:
                raise WireError(f"a dict key that is a {type(key).__name__}") from None
            found[key] = self.value(depth + 1)
        return found

    def array(self) -> Any:
        np = _numpy()
        (size,) = self.take(1, "a dtype")
        name = bytes(self.take(size, "a dtype")).decode("ascii", "replace")
        if not _DTYPE.fullmatch(name):
            raise WireError(f"an array of dtype {name[:20]!r} (only numbers, booleans and strings)")
        dtype = np.dtype(name)
        (ndim,) = self.take(1, "an array's dimensions")
        if ndim > _MAX_NDIM:
            raise WireError(f"an array of {ndim} dimensions (at most {_MAX_NDIM})")
        shape = tuple(_U64.unpack(self.take(8, "an array's shape"))[0] for _ in range(ndim))
        count = 1
        for n in shape:
            count *= n
        if max(shape, default=0) > 2**62:
            raise WireError(f"an array of shape {shape}")
        if dtype.itemsize == 0 or count * dtype.itemsize > len(self.view) - self.at:
            raise WireError(f"an array of shape {shape} and dtype {name} ({count * dtype.itemsize:,} bytes) was "
                            f"promised, {len(self.view) - self.at:,} bytes were sent")
        raw = self.take(count * dtype.itemsize, "an array")
        flat = np.frombuffer(raw, dtype=dtype, count=count) if count else np.empty(0, dtype)
        if dtype.kind == "b":  # only 0 and 1 are booleans; other bytes would compare oddly
            array = flat.view(np.uint8) != 0
        else:
            if dtype.kind == "U" and count and flat.view(f"{dtype.byteorder}u4").max() > 0x10FFFF:
                raise WireError("an array of str holding a code point past U+10FFFF")
            array = flat.copy()  # owned and writable; the message's buffer can go
        return array.reshape(shape)
