"""Grade a class: ``python -m course_utils grade SUBMISSIONS --out DIR``.

``SUBMISSIONS/<student>/<notebook>.ipynb`` is graded with the tests in
``tests/exercises/test_<notebook>.py``. Outputs, each written atomically (a temporary file
renamed into place, so an interrupted run leaves the previous gradebook intact):

``grades.csv``
    one row per student: a column per exercise (points earned), ``total`` and ``percent``.
``results.jsonl``
    one JSON object per test per student: notebook, exercise, test, status, points,
    max_points, message, hint, seconds (and the student).
``feedback/<student>.md``
    what passed, what failed with the hint and the reason, notes on the notebook.

Speed: the parent imports numpy, scipy, pytest, the test modules and the course modules
the notebooks use once; every student is then graded in a worker forked from it
(milliseconds to start, one BLAS thread) that runs all of that student's notebooks in one
pytest session, ``--jobs`` workers at a time. A student's broken notebook costs that
student the affected points, never the run.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

from .child import THREAD_VARS, environment, memory_limit_note, preload_names
from .feedback import exercises_of, run_group, tests_folder
from .proxy import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from .report import format_results, score

_PRELOAD_ROOTS = {"numpy", "scipy", "course_utils", "math", "statistics"}


def add_grade_arguments(parser: argparse.ArgumentParser) -> None:
    from .cli import _positive, _positive_int

    parser.add_argument("submissions", type=Path, help="folder with one sub-folder of notebooks per student")
    parser.add_argument("--out", type=Path, required=True, help="folder for grades.csv, results.jsonl, feedback/")
    parser.add_argument("--student", action="append", metavar="NAME",
                        help="grade only this student (repeatable); other students' results are kept")
    parser.add_argument("--jobs", type=_positive_int, default=1,
                        help="worker processes grading students side by side")
    parser.add_argument("--timeout", type=_positive, default=DEFAULT_TIMEOUT,
                        help="seconds each call to a learner's function (and each cell) may take")
    parser.add_argument("--memory-mb", type=_positive, default=DEFAULT_MEMORY_MB,
                        help="memory each learner's code may add, in MiB")
    parser.add_argument("--tests", type=Path, default=None,
                        help="folder of test_<notebook>.py files (default: tests/exercises)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def find_notebook(student_dir: Path, stem: str) -> Path | None:
    """``<student>/<stem>.ipynb``, or the first one found deeper (a zip unpacked in a folder)."""
    try:
        direct = student_dir / f"{stem}.ipynb"
        if direct.is_file():
            return direct
        for path in sorted(student_dir.rglob(f"{stem}.ipynb")):
            if ".ipynb_checkpoints" not in path.parts and path.is_file():
                return path
    except OSError:  # an unreadable folder: graded as not submitted
        return None
    return None


def preload(test_files: Iterable[Path], notebooks: Iterable[Path]) -> None:
    """Import, once, what every worker would otherwise import again (never learner code).

    That is the test modules' imports, the modules of their ``BLOCKED`` names and the
    library modules that the course's own setup cells import.
    """
    import numpy  # noqa: F401
    import pytest  # noqa: F401

    names = set()
    for path in test_files:
        text = path.read_text(encoding="utf-8", errors="replace")
        names |= set(re.findall(r"['\"](course_utils(?:\.\w+)+)['\"]", text))
        names |= set(re.findall(r"^\s*(?:from|import)\s+([\w.]+)", text, re.MULTILINE))
    for path in notebooks:
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            continue
        for cell in cells:
            if "setup" in (cell.get("metadata", {}).get("tags") or []):
                names |= set(re.findall(r"^\s*(?:from|import)\s+([\w.]+)", "".join(cell.get("source", "")),
                                        re.MULTILINE))
    preload_names(sorted(name for name in names if name.split(".")[0] in _PRELOAD_ROOTS))


def _filled(rows: list[dict], syllabus: list[dict], stem: str, status: str, message: str) -> list[dict]:
    """``rows`` completed with a row for every syllabus test that did not report."""
    seen = {(row["exercise"], row["test"]) for row in rows}
    extra = [dict(notebook=stem, exercise=test["exercise"], test=test["test"], status=status, points=0.0,
                  max_points=test["max_points"], message=message, hint=test["hint"], seconds=0.0)
             for test in syllabus if (test["exercise"], test["test"]) not in seen]
    return rows + extra


def grade_class(submissions: Path, out: Path, *, students: list[str] | None = None, jobs: int = 1,
                timeout: float = DEFAULT_TIMEOUT, memory_mb: float = DEFAULT_MEMORY_MB,
                tests_dir: Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Grade every student's notebooks and write the outputs; return a summary dict.

    Raises
    ------
    ValueError
        When grading cannot run: no such or unreadable folder, no tests, unknown student.
    """
    with environment(**dict.fromkeys(THREAD_VARS, "1")):
        return _grade_class(Path(submissions), Path(out), students, jobs, timeout, memory_mb, tests_dir, progress)


