"""The course's one notebook executor and output cleaner (nbformat + nbclient).

Tests, ``python -m course_utils run-all`` and the grader all execute notebooks through
:func:`execute_notebook`, and every committed notebook is cleaned with
:func:`strip_outputs`, so there is exactly one definition of "runs top to bottom" and of
"stored without outputs".

The executed lessons become the course website (:mod:`course_utils.website`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, Iterable, TextIO

import nbformat
from nbformat import NotebookNode

#: The first code cell of every lesson, verbatim (tests/test_nbtools.py checks each lesson).
#: Self-contained on purpose: it must run where the course is not installed yet (Colab), so it
#: installs the course's wheel found beside the notebook only when ``course_utils`` is missing,
#: and is silent where the course is installed; on Colab it switches on Colab's widget manager
#: on every run (a restarted session needs it again); then it runs :func:`course_utils.doctor.doctor`.
LESSON_SETUP_CELL = """\
# Set-up, the same in every lesson. Where the course is installed (your laptop, a hub, Binder)
# this only checks your environment. Where it is not (Colab), it first installs the course's
# wheel, uploaded beside this notebook (Colab: the Files panel).
import importlib.util, subprocess, sys
from pathlib import Path

if importlib.util.find_spec("course_utils") is None:
    wheels = sorted(Path.cwd().glob("scaling_laws_course-*.whl"), key=lambda p: p.stat().st_mtime)
    if not wheels:
        raise RuntimeError("The course is not installed here: upload its wheel (scaling_laws_course-"
                           "<version>-py3-none-any.whl) beside this notebook, then run this cell again.")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", str(wheels[-1])], check=True)
    importlib.invalidate_caches()
if "google.colab" in sys.modules:  # Colab draws ipywidgets 8 with its custom widget manager,
    from google.colab import output  # which every new session (or restart) must switch on again
    output.enable_custom_widget_manager()

# Check your environment: Python and package versions, the course's data files, and
# (in JupyterLab) whether this page draws widgets, with a slider you can drag.
from course_utils.doctor import doctor
doctor();"""

#: Metadata keys that carry run-time state and never belong in a committed notebook.
_VOLATILE_NOTEBOOK_METADATA = ("widgets",)
_VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled")


class NotebookError(ValueError):
    """A file that cannot be read as a Jupyter notebook; the message says why."""


@dataclass(frozen=True)
class ExecutionResult:
    """What :func:`execute_notebook` returns: the executed notebook and its wall time."""

    notebook: NotebookNode
    seconds: float
    path: Path | None = None


def read_notebook(path: str | os.PathLike) -> NotebookNode:
    """Read a notebook (nbformat 4) and raise :class:`NotebookError` with a clear reason.

    Empty files, invalid JSON, JSON that is not a notebook and files that do not exist
    each get their own message, because a grader and a learner both need to know which.
    """
    path = Path(path)
    if not path.is_file():
        raise NotebookError(f"{path}: no such notebook file")
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        raise NotebookError(f"{path}: the file is empty, not a notebook")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several types for bad JSON / bad schema
        raise NotebookError(f"{path}: not a valid Jupyter notebook ({type(exc).__name__}: {exc})") from None
    if not isinstance(nb, dict) or "cells" not in nb:
        raise NotebookError(f"{path}: valid JSON but not a Jupyter notebook (no 'cells')")
    return nb


def write_notebook(nb: NotebookNode, path: str | os.PathLike) -> Path:
    """Write ``nb`` to ``path`` atomically (a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        text = nbformat.writes(nb)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def strip_outputs(nb: NotebookNode) -> NotebookNode:
    """Return ``nb`` without outputs, execution counts or widget state (in place, too)."""
    for key in _VOLATILE_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in _VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def cells_with_outputs(nb: NotebookNode) -> list[int]:
    """Indices of code cells that carry outputs or an execution count."""
    return [
        i for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]


def execute_notebook(
    source: str | os.PathLike | NotebookNode,
    *,
    timeout: float = 600,
    cwd: str | os.PathLike | None = None,
    kernel_name: str = "python3",
    allow_errors: bool = False,
    env: dict[str, str] | None = None,
    on_cell: Callable[[int, int], None] | None = None,
    kernel_stderr: int | IO | None = subprocess.DEVNULL,
) -> ExecutionResult:
    """Execute a notebook top to bottom with nbclient and return it with its wall time.

    Parameters
    ----------
    source
        A path to an ``.ipynb`` file or an in-memory notebook.
    timeout
        Seconds allowed for any single cell (nbclient's per-cell timeout).
    cwd
        Working directory of the kernel; defaults to the notebook's own folder.
    allow_errors
        If False (the default) the first cell that raises stops execution and
        ``nbclient.exceptions.CellExecutionError`` propagates, naming the cell.
    env
        Extra environment variables for the kernel (e.g. ``MPLBACKEND``).
    on_cell
        Called as ``on_cell(done, total)`` after each code cell (progress for a person watching).
    kernel_stderr
        Where the kernel's own standard error goes: by default nowhere, which silences its
        start-up warnings (such as "running over TCP without encryption"); a file keeps them.
    """
    from nbclient import NotebookClient

    path = None
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        nb = read_notebook(path)
    else:
        nb = source
    workdir = Path(cwd) if cwd is not None else (path.parent if path is not None else Path.cwd())
    kernel_env = dict(os.environ)
    kernel_env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    kernel_env["COURSE_HEADLESS"] = "1"
    kernel_env.update(env or {})
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(workdir)}},
    )
    if on_cell is not None:
        code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
        client.on_cell_executed = lambda cell_index, **_: on_cell(code_cells.index(cell_index) + 1, len(code_cells))
    start = time.perf_counter()
    # nbclient passes extra keyword arguments through to the kernel manager (and its Popen).
    client.execute(env=kernel_env, stderr=kernel_stderr)
    return ExecutionResult(nb, time.perf_counter() - start, path)


