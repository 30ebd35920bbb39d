"""The course's one notebook executor and output cleaner (nbformat + nbclient).

Tests, ``python -m course_utils run-all`` and the grader all execute notebooks through
:func:`execute_notebook`, and every committed notebook is cleaned with
:func:`strip_outputs`, so there is exactly one definition of "runs top to bottom" and of
"stored without outputs".

:func:`export_html` writes pages that need no network: no script, style sheet or font is
loaded from elsewhere, and each widget (an explorer, a progress bar) is replaced by a static
snapshot of its first view, drawn from the widget state the executor saved (see
:mod:`course_utils.widget_snapshot`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import nbformat
from nbformat import NotebookNode

#: The first code cell of every lesson, verbatim (tests/test_nbtools.py checks each lesson).
#: Self-contained on purpose: it must run where the course is not installed yet (Colab), so it
#: installs the course's wheel found beside the notebook only when ``course_utils`` is missing,
#: and is silent where the course is installed; then it runs :func:`course_utils.doctor.doctor`.
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
    if "google.colab" in sys.modules:  # Colab draws ipywidgets 8 with its custom widget manager
        from google.colab import output
        output.enable_custom_widget_manager()

# Check your environment: Python and package versions, the course's data files, and
# (in JupyterLab) a slider you can drag to confirm that widgets work in your browser.
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
    start = time.perf_counter()
    # nbclient passes extra keyword arguments through to the kernel manager.
    client.execute(env=kernel_env)
    return ExecutionResult(nb, time.perf_counter() - start, path)


#: nbconvert's lab template without the blocks that load scripts from a CDN (require.js,
#: MathJax, mermaid and the widget renderer); widgets are snapshots instead (see export_html).
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


def offline_html(nb: NotebookNode) -> str:
    """An executed notebook as one HTML page that loads nothing from the network.

    Widget outputs become static snapshots of their first view (:func:`.widget_snapshot.snapshot_widgets`,
    applied to a copy); math in markdown is shown as typed (no MathJax).
    """
    import copy

    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    from .widget_snapshot import snapshot_widgets

    page = snapshot_widgets(copy.deepcopy(nb))
    exporter = HTMLExporter(template_name="lab", template_file="course_offline.html.j2",
                            extra_loaders=[DictLoader({"course_offline.html.j2": _OFFLINE_TEMPLATE})])
    body, _ = exporter.from_notebook_node(page)
    return body


def export_html(nb: NotebookNode, path: str | os.PathLike) -> Path:
    """Write a readable, self-contained HTML copy of an executed notebook (:func:`offline_html`)."""
    body = offline_html(nb)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def lesson_notebooks(folder: str | os.PathLike | None = None) -> list[Path]:
    """The lesson notebooks in course order (their names start with a two-digit number).

    ``folder`` defaults to the course's ``notebooks/`` (see :mod:`course_utils.course_root`).
    """
    if folder is None:
        from .course_root import find_folder

        folder = find_folder("notebooks")
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def run_all(
    notebooks: Iterable[Path],
    *,
    html_dir: str | os.PathLike | None = None,
    timeout: float = 600,
) -> list[tuple[Path, float]]:
    """Execute notebooks in order in a scratch copy; return ``(path, seconds)`` for each."""
    timings = []
    for path in notebooks:
        with tempfile.TemporaryDirectory(prefix="course-run-") as scratch:
            result = execute_notebook(path, timeout=timeout, cwd=scratch)
        timings.append((path, result.seconds))
        if html_dir is not None:
            export_html(result.notebook, Path(html_dir) / (path.stem + ".html"))
        print(f"{path.name:<40} {result.seconds:7.1f} s", flush=True)
    return timings


# ---------------------------------------------------------------- command line


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every lesson in notebooks/)")
    parser.add_argument("--html", type=Path, metavar="DIR",
                        help="also write a readable HTML copy of each executed notebook to DIR")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per cell")


def run_command(command: str, args: argparse.Namespace) -> int:
    from .course_root import CourseRootError, find_folder

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
    timings = run_all(notebooks, html_dir=args.html, timeout=args.timeout)
    total = sum(seconds for _, seconds in timings)
    print(f"{'total':<40} {total:7.1f} s")
    if args.html:
        print(f"HTML copies written to {args.html}")
    return 0