def _grade_class(submissions: Path, out: Path, students: list[str] | None, jobs: int, timeout: float,
                 memory_mb: float, tests_dir: Path | None, progress: bool) -> dict[str, Any]:
    if not submissions.is_dir():
        raise ValueError(f"submissions: {submissions} is not a folder")
    try:
        entries = sorted(submissions.iterdir())
    except OSError as exc:
        raise ValueError(f"submissions: cannot read {submissions} ({exc.strerror})") from None
    roster = [entry.name for entry in entries if entry.is_dir() and not entry.name.startswith(".")]
    ignored = [entry.name for entry in entries if not entry.is_dir() and not entry.name.startswith(".")]
    if students:
        unknown = sorted(set(students) - set(roster))
        if unknown:
            raise ValueError(f"student: no folder {', '.join(unknown)} in {submissions}")
        chosen = [name for name in roster if name in students]
    else:
        chosen = roster
    if not chosen:
        raise ValueError(f"submissions: no student folders in {submissions}")
    tests_dir = Path(tests_dir or tests_folder())
    test_files = sorted(tests_dir.glob("test_*.py"))
    if not test_files:
        raise ValueError(f"tests: no test_<notebook>.py files in {tests_dir}")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"out: cannot create {out} ({exc.strerror})") from None

    from ..course_root import CourseRootError, find_folder
    from .runner import Job, collect_syllabus, run_isolated

    started = time.perf_counter()
    stems = [path.stem.removeprefix("test_") for path in test_files]
    try:
        exercises = find_folder("exercises")
    except CourseRootError:
        exercises = None  # preloading is an optimisation only
    preload(test_files, [exercises / f"{stem}.ipynb" for stem in stems] if exercises else [])
    syllabus = {stem: collect_syllabus(path) for stem, path in zip(stems, test_files)}

    rows: dict[tuple[str, str], list[dict]] = {}
    notes: dict[tuple[str, str], list[str]] = {}
    jobs_to_run = []
    for student in chosen:
        group = {}
        for stem in stems:
            notebook = find_notebook(submissions / student, stem)
            if notebook is None:
                rows[student, stem] = _filled([], syllabus[stem], stem, "missing",
                                              f"no notebook {stem}.ipynb was submitted")
                continue
            if notebook.parent != submissions / student:
                notes[student, stem] = [f"graded {notebook.relative_to(submissions / student)}"]
            group[stem] = str(notebook)
        if group:
            budget = 60 + timeout * sum(2 * len(exercises_of(stem, tests_dir)) + 10 for stem in group)
            test_files = [str(tests_dir / f"test_{stem}.py") for stem in group]
            jobs_to_run.append(Job(student, run_group, (test_files, group, None, timeout, memory_mb),
                                   deadline=budget))

    bar = None
    if progress and jobs_to_run:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread in a process that forks
        bar = tqdm(total=len(jobs_to_run), unit="student", desc="grading", file=sys.stderr)
    for student, status, value in run_isolated(jobs_to_run, workers=jobs):
        for stem in (stem for stem in stems if (student, stem) not in rows):
            if status == "ok":
                found, found_notes = value.get(stem, ([], []))
                rows[student, stem] = _filled(found, syllabus[stem], stem, "error",
                                              "this test did not run (the notebook's grading stopped early)")
                notes.setdefault((student, stem), []).extend(found_notes)
            else:
                rows[student, stem] = _filled([], syllabus[stem], stem, "error", value)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()

    results = []
    for student in chosen:
        for stem in stems:
            results += [{"student": student, **row} for row in rows[student, stem]]
    _write_outputs(out, results, chosen, stems, syllabus, notes, replace_only=students is not None)
    elapsed = time.perf_counter() - started
    means = {}
    for row in results:
        earned, possible = means.get(row["exercise"], (0.0, 0.0))
        means[row["exercise"]] = (earned + row["points"] / len(chosen), possible + row["max_points"] / len(chosen))
    return {"students": len(chosen), "notebooks": len(stems), "seconds": elapsed,
            "ignored": ignored, "memory_note": memory_limit_note(), "exercise_means": means}