def lesson_notebooks(folder: str | os.PathLike | None = None) -> list[Path]:
    """The lesson notebooks in course order (their names start with a two-digit number).

    ``folder`` defaults to the course's ``notebooks/`` (see :mod:`course_utils.course_root`).
    """
    if folder is None:
        from .course_root import find_folder

        folder = find_folder("notebooks")
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


@dataclass(frozen=True)
class NotebookRun:
    """One notebook of :func:`run_all`: its wall time, the notebook as it ran (outputs and
    widget state included, as far as it got) and, if it failed, why (one line)."""

    path: Path
    seconds: float
    error: str | None = None
    notebook: NotebookNode | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None


class Progress:
    """One line per notebook, kept up to date while it runs: cells done and seconds so far.

    In a terminal the line is redrawn in place every second; in a log (not a terminal) a new
    line is written every ``log_every`` seconds, so a long cell still shows signs of life.
    Before the first cell (or for work without cells) the line says ``waiting``.
    """

    def __init__(self, name: str, stream: TextIO | None = None, log_every: float = 15.0,
                 waiting: str = "starting") -> None:
        self.name, self.stream, self.waiting = name, stream or sys.stdout, waiting
        self.live = self.stream.isatty()
        self.log_every = log_every
        self.done = self.total = 0
        self.start = time.monotonic()
        self._last = self.start
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)

    def line(self) -> str:
        cells = f"{self.done}/{self.total} cells" if self.total else self.waiting
        return f"{self.name:<32} {cells:<12} {time.monotonic() - self.start:6.0f} s"

    def _write(self) -> None:
        text = self.line()
        self.stream.write(f"\r{text}\033[K" if self.live else f"{text}\n")
        self.stream.flush()
        self._last = time.monotonic()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            if self.live or time.monotonic() - self._last >= self.log_every:
                self._write()

    def cell(self, done: int, total: int) -> None:
        """The executor's callback: ``done`` of ``total`` code cells have run."""
        self.done, self.total = done, total
        if self.live:
            self._write()

    def __enter__(self) -> Progress:
        self._write()
        self._ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._ticker.join()
        if self.live:
            self.stream.write("\r\033[K")


def _failure(error: BaseException, kernel_log: Path) -> str:
    """One line saying why a notebook stopped: the cell and the exception, not a traceback."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if isinstance(error, CellExecutionError):
        value = " ".join(str(error.evalue).split())
        return f"{error.ename}: {value[:200]}"
    if isinstance(error, DeadKernelError):
        text = kernel_log.read_text(encoding="utf-8", errors="replace") if kernel_log.is_file() else ""
        last = text.strip().splitlines()[-1:]
        return f"the kernel died{': ' + last[0][:200] if last else ''}"
    if isinstance(error, CellTimeoutError):
        return f"a cell ran longer than the timeout ({' '.join(str(error).split())[:200]})"
    return f"{type(error).__name__}: {' '.join(str(error).split())[:200]}"


def _failing_cell(nb: NotebookNode) -> int | None:
    """The number (1-based, among code cells) of the first code cell with an error output."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code, start=1):
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return number
    return None


