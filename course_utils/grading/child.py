"""The child process that runs a learner's tagged cells and answers the grader's calls.

It is started (forked where the OS allows) by :class:`~.proxy.Student`. Before running any
learner code it caps its own memory (``resource.RLIMIT_AS``), sends its output to
``os.devnull`` (printing a million lines floods nothing), moves into its own process group
(so the grader can kill everything it starts) and makes the reference versions named in
``blocked`` unusable from learner code. Then it runs the cells, reporting each one,
and serves calls: ``("call", name, args, kwargs)`` -> ``("ok", value)`` or an error tuple.
Every message is plain data; the parent unpickles with a restricted unpickler.
"""

from __future__ import annotations

import builtins
import contextlib
import linecache
import os
import sys
import traceback
from typing import Any, Iterator

from .blocking import block, preload_names  # noqa: F401  (preload_names: proxy, grade)
from .errors import BadReturn
from .plaindata import dumps, loads, to_plain

#: filenames of learner code start with this, so tracebacks and the blocking guard know it
LEARNER_FILE_PREFIX = "<learner "
ENV_CHILD = "COURSE_GRADING_CHILD"
MAX_REPLY_BYTES = 256 * 2**20  # the most a learner's function may send back
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


def _apply_memory_limit(extra_mb: float | None) -> None:
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
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def _learner_location(tb: Any) -> str:
    where = ""
    for frame, lineno in traceback.walk_tb(tb):
        filename = frame.f_code.co_filename
        if filename.startswith(LEARNER_FILE_PREFIX):
            where = f"line {lineno} of {frame.f_code.co_name}" if frame.f_code.co_name != "<module>" \
                else f"line {lineno} of {filename[len(LEARNER_FILE_PREFIX):-1]}"
    return where


def _describe(exc: BaseException) -> tuple[str, str, str]:
    message = str(exc)
    if len(message) > 500:
        message = message[:500] + " ..."
    return type(exc).__name__, message, _learner_location(exc.__traceback__)


def _run_cell(label: str, source: str, namespace: dict) -> str | None:
    filename = f"{LEARNER_FILE_PREFIX}{label}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        code = compile(source, filename, "exec")
    except (SyntaxError, ValueError) as exc:
        line = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        return f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}{line}"
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


def child_main(conn: Any, cells: list[tuple[str, str]], skip: list[int], blocked: list[str],
               memory_mb: float | None, workdir: str) -> None:
    """Entry point of the child process (see the module docstring for the protocol)."""
    _die_with_parent()
    os.chdir(workdir)  # files the learner's code writes stay out of the course and the gradebook
    if hasattr(os, "setpgid"):
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
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
    block(blocked)
    _apply_memory_limit(memory_mb)

    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
    for index, (label, source) in enumerate(cells):
        if index in skip:
            continue
        send(dumps(("start", index)))
        send(dumps(("done", index, _run_cell(label, source, namespace))))
    functions = sorted(name for name, value in namespace.items()
                       if callable(value) and not isinstance(value, type) and not name.startswith("_"))
    send(dumps(("ready", functions)))

    while True:
        try:
            request = loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if request[0] != "call":
            continue
        _, name, args, kwargs = request
        function = namespace.get(name)
        if not callable(function):
            reply = ("missing", name)
        else:
            try:
                value = function(*args, **kwargs)
                reply = ("ok", to_plain(value, what=f"your function {name} returned"))
            except NotImplementedError as exc:
                reply = ("notimplemented", str(exc))
            except BadReturn as exc:
                reply = ("badreturn", str(exc))
            except BaseException as exc:
                reply = ("error", *_describe(exc))
        try:
            payload = dumps(reply)
        except BaseException as exc:
            payload = dumps(("badreturn", f"{name} returned data that cannot be sent back ({exc})"))
        if len(payload) > MAX_REPLY_BYTES:
            payload = dumps(("badreturn", f"{name} returned {len(payload) / 2**20:.0f} MiB of data; "
                                          f"the limit is {MAX_REPLY_BYTES / 2**20:.0f} MiB"))
        send(payload)
