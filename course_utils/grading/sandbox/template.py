"""The clean template process every sandbox is forked from, and the grader's handle on it.

``grade`` starts the template first, before it reads any submission or imports any test
module: a fresh interpreter (not a fork of the grader, so it inherits none of the grader's
memory) that imports numpy, scipy, torch and the course modules the exercises use, then
waits. It never receives a learner's code either, so nothing a learner could find in the
memory it inherits belongs to anyone else. For every notebook to run, a grading worker
sends the template two socket ends (:meth:`Template.start_child`): the template forks,
the fork enters the sandbox (:func:`.isolation.run_outer`) and only then receives the cells
from the worker on the first socket. The second socket is the lifeline (see
:mod:`.isolation`).

Before serving, the template tries the sandbox once (:func:`probe`) and reports what it
achieved (:class:`~.isolation.Isolation`). It is a child subreaper and, when told to stop or
when the grader dies, kills every process it started, so :meth:`Template.close` returning
means no learner process is left.
"""

from __future__ import annotations

import gc
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from typing import Any, Iterable

from ..errors import GraderProblem
from .isolation import (Isolation, Layout, Level, Limits, Request, kill_descendants, landlock_abi,
                        remove_tree, run_outer, set_child_subreaper, die_with_parent)
from .protocol import Channel

ENV_FD = "COURSE_TEMPLATE_FD"
#: environment variable: the best isolation level to try (to test the fallbacks), e.g. "limits"
ENV_LEVEL = "COURSE_SANDBOX_LEVEL"
START_SECONDS = 300.0  # importing torch on a busy laptop can take a while
#: the names a sandbox may report as in force on its lifeline (anything else is dropped)
_MECHANISM = re.compile(r"[A-Za-z0-9 :.,_-]{1,60}")


