"""The ``student`` proxy: tests call the learner's functions through it.

``student.fit_power_law(x, y)`` sends plain data to a child process (see :mod:`.child`)
that ran only the notebook's tagged cells, waits at most the time limit, and returns plain
data or raises one of the :mod:`.errors`. The assertions stay in the test's process, where
nothing the learner's code patches can reach them.

Where the child comes from is the *launcher*'s business: :class:`LocalLauncher` forks it
from this process (``check``, and systems without the sandbox); ``grade`` passes the
sandbox's template (:class:`~.template.Template`), whose children are isolated.

The child is started lazily and restarted when it dies or is killed. A cell that runs past
its limit or ends the process is skipped on restart (and named in :attr:`notes`), so one
bad cell costs only the exercises that need it. All cells of a notebook share one start-up
budget (:attr:`~.config.GradingConfig.startup_seconds`, all starts together). After a
function has timed out once, further calls to it fail at once: each exercise gets one time
budget, not one per test.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Protocol

from .blocking import preload_names
from .child import MAX_REPLY_BYTES, child_main
from .config import GradingConfig
from .errors import (BadReturn, ExerciseMissing, GraderProblem, NotebookProblem, NotImplementedYet,
                     StudentCrashed, StudentTimeout, student_error)
from .extract import Extraction, load_submission
from .plaindata import dumps, loads, to_plain
from .sandbox import Limits

DEFAULT_TIMEOUT = GradingConfig.timeout  # seconds per call
DEFAULT_MEMORY_MB = GradingConfig.memory_mb  # address space the learner's code may add
GRADER_SECONDS = 60.0  # the grader's own work in the child between cells (start-up, imports)


def process_context() -> multiprocessing.context.BaseContext:
    """Fork (fast: inherits loaded modules) where it is safe, spawn elsewhere."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class Child(Protocol):
    """A started child: its connection, whether it lives, how it ended, and how to stop it."""

    conn: Any
    error: str | None

    def is_alive(self) -> bool: ...

    def exit_reason(self) -> str: ...

    def stop(self) -> None: ...


class Launcher(Protocol):
    def start(self, cells: list[tuple[str, str]], skip: list[int], blocked: list[str], limits: Limits) -> Child: ...


class LocalChild:
    """A plain child process of this one, in its own process group and scratch folder."""

    error = None

    def __init__(self, cells: list[tuple[str, str]], skip: list[int], blocked: list[str], limits: Limits) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix="course-grading-")
        ctx = process_context()
        parent, child = ctx.Pipe(duplex=True)
        self._proc = ctx.Process(target=child_main, daemon=True,
                                 args=(child, cells, skip, blocked, limits.memory_mb, self._scratch.name))
        self._proc.start()
        child.close()
        self.conn = parent

    def is_alive(self) -> bool:
        return self._proc.is_alive()

    def exit_reason(self) -> str:
        self._proc.join(timeout=1.0)
        code = self._proc.exitcode
        if code is None:
            return "it stopped answering"
        if code < 0:
            try:
                return f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit code {code}"

    def stop(self) -> None:
        """Kill the child and its process group (anything the learner's code started)."""
        if self._proc.pid is not None and hasattr(os, "killpg"):
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError, OSError):
                pass
        if self._proc.is_alive():
            self._proc.kill()
        self._proc.join(timeout=5)
        self.conn.close()
        from .sandbox import remove_tree

        remove_tree(self._scratch.name)
        self._scratch.cleanup()