def _read_previous(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return rows


def _write_outputs(out: Path, results: list[dict], chosen: list[str], stems: list[str],
                   syllabus: dict[str, list[dict]], notes: dict, *, replace_only: bool) -> None:
    if replace_only:  # --student: keep everyone else's results
        previous = [row for row in _read_previous(out / "results.jsonl") if row.get("student") not in chosen]
        results = previous + results
    students = list(dict.fromkeys(row["student"] for row in results))
    students.sort()

    exercise_names = [(stem, test["exercise"]) for stem in stems for test in syllabus[stem]]
    exercise_names = list(dict.fromkeys(exercise_names))
    clashes = {name for _, name in exercise_names if sum(n == name for _, n in exercise_names) > 1}
    column = {key: (f"{key[0]}:{key[1]}" if key[1] in clashes else key[1]) for key in exercise_names}

    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["student", *column.values(), "total", "percent"])
    for student in students:
        mine = [row for row in results if row["student"] == student]
        per = {key: 0.0 for key in exercise_names}
        for row in mine:
            key = (row["notebook"], row["exercise"])
            if key in per:
                per[key] += row["points"]
        earned, possible = score(mine)
        writer.writerow([student, *(f"{per[key]:g}" for key in exercise_names), f"{earned:g}",
                         f"{100.0 * earned / possible:.1f}" if possible else "0.0"])
    write_atomic(out / "grades.csv", table.getvalue())
    write_atomic(out / "results.jsonl", "".join(json.dumps(row) + "\n" for row in results))

    for student in chosen:
        mine = [row for row in results if row["student"] == student]
        earned, possible = score(mine)
        parts = [f"# Feedback for {student}", "",
                 f"**Total: {earned:g}/{possible:g} points ({100.0 * earned / possible if possible else 0:.0f}%)**", ""]
        for stem in stems:
            rows = [row for row in mine if row["notebook"] == stem]
            parts += [format_results(rows, notes.get((student, stem), []), heading=f"{stem}.ipynb",
                                     markdown=True), ""]
        write_atomic(out / "feedback" / f"{student}.md", "\n".join(parts))


def run_grade(args: argparse.Namespace) -> int:
    summary = grade_class(args.submissions, args.out, students=args.student, jobs=args.jobs,
                          timeout=args.timeout, memory_mb=args.memory_mb, tests_dir=args.tests,
                          progress=not args.quiet)
    if summary["memory_note"]:
        print(f"note: {summary['memory_note']}")
    for name in summary["ignored"]:
        print(f"note: ignored {name} (not a student folder)")
    print("class mean per exercise (points earned / possible):")
    for name, (earned, possible) in summary["exercise_means"].items():
        print(f"  {name:<32} {earned:5.2f} / {possible:g}")
    seconds = summary["seconds"]
    print(f"graded {summary['students']} students x {summary['notebooks']} notebooks in {seconds:.1f} s "
          f"({seconds / summary['students']:.2f} s per student)")
    print(f"wrote {args.out / 'grades.csv'}, {args.out / 'results.jsonl'}, {args.out / 'feedback'}/")
    return 0