class SandboxChild:
    """The grader's side of one sandbox: the learner's channel and the lifeline.

    The lifeline carries what the sandbox's own processes say, one JSON object a line:
    ``isolated`` (what is in force, sent before any learner code runs and before the
    learner's process lets go of the lifeline), ``error`` (the sandbox could not be built)
    and ``exit`` (how the learner's process ended). Learner code cannot reach it.
    """

    def __init__(self, conn: Channel, lifeline: socket.socket) -> None:
        self.conn = conn
        self._lifeline = lifeline
        self._buffer = b""
        self._how: str | None = None
        self._isolation: list[str] | None = None
        self.error: str | None = None  # the sandbox could not be built (a grader problem)

    @property
    def isolation(self) -> list[str]:
        """What the sandbox says is in force ([] before it said so)."""
        if self._isolation is None and self._how is None:
            self._read_lifeline(0.0)
        return list(self._isolation or [])

    def _read_lifeline(self, timeout: float) -> bool:
        """Read what init says; True at the end of the lifeline."""
        deadline = time.monotonic() + timeout
        while True:
            ready, _, _ = select.select([self._lifeline], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return False
            try:
                data = self._lifeline.recv(4096)
            except OSError:
                data = b""
            if not data:
                self._how = self._how or "it stopped"
                return True
            self._buffer += data
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(event, dict):
                    continue
                if event.get("event") == "isolated" and self._isolation is None:
                    mechanisms = event.get("mechanisms")
                    self._isolation = [m for m in mechanisms if isinstance(m, str) and _MECHANISM.fullmatch(m)] \
                        if isinstance(mechanisms, list) else []
                elif event.get("event") == "exit":
                    self._how = str(event.get("how"))
                elif event.get("event") == "error":
                    self.error = str(event.get("message"))
                    self._how = f"the sandbox could not be built ({self.error})"
            if time.monotonic() >= deadline:
                return False

    def is_alive(self) -> bool:
        if self._how is None:
            self._read_lifeline(0.0)
        return self._how is None

    def exit_reason(self) -> str:
        if self._how is None:
            self._read_lifeline(1.0)
        return self._how or "it stopped answering"

    def stop(self, timeout: float = 10.0) -> None:
        """Have init kill everything in the sandbox; return once it says all is gone."""
        if self._lifeline.fileno() < 0:
            return
        try:
            self._lifeline.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._read_lifeline(deadline - time.monotonic()):
            pass
        self._lifeline.close()
        self.conn.close()


class Template:
    """The grader's handle on the template process (see the module docstring)."""

    def __init__(self, control: socket.socket, isolation: Isolation, process: Any = None) -> None:
        self._control = control
        self.isolation = isolation
        self._process = process
        self._owner = os.getpid()
        self._errors: Any = None  # the template's stderr until it said it is ready

    @classmethod
    def spawn(cls, preload: Iterable[str] = (), hidden: Iterable[str | os.PathLike] = (),
              sandbox: bool = True, wait: bool = True) -> "Template":
        """Start the template; it imports ``preload`` and tries the sandbox first.

        ``hidden``: folders the sandbox must never show (course root, submissions, gradebook).
        ``wait=False`` returns at once: call :meth:`wait_ready` before using it (the grader
        meanwhile collects its tests). Raises :class:`~.errors.GraderProblem` when it cannot
        start.
        """
        from ...course_root import package_dir
        from .child import THREAD_VARS

        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(os.environ, **dict.fromkeys(THREAD_VARS, "1"))
        env[ENV_FD] = str(theirs.fileno())
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_dir().parent), env.get("PYTHONPATH")]))
        errors = tempfile.TemporaryFile()
        process = subprocess.Popen(
            [sys.executable, "-c", "from course_utils.grading.sandbox.template import main; main()"],
            pass_fds=[theirs.fileno()], env=env, cwd="/", stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=errors)
        theirs.close()
        settings = {"preload": sorted(set(preload)), "sandbox": sandbox,
                    "layout": Layout.default([str(p) for p in hidden]).to_dict()}
        template = cls(ours, Isolation(Level.LIMITS), process)
        template._errors = errors
        try:
            ours.sendall(json.dumps(settings).encode())
        except OSError:
            pass
        if wait:
            template.wait_ready()
        return template

    def wait_ready(self) -> "Template":
        """Wait until the template has imported its modules and tried the sandbox.

        Raises :class:`~.errors.GraderProblem` when it did not start.
        """
        if self._errors is None:
            return self
        try:
            self._control.settimeout(START_SECONDS)
            reply = json.loads(self._control.recv(1 << 16) or b"null")
            self._control.settimeout(None)
        except (OSError, ValueError):
            reply = None
        errors, self._errors = self._errors, None
        if not reply or reply.get("event") != "ready":
            self._process.kill()
            self._process.wait()
            self._process = None
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            raise GraderProblem("the grader's template process did not start"
                                + (f": {' / '.join(tail)}" if tail else ""))
        errors.close()
        self.isolation = Isolation.from_dict(reply["isolation"])
        return self

    def start(self, blocked: list[str], limits: Limits) -> SandboxChild:
        """The proxy's launcher call: a new sandbox (the template preloaded what ``blocked``
        names when it started). The proxy sends the cells once the sandbox says hello: they
        never pass through the template."""
        return self.start_child(limits)

    def start_child(self, limits: Limits, extra: dict[str, Any] | None = None) -> SandboxChild:
        """A new sandbox; the caller sends it the cells on ``.conn``."""
        self.wait_ready()
        conn_ours, conn_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        life_ours, life_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        message = json.dumps({"limits": asdict(limits), "extra": extra or {}}).encode()
        try:
            socket.send_fds(self._control, [message], [conn_theirs.fileno(), life_theirs.fileno()])
        except OSError as exc:
            for end in (conn_ours, life_ours):
                end.close()
            raise GraderProblem(f"the grader's template process is gone ({exc.strerror or exc})") from None
        finally:
            conn_theirs.close()
            life_theirs.close()
        return SandboxChild(Channel(conn_ours), life_ours)

    def close(self, timeout: float = 60.0) -> None:
        """Stop the template after it killed every process it started (owner process only)."""
        if self._process is None or os.getpid() != self._owner:
            self._control.close()
            return
        if self._errors is not None:  # never became ready: nothing of ours runs in it yet but
            self._errors.close()        # a probe, which dies with it (its lifeline's end goes too)
            self._errors = None
            self._process.terminate()  # SIGTERM: it cleans up its workspace on the way out
        try:
            self._control.send(b'{"event": "stop"}')
        except OSError:
            pass
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:  # pragma: no cover - it ignored us: last resort
            self._process.kill()
            self._process.wait()
        self._control.close()
        self._process = None

    def __enter__(self) -> "Template":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ------------------------------------------------------------- the template's side


