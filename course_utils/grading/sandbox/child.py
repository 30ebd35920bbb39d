"""The child process that runs a learner's tagged cells and answers the grader's calls.

:func:`serve` is the learner's side of the protocol (:mod:`.protocol`): it sends its output
to ``os.devnull`` (printing a million lines floods nothing), says hello, receives the
cells, makes the reference versions named in ``blocked`` unusable from learner code, runs
the cells, reporting each one, and serves calls: ``("call", id, name, args, kwargs)`` ->
``("ok", id, value)`` or an error reply. Every message is plain data
(:mod:`.plaindata`). Learner code runs in this process and can write to its channel too:
nothing here is trusted by the grader, which checks every message it reads.

Two ways in: :func:`serve_sandboxed`, in a sandbox forked from the grader's template
(:mod:`.template`, :mod:`.isolation`), and :func:`child_main`, a plain child of the grading
process (``check``, and systems without the template), which caps its own memory with a
hard ``RLIMIT_AS`` and moves into its own process group first.
"""

from __future__ import annotations

import builtins
import contextlib
import linecache
import os
import sys
import traceback
from typing import Any, Iterator

from ..errors import BadReturn
from .blocking import block
from .plaindata import WireError, dumps, loads, to_plain
from .protocol import MAX_FUNCTIONS, MAX_MESSAGE_BYTES, NAME_CHARS, VERSION, Channel

#: filenames of learner code start with this, so tracebacks and the blocking guard know it
LEARNER_FILE_PREFIX = "<learner "
ENV_CHILD = "COURSE_GRADING_CHILD"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def single_thread_env() -> None:
    """One BLAS/OpenMP thread per process (many graders share few cores)."""
    os.environ.update(dict.fromkeys(THREAD_VARS, "1"))


@contextlib.contextmanager
def environment(**variables: str) -> Iterator[None]:
    """Set environment variables for the duration of a ``with`` block, then restore them."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def memory_limit_note() -> str | None:
    """Why no memory limit can be applied here, or None when it can."""
    try:
        import resource  # noqa: F401
    except ImportError:
        return "this operating system has no 'resource' module: memory is not limited (time is)"
    return None


def apply_memory_limit(extra_mb: float | None) -> None:
    """A hard limit on this process's address space: what it has now plus ``extra_mb``."""
    if not extra_mb:
        return
    try:
        import resource
    except ImportError:
        return
    current = 0
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    current = int(line.split()[1]) * 1024
    except OSError:
        pass
    limit = current + int(extra_mb * 2**20)
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # hard: learner code cannot raise it
    except (ValueError, OSError):
        pass


def _learner_location(tb: Any) -> str:
    """``line 12 of the cell defining fit_power_law``: the innermost line of learner code
    (a cell's label names it by what it defines; the line number is the cell's)."""
    where = ""
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if filename.startswith(LEARNER_FILE_PREFIX):
            where = f"line {lineno} of {filename[len(LEARNER_FILE_PREFIX):-1]}"
    return where


def _learner_function(tb: Any) -> str:
    """The name of the innermost learner function in a traceback ("" if none; never a
    ``<lambda>`` or ``<module>``: the protocol carries Python names only)."""
    name = ""
    for frame, _lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename.startswith(LEARNER_FILE_PREFIX) and frame.f_code.co_name.isidentifier():
            name = frame.f_code.co_name
    return name


def _text(exc: BaseException) -> str:
    """``str(exc)`` as text any file can hold: at most 500 characters, lone surrogates
    escaped, and never an exception of its own."""
    try:
        message = str(exc)
    except BaseException:  # a learner's __str__ that raises
        message = f"<{type(exc).__name__} that cannot be printed>"
    if not isinstance(message, str):  # pragma: no cover - str() always returns str
        message = repr(message)
    message = message[:500] + (" ..." if len(message) > 500 else "")
    return printable(message)


