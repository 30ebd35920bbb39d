"""The course website: the lessons (executed), the exercises, the guides and the API reference
as one Jupyter Book, built offline from a checkout with ``scaling-course site``.

The book's source is ``docs/``: its configuration (``_config.yml``), its table of contents
(``_toc.yml``), the index and API pages and the guides (``docs/guides/*.md``). The lessons are
committed without outputs, so the website shows executed copies, executed once: either by the
build itself, with the course's executor (:func:`.nbtools.run_all`, the same progress lines and
table as ``run-all``), or earlier, by whatever ran them (``--executed DIR``: the test suite
keeps its executed lessons in ``test-artifacts/executed/``, so CI runs no lesson twice;
:func:`executed_lessons` refuses a copy made from another version of its lesson). Jupyter Book
itself executes nothing (MyST-NB's ``execution_mode: off``). :func:`stage` lays the source out
in a scratch folder the way the pages link to each other:

=====================  ===============================================================
``docs/``              a copy of the book's source
``docs/notebooks/``    the executed lessons (:func:`site_notebook`)
``docs/exercises/``    the exercise notebooks, as handed out
``docs/api/``          one page per module of ``course_utils`` (:func:`write_api_pages`)
``*.md``               the checkout's top-level Markdown files (``README.md``,
                       ``ARCHITECTURE.md``), where a guide that includes one finds it
=====================  ===============================================================

Jupyter Book version 1 (Sphinx with MyST-NB) builds it, because version 2 fetches its theme
from the network. Nothing on a page loads from the network either: each widget is a static
snapshot (:func:`.widget_snapshot.snapshot_widgets`), thebe and launch buttons are off, and
math is typed as text, so no MathJax. A warning fails the build (Sphinx's ``-W --keep-going``,
nitpicky for the course's own names, see ``docs/_config.yml``): a broken link between pages, a
page missing from the table of contents or a docstring naming a function that is gone.
"""

from __future__ import annotations

import argparse
import copy
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TextIO

from nbformat import NotebookNode

#: where a lesson links to the learner's own copy of an exercise (``../my_work/ex01_….ipynb``);
#: on the website the link opens the exercise's page instead
_LEARNER_COPY = re.compile(r"\]\(\.\./my_work/([^)\s]+)\)")
#: the file Sphinx writes into every HTML build: how :func:`build_site` recognises a website
#: it may replace
BUILD_MARKER = ".buildinfo"
#: a colour code in a terminal's output
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: a warning or an error in Sphinx's output (``path:line: WARNING: …``)
_PROBLEM = re.compile(r"\b(WARNING|ERROR|CRITICAL|SEVERE)\b|^(Exception|Traceback|\w+Error)\b")


class SiteError(ValueError):
    """The website cannot be built here; the message says why and what to do."""


@dataclass(frozen=True)
class BookBuild:
    """What :func:`build_site` did: whether the book built cleanly, every warning and error
    (paths as in the checkout), and the build's wall time."""

    ok: bool
    problems: list[str]
    seconds: float


def require_jupyter_book() -> str:
    """The installed Jupyter Book's version, or :class:`SiteError` when it is missing or not 1.x."""
    if importlib.util.find_spec("jupyter_book") is None:
        raise SiteError("the website needs Jupyter Book 1: install the course's development extra, "
                        "which pins it: pip install -e '.[dev]'")
    version = importlib.metadata.version("jupyter-book")
    if not version.startswith("1."):
        raise SiteError(f"Jupyter Book {version} is installed; the website needs version 1 (version 2 "
                        "fetches its theme from the network): pip install -e '.[dev]' installs the "
                        "version the course pins")
    return version


