"""Instant feedback: ``check("name")`` and ``check_all()`` in a notebook, and the engine
behind ``python -m course_utils check NOTEBOOK``.

In a notebook, ``check`` takes the code the kernel actually ran — the definitions in the
cell that defined each exercise function (from ``linecache``, where IPython keeps every
cell; demo calls in it are left out), the helpers they use from other cells, plus the
notebook's setup cells — writes it to a scratch notebook, and grades that in a subprocess
with a time limit. It warns when the saved notebook differs from what the kernel ran,
because graders read the saved file, and when the notebook's file name is not the one the
grader looks for. It returns a :class:`~.checkreport.CheckReport`, which JupyterLab shows
once, as a table, and a terminal prints as text. Inside the grader's own child process
``check`` does nothing.
"""

from __future__ import annotations

import json
import linecache
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..config import GradingConfig
from ..course.rubric import find_rubrics
from ..exercise_tests import ENV_TESTS, tests_folder  # noqa: F401 (ENV_TESTS: feedback's name for it)
from ..notebook.calls import bound_names, free_names
from ..notebook.extract import (EXERCISE_TAG, SETUP_TAG, NotebookProblem, cell_tags, definitions_only, load_submission,
                                read_notebook_json, top_level_functions)
from ..notebook.names import exercise_stem, rename_note
from ..sandbox.child import ENV_CHILD
from ..scoring import apply_gates, literal_constant
from .checkreport import CheckReport

DEFAULT_TIMEOUT = GradingConfig.timeout

#: environment variable: skip checks (fast notebook runs)
ENV_SKIP = "COURSE_SKIP_CHECKS"


def test_module_for(stem: str, tests_dir: str | os.PathLike | None = None) -> Path | None:
    """``tests/exercises/test_<stem>.py`` if it exists."""
    path = Path(tests_dir or tests_folder()) / f"test_{stem}.py"
    return path if path.is_file() else None


def notebook_for_exercise(name: str, tests_dir: str | os.PathLike | None = None) -> str | None:
    """The notebook stem whose test module has tests for exercise ``name``."""
    pattern = re.compile(r"exercise\(\s*['\"]" + re.escape(name) + r"['\"]")
    for path in sorted(Path(tests_dir or tests_folder()).glob("test_*.py")):
        if pattern.search(path.read_text(encoding="utf-8", errors="replace")):
            return path.stem.removeprefix("test_")
    return None


def exercises_of(stem: str, tests_dir: str | os.PathLike | None = None) -> list[str]:
    """Exercise names tested for notebook ``stem``, in order of first appearance."""
    path = test_module_for(stem, tests_dir)
    if path is None:
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    return list(dict.fromkeys(re.findall(r"exercise\(\s*['\"]([A-Za-z_]\w*)['\"]", text)))


# ------------------------------------------------------------- command-line engine


def _used_exercises(notebooks: dict[str, str], chosen: list[str], tests_dir: Path | None) -> set[str]:
    """The exercises that the ``chosen`` ones call in these notebooks (read statically), so
    that a failure can be pointed at them; their results are not reported."""
    extra: set[str] = set()
    for stem, path in notebooks.items():
        names = exercises_of(stem, tests_dir)
        try:
            uses = load_submission(path, names, max_bytes=GradingConfig.max_notebook_mb * 2**20).uses
        except NotebookProblem:
            continue
        pending = [name for name in chosen if name in names]
        while pending:
            for other in uses.get(pending.pop(), ()):
                if other not in extra and other not in chosen:
                    extra.add(other)
                    pending.append(other)
    return extra


def run_group(test_files: list[str], notebooks: dict[str, str], exercises: list[str] | None = None,
              timeout: float | None = None, memory_mb: float | None = None,
              tests_dir: str | os.PathLike | None = None) -> dict[str, tuple[list[dict], list[str]]]:
    """Grade several notebooks (stem -> path) in one pytest run: ``{stem: (results, notes)}``.

    With ``exercises``, the exercises they call are graded too (and not reported), so that
    a failure caused by one of them says so.
    """
    from ..stages.runner import run_tests

    chosen = list(exercises) if exercises is not None else None
    folder = Path(tests_dir) if tests_dir else Path(test_files[0]).parent if test_files else None
    run = None if chosen is None else chosen + sorted(_used_exercises(notebooks, chosen, folder))
    session = run_tests(test_files, notebooks=notebooks, exercises=run, timeout=timeout, memory_mb=memory_mb)
    out: dict[str, tuple[list[dict], list[str]]] = {stem: ([], []) for stem in notebooks}
    for row in apply_gates(result.to_dict() for result in session.results):  # scoring rules
        if chosen is None or row["exercise"] in chosen:
            out.setdefault(row["notebook"], ([], []))[0].append(row)
    for stem, notes in session.notes.items():
        out.setdefault(stem, ([], []))[1].extend(notes)
    return out