class LocalLauncher:
    """Children forked from this process (no sandbox; ``check`` and systems without one)."""

    def __init__(self) -> None:
        self._preloaded: set[str] = set()

    def start(self, cells: list[tuple[str, str]], skip: list[int], blocked: list[str], limits: Limits) -> LocalChild:
        if process_context().get_start_method() == "fork" and not set(blocked) <= self._preloaded:
            preload_names(blocked)  # imported once here, inherited by every child
            self._preloaded |= set(blocked)
        return LocalChild(cells, skip, blocked, limits)


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
        Seconds allowed for each call, and for each exercise cell while starting up
        (default: ``config.timeout``).
    timeouts
        Per-exercise overrides of ``timeout``.
    memory_mb
        Address space (MiB) the learner's code may add (a hard ``resource.RLIMIT_AS``); None
        for no limit. Not enforced where the OS lacks ``resource`` (Windows). Default:
        ``config.memory_mb``.
    config
        The other limits (start-up budget, size caps, sandbox limits): a
        :class:`~.config.GradingConfig`.
    launcher
        Where children come from: a :class:`LocalLauncher` (default) or the sandbox's
        :class:`~.template.Template`.
    """

    def __init__(self, notebook: str | os.PathLike, *, expected: Iterable[str] = (),
                 blocked: Iterable[str] = (), timeout: float | None = None,
                 timeouts: dict[str, float] | None = None, memory_mb: float | None = DEFAULT_MEMORY_MB,
                 config: GradingConfig | None = None, launcher: Launcher | None = None) -> None:
        config = config or GradingConfig()
        timeout = config.timeout if timeout is None else timeout
        limits = {"timeout": timeout, "memory_mb": 1 if memory_mb is None else memory_mb}
        limits.update({f"timeouts[{name!r}]": value for name, value in (timeouts or {}).items()})
        for label, value in limits.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{label} must be a positive number, got {value!r}")
        self._notebook = Path(notebook)
        self._blocked = list(blocked)
        self._timeout = float(timeout)
        self._timeouts = dict(timeouts or {})
        self._config = config
        self._limits = Limits.from_config(config)
        if memory_mb != config.memory_mb:
            self._limits = Limits(**{**self._limits.__dict__, "memory_mb": memory_mb or 0})
        self._launcher: Launcher = launcher or LocalLauncher()
        self._child: Child | None = None
        self._defined: set[str] = set()
        self._skip: list[int] = []
        self._timed_out: set[str] = set()
        self._cell_errors: dict[int, str] = {}
        self._problem: NotebookProblem | StudentCrashed | StudentTimeout | GraderProblem | None = None
        self._startup_left = float(config.startup_seconds)
        self.isolation: list[str] = []  # what the sandbox says is in force (empty: no sandbox)
        self.notes: list[str] = []
        try:
            self._extraction: Extraction = load_submission(
                self._notebook, expected, max_bytes=config.max_notebook_mb * 2**20,
                max_code_bytes=config.max_code_kb * 2**10)
        except NotebookProblem as exc:
            self._problem = type(exc)(f"your notebook could not be graded: {exc}")
            self._extraction = Extraction()
            self.notes.append(str(exc))
        self.notes.extend(self._extraction.notes)

    # ------------------------------------------------------------------ public

    @property
    def uses(self) -> dict[str, tuple[str, ...]]:
        """Which other exercises each exercise's code calls (see :attr:`.extract.Extraction.uses`)."""
        return dict(self._extraction.uses)

    def has(self, name: str) -> bool:
        """Whether the learner's notebook defines a function ``name`` (after running it)."""
        if self._problem:
            return False
        self._ensure_started()
        return name in self._defined

    def close(self) -> None:
        """Stop the child process and everything it started; its scratch folder goes with it."""
        self._stop()

    def _stop(self) -> None:
        if self._child is not None:
            self._child.stop()
            self._child = None

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

    def _cell_limit(self, index: int) -> float:
        """Seconds a cell may run: what is left of the start-up budget, and for a learner's
        exercise cell also the longest call limit."""
        if self._extraction.cells[index].kind == "setup":
            return self._startup_left
        return min(self._startup_left, max([self._timeout, *self._timeouts.values()]))

    def _ensure_started(self) -> None:
        if self._problem:
            raise self._problem
        if self._child is not None and self._child.is_alive():
            return
        self._stop()
        cells = self._extraction.cells
        for _attempt in range(len(cells) + 2):
            self._child = self._launcher.start([(cell.label, cell.source) for cell in cells], list(self._skip),
                                               self._blocked, self._limits)
            current, started, deadline = None, 0.0, time.monotonic() + GRADER_SECONDS
            cell_limit, by_budget = 0.0, False
            while True:
                message = self._receive(deadline)
                now = time.monotonic()
                if message is None or message == "dead":
                    stopped = f"ended the grading process ({self._child.exit_reason()})" if message else ""
                    error = self._child.error
                    self._stop()
                    if error:
                        self._problem = GraderProblem(f"the sandbox for your code could not start ({error})")
                        raise self._problem
                    if current is None:  # between cells: the grader's own work failed
                        self._problem = StudentCrashed(
                            f"the grader could not start your code: it "
                            f"{stopped or f'did not answer within {GRADER_SECONDS:g} s'}")
                        raise self._problem
                    self._startup_left -= now - started
                    if not stopped and by_budget:
                        budget = self._config.startup_seconds
                        self.notes.append(f"{cells[current].label} was still running when the notebook's cells "
                                          f"had used their start-up budget ({budget:g} s in all); nothing more "
                                          f"of this notebook was run")
                        self._problem = StudentTimeout(
                            f"your notebook's cells took longer than {budget:g} s in all to run "
                            f"({cells[current].label} was running)")
                        raise self._problem
                    reason = stopped or f"ran longer than {cell_limit:g} s"
                    self._skip.append(current)
                    self._cell_errors[current] = f"its cell {reason} and was skipped"
                    self.notes.append(f"{cells[current].label}: {reason}; it was skipped")
                    break
                if message[0] == "sandbox":
                    self.isolation = list(message[1]) if isinstance(message[1], list) else []
                    self._child.conn.send_bytes(dumps(("cells", [(c.label, c.source) for c in cells],
                                                       list(self._skip), self._blocked)))
                elif message[0] == "start":
                    current, started = message[1], now
                    cell_limit = self._cell_limit(current)
                    by_budget = cell_limit >= self._startup_left
                    deadline = now + cell_limit
                elif message[0] == "done":
                    _, index, error = message
                    if current is not None:
                        self._startup_left -= now - started
                    if error and index not in self._cell_errors:
                        self._cell_errors[index] = error
                        self.notes.append(f"{cells[index].label} raised {error}")
                    current, deadline = None, now + GRADER_SECONDS
                elif message[0] == "ready":
                    self._defined = set(message[1])
                    return
        raise StudentCrashed("the grader could not start your code")  # pragma: no cover

    def _receive(self, deadline: float) -> Any:
        """The next message, None on timeout, "dead" when the child is gone or garbled."""
        conn = self._child.conn
        try:
            if not conn.poll(max(0.0, deadline - time.monotonic())):
                return None
            return loads(conn.recv_bytes(MAX_REPLY_BYTES + 2**16))
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
            self._child.conn.send_bytes(request)
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
            reason = self._child.exit_reason()
            self._stop()
            raise StudentCrashed(f"{name} ended the grading process ({reason})")
        kind = reply[0]
        if kind == "ok":
            return reply[1]
        if kind == "error":
            raise student_error(*reply[1:])
        if kind == "notimplemented":
            stub = reply[2] if len(reply) > 2 and isinstance(reply[2], str) else ""
            if stub and stub != name:
                raise NotImplementedYet(f"{name} calls {stub}, which is not implemented yet")
            raise NotImplementedYet(f"{name} is not implemented yet")
        if kind == "badreturn":
            raise BadReturn(reply[1])
        raise self._missing(name)