def _preload(names: Iterable[str]) -> None:
    from ...heap import keep_freed_memory
    from .blocking import preload_names
    from .child import single_thread_env

    single_thread_env()
    keep_freed_memory()  # every learner process forked from here reuses what numpy frees
    import numpy  # noqa: F401

    # and what every exercise notebook's setup cell imports (check, check_all, skip_if_unfinished)
    preload_names(["course_utils.grading.sandbox.child", "course_utils.grading.sandbox.plaindata",
                   "course_utils.grading.learner.feedback", "course_utils.grading.learner.demo", *names])
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    # Every object loaded so far moves out of the collector's reach: a learner process's garbage
    # collections then never write to them, so their pages stay shared with this process instead
    # of being copied into each sandbox (a learner cell building 200,000 dicts: 120 -> 80 CPU-ms).
    gc.collect()
    gc.freeze()


def _probe_learner(conn: socket.socket, info: dict[str, Any]) -> None:
    Channel(conn).send_bytes(json.dumps({"ok": True, "isolation": info.get("isolation", [])}).encode())


def _try_level(level: Level, layout: Layout, limits: Limits, mountpoint: str, scratch: str) -> tuple[bool, Any]:
    """Start one sandbox at ``level`` that reports back; (worked, mechanisms or reason)."""
    conn_ours, conn_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    life_ours, life_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    request = Request(level, layout, limits, mountpoint, scratch)
    pid = os.fork()
    if pid == 0:
        conn_ours.close()
        life_ours.close()
        run_outer(request, conn_theirs, life_theirs, _probe_learner)
    conn_theirs.close()
    life_theirs.close()
    child = SandboxChild(Channel(conn_ours), life_ours)
    try:
        if child.conn.poll(30.0):
            reply = json.loads(child.conn.recv_bytes(1 << 16, timeout=5.0))
            return True, reply.get("isolation", [])
        child.exit_reason()
        return False, child.error or child.exit_reason()
    except (OSError, EOFError, ValueError):
        child.exit_reason()
        return False, child.error or child.exit_reason()
    finally:
        child.stop()
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def probe(layout: Layout, limits: Limits, mountpoint: str, scratch: str, sandbox: bool = True) -> Isolation:
    """The best isolation that works here, tried for real (see :class:`~.isolation.Level`)."""
    if not sandbox:
        return Isolation(Level.OFF, ("hard rlimits",), "the sandbox is off (--no-sandbox): learner code can "
                                                       "read and write what the grader can")
    if not sys.platform.startswith("linux"):  # pragma: no cover - the proxy's local children then
        return Isolation(Level.LIMITS, (), f"no sandbox on {sys.platform}: only the limits apply")
    reasons = []
    order = [Level.NAMESPACES, Level.LANDLOCK, Level.LIMITS]
    best = os.environ.get(ENV_LEVEL)
    if best in {level.value for level in order}:
        skipped = order[:order.index(Level(best))]
        reasons += [f"{level.value}: not tried (${ENV_LEVEL}={best})" for level in skipped]
        order = order[len(skipped):]
    for level in order:
        if level is Level.LANDLOCK and landlock_abi() < 1:
            reasons.append("no Landlock")
            continue
        worked, detail = _try_level(level, layout, limits, mountpoint, scratch)
        if worked:
            note = ""
            if level is Level.LANDLOCK:
                note = (f"no namespaces here ({reasons[0]}): Landlock alone limits what learner code may "
                        f"read and write; it shares the machine's network namespace and process list")
            elif level is Level.LIMITS:
                note = (f"learner code is NOT isolated here ({'; '.join(reasons)}): it can read the course "
                        f"folder, solutions and hidden tests included; only the hard limits apply")
            return Isolation(level, tuple(detail), note)
        reasons.append(f"{level.value}: {detail}")
    raise GraderProblem(f"learner code cannot be run here: {'; '.join(reasons)}")