def rubric_note(filename: str, stem: str) -> str:
    """What ``check`` says of a notebook of written answers: how it is marked, and how to see
    which answers are written."""
    return (f"{filename} has no automatic tests: a person marks its written answers against the rubric "
            f"rubric_{stem}.toml (the points and what a good answer contains); answer_status() in the "
            f"notebook lists the answers you have written")


def _known_stems(tests_dir: Path) -> list[str]:
    return sorted(path.stem.removeprefix("test_") for path in tests_dir.glob("test_*.py"))


def check_notebooks(notebooks: Sequence[str | os.PathLike], *, exercises: Iterable[str] | None = None,
                    timeout: float = DEFAULT_TIMEOUT, tests_dir: str | os.PathLike | None = None,
                    jobs: int = 1) -> dict[str, tuple[list[dict], list[str]]]:
    """Grade notebooks, one fresh worker process per folder: ``{path: (results, notes)}``.

    A misnamed copy (``ex02_power_laws-Copy1.ipynb``) is graded as the notebook it stands
    for, with a note to rename it; a notebook with no test module gets one note saying so
    and no results.
    """
    from ..stages.runner import Job, run_isolated

    chosen = list(exercises) if exercises is not None else None
    tests_dir = Path(tests_dir or tests_folder())
    out: dict[str, tuple[list[dict], list[str]]] = {}
    folders: dict[Path, dict[str, str]] = {}
    renamed: dict[str, str] = {}
    marked = sorted(find_rubrics(tests_dir))  # notebooks a person marks against a rubric
    for notebook in map(Path, notebooks):
        stem = notebook.stem
        if test_module_for(stem, tests_dir) is None and stem not in marked:
            stem = exercise_stem(notebook.name, [*_known_stems(tests_dir), *marked]) or stem
            if stem != notebook.stem:
                renamed[str(notebook)] = rename_note(notebook.name, stem)
        group = folders.setdefault(notebook.parent, {})
        if test_module_for(stem, tests_dir) is None and stem in marked:
            out[str(notebook)] = ([], [rubric_note(notebook.name, stem)])
        elif test_module_for(stem, tests_dir) is None:
            out[str(notebook)] = ([], [f"no tests for {notebook.name}: exercise notebooks keep the name they "
                                       f"came with (such as ex02_power_laws.ipynb)"])
        elif stem in group:  # two copies of one exercise in a folder: grade each on its own
            folders.setdefault(notebook.parent / notebook.name, {})[stem] = str(notebook)
        else:
            group[stem] = str(notebook)
    work = []
    config = GradingConfig(timeout=timeout)
    for folder, group in folders.items():
        if not group:
            continue
        test_files = [str(test_module_for(stem, tests_dir)) for stem in group]
        budget = config.deadline([[None] * len(exercises_of(stem, tests_dir)) for stem in group])
        work.append(Job(folder, run_group, (test_files, group, chosen, timeout, None, str(tests_dir)),
                        deadline=budget))
    for folder, status, value in run_isolated(work, workers=jobs):
        for stem, path in folders[folder].items():
            out[path] = value[stem] if status == "ok" else ([], [f"could not grade {Path(path).name}: {value}"])
    for path, note in renamed.items():
        if path in out:
            out[path][1].insert(0, note)
    return {str(path): out[str(path)] for path in notebooks if str(path) in out}


# ------------------------------------------------------------------ in a notebook


def _kernel_cell_source(function: Any) -> str | None:
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    lines = linecache.getlines(code.co_filename)
    if lines:
        return "".join(lines)
    try:
        import inspect

        return inspect.getsource(function)
    except (OSError, TypeError):
        return None


def _saved_notebook(stem: str, namespace: dict, notebook: str | os.PathLike | None) -> Path | None:
    """The saved file of the running notebook: given, told by Jupyter, or <stem>.ipynb here."""
    for candidate in (notebook, namespace.get("__session__"), os.environ.get("JPY_SESSION_NAME")):
        if candidate and str(candidate).endswith(".ipynb") and Path(candidate).is_file():
            return Path(candidate)
    here = Path.cwd() / f"{stem}.ipynb"
    return here if here.is_file() else None