def printable(text: str) -> str:
    """``text`` with lone surrogates (unencodable in UTF-8) written as ``\\udXXX`` escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _describe(exc: BaseException) -> tuple[str, str, str]:
    return printable(type(exc).__name__), _text(exc), printable(_learner_location(exc.__traceback__))


def _run_cell(label: str, source: str, namespace: dict) -> str | None:
    filename = f"{LEARNER_FILE_PREFIX}{label}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        code = compile(source, filename, "exec")
    except (SyntaxError, ValueError) as exc:
        line = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        return printable(f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}{line}")
    try:
        exec(code, namespace)
    except BaseException as exc:  # SystemExit, KeyboardInterrupt and MemoryError included
        type_name, message, where = _describe(exc)
        return f"{type_name}: {message}" + (f" ({where})" if where else "")
    return None


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this process when its parent dies (even by SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        parent = os.getppid()
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the call
            os._exit(1)
    except (OSError, AttributeError):
        pass


def child_main(sock: Any, memory_mb: float | None, workdir: str) -> None:
    """Entry point of a plain (unsandboxed) child process: see the module docstring."""
    _die_with_parent()
    os.chdir(workdir)  # files the learner's code writes stay out of the course and the gradebook
    if hasattr(os, "setpgid"):
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
    serve(Channel(sock), memory_mb)


def serve_sandboxed(sock: Any, info: dict[str, Any]) -> None:
    """Entry point in a sandbox (:func:`.isolation.run_outer`), which has already reported what
    isolates it on its lifeline: :func:`serve` the grader."""
    serve(Channel(sock), None)


def _functions(namespace: dict) -> list[str]:
    """The functions a notebook defines, as the protocol allows them: Python names only."""
    names = sorted(name for name, value in namespace.items()
                   if type(name) is str and name.isidentifier() and len(name) <= NAME_CHARS
                   and not name.startswith("_") and callable(value) and not isinstance(value, type))
    return names[:MAX_FUNCTIONS]


def serve(conn: Any, memory_mb: float | None) -> None:
    """Say hello, receive the cells, run them and answer calls until the grader hangs up."""
    single_thread_env()
    os.environ[ENV_CHILD] = "1"
    try:  # learner output goes nowhere, whether printed from Python or from C
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    except OSError:
        pass
    sys.stdout = sys.stderr = open(os.devnull, "w")
    send = conn.send_bytes
    send(dumps(("hello", VERSION)))
    try:
        message = loads(conn.recv_bytes())
    except (EOFError, OSError, WireError):
        return
    if not (type(message) is tuple and len(message) == 4 and message[0] == "cells"):
        return
    _, cells, skip, blocked = message
    block(blocked)
    apply_memory_limit(memory_mb)

    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    for index, (label, source) in enumerate(cells):
        if index in skip:
            continue
        send(dumps(("start", index)))
        send(dumps(("done", index, _run_cell(label, source, namespace))))
    send(dumps(("ready", _functions(namespace))))

    while True:
        try:
            request = loads(conn.recv_bytes())
        except (EOFError, OSError, WireError):
            return
        if not (type(request) is tuple and len(request) == 5 and request[0] == "call"):
            continue
        _, call_id, name, args, kwargs = request
        function = namespace.get(name)
        if not callable(function):
            reply: tuple = ("missing", call_id, name)
        else:
            try:
                value = function(*args, **kwargs)
                reply = ("ok", call_id, to_plain(value, what=f"your function {name} returned"))
            except NotImplementedError as exc:  # and which function is the stub (it may be another one)
                reply = ("notimplemented", call_id, _text(exc), _learner_function(exc.__traceback__))
            except BadReturn as exc:
                reply = ("badreturn", call_id, _text(exc))
            except BaseException as exc:
                reply = ("error", call_id, *_describe(exc))
        try:
            payload = dumps(reply)
        except BaseException as exc:
            payload = dumps(("badreturn", call_id, f"{name} returned data that cannot be sent back ({_text(exc)})"))
        if len(payload) > MAX_MESSAGE_BYTES:
            payload = dumps(("badreturn", call_id, f"{name} returned {len(payload) / 2**20:.0f} MiB of data; "
                                                   f"the limit is {MAX_MESSAGE_BYTES / 2**20:.0f} MiB"))
        try:
            send(payload)
        except (OSError, ValueError):
            return
