"""The ``student`` proxy: tests call the learner's functions through it.

``student.fit_power_law(x, y)`` sends plain data to a child process (see :mod:`.child`)
that ran only the notebook's tagged cells, waits at most the time limit, and returns plain
data or raises one of the :mod:`.errors`. The assertions stay in the test's process, where
nothing the learner's code patches can reach them.

Where the child comes from is the *launcher*'s business: :class:`LocalLauncher` forks it
from this process (``check``, and systems without the sandbox); ``grade`` passes the
sandbox's template (:class:`~.template.Template`), whose children are isolated.

The child's channel is a trust boundary (:mod:`.protocol`): every read has a deadline, every
message is checked, and one that is not the next message of the protocol stops that child
and fails the call as the learner's crash.

The child is started lazily and restarted when it dies or is killed. A cell that runs past
its limit or ends the process is skipped on restart (and named in its ``notes``), so one
bad cell costs only the exercises that need it. All cells of a notebook share one start-up
budget (:attr:`~.config.GradingConfig.startup_seconds`, all starts together). After a
function has timed out once, further calls to it fail at once: each exercise gets one time
budget, not one per test.

The notebook as a whole has one time budget (:meth:`~.config.GradingConfig.notebook_deadline`:
the start-up budget plus each exercise's time limit), and the proxy charges it with every
second it waits for the learner's process: starts, cells and calls. A call that would run
past it is stopped there, and every later call fails at once, as "too slow"
(:class:`~.errors.StudentTooSlow`). So no notebook holds its grading worker longer than its
budget, whatever its code does.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, NoReturn, Protocol

from ..config import GradingConfig
from ..errors import (BadReturn, ExerciseMissing, GraderProblem, NotebookProblem, NotImplementedYet,
                      StudentCrashed, StudentProblem, StudentTimeout, StudentTooSlow, student_error)
from ..notebook.extract import Extraction, load_submission
from . import protocol
from .blocking import preload_names
from .child import child_main
from .isolation import Limits
from .plaindata import WireError, dumps, loads, to_plain
from .protocol import MAX_MESSAGE_BYTES, Channel, Stalled, TooLarge, Violation

DEFAULT_TIMEOUT = GradingConfig.timeout  # seconds per call
DEFAULT_MEMORY_MB = GradingConfig.memory_mb  # address space the learner's code may add
_FROM_CONFIG: Any = object()  # Student's memory_mb when not given: its config's
GRADER_SECONDS = 60.0  # the grader's own work in the child between cells (start-up, imports)


class _Silent(Exception):
    """No whole message before the deadline."""


class _Gone(Exception):
    """The child's end of the channel closed (it died, or was stopped)."""


