"""The messages between the grader and a learner's process, and the checks on every one.

The learner's process can reach its own end of the channel (it can walk its stack to the
code that serves the grader) and write anything there. So the grader treats the channel as
a trust boundary: it reads every message with a deadline, refuses a frame longer than
:data:`MAX_MESSAGE_BYTES` before reading it, decodes it with :func:`.plaindata.loads`
(plain data only, sizes checked before anything is allocated), and checks it here against
the kinds that may come in the state it is in: exact field types, indices in range, text
cleaned and capped (:mod:`.safetext`), names that are identifiers, counted items. Anything
else raises :class:`Violation`; the proxy then stops that process and the learner's tests
fail as their own crash, never the grader's.

A :class:`Channel` carries each message as a length (8 bytes, big-endian) and that many
bytes of plain data. The conversation, one learner process per notebook::

    =========================================  ===========================================
    learner -> grader                          grader -> learner
    =========================================  ===========================================
    ("hello", VERSION), before any learner
    code has run
                                               ("cells", [(label, source)], skip,
                                               blocked)
    per cell run: ("start", index), then
    ("done", index, error or None)
    ("ready", [function names])
                                               ("call", id, name, args, kwargs)
    one reply per call, carrying its id:
    ("ok", id, value), ("error", id,
    type, message, where),
    ("notimplemented", id, message, stub),
    ("badreturn", id, message),
    ("missing", id, name)
    =========================================  ===========================================

What the sandbox enforces (the isolation record) never travels on this channel: the
sandbox reports it on its lifeline (:mod:`.template`), which learner code cannot reach.

A batch of calls in one round trip is one more request kind, ``("calls", [(id, name,
args, kwargs), ...])``, answered by one reply per id, each checked by :func:`reply`
against its own id.
"""

from __future__ import annotations

import select
import socket
import struct
import time
from dataclasses import dataclass
from typing import Any

from ..safetext import LABEL_CHARS, MESSAGE_CHARS, clean

VERSION = 1
#: the longest message either side sends (a larger reply becomes a "bad return" in the
#: learner's process; a larger frame from it is refused unread)
MAX_MESSAGE_BYTES = 64 * 2**20
#: the most function names a notebook's process may report, and the longest name
MAX_FUNCTIONS, NAME_CHARS = 10_000, 200
_HEADER = struct.Struct("!Q")


class Violation(Exception):
    """The learner's side sent something that is not the next message of the protocol."""


class Stalled(TimeoutError):
    """The other side did not send (or take) a whole message before the deadline."""


class TooLarge(OSError):
    """A frame longer than the reader allows (refused before it is read)."""


# ------------------------------------------------------------------ framing


class Channel:
    """Length-prefixed messages over a stream socket, each read and written with an optional
    deadline (seconds from now): a frame that stops half-way is :class:`Stalled`."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def fileno(self) -> int:
        return self._sock.fileno()

    def poll(self, timeout: float = 0.0) -> bool:
        """Whether a message (or the end of the connection) is waiting to be read."""
        ready, _, _ = select.select([self._sock], [], [], max(0.0, timeout))
        return bool(ready)

    def send_bytes(self, data: bytes, timeout: float | None = None) -> None:
        """Send one message; :class:`Stalled` when the other side takes it too slowly."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for part in (_HEADER.pack(len(data)), data):
            self._with_deadline(deadline, lambda: self._sock.sendall(part))

    def recv_bytes(self, maxlength: int | None = None, timeout: float | None = None) -> bytearray:
        """One message. :class:`TooLarge` (before reading it) when it is longer than
        ``maxlength``, :class:`Stalled` when it does not arrive whole within ``timeout``,
        ``EOFError`` when the other side is gone."""
        deadline = None if timeout is None else time.monotonic() + timeout
        (size,) = _HEADER.unpack(self._exactly(_HEADER.size, deadline))
        if maxlength is not None and size > maxlength:
            raise TooLarge(f"a message of {size:,} bytes (at most {maxlength:,})")
        return self._exactly(size, deadline)

    def _exactly(self, size: int, deadline: float | None) -> bytearray:
        buffer = bytearray(size)  # size is checked by the caller: allocated once, filled in place
        view, got = memoryview(buffer), 0
        while got < size:
            count = self._with_deadline(deadline, lambda: self._sock.recv_into(view[got:], min(size - got, 1 << 20)))
            if not count:
                raise EOFError("the other side closed the connection")
            got += count
        return buffer

    def _with_deadline(self, deadline: float | None, operation: Any) -> Any:
        if deadline is None:
            return operation()
        left = deadline - time.monotonic()
        if left <= 0:
            raise Stalled("the deadline passed in the middle of a message")
        self._sock.settimeout(left)
        try:
            return operation()
        except socket.timeout:
            raise Stalled("the deadline passed in the middle of a message") from None
        finally:
            self._sock.settimeout(None)

    def close(self) -> None:
        self._sock.close()


