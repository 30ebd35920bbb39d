"""Grade a class: ``python -m course_utils grade SUBMISSIONS --out DIR``.

``SUBMISSIONS/<student>/<notebook>.ipynb`` is graded with the public tests in
``tests/exercises/test_<notebook>.py`` and the hidden tests in the course root's
``tests/hidden/test_<notebook>.py`` (see :mod:`course_utils.course_root`). The work is
done in the named stages of :mod:`.pipeline`; learner code runs in the sandbox of
:mod:`.sandbox`, forked from the clean template of :mod:`.template`. Outputs, each written
atomically once every learner process is gone:

``grades.csv``
    one row per student: a column per exercise (points earned), ``total`` and ``percent``.
``results.jsonl``
    one JSON object per test per student: student, notebook, exercise, test, status,
    points, max_points, message, hint, seconds, hidden.
``feedback/<student>.md``
    what passed, what failed with the hint and the reason (hidden tests: name and points
    only), notes on the notebook.
``manifest.json``
    the course version, the SHA-256 of the tests graded with, the isolation in force, the
    limits, and per student when they were graded and with which tests.

A student's broken or hostile notebook costs that student the affected points, never the
run; ``grade`` exits 0 when it graded the class and 2 when it could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from .child import THREAD_VARS, environment
from .config import GradingConfig, positive_integer, positive_number


def add_grade_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = GradingConfig()
    parser.add_argument("submissions", type=Path, help="folder with one sub-folder of notebooks per student")
    parser.add_argument("--out", type=Path, required=True,
                        help="folder for grades.csv, results.jsonl, feedback/, manifest.json")
    parser.add_argument("--student", action="append", metavar="NAME",
                        help="grade only this student (repeatable); other students' results are kept")
    parser.add_argument("--jobs", type=positive_integer, default=1,
                        help="worker processes grading students side by side")
    parser.add_argument("--timeout", type=positive_number, default=defaults.timeout,
                        help="seconds each call to a learner's function may take")
    parser.add_argument("--startup", type=positive_number, default=defaults.startup_seconds,
                        help="seconds a notebook's tagged cells may take to run, all together")
    parser.add_argument("--memory-mb", type=positive_number, default=defaults.memory_mb,
                        help="memory each learner process may add, in MiB")
    parser.add_argument("--tests", type=Path, default=None,
                        help="folder of test_<notebook>.py files (default: tests/exercises)")
    parser.add_argument("--hidden-tests", type=Path, default=None, metavar="DIR",
                        help="folder of hidden test_<notebook>.py files (default: the course's tests/hidden "
                             "when --tests is not given)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run learner code without the sandbox (only to compare; recorded in the gradebook)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def default_hidden_tests() -> Path | None:
    """The course root's ``tests/hidden`` when it exists."""
    from ..course_root import CourseRootError, find_course_root

    try:
        root = find_course_root()
    except CourseRootError:
        return None
    return root.hidden_tests if root.has("hidden_tests") else None


def grade_class(submissions: Path, out: Path, *, students: list[str] | None = None, jobs: int = 1,
                timeout: float | None = None, memory_mb: float | None = None, tests_dir: Path | None = None,
                hidden_dir: Path | None = None, config: GradingConfig | None = None,
                progress: bool = True) -> dict[str, Any]:
    """Grade every student's notebooks and write the outputs; return a summary dict.

    ``config`` holds the limits (``timeout`` and ``memory_mb`` override it). Hidden tests
    come from ``hidden_dir``; without it, and without ``tests_dir``, from the course's
    ``tests/hidden`` (:func:`default_hidden_tests`), as for ``python -m course_utils grade``.

    Raises
    ------
    ValueError
        When grading cannot run: no such or unreadable folder, no tests or no exercise
        tests, unknown student, a template process that does not start.
    """
    config = config or GradingConfig()
    if hidden_dir is None and tests_dir is None:
        hidden_dir = default_hidden_tests()
    overrides = {k: v for k, v in (("timeout", timeout), ("memory_mb", memory_mb)) if v is not None}
    if overrides:
        config = GradingConfig(**{**config.to_dict(), **overrides})
    with environment(**dict.fromkeys(THREAD_VARS, "1")):
        return _grade_class(Path(submissions), Path(out), students, jobs, tests_dir, hidden_dir, config, progress)