_PROBED: Isolation | None = None


def probe_isolation() -> Isolation:
    """What the sandbox achieves on this machine (started once per process and cached)."""
    global _PROBED
    if _PROBED is None:
        if not sys.platform.startswith("linux"):
            _PROBED = Isolation(Level.LIMITS, (), f"no sandbox on {sys.platform}: only the limits apply")
        else:
            with Template.spawn() as template:
                _PROBED = template.isolation
    return _PROBED


def main() -> None:
    """Entry point of the template process (started by :meth:`Template.spawn`)."""
    control = socket.socket(fileno=int(os.environ.pop(ENV_FD)))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if sys.platform.startswith("linux"):
        die_with_parent(signal.SIGTERM)
    settings = json.loads(control.recv(1 << 24))
    _preload(settings["preload"])
    layout = Layout.from_dict(settings["layout"])
    workspace = None
    try:
        workspace = tempfile.mkdtemp(prefix="course-sandbox-")
        os.chmod(workspace, 0o711)  # a learner's uid may pass through to its own scratch folder
        mountpoint = os.path.join(workspace, "root")
        scratch = os.path.join(workspace, "scratch")
        os.mkdir(mountpoint)
        os.mkdir(scratch, 0o711)
        set_child_subreaper()
        try:
            isolation = probe(layout, Limits.from_config(), mountpoint, scratch, settings["sandbox"])
        except GraderProblem as exc:
            print(str(exc), file=sys.stderr)
            return
        control.send(json.dumps({"event": "ready", "isolation": isolation.to_dict()}).encode())
        _serve(control, isolation.level, layout, mountpoint, scratch)
    finally:
        kill_descendants()
        if workspace is not None:
            remove_tree(workspace)
        sys.stderr.flush()
        os._exit(0)  # skip the interpreter's slow teardown (torch): nothing is left to clean


def _serve(control: socket.socket, level: Level, layout: Layout, mountpoint: str, scratch: str) -> None:
    from .child import serve_sandboxed

    while True:
        ready, _, _ = select.select([control], [], [], 0.5)
        _reap_finished()
        if not ready:
            continue
        try:
            message, fds, _flags, _addr = socket.recv_fds(control, 1 << 20, 2)
        except OSError:
            return
        if not message:  # every holder of the other end is gone
            return
        try:
            request = json.loads(message)
        except ValueError:
            request = {}
        if request.get("event") == "stop":
            return
        if len(fds) != 2 or "limits" not in request:
            for fd in fds:
                os.close(fd)
            continue
        conn, lifeline = (socket.socket(fileno=fd) for fd in fds)
        sandbox_request = Request(level, layout, Limits(**request["limits"]), mountpoint, scratch,
                                  request.get("extra", {}))
        pid = os.fork()
        if pid == 0:
            control.close()  # the learner must not be able to ask for more sandboxes
            run_outer(sandbox_request, conn, lifeline, serve_sandboxed)
        conn.close()
        lifeline.close()


def _reap_finished() -> None:
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