def check_out_folder(out: Path) -> None:
    """Refuse an output folder that holds something other than a website built here.

    A folder that does not exist, an empty one, or one with Sphinx's :data:`BUILD_MARKER` may
    be (re)written; anything else is someone's files, which the build would replace.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise SiteError(f"{out} is a file, not a folder for the website")
    if any(out.iterdir()) and not (out / BUILD_MARKER).is_file():
        raise SiteError(f"{out} holds files that are not a website built by 'scaling-course site'; "
                        "choose another --out or empty it")


def site_notebook(nb: NotebookNode) -> NotebookNode:
    """An executed lesson as the website shows it (a copy).

    Each widget output becomes a static snapshot of its first view (no widget JavaScript, which
    would come from a CDN), and a link to the learner's copy of an exercise
    (``../my_work/NAME``) opens the exercise's page (``../exercises/NAME``).
    """
    from .widget_snapshot import snapshot_widgets

    page = snapshot_widgets(copy.deepcopy(nb))
    for cell in page.cells:
        if cell.cell_type == "markdown":
            cell.source = _LEARNER_COPY.sub(r"](../exercises/\1)", cell.source)
    return page


def executed_lessons(lessons: Iterable[Path], folder: Path) -> list[tuple[Path, NotebookNode]]:
    """Each lesson with its executed copy, the file of the same name in ``folder``.

    Raises :class:`SiteError` when a copy is missing, was not executed to the end (a code cell
    without an execution count) or was executed from another version of the lesson (a cell's
    source differs): the website would show outputs the lesson no longer makes.
    """
    from .nbtools import read_notebook

    pairs, problems = [], []
    for lesson in lessons:
        copy_path = folder / lesson.name
        if not copy_path.is_file():
            problems.append(f"{lesson.name}: no executed copy in {folder}")
            continue
        executed = read_notebook(copy_path)
        sources = [(cell.cell_type, cell.source) for cell in read_notebook(lesson).cells]
        if [(cell.cell_type, cell.source) for cell in executed.cells] != sources:
            problems.append(f"{lesson.name}: the copy in {folder} was executed from another version of the lesson")
        elif any(cell.get("execution_count") is None for cell in executed.cells if cell.cell_type == "code"):
            problems.append(f"{lesson.name}: the copy in {folder} was not executed to the end")
        else:
            pairs.append((lesson, executed))
    if problems:
        raise SiteError("; ".join(problems) + " (execute the lessons again, or leave out --executed)")
    return pairs


#: how the line starts by which a module stands in for another under its old name
ALIAS_LINE = "sys.modules[__name__] = "


def api_modules(package: Path) -> list[str]:
    """The public modules below the package in folder ``package`` (its subpackages and their
    modules, not the package itself), by dotted name, sorted.

    Found from the files, not by importing: a name or folder that starts with ``_`` is
    private (``_validation``, the wheel's ``_course``, ``__main__``) and has no page; nor has a
    module kept under an old name (``course_utils.grading.rubric``, which the capstone notebook
    imports), which stands in ``sys.modules`` for the module it names: that module has the page.
    """
    names = []
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if (len(parts) > 1 and not any(part.startswith("_") for part in parts)
                and not any(line.startswith(ALIAS_LINE) for line in path.read_text(encoding="utf-8").splitlines())):
            names.append(".".join(parts))
    return sorted(names)


def write_api_pages(modules: list[str], folder: Path) -> None:
    """One page per module in ``folder``, at ``a/b/c.rst`` for module ``a.b.c``: the module's
    docstring and public members (autodoc, options in ``docs/_config.yml``), and for a package,
    the tree of its modules.

    A package shows only what its own ``__init__`` defines: the names it re-exports have their
    page in the module that defines them. (Autosummary's recursive mode cannot be used:
    ``course_utils.lab.train`` is both a module and the function the package exports.)
    """
    packages = {name.rpartition(".")[0] for name in modules}
    for name in modules:
        page = folder.joinpath(*name.split(".")).with_suffix(".rst")
        page.parent.mkdir(parents=True, exist_ok=True)
        title = name.replace("_", "\\_")
        lines = [title, "=" * len(title), "", f".. automodule:: {name}"]
        if name in packages:
            lines += ["   :ignore-module-all:", "", ".. toctree::", "   :glob:", "   :maxdepth: 1", "",
                      f"   {name.rpartition('.')[2]}/*"]
        page.write_text("\n".join(lines) + "\n", encoding="utf-8")


def stage(root: Path, lessons: Iterable[tuple[Path, NotebookNode]], folder: Path) -> Path:
    """Lay the book's source out in ``folder`` (see the module's docstring); return the book.

    ``root`` is the checkout (it holds ``docs/`` and ``exercises/``); ``lessons`` are pairs of
    a lesson's path and its executed notebook.
    """
    from .nbtools import write_notebook

    book = folder / "docs"
    shutil.copytree(root / "docs", book, ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints"))
    for markdown in root.glob("*.md"):
        shutil.copy2(markdown, folder / markdown.name)
    for path, nb in lessons:
        write_notebook(site_notebook(nb), book / "notebooks" / path.name)
    (book / "exercises").mkdir()
    for exercise in sorted((root / "exercises").glob("*.ipynb")):
        shutil.copy2(exercise, book / "exercises" / exercise.name)
    write_api_pages(api_modules(root / "course_utils"), book / "api")
    return book


def _in_checkout(line: str, folder: Path, root: Path) -> str:
    """A line of Sphinx's output with the staged paths written as the checkout's."""
    book = f"{folder / 'docs'}{os.sep}"
    for staged, real in ((f"{book}notebooks{os.sep}", "notebooks/"), (f"{book}exercises{os.sep}", "exercises/"),
                         (book, "docs/"), (f"{folder}{os.sep}", ""), (f"{root}{os.sep}", "")):
        line = line.replace(staged, real)
    return _ANSI.sub("", line)


def build_site(out: Path, lessons: Iterable[tuple[Path, NotebookNode]], *, root: Path,
               stream: TextIO | None = None) -> BookBuild:
    """Build the website into ``out`` from the checkout ``root`` and the executed ``lessons``.

    The book is built in a scratch folder and replaces ``out`` only when it built without a
    warning (:func:`check_out_folder` says which folders may be replaced). Jupyter Book runs in
    a process of its own: autodoc imports every module of the package.
    """
    from .nbtools import Progress

    check_out_folder(out)
    with tempfile.TemporaryDirectory(prefix="course-site-") as scratch:
        folder = Path(scratch)
        book = stage(root, lessons, folder)
        command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(book),
                   "--path-output", str(folder / "build"), "--warningiserror", "--nitpick", "--keep-going", "--all"]
        start = time.perf_counter()
        with Progress("website (Jupyter Book)", stream, waiting="building"):
            done = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                                  env=dict(os.environ, PYTHONWARNINGS="ignore"))
        seconds = time.perf_counter() - start
        lines = [_in_checkout(line, folder, root) for line in (done.stdout + done.stderr).splitlines()]
        problems = [line for line in lines if _PROBLEM.search(line)]
        html = folder / "build" / "_build" / "html"
        if done.returncode != 0 or not (html / "index.html").is_file():
            problems = problems or lines[-20:]
            return BookBuild(False, problems, seconds)
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(html), str(out))
    return BookBuild(True, problems, seconds)


# ---------------------------------------------------------------- command line


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, metavar="DIR", default=Path("_build") / "site",
                        help="the folder to write the website to (replaced when it holds an earlier one)")
    parser.add_argument("--executed", type=Path, metavar="DIR",
                        help="take the executed lessons from DIR (one .ipynb per lesson, as the test suite "
                             "leaves them in test-artifacts/executed/) instead of executing them")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per cell of a lesson")


def run_command(command: str, args: argparse.Namespace) -> int:
    """Exit 0 when the website was written, 1 when a lesson failed or the book had a warning,
    2 when it cannot be built here (no checkout, no Jupyter Book 1, an output folder of
    someone else's)."""
    from .commandline import EXIT_FAILED, EXIT_USAGE
    from .course_root import CourseRootError, find_course_root
    from .nbtools import lesson_notebooks, run_all, summary_table

    out = args.out.expanduser().resolve()
    try:
        require_jupyter_book()
        root = find_course_root()
        for name in ("docs", "notebooks", "exercises"):
            root.require(name)
        check_out_folder(out)
        lessons = lesson_notebooks(root.notebooks)
        executed = executed_lessons(lessons, args.executed.expanduser()) if args.executed else None
    except CourseRootError as exc:
        print(f"error: the website is built from a checkout of the course's repository: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if executed is None:
        runs = run_all(lessons, timeout=args.timeout)
        print()
        print(summary_table(runs))
        if not all(run.ok for run in runs):
            print("error: the website was not built: a lesson failed (above)", file=sys.stderr)
            return EXIT_FAILED
        print()
        executed = [(run.path, run.notebook) for run in runs]
    build = build_site(out, executed, root=root.path)
    for problem in build.problems:
        print(problem, file=sys.stderr)
    if not build.ok:
        print(f"error: the website was not built: {len(build.problems)} problem(s) in the book (above)",
              file=sys.stderr)
        return EXIT_FAILED
    print(f"website written to {out} in {build.seconds:.0f} s: open {out / 'index.html'}")
    return 0
