"""The grading subcommands of ``python -m course_utils``: release, start, check, grade,
merge-grades (shards of a sharded grade into one gradebook), import (an LMS download into
one folder per student) and export (a gradebook for an LMS).

Each returns 0 when it ran (whatever the learners' code did; ``check`` alone, which a learner
or a CI job runs on their own notebook, returns 1 when any test fails) and 2 when it cannot
run: bad arguments, a notebook or folder that does not exist or cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..config import GradingConfig, positive_integer, positive_number

DEFAULT_TIMEOUT = GradingConfig.timeout


def add_arguments(command: str, parser: argparse.ArgumentParser) -> None:
    if command == "release":
        parser.add_argument("--solutions", type=Path, default=None, help="source notebooks (default: solutions/)")
        parser.add_argument("--out", type=Path, default=None, help="where to write them (default: exercises/)")
        parser.add_argument("--without-solutions", type=Path, metavar="DIR",
                            help="also write a workshop copy of the course to DIR, with no solutions in it")
    elif command == "start":
        parser.add_argument("--dir", type=Path, default=None,
                            help="your course folder: the lessons in DIR/notebooks/ and your copies of the "
                                 "exercises in DIR/my_work/ (default: the course folder you are in; in a "
                                 "source checkout its my_work/, which git ignores; else ./scaling-course)")
        parser.add_argument("--update", action="store_true",
                            help="after an upgrade: bring in new and changed lessons and new exercises (a lesson "
                                 "you edited is kept in DIR/earlier-lessons/ first; your exercise copies are "
                                 "never overwritten)")
    elif command == "check":
        parser.add_argument("notebooks", nargs="+", type=Path,
                            help="exercise notebooks (named like ex02_power_laws.ipynb) or folders of them")
        parser.add_argument("--exercise", action="append", metavar="NAME", help="check only this exercise")
        parser.add_argument("--timeout", type=positive_number, default=DEFAULT_TIMEOUT,
                            help="seconds each call to your function may take")
        parser.add_argument("--jobs", type=positive_integer, default=1,
                            help="worker processes (one per folder of notebooks)")
        parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
        parser.add_argument("--tests", type=Path, default=None,
                            help="folder of test_<notebook>.py files (default: tests/exercises)")
    elif command == "grade":
        from .grade import add_grade_arguments

        add_grade_arguments(parser)
    elif command == "merge-grades":
        from .shards import add_merge_arguments

        add_merge_arguments(parser)
    elif command == "import":
        parser.add_argument("lms", choices=("canvas", "moodle"), help="the system the download comes from")
        parser.add_argument("download", type=Path, help="the submissions download: the zip or its unpacked folder")
        parser.add_argument("--roster", type=Path, required=True, metavar="FILE",
                            help="class roster CSV: folder, and canvas_id (Canvas) or name (Moodle)")
        parser.add_argument("--into", type=Path, required=True, metavar="SUBMISSIONS",
                            help="the submissions folder grade reads (other weeks' files stay)")
        parser.add_argument("--worksheet", type=Path, metavar="FILE",
                            help="Moodle: the assignment's grading worksheet (needed under blind marking)")
        parser.add_argument("--overwrite", action="store_true",
                            help="replace files that exist with other content (default: refuse)")
    elif command == "export":
        parser.add_argument("kind", choices=("canvas", "moodle", "gradescope"))
        parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                            help="the gradebook folder (grade --out); the export is written there")
        parser.add_argument("--roster", type=Path, metavar="FILE", help="class roster CSV")
        parser.add_argument("--assignment", action="append", metavar="NOTEBOOK=TITLE (ID)[/POINTS]",
                            help="a notebook's column: title, Canvas assignment id, points (repeatable; default: "
                                 "every graded notebook, raw points)")
        parser.add_argument("--moodle-id", choices=("email", "idnumber"), default="email")
        parser.add_argument("--wheel", type=Path, metavar="FILE", help="Gradescope: the course's wheel")
        parser.add_argument("--notebook", action="append", metavar="STEM",
                            help="Gradescope: the notebook(s) its autograder grades")
        parser.add_argument("--allow-partial", action="store_true",
                            help="Canvas, Moodle: export notebooks whose written answers are not all marked yet "
                                 "(their points so far, out of the notebook's full points); without it they are "
                                 "refused")


def run_command(command: str, args: argparse.Namespace) -> int:
    try:
        if command == "release":
            return _release(args)
        if command == "start":
            return _start(args)
        if command == "check":
            return _check(args)
        if command == "grade":
            from .grade import run_grade

            return run_grade(args)
        if command == "merge-grades":
            from .shards import run_merge

            return run_merge(args)
        if command == "import":
            return _import(args)
        if command == "export":
            return _export(args)
    except ValueError as exc:  # CourseRootError included
        print(f"error: {exc}", file=sys.stderr)
        return 2
    raise ValueError(f"unknown grading subcommand {command!r}")


def _release(args: argparse.Namespace) -> int:
    from .release import release, workshop_copy
    from ...course_root import find_course_root

    root = find_course_root()
    written = release(args.solutions or root.require("solutions"), args.out or root.exercises)
    for path in written:
        print(f"wrote {path}")
    if args.without_solutions:
        folder = workshop_copy(args.without_solutions)
        print(f"workshop copy without solutions: {folder}")
    return 0


def _start(args: argparse.Namespace) -> int:
    from course_utils.commandline import CONSOLE_SCRIPT

    from .workcopy import start_course

    report = start_course(args.dir, update=args.update)
    folder = report.folder
    for path in report.copied:
        print(f"added   {path}")
    for old, new in report.moved.items():
        print(f"moved   {old} -> {new} (this version keeps your exercises in my_work/)")
    for path in report.updated:
        kept = report.saved.get(path)
        print(f"updated {path}" + (f" (your edited copy is kept as {kept})" if kept else ""))
    if report.kept:
        print(f"kept    {len(report.kept)} file(s) you already had (your files are never overwritten)")
    if report.outdated and not args.update:
        print(f"note: this folder holds the lessons of version {report.folder_version}; the installed course is "
              f"{report.version}. To bring in the new and changed lessons (your exercise copies are never "
              f"overwritten): {CONSOLE_SCRIPT} start --dir {folder} --update")
    elif args.update:
        changes = len(report.updated) + len(report.copied) + len(report.moved)
        print(f"up to date with version {report.version}" + ("" if changes else ": nothing had changed"))
    if report.course_folder:
        print(f"Your course folder is {folder}: the lessons in {folder / 'notebooks'} (start with "
              f"00_welcome.ipynb), your copies of the exercises in {report.exercises}.\n"
              f"Open it with:  jupyter lab {folder}")
    else:
        print(f"Your copies of the exercises are in {folder}; the lessons are in notebooks/ (start with "
              f"00_welcome.ipynb). Run check(...) cells in your copies for feedback.")
    return 0


def _tested_stems(tests_dir: Path | None) -> tuple[Path, list[str]]:
    """The tests folder ``check`` uses and the notebooks it has tests for."""
    from ..exercise_tests import tests_folder

    tests = Path(tests_dir or tests_folder())
    return tests, sorted(path.stem.removeprefix("test_") for path in tests.glob("test_*.py"))


def _check_targets(paths: list[Path], tests_dir: Path | None) -> list[Path]:
    """The notebooks ``check`` was asked for; ValueError (exit 2) for a path that is no notebook
    with tests (a lesson, a notebook a person marks against a rubric, a missing file)."""
    from ..learner.feedback import rubric_note
    from ..notebook.names import exercise_stem
    from ..course.rubric import exercise_notebooks, find_rubrics

    _, known = _tested_stems(tests_dir)
    marked = sorted(find_rubrics(tests_dir))
    notebooks = []
    for path in paths:
        if path.is_dir():
            found = [nb for nb in exercise_notebooks(path, tests_dir) if exercise_stem(nb.name, known)]
            if not found:
                raise ValueError(f"{path}: no exercise notebooks in this folder (named like ex02_power_laws.ipynb)")
            notebooks += found
        elif not path.exists():
            raise ValueError(f"{path}: no such notebook")
        elif path.suffix != ".ipynb":
            raise ValueError(f"{path}: not a notebook (.ipynb) or a folder")
        elif exercise_stem(path.name, known) is not None:
            notebooks.append(path)
        elif (stem := exercise_stem(path.name, marked)) is not None:
            raise ValueError(rubric_note(path.name, stem))
        else:
            raise ValueError(f"{path.name}: no tests for this notebook; exercise notebooks keep the name they "
                             f"came with: {', '.join(name + '.ipynb' for name in known)}")
    return notebooks


def _check_exercises(chosen: list[str] | None, notebooks: list[Path], tests_dir: Path | None) -> None:
    """ValueError (exit 2) for an ``--exercise`` that none of the notebooks has."""
    from ..learner.feedback import exercises_of
    from ..notebook.names import exercise_stem

    if not chosen:
        return
    tests, known = _tested_stems(tests_dir)
    names = {name for nb in notebooks for name in exercises_of(exercise_stem(nb.name, known) or nb.stem, tests)}
    unknown = [name for name in chosen if name not in names]
    if unknown:
        raise ValueError(f"exercise: no exercise named {', '.join(unknown)} in "
                         f"{', '.join(nb.name for nb in notebooks)}; known: {', '.join(sorted(names))}")


def _check(args: argparse.Namespace) -> int:
    """Exit 0 when every test passed, 1 when any failed (or a notebook could not be graded),
    2 when check cannot run (see :mod:`course_utils.commandline`)."""
    from ...commandline import EXIT_FAILED
    from ..learner.feedback import check_notebooks
    from ..course.report import format_results

    notebooks = _check_targets(args.notebooks, args.tests)
    _check_exercises(args.exercise, notebooks, args.tests)
    from ..sandbox.child import memory_limit_note

    if memory_limit_note():
        print(f"note: {memory_limit_note()}")
    results = check_notebooks(notebooks, exercises=args.exercise, timeout=args.timeout, jobs=args.jobs,
                              tests_dir=args.tests)
    passed = total = 0
    all_graded = True
    for path, (rows, notes) in results.items():
        if not rows and args.exercise:
            notes = [*notes, f"no tests of {', '.join(args.exercise)} for this notebook"]
        elif not rows:
            all_graded = False
        print(format_results(rows, notes, heading=Path(path).name))
        print()
        total += len(rows)
        passed += sum(row["status"] == "passed" for row in rows)
    if args.json:
        args.json.write_text(json.dumps(results), encoding="utf-8")
    ok = all_graded and passed == total and total > 0
    print(f"all {total} tests passed" if ok else f"{passed} of {total} tests passed",
          f"({len(results)} notebook{'s' if len(results) != 1 else ''})")
    return 0 if ok else EXIT_FAILED


def _import(args: argparse.Namespace) -> int:
    from ..course.csvio import read_table
    from ..course.lms_import import MANIFEST, import_submissions
    from ..course.roster import read_roster

    roster = read_roster(args.roster)
    for note in roster.notes:
        print(f"note: roster: {note}")
    worksheet = read_table(args.worksheet) if args.worksheet is not None else None
    if worksheet is not None and args.lms != "moodle":
        raise ValueError("worksheet: a grading worksheet is Moodle's; a Canvas download is matched by Canvas ID")
    plan = import_submissions(args.download, args.into, roster, args.lms, worksheet=worksheet,
                              overwrite=args.overwrite)
    folders = sorted({planned.folder for planned in plan.files})
    print(f"imported {len(plan.files)} file(s) for {len(folders)} student(s) into {args.into}/ "
          f"(recorded in {args.into / MANIFEST})")
    late = sorted({planned.folder for planned in plan.files if planned.late_marker})
    if late:
        print(f"marked LATE by Canvas: {', '.join(late)}")
    for line in plan.notes:
        print(f"note: {line}")
    for line in plan.unmatched:
        print(f"not imported: {line}")
    if plan.absent:
        print(f"no file for {len(plan.absent)} student(s) of the roster: {', '.join(plan.absent)}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from ..stages.instructions import Instructions
    from ..course.ledger import RESULTS, read_ledger
    from ..stages.outputs import settle

    if args.kind != "gradescope" and not (args.out / RESULTS).is_file():
        raise ValueError(f"out: {args.out} holds no gradebook yet (no {RESULTS}); grade first: "
                         f"python -m course_utils grade SUBMISSIONS --out {args.out}")
    found = Instructions.read(roster=args.roster, export=[args.kind], assignment=args.assignment or (),
                              moodle_id=args.moodle_id, wheel=args.wheel, notebooks=args.notebook or (),
                              allow_partial=args.allow_partial)
    [export] = found.exports
    for note in found.notes:
        print(f"note: {note}")
    if args.kind == "gradescope":
        from ..gradescope import bundle_files

        bundle_files(export.course_root, export.notebooks)  # every notebook has tests (else: ValueError)
        path = export.write(args.out, [])
    else:
        ledger, _, _ = settle(read_ledger(args.out))
        path = export.write(args.out, ledger.rows)
        note = export.partial_note(ledger.rows)
        if note:
            print(f"note: {note}")
    print(f"wrote {path}")
    return 0
