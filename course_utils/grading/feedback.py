"""Instant feedback: ``check("name")`` and ``check_all()`` in a notebook, and the engine
behind ``python -m course_utils check NOTEBOOK``.

In a notebook, ``check`` takes the code the kernel actually ran — the definitions in the
cell that defined each exercise function (from ``linecache``, where IPython keeps every
cell; demo calls in it are left out) plus the notebook's setup cells — writes it to a scratch notebook, and grades that in a
subprocess with a time limit. It warns when the saved notebook differs from what the
kernel ran, because graders read the saved file. Inside the grader's own child process
``check`` does nothing.
"""

from __future__ import annotations

import json
import linecache
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterable, Sequence

from .child import ENV_CHILD
from .extract import (EXERCISE_TAG, SETUP_TAG, NotebookProblem, cell_tags, definitions_only,
                      read_notebook_json, top_level_functions)
from .config import GradingConfig
from .report import format_results
from .scoring import apply_gates, hidden_points_note

DEFAULT_TIMEOUT = GradingConfig.timeout

#: environment variables: another folder of test modules; skip checks (fast notebook runs)
ENV_TESTS, ENV_SKIP = "COURSE_GRADING_TESTS", "COURSE_SKIP_CHECKS"


def tests_folder() -> Path:
    """The folder of ``test_<notebook>.py`` modules ``check`` uses: ``$COURSE_GRADING_TESTS``,
    else the course root's ``tests/exercises`` (see :mod:`course_utils.course_root`)."""
    if os.environ.get(ENV_TESTS):
        return Path(os.environ[ENV_TESTS])
    from ..course_root import find_folder

    return find_folder("exercise_tests")


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


def run_group(test_files: list[str], notebooks: dict[str, str], exercises: list[str] | None = None,
              timeout: float | None = None, memory_mb: float | None = None) -> dict[str, tuple[list[dict], list[str]]]:
    """Grade several notebooks (stem -> path) in one pytest run: ``{stem: (results, notes)}``."""
    from .runner import run_tests

    session = run_tests(test_files, notebooks=notebooks, exercises=exercises, timeout=timeout,
                        memory_mb=memory_mb)
    out: dict[str, tuple[list[dict], list[str]]] = {stem: ([], []) for stem in notebooks}
    for row in apply_gates(result.to_dict() for result in session.results):  # scoring rules
        out.setdefault(row["notebook"], ([], []))[0].append(row)
    for stem, notes in session.notes.items():
        out.setdefault(stem, ([], []))[1].extend(notes)
    return out


def check_notebooks(notebooks: Sequence[str | os.PathLike], *, exercises: Iterable[str] | None = None,
                    timeout: float = DEFAULT_TIMEOUT, tests_dir: str | os.PathLike | None = None,
                    jobs: int = 1) -> dict[str, tuple[list[dict], list[str]]]:
    """Grade notebooks, one fresh worker process per folder: ``{path: (results, notes)}``.

    A notebook with no test module gets one note saying so and no results.
    """
    from .runner import Job, run_isolated

    chosen = list(exercises) if exercises is not None else None
    tests_dir = Path(tests_dir or tests_folder())
    out: dict[str, tuple[list[dict], list[str]]] = {}
    folders: dict[Path, dict[str, str]] = {}
    for notebook in map(Path, notebooks):
        if test_module_for(notebook.stem, tests_dir) is None:
            out[str(notebook)] = ([], [f"no tests for {notebook.stem} "
                                       f"(expected {tests_dir / f'test_{notebook.stem}.py'})"])
        else:
            folders.setdefault(notebook.parent, {})[notebook.stem] = str(notebook)
    work = []
    config = GradingConfig(timeout=timeout)
    for folder, group in folders.items():
        test_files = [str(test_module_for(stem, tests_dir)) for stem in group]
        budget = config.deadline([[None] * len(exercises_of(stem, tests_dir)) for stem in group])
        work.append(Job(folder, run_group, (test_files, group, chosen, timeout), deadline=budget))
    for folder, status, value in run_isolated(work, workers=jobs):
        for stem, path in folders[folder].items():
            out[path] = value[stem] if status == "ok" else ([], [f"could not grade {Path(path).name}: {value}"])
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
            from ..course_root import find_folder

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
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": setup + cells}
    path = folder / f"{stem}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path, warnings


def _check_in_kernel(names: list[str] | None, stem: str | None, namespace: dict,
                     notebook: str | os.PathLike | None, timeout: float) -> None:
    if stem is None:
        print("check: no tests found for this exercise (is the course's tests/ folder here?)")
        return
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
            print(f"check: stopped after {limit:g} s")
            return
        except (OSError, ValueError, KeyError) as exc:
            print(f"check: the grader could not run ({type(exc).__name__}: {exc})")
            return
    not_run = tuple(warning.split(":")[0] + ":" for warning in warnings)
    notes = warnings + [note for note in notes if not note.startswith(not_run)]
    if saved_path is None:
        notes.append("could not find the saved notebook to compare with (pass notebook=...)")
    print(format_results(results, notes, total=names is None))
    if names is None and (note := hidden_points_note(test_module_for(stem))):  # check_all(): hidden points
        print(note)


def check(name: str, *, notebook: str | os.PathLike | None = None,
          timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run the tests of exercise ``name`` on the code this kernel ran, and print a report.

    Parameters
    ----------
    name
        The exercise (the function's name), e.g. ``"fit_power_law"``.
    notebook
        The saved notebook to compare with; found automatically in most set-ups.
    timeout
        Seconds each call to your function may take.
    """
    if os.environ.get(ENV_CHILD):
        return
    if os.environ.get(ENV_SKIP):
        print(f"check({name!r}) skipped (${ENV_SKIP} is set)")
        return
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an exercise name such as 'fit_power_law', got {name!r}")
    namespace = sys._getframe(1).f_globals
    try:
        stem = notebook_for_exercise(name)
    except ValueError as exc:  # no course folder with the tests (CourseRootError)
        print(f"check: {exc}")
        return
    _check_in_kernel([name], stem, namespace, notebook, timeout)


def check_all(*, notebook: str | os.PathLike | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Run every exercise test of this notebook on the code this kernel ran; print the score."""
    if os.environ.get(ENV_CHILD):
        return
    if os.environ.get(ENV_SKIP):
        print(f"check_all() skipped (${ENV_SKIP} is set)")
        return
    namespace = sys._getframe(1).f_globals
    try:
        tests_folder()
    except ValueError as exc:  # no course folder with the tests (CourseRootError)
        print(f"check_all: {exc}")
        return
    stem = Path(notebook).stem if notebook else None
    if stem is None:
        session = namespace.get("__session__") or os.environ.get("JPY_SESSION_NAME") or ""
        stem = Path(str(session)).stem if str(session).endswith(".ipynb") else None
    if stem is None or test_module_for(stem) is None:  # the notebook whose exercises this kernel defines
        counts = {}
        for path in sorted(tests_folder().glob("test_*.py")):
            candidate = path.stem.removeprefix("test_")
            counts[candidate] = sum(callable(namespace.get(n)) for n in exercises_of(candidate))
        stem = max(counts, key=counts.get) if counts and max(counts.values()) > 0 else None
    _check_in_kernel(None, stem, namespace, notebook, timeout)