def process_context() -> multiprocessing.context.BaseContext:
    """Fork (fast: inherits loaded modules) where it is safe, spawn elsewhere."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class Child(Protocol):
    """A started child: its channel, what isolates it, whether it lives, how it ended, and how
    to stop it."""

    conn: Channel
    error: str | None
    isolation: list[str]  # what its sandbox reported (not the learner's channel); [] for none

    def is_alive(self) -> bool: ...

    def exit_reason(self) -> str: ...

    def stop(self) -> None: ...


class Launcher(Protocol):
    def start(self, blocked: list[str], limits: Limits) -> Child: ...


class LocalChild:
    """A plain child process of this one, in its own process group and scratch folder."""

    error = None
    isolation: list[str] = []  # no sandbox

    def __init__(self, limits: Limits) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix="course-grading-")
        ctx = process_context()
        ours, theirs = socket.socketpair()
        self._proc = ctx.Process(target=child_main, daemon=True, args=(theirs, limits.memory_mb, self._scratch.name))
        self._proc.start()
        theirs.close()
        self.conn = Channel(ours)

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
        from .isolation import remove_tree

        remove_tree(self._scratch.name)
        self._scratch.cleanup()


class LocalLauncher:
    """Children forked from this process (no sandbox; ``check`` and systems without one)."""

    def __init__(self) -> None:
        self._preloaded: set[str] = set()

    def start(self, blocked: list[str], limits: Limits) -> LocalChild:
        if process_context().get_start_method() == "fork" and not set(blocked) <= self._preloaded:
            preload_names(blocked)  # imported once here, inherited by every child
            self._preloaded |= set(blocked)
        return LocalChild(limits)


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
                 timeouts: dict[str, float] | None = None, memory_mb: float | None = _FROM_CONFIG,
                 config: GradingConfig | None = None, launcher: Launcher | None = None) -> None:
        config = config or GradingConfig()
        if memory_mb is _FROM_CONFIG:  # not DEFAULT_MEMORY_MB: a config's own limit would be overridden
            memory_mb = config.memory_mb
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
        self._problem: StudentProblem | GraderProblem | None = None
        self._startup_left = float(config.startup_seconds)
        self._budget_left = float(config.startup_seconds)  # the notebook's time, charged as it is used
        self._budgeted: set[str] = set()  # exercises whose time limit the budget holds
        self._calls = 0
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
        for name in dict.fromkeys(expected):
            self._budget_for(name)

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

    def _budget_for(self, name: str) -> None:
        """Add exercise ``name``'s time limit to the notebook's budget, once
        (:meth:`.config.GradingConfig.notebook_deadline`)."""
        if name not in self._budgeted:
            self._budgeted.add(name)
            self._budget_left += self._limit(name)

    @property
    def _budget(self) -> float:
        """The notebook's whole time budget, in seconds."""
        return self._config.startup_seconds + sum(self._limit(name) for name in self._budgeted)

    def _too_slow(self, what: str) -> NoReturn:
        """The notebook's time is spent: this call and every later one fail as too slow."""
        self._stop()
        count = len(self._budgeted)
        self._problem = StudentTooSlow(
            f"your notebook had used all of its time ({self._budget:g} s: {self._config.startup_seconds:g} s "
            f"for its cells and the time limit of each of its {count} exercise{'s' if count != 1 else ''}); "
            f"{what}")
        raise self._problem

    def _cell_limit(self, index: int) -> float:
        """Seconds a cell may run: what is left of the start-up budget, and for a learner's
        exercise cell also the longest call limit."""
        if self._extraction.cells[index].kind == "setup":
            return self._startup_left
        return min(self._startup_left, max([self._timeout, *self._timeouts.values()]))

    def _receive(self, deadline: float) -> Any:
        """The next message from the child, decoded (plain data, not yet checked).

        Raises ``_Silent`` when no whole message came before ``deadline`` (a frame that stops
        half-way included), ``_Gone`` when the child's end closed, :class:`~.protocol.Violation`
        when what came is not plain data or is longer than a message may be.
        """
        try:
            data = self._child.conn.recv_bytes(MAX_MESSAGE_BYTES, timeout=max(0.0, deadline - time.monotonic()))
        except Stalled:
            raise _Silent() from None
        except TooLarge as exc:
            raise Violation(str(exc)) from None
        except (EOFError, ConnectionError):
            raise _Gone() from None
        except OSError as exc:  # the socket itself failed: the child is gone
            raise _Gone() from exc
        try:
            return loads(data)
        except WireError as exc:
            raise Violation(str(exc)) from None
        except MemoryError:  # past the grading worker's own memory limit
            raise Violation(f"a message of {len(data):,} bytes that needs more memory than the grader "
                            f"allows") from None

    def _send(self, message: tuple, deadline: float) -> None:
        """Send ``message``; ``_Silent`` when the child does not take it before ``deadline``."""
        try:
            self._child.conn.send_bytes(dumps(message), timeout=max(0.0, deadline - time.monotonic()))
        except Stalled:
            raise _Silent() from None
        except (OSError, ValueError):
            raise _Gone() from None

    def _ensure_started(self) -> None:
        if self._problem:
            raise self._problem
        if self._child is not None and self._child.is_alive():
            return
        self._stop()
        for _attempt in range(len(self._extraction.cells) + 2):
            if self._budget_left <= 0:
                self._too_slow("its cells were not run again")
            begun = time.monotonic()
            try:
                if self._start_once():
                    return
            finally:
                self._budget_left -= time.monotonic() - begun
        raise StudentCrashed("the grader could not start your code")  # pragma: no cover

    def _start_once(self) -> bool:
        """Start a child and run the cells; True when it is ready for calls, False when a cell
        had to be skipped (start again without it). Raises the notebook's problem otherwise."""
        cells = self._extraction.cells
        self._child = self._launcher.start(self._blocked, self._limits)
        budget_end = time.monotonic() + self._budget_left
        current: int | None = None
        last, started, cell_limit, by_startup = -1, 0.0, 0.0, False
        deadline = time.monotonic() + GRADER_SECONDS
        greeted = False
        while True:
            by_budget = budget_end < deadline
            try:
                message = self._receive(min(deadline, budget_end))
                now = time.monotonic()
                if not greeted:
                    protocol.hello(message)
                    greeted = True
                    self.isolation = list(self._child.isolation)
                    self._send(("cells", [(c.label, c.source) for c in cells], list(self._skip), self._blocked),
                               min(now + GRADER_SECONDS, budget_end))
                    continue
                event = protocol.cell_event(message, len(cells), set(self._skip), current, last)
            except _Silent:
                if current is not None:
                    self._startup_left -= time.monotonic() - started
                if by_budget:
                    self._too_slow(f"{cells[current].label} was running" if current is not None
                                   else "its code was starting")
                if current is None:  # between cells: the grader's own work did not finish
                    self._fail_start(f"did not answer within {GRADER_SECONDS:g} s")
                if by_startup:
                    budget = self._config.startup_seconds
                    self.notes.append(f"{cells[current].label} was still running when the notebook's cells had "
                                      f"used their start-up budget ({budget:g} s in all); nothing more of this "
                                      f"notebook was run")
                    self._stop()
                    self._problem = StudentTimeout(f"your notebook's cells took longer than {budget:g} s in all to "
                                                   f"run ({cells[current].label} was running)")
                    raise self._problem
                self._skip_cell(current, f"ran longer than {cell_limit:g} s")
                return False
            except _Gone:
                stopped = f"ended the grading process ({self._child.exit_reason()})"
                if current is None:
                    self._fail_start(stopped)
                self._startup_left -= time.monotonic() - started
                self._skip_cell(current, stopped)
                return False
            except Violation as exc:
                if current is None:
                    self._fail_start(f"sent the grader something that is not part of its protocol ({exc})",
                                     crashed=True)
                self._startup_left -= time.monotonic() - started
                self._skip_cell(current, f"wrote to the grader's channel something that is not part of its protocol "
                                         f"({exc})")
                return False
            if event.kind == "start":
                current, last, started = event.index, event.index, now
                cell_limit = self._cell_limit(current)
                by_startup = cell_limit >= self._startup_left
                deadline = now + cell_limit
            elif event.kind == "done":
                self._startup_left -= now - started
                if event.error and event.index not in self._cell_errors:
                    self._cell_errors[event.index] = event.error
                    self.notes.append(f"{cells[event.index].label} raised {event.error}")
                current, deadline = None, now + GRADER_SECONDS
            else:
                self._defined = set(event.functions)
                return True

    def _fail_start(self, what: str, crashed: bool = False) -> NoReturn:
        """The child failed outside any cell: the sandbox (a grader problem) or the child."""
        error = self._child.error
        self._stop()
        if error and not crashed:
            self._problem = GraderProblem(f"the sandbox for your code could not start ({error})")
        else:
            self._problem = StudentCrashed(f"the grader could not start your code: it {what}")
        raise self._problem

    def _skip_cell(self, index: int, reason: str) -> None:
        """Cell ``index`` stopped the child: skip it from the next start, and say so."""
        self._stop()
        self._skip.append(index)
        self._cell_errors[index] = f"its cell {reason} and was skipped"
        self.notes.append(f"{self._extraction.cells[index].label}: {reason}; it was skipped")

    def _missing(self, name: str) -> ExerciseMissing:
        reasons = [note.removeprefix(f"{name}: ") for note in self.notes if note.startswith(f"{name}:")]
        for index, error in self._cell_errors.items():
            if name in self._extraction.cells[index].defines and not any(error in r for r in reasons):
                reasons.append(error if error.startswith("its cell") else f"its cell raised {error}")
        detail = "; ".join(reasons) or f"no cell tagged 'exercise' defines {name}"
        return ExerciseMissing(f"{name} was not found in your notebook: {detail}")

    def _call(self, name: str, args: tuple, kwargs: dict) -> Any:
        limit = self._limit(name)
        self._budget_for(name)
        if name in self._timed_out:
            raise StudentTimeout(f"{name} already ran out of time ({limit:g} s) in an earlier test")
        self._ensure_started()
        if name not in self._defined:
            raise self._missing(name)
        if self._budget_left <= 0:
            self._too_slow(f"{name} was not run")
        request = ("call", self._calls + 1, name, to_plain(tuple(args), what="the test passed"),
                   to_plain(dict(kwargs), what="the test passed"))
        self._calls += 1
        begun = time.monotonic()
        by_budget = self._budget_left < limit
        deadline = begun + min(limit, self._budget_left)
        try:
            self._send(request, deadline)
            answer = protocol.reply(self._receive(deadline), self._calls)
        except _Silent:
            if by_budget:
                self._too_slow(f"{name} was stopped")
            self._stop()
            self._timed_out.add(name)
            raise StudentTimeout(f"{name} did not finish within {limit:g} s "
                                 f"(an endless loop, or much slower than needed?)") from None
        except _Gone:
            reason = self._child.exit_reason()
            self._stop()
            raise StudentCrashed(f"{name} ended the grading process ({reason})") from None
        except Violation as exc:
            self._stop()
            raise StudentCrashed(f"{name}: the process running your code sent the grader something that is not a "
                                 f"reply ({exc}); it was stopped") from None
        finally:
            self._budget_left -= time.monotonic() - begun
        if answer.kind == "ok":
            return answer.value
        if answer.kind == "error":
            raise student_error(answer.type_name, answer.message, answer.where)
        if answer.kind == "notimplemented":
            if answer.stub and answer.stub != name:
                raise NotImplementedYet(f"{name} calls {answer.stub}, which is not implemented yet")
            raise NotImplementedYet(f"{name} is not implemented yet")
        if answer.kind == "badreturn":
            raise BadReturn(answer.message)
        raise self._missing(name)