def _grade_class(submissions: Path, out: Path, students: list[str] | None, jobs: int, tests_dir: Path | None,
                 hidden_dir: Path | None, config: GradingConfig, progress: bool) -> dict[str, Any]:
    from ..course_root import CourseRootError, find_course_root
    from . import pipeline
    from .errors import GraderProblem

    started = time.perf_counter()
    if not submissions.is_dir():
        raise ValueError(f"submissions: {submissions} is not a folder")
    public, hidden_tests = pipeline.test_modules(tests_dir, hidden_dir)
    try:
        course_root = str(find_course_root().path)
    except CourseRootError:
        course_root = ""
    with pipeline.private_folder() as staging:
        hidden = [course_root, str(submissions.resolve()), str(out.resolve()), staging,
                  *(str(p.parent.resolve()) for p in [*public.values(), *hidden_tests.values()])]
        template = None
        if sys.platform.startswith("linux") and public:  # a fresh interpreter: it imports while we collect
            from .template import Template

            template = Template.spawn(pipeline.preload_names([*public.values(), *hidden_tests.values()]), hidden,
                                      sandbox=config.sandbox, wait=False)
        try:
            plan = pipeline.discover(submissions, out, students=students, tests_dir=tests_dir,
                                     hidden_dir=hidden_dir, config=config)
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ValueError(f"out: cannot create {out} ({exc.strerror})") from None
            if template is not None:
                try:
                    template.wait_ready()
                except GraderProblem as exc:
                    raise ValueError(str(exc)) from None
            found = pipeline.extract(plan, Path(staging))
            outcomes = pipeline.run(plan, found, launcher=template, jobs=jobs, progress=progress)
        finally:
            if template is not None:
                template.close()  # returns once every learner process is gone
        isolation = template.isolation.to_dict() if template is not None else \
            {"level": "limits", "mechanisms": [], "note": f"no sandbox on {sys.platform}: only the limits apply"}
        book = pipeline.score(plan, found, outcomes, isolation)
    pipeline.write(book)
    elapsed = time.perf_counter() - started
    means: dict[str, tuple[float, float]] = {}
    count = len(plan.students)
    for row in book.results:
        earned, possible = means.get(row["exercise"], (0.0, 0.0))
        means[row["exercise"]] = (earned + row["points"] / count, possible + row["max_points"] / count)
    return {"students": count, "notebooks": len(plan.stems), "seconds": elapsed, "ignored": plan.ignored,
            "isolation": isolation, "grader_errors": book.grader_errors, "exercise_means": means,
            "hidden_tests": len(plan.hidden), "tests_sha256": plan.tests_sha256}


def run_grade(args: argparse.Namespace) -> int:
    hidden = args.hidden_tests  # None: the course's tests/hidden, unless --tests names other tests
    config = GradingConfig(timeout=args.timeout, startup_seconds=args.startup, memory_mb=args.memory_mb,
                           sandbox=not args.no_sandbox)
    summary = grade_class(args.submissions, args.out, students=args.student, jobs=args.jobs, tests_dir=args.tests,
                          hidden_dir=hidden, config=config, progress=not args.quiet)
    isolation = summary["isolation"]
    if isolation.get("note"):
        print(f"note: {isolation['note']}")
    for line in summary["ignored"]:
        print(f"note: {line}")
    for line in summary["grader_errors"]:
        print(f"grader error (regrade with --student): {line}")
    print("class mean per exercise (points earned / possible):")
    for name, (earned, possible) in summary["exercise_means"].items():
        print(f"  {name:<32} {earned:5.2f} / {possible:g}")
    seconds = summary["seconds"]
    print(f"graded {summary['students']} students x {summary['notebooks']} notebooks in {seconds:.1f} s "
          f"({seconds / summary['students']:.2f} s per student; "
          f"{summary['hidden_tests']} notebooks with hidden tests; isolation: {isolation['level']})")
    print(f"wrote {args.out / 'grades.csv'}, {args.out / 'results.jsonl'}, {args.out / 'feedback'}/, "
          f"{args.out / 'manifest.json'}")
    return 0