def _snapshot(stem: str, names: list[str], namespace: dict, saved: dict | None,
              folder: Path) -> tuple[Path, list[str]]:
    """Write the kernel's code for every exercise of ``stem`` (plus the setup cells) as
    ``folder/<stem>.ipynb``; warnings concern only ``names``, the exercises being checked.

    Every exercise goes in because one may call another (a fit that uses a loss function).
    """
    source_nb = saved
    warnings = []
    if source_nb is None:
        try:
            from ...course_root import find_folder

            source_nb = read_notebook_json(find_folder("exercises") / f"{stem}.ipynb")
        except (NotebookProblem, ValueError):
            source_nb = {"cells": []}
    setup = [cell for cell in source_nb["cells"]
             if cell.get("cell_type") == "code" and SETUP_TAG in cell_tags(cell)]
    saved_defs: dict[str, str] = {}
    for cell in (saved or {"cells": []})["cells"]:
        if cell.get("cell_type") == "code" and EXERCISE_TAG in cell_tags(cell):
            text = "".join(cell.get("source", ""))
            for name in top_level_functions(text)[0]:
                saved_defs[name] = text
    cells, seen = [], set()
    for name in dict.fromkeys(names + exercises_of(stem)):
        source = _kernel_cell_source(namespace.get(name)) if callable(namespace.get(name)) else None
        checked = name in names
        if checked and source is None:
            warnings.append(f"{name}: not defined in this kernel yet — run the cell that defines it")
        elif checked and saved is not None and saved_defs.get(name, "").strip() != source.strip():
            warnings.append(f"{name}: the saved notebook differs from the code you ran — "
                            f"save the notebook (graders read the saved file)")
        if source is None:
            continue
        source = definitions_only(source)
        if source not in seen:
            seen.add(source)
            cells.append({"cell_type": "code", "metadata": {"tags": [EXERCISE_TAG]},
                          "source": source, "outputs": [], "execution_count": None})
    setup_names = set().union(set(), *(bound_names("".join(cell.get("source", ""))) for cell in setup))
    helpers = [{"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None}
               for text in _kernel_helpers([cell["source"] for cell in cells], namespace, setup_names)]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": setup + helpers + cells}
    path = folder / f"{stem}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path, warnings


def _kernel_helpers(sources: list[str], namespace: dict, known: set[str], limit: int = 50) -> list[str]:
    """Untagged cells holding what the exercise ``sources`` use from elsewhere in the kernel:
    the cell that defined a helper function or class, an import of a module, a constant.

    The grader takes only the definitions it needs from them (see :mod:`course_utils.grading.notebook.extract`), as it
    does from the saved notebook's other cells.
    """
    import types

    found: dict[str, str] = {}
    pending = sorted(set().union(set(), *map(free_names, sources)) - known)
    while pending and len(found) < limit:
        name = pending.pop(0)
        if name in found or name in known or name not in namespace:
            continue
        value = namespace[name]
        if isinstance(value, types.ModuleType):
            text = f"import {value.__name__} as {name}\n" if value.__name__ != name else f"import {name}\n"
        elif isinstance(value, (types.FunctionType, type)):
            code = getattr(value, "__code__", None) or getattr(getattr(value, "__init__", None), "__code__", None)
            text = _kernel_cell_source(value) if code is not None else None
            if not text:
                continue
        elif isinstance(value, (int, str, type(None))) or (isinstance(value, float) and math.isfinite(value)):
            text = f"{name} = {value!r}\n"  # bool is an int
        else:
            continue
        found[name] = text
        pending += sorted(free_names(text) - known - set(found))
    return list(dict.fromkeys(found.values()))


def _check_in_kernel(names: list[str] | None, stem: str | None, namespace: dict,
                     notebook: str | os.PathLike | None, timeout: float) -> CheckReport:
    if stem is None:
        return CheckReport([], ["no tests found for this exercise (is the course's tests/ folder here?)"])
    chosen = names or exercises_of(stem)
    saved_path = _saved_notebook(stem, namespace, notebook)
    saved = None
    if saved_path is not None:
        try:
            saved = read_notebook_json(saved_path)
        except NotebookProblem:
            saved = None
    with tempfile.TemporaryDirectory(prefix="course-check-") as folder:
        snapshot, warnings = _snapshot(stem, chosen, namespace, saved, Path(folder))
        out = Path(folder) / "results.json"
        command = [sys.executable, "-m", "course_utils", "check", str(snapshot), "--json", str(out),
                   "--timeout", f"{timeout:g}", "--tests", str(tests_folder())]
        if names:
            command += [arg for name in names for arg in ("--exercise", name)]
        limit = GradingConfig(timeout=timeout).deadline([[None] * len(exercises_of(stem))])
        try:
            subprocess.run(command, capture_output=True, timeout=limit, cwd=folder, check=False)
            results, notes = json.loads(out.read_text(encoding="utf-8"))[str(snapshot)]
        except subprocess.TimeoutExpired:
            return CheckReport([], [f"check stopped after {limit:g} s"])
        except (OSError, ValueError, KeyError) as exc:
            return CheckReport([], [f"the grader could not run ({type(exc).__name__}: {exc})"])
    not_run = tuple(warning.split(":")[0] + ":" for warning in warnings)
    notes = warnings + [note for note in notes if not note.startswith(not_run)]
    if saved_path is None:
        notes.append("could not find the saved notebook to compare with (pass notebook=...)")
    elif saved_path.stem != stem:
        notes.insert(0, rename_note(saved_path.name, stem))
    hidden = literal_constant(test_module_for(stem), "HIDDEN_POINTS", 0) if names is None else 0
    hidden = hidden if isinstance(hidden, (int, float)) and not isinstance(hidden, bool) and hidden > 0 else 0
    return CheckReport(results, notes, hidden_points=hidden, total=names is None)


def check(name: str, *, notebook: str | os.PathLike | None = None,
          timeout: float = DEFAULT_TIMEOUT) -> CheckReport | None:
    """Run the tests of exercise ``name`` on the code this kernel ran, and report.

    Parameters
    ----------
    name
        The exercise (the function's name), e.g. ``"fit_power_law"``.
    notebook
        The saved notebook to compare with; found automatically in most set-ups.
    timeout
        Seconds each call to your function may take.

    Returns
    -------
    CheckReport
        Shown once as a table when it is a cell's last value in JupyterLab, and as text in
        a terminal or with ``print``. None inside the grader's own process.
    """
    if os.environ.get(ENV_CHILD):
        return None
    if os.environ.get(ENV_SKIP):
        return CheckReport([], [f"check({name!r}) skipped (${ENV_SKIP} is set)"])
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an exercise name such as 'fit_power_law', got {name!r}")
    namespace = sys._getframe(1).f_globals
    try:
        stem = notebook_for_exercise(name)
    except ValueError as exc:  # no course folder with the tests (CourseRootError)
        return CheckReport([], [str(exc)])
    return _check_in_kernel([name], stem, namespace, notebook, timeout)


def _running_stem(namespace: dict, notebook: str | os.PathLike | None) -> str | None:
    """The exercise notebook this kernel runs: from its file name (a misnamed copy too), else
    the notebook whose exercises the kernel defines most of."""
    stems = [path.stem.removeprefix("test_") for path in sorted(tests_folder().glob("test_*.py"))]
    session = notebook or namespace.get("__session__") or os.environ.get("JPY_SESSION_NAME") or ""
    stem = exercise_stem(Path(str(session)).name, stems) if str(session).endswith(".ipynb") else None
    if stem is not None:
        return stem
    counts = {candidate: sum(callable(namespace.get(n)) for n in exercises_of(candidate)) for candidate in stems}
    return max(counts, key=counts.get) if counts and max(counts.values()) > 0 else None


def check_all(*, notebook: str | os.PathLike | None = None, timeout: float = DEFAULT_TIMEOUT) -> CheckReport | None:
    """Run every exercise test of this notebook on the code this kernel ran: a
    :class:`~.checkreport.CheckReport` with the score (see :func:`check`)."""
    if os.environ.get(ENV_CHILD):
        return None
    if os.environ.get(ENV_SKIP):
        return CheckReport([], [f"check_all() skipped (${ENV_SKIP} is set)"])
    namespace = sys._getframe(1).f_globals
    try:
        stem = _running_stem(namespace, notebook)
    except ValueError as exc:  # no course folder with the tests (CourseRootError)
        return CheckReport([], [str(exc)])
    return _check_in_kernel(None, stem, namespace, notebook, timeout)
