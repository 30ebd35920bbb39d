"""The ``student`` proxy: tests call the learner's functions through it.

``student.fit_power_law(x, y)`` sends plain data to a child process (see :mod:`.child`)
that ran only the notebook's tagged cells, waits at most the time limit, and returns plain
data or raises one of the :mod:`.errors`. The assertions stay in the test's process, where
nothing the learner's code patches can reach them.

The child is started lazily and restarted when it dies or is killed. A cell that runs past
the time limit or ends the process is skipped on restart (and named in :attr:`notes`), so
one bad cell costs only the exercises that need it. After a function has timed out once,
further calls to it fail at once: each exercise gets one time budget, not one per test.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

from .child import MAX_REPLY_BYTES, child_main, preload_names
from .errors import (BadReturn, ExerciseMissing, NotebookProblem, NotImplementedYet,
                     StudentCrashed, StudentTimeout, student_error)
from .extract import Extraction, load_submission
from .plaindata import dumps, loads, to_plain

DEFAULT_TIMEOUT = 10.0  # seconds per call
DEFAULT_MEMORY_MB = 2048  # address space the learner's code may add
SETUP_CELL_SECONDS = 30.0  # the course's own setup cells may load data or fit once
GRADER_SECONDS = 60.0  # the grader's own work in the child between cells (start-up, imports)


def process_context() -> multiprocessing.context.BaseContext:
    """Fork (fast: inherits loaded modules) where it is safe, spawn elsewhere."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class Student:
    """Proxy to the learner's functions in one notebook.

    Parameters
    ----------
    notebook
        Path of the learner's notebook.
    expected
        Exercise names the tests will call (to find untagged cells and name missing ones).
    blocked
        Dotted names of reference implementations the learner's code may not call.
    timeout
        Seconds allowed for each call (and for each cell while starting up).
    timeouts
        Per-exercise overrides of ``timeout``.
    memory_mb
        Address space (MiB) the learner's code may add (``resource.RLIMIT_AS``); None for
        no limit. Not enforced where the OS lacks ``resource`` (Windows).
    """

    def __init__(self, notebook: str | os.PathLike, *, expected: Iterable[str] = (),
                 blocked: Iterable[str] = (), timeout: float = DEFAULT_TIMEOUT,
                 timeouts: dict[str, float] | None = None,
                 memory_mb: float | None = DEFAULT_MEMORY_MB) -> None:
        limits = {"timeout": timeout, "memory_mb": 1 if memory_mb is None else memory_mb}
        limits.update({f"timeouts[{name!r}]": value for name, value in (timeouts or {}).items()})
        for label, value in limits.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{label} must be a positive number, got {value!r}")
        self._notebook = Path(notebook)
        self._blocked = list(blocked)
        self._timeout = float(timeout)
        self._timeouts = dict(timeouts or {})
        self._memory_mb = memory_mb
        self._proc: Any = None
        self._conn: Any = None
        self._defined: set[str] = set()
        self._skip: list[int] = []
        self._timed_out: set[str] = set()
        self._cell_errors: dict[int, str] = {}
        self._problem: str | None = None
        self._preloaded = False
        self._scratch: tempfile.TemporaryDirectory | None = None
        self.notes: list[str] = []
        try:
            self._extraction: Extraction = load_submission(self._notebook, expected)
        except NotebookProblem as exc:
            self._problem = str(exc)
            self._extraction = Extraction()
        self.notes.extend(self._extraction.notes)

    # ------------------------------------------------------------------ public

    def has(self, name: str) -> bool:
        """Whether the learner's notebook defines a function ``name`` (after running it)."""
        if self._problem:
            return False
        self._ensure_started()
        return name in self._defined

    def close(self) -> None:
        """Stop the child process and everything it started; remove its scratch folder."""
        self._stop()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def _stop(self) -> None:
        if self._proc is not None:
            _kill(self._proc)
            self._proc = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._call(name, args, kwargs)

        call.__name__ = name
        return call

    def __enter__(self) -> "Student":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    # ----------------------------------------------------------------- private

    def _limit(self, name: str) -> float:
        return self._timeouts.get(name, self._timeout)

    def _cell_timeout(self, index: int) -> float:
        """Seconds a cell may run: the longest call limit; setup cells (the course's) 30 s at least."""
        limit = max([self._timeout, *self._timeouts.values()])
        return max(limit, SETUP_CELL_SECONDS) if self._extraction.cells[index].kind == "setup" else limit

    def _start_child(self) -> None:
        if self._scratch is None:  # the learner's working folder: relative paths land here
            self._scratch = tempfile.TemporaryDirectory(prefix="course-grading-")
        ctx = process_context()
        if ctx.get_start_method() == "fork" and not self._preloaded:
            preload_names(self._blocked)  # imported once here, inherited by every child
            self._preloaded = True
        parent, child = ctx.Pipe(duplex=True)
        cells = [(cell.label, cell.source) for cell in self._extraction.cells]
        self._proc = ctx.Process(
            target=child_main, daemon=True,
            args=(child, cells, list(self._skip), self._blocked, self._memory_mb, self._scratch.name))
        self._proc.start()
        child.close()
        self._conn = parent

    def _ensure_started(self) -> None:
        if self._problem:
            raise NotebookProblem(f"your notebook could not be graded: {self._problem}")
        if self._proc is not None and self._proc.is_alive():
            return
        self._stop()
        cells = self._extraction.cells
        for _attempt in range(len(cells) + 2):
            self._start_child()
            current, deadline = None, time.monotonic() + GRADER_SECONDS
            while True:
                message = self._receive(deadline)
                if message is None or message == "dead":
                    stopped = f"ended the grading process ({_exit_reason(self._proc)})" if message else ""
                    self._stop()
                    if current is None:  # between cells: the grader's own work failed
                        self._problem = (f"the grader could not start your code: it "
                                         f"{stopped or f'did not answer within {GRADER_SECONDS:g} s'}")
                        raise StudentCrashed(self._problem)
                    reason = stopped or f"ran longer than {self._cell_timeout(current):g} s"
                    self._skip.append(current)
                    self._cell_errors[current] = f"its cell {reason} and was skipped"
                    self.notes.append(f"{cells[current].label}: {reason}; it was skipped")
                    break
                if message[0] == "start":
                    current = message[1]
                    deadline = time.monotonic() + self._cell_timeout(current)
                elif message[0] == "done":
                    _, index, error = message
                    if error and index not in self._cell_errors:
                        self._cell_errors[index] = error
                        self.notes.append(f"{cells[index].label} raised {error}")
                    current, deadline = None, time.monotonic() + GRADER_SECONDS
                elif message[0] == "ready":
                    self._defined = set(message[1])
                    return
        raise StudentCrashed("the grader could not start your code")  # pragma: no cover

    def _receive(self, deadline: float) -> Any:
        """The next message, None on timeout, "dead" when the child is gone or garbled."""
        try:
            if not self._conn.poll(max(0.0, deadline - time.monotonic())):
                return None
            return loads(self._conn.recv_bytes(MAX_REPLY_BYTES + 2**16))
        except (EOFError, OSError):
            return "dead"
        except Exception:  # a refused or garbled pickle: the child is not to be trusted
            return "dead"

    def _missing(self, name: str) -> ExerciseMissing:
        reasons = [note.removeprefix(f"{name}: ") for note in self.notes if note.startswith(f"{name}:")]
        for index, error in self._cell_errors.items():
            if name in self._extraction.cells[index].defines and not any(error in r for r in reasons):
                reasons.append(error if error.startswith("its cell") else f"its cell raised {error}")
        detail = "; ".join(reasons) or f"no cell tagged 'exercise' defines {name}"
        return ExerciseMissing(f"{name} was not found in your notebook: {detail}")

    def _call(self, name: str, args: tuple, kwargs: dict) -> Any:
        limit = self._limit(name)
        if name in self._timed_out:
            raise StudentTimeout(f"{name} already ran out of time ({limit:g} s) in an earlier test")
        self._ensure_started()
        if name not in self._defined:
            raise self._missing(name)
        request = dumps(("call", name, to_plain(tuple(args), what="the test passed"),
                         to_plain(dict(kwargs), what="the test passed")))
        try:
            self._conn.send_bytes(request)
        except (OSError, ValueError):
            self._stop()
            raise StudentCrashed(f"{name}: the process running your code had stopped")
        reply = self._receive(time.monotonic() + limit)
        if reply is None:
            self._stop()
            self._timed_out.add(name)
            raise StudentTimeout(f"{name} did not finish within {limit:g} s "
                                 f"(an endless loop, or much slower than needed?)")
        if reply == "dead":
            reason = _exit_reason(self._proc)
            self._stop()
            raise StudentCrashed(f"{name} ended the grading process ({reason})")
        kind = reply[0]
        if kind == "ok":
            return reply[1]
        if kind == "error":
            raise student_error(*reply[1:])
        if kind == "notimplemented":
            raise NotImplementedYet(f"{name} is not implemented yet")
        if kind == "badreturn":
            raise BadReturn(reply[1])
        raise self._missing(name)


def _exit_reason(proc: Any) -> str:
    if proc is None:
        return "it stopped"
    proc.join(timeout=1.0)
    code = proc.exitcode
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def _kill(proc: Any) -> None:
    """Kill the child and its process group (anything the learner's code started)."""
    if proc.pid is not None and hasattr(os, "killpg"):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
    if proc.is_alive():
        proc.kill()
    proc.join(timeout=5)