def run_all(
    notebooks: Iterable[Path],
    *,
    timeout: float = 600,
    stream: TextIO | None = None,
) -> list[NotebookRun]:
    """Execute notebooks in order, each in a scratch folder, showing progress as they run.

    A notebook that fails is reported in one line and the next one runs; the result lists
    every notebook with its time and, for a failure, the cell and the error.
    """
    stream = stream or sys.stdout
    runs = []
    for path in map(Path, notebooks):
        try:
            nb = read_notebook(path)
        except NotebookError as error:
            runs.append(NotebookRun(path, 0.0, str(error)))
            stream.write(f"{path.name:<32} {'FAILED':<12} {0.0:6.1f} s  {error}\n")
            continue
        with tempfile.TemporaryDirectory(prefix="course-run-") as scratch:
            log = Path(scratch) / ".kernel-stderr.log"
            start = time.perf_counter()
            with Progress(path.name, stream) as progress, open(log, "wb") as kernel_stderr:
                try:
                    result = execute_notebook(nb, timeout=timeout, cwd=scratch, on_cell=progress.cell,
                                              kernel_stderr=kernel_stderr)
                    run = NotebookRun(path, result.seconds, notebook=nb)
                except Exception as error:  # any failure of one notebook is reported, then the next runs
                    cell = _failing_cell(nb) or (progress.done + 1 if progress.total else None)
                    where = f"cell {cell}: " if cell else ""
                    run = NotebookRun(path, time.perf_counter() - start, where + _failure(error, log), nb)
        runs.append(run)
        stream.write(f"{path.name:<32} {'ok' if run.ok else 'FAILED':<12} {run.seconds:6.1f} s"
                     f"{'' if run.ok else '  ' + run.error}\n")
        stream.flush()
    return runs


def summary_table(runs: list[NotebookRun]) -> str:
    """The table ``run-all`` ends with: every notebook, ok or FAILED, its time; then the total."""
    width = max([len(run.path.name) for run in runs] + [8])
    lines = [f"{'notebook':<{width}}  result  seconds", f"{'-' * width}  ------  -------"]
    for run in runs:
        lines.append(f"{run.path.name:<{width}}  {'ok' if run.ok else 'FAILED':<6}  {run.seconds:7.1f}"
                     + ("" if run.ok else f"  {run.error}"))
    failed = sum(not run.ok for run in runs)
    verdict = f"{len(runs) - failed} ok, {failed} failed" if failed else f"all {len(runs)} ok"
    lines.append(f"{'total':<{width}}  {'':<6}  {sum(run.seconds for run in runs):7.1f}  {verdict}")
    return "\n".join(lines)


# ---------------------------------------------------------------- command line


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every lesson in notebooks/)")
    parser.add_argument("--html", type=Path, metavar="DIR", help=argparse.SUPPRESS)  # replaced by `site`
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per cell")


def run_command(command: str, args: argparse.Namespace) -> int:
    """Exit 0 when every notebook ran to the end, 1 when any failed, 2 when none could start."""
    from .commandline import EXIT_FAILED
    from .course_root import CourseRootError, find_folder

    if args.html is not None:
        print("error: run-all --html is replaced by the course website: scaling-course site --out DIR "
              "(from a checkout of the course's repository)", file=sys.stderr)
        return 2
    try:
        folder = None if args.notebooks else find_folder("notebooks")
    except CourseRootError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    notebooks = args.notebooks or lesson_notebooks(folder)
    if not notebooks:
        print(f"error: no lesson notebooks found in {folder}", file=sys.stderr)
        return 2
    missing = [str(p) for p in notebooks if not Path(p).is_file()]
    if missing:
        print(f"error: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    runs = run_all(notebooks, timeout=args.timeout)
    print()
    print(summary_table(runs))
    return 0 if all(run.ok for run in runs) else EXIT_FAILED