# ------------------------------------------------------------------ what may come


@dataclass(frozen=True)
class CellEvent:
    """A message while the cells run: ``kind`` is "start", "done" or "ready"."""

    kind: str
    index: int = -1
    error: str | None = None  # "done": what the cell raised, cleaned and capped
    functions: tuple[str, ...] = ()  # "ready": the functions the notebook defines


@dataclass(frozen=True)
class Reply:
    """The answer to one call; text fields cleaned and capped."""

    kind: str  # "ok", "error", "notimplemented", "badreturn" or "missing"
    value: Any = None
    type_name: str = ""
    message: str = ""
    where: str = ""
    stub: str = ""


def _fields(message: Any, shapes: dict[str, int], state: str) -> tuple:
    """``message`` as a tuple of a kind allowed now and exactly its number of fields."""
    if type(message) is not tuple or not message or type(message[0]) is not str:
        raise Violation(f"{_kind(message)} instead of a message {state}")
    kind = message[0]
    if kind not in shapes:
        raise Violation(f"a message of kind {clean(kind, 40)!r} {state}")
    if len(message) != shapes[kind]:
        raise Violation(f"a message {kind!r} of {len(message)} fields (expected {shapes[kind]})")
    return message


def _kind(value: Any) -> str:
    """``an int``, ``a list``, ``None``: what a value is, in words."""
    if value is None:
        return "None"
    name = type(value).__name__
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


def _integer(value: Any, what: str) -> int:
    if type(value) is not int:
        raise Violation(f"{what} that is {_kind(value)}, not an int")
    return value


def _text(value: Any, what: str, limit: int) -> str:
    if type(value) is not str:
        raise Violation(f"{what} that is {_kind(value)}, not text")
    return clean(value, limit)


def _name(value: Any, what: str) -> str:
    if type(value) is not str or not value.isidentifier() or len(value) > NAME_CHARS:
        shown = repr(clean(value, 40)) if type(value) is str else _kind(value)
        raise Violation(f"{what}, {shown}, that is not a Python name")
    return value


def hello(message: Any) -> None:
    """The first message of a learner's process, sent before any learner code ran."""
    _, version = _fields(message, {"hello": 2}, "before the cells")
    if type(version) is not int or version != VERSION:
        raise Violation(f"protocol version {clean(version, 20)} (this grader speaks {VERSION})")


def cell_event(message: Any, cells: int, skip: set[int], current: int | None, last: int) -> CellEvent:
    """A message while the cells run. ``current`` is the cell running (None between
    cells), ``last`` the index of the last cell started (-1 before the first)."""
    state = "while the cells run"
    kind = _fields(message, {"start": 2, "done": 3, "ready": 2}, state)[0]
    if kind == "start":
        index = _integer(message[1], "a cell index")
        if current is not None or not last < index < cells or index in skip:
            raise Violation(f"cell {index} started out of turn")
        return CellEvent("start", index)
    if kind == "done":
        index = _integer(message[1], "a cell index")
        if index != current:
            raise Violation(f"cell {index} ended, but cell {current} was running")
        error = None if message[2] is None else _text(message[2], "a cell's error", MESSAGE_CHARS)
        return CellEvent("done", index, error=error)
    if current is not None:
        raise Violation(f"ready while cell {current} was running")
    names = message[1]
    if type(names) is not list:
        raise Violation(f"a list of functions that is {_kind(names)}")
    if len(names) > MAX_FUNCTIONS:
        raise Violation(f"a list of {len(names):,} functions (at most {MAX_FUNCTIONS:,})")
    return CellEvent("ready", functions=tuple(_name(name, "a function name") for name in names))


def reply(message: Any, call_id: int) -> Reply:
    """The reply to call ``call_id``."""
    shapes = {"ok": 3, "error": 5, "notimplemented": 4, "badreturn": 3, "missing": 3}
    kind = _fields(message, shapes, "in reply to a call")[0]
    if _integer(message[1], "a call id") != call_id:
        raise Violation(f"a reply to call {message[1]} while call {call_id} was waiting")
    if kind == "ok":
        return Reply("ok", value=message[2])
    if kind == "error":
        return Reply("error", type_name=_text(message[2], "an exception's name", LABEL_CHARS) or "Exception",
                     message=_text(message[3], "an exception's message", MESSAGE_CHARS),
                     where=_text(message[4], "a place in the code", LABEL_CHARS))
    if kind == "notimplemented":
        stub = message[3]
        return Reply("notimplemented", message=_text(message[2], "a message", MESSAGE_CHARS),
                     stub="" if stub == "" else _name(stub, "a stub's name"))
    if kind == "badreturn":
        return Reply("badreturn", message=_text(message[2], "a message", MESSAGE_CHARS))
    return Reply("missing", message=_name(message[2], "a missing function's name"))
