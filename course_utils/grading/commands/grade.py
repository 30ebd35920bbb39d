"""Grade a class: ``python -m course_utils grade SUBMISSIONS --out DIR``.

``SUBMISSIONS/<student>/<notebook>.ipynb`` is graded with the public tests in
``tests/exercises/test_<notebook>.py`` and the hidden tests in the course root's
``tests/hidden/test_<notebook>.py`` (see :mod:`course_utils.course_root`); a notebook with a
rubric (``tests/exercises/rubric_<notebook>.toml``) has its written answers collected. The
work is done in the named stages of :mod:`course_utils.grading.stages`; learner code runs in the
sandbox of :mod:`.isolation`, forked from the clean template of :mod:`.template`.

``--notebook STEM`` grades one assignment (repeatable) and ``--student NAME`` one learner:
only those (student, notebook) results are replaced, everything else in the gradebook is
kept. ``--roster``, ``--merge-rubric``, ``--overrides``, ``--due``, ``--late-rule``,
``--prediction-table`` and ``--export`` add what an instructor decides (:mod:`.instructions`); all of them are checked
before anything is graded. Every output (``grades.csv``, ``results.jsonl``, ``feedback/``,
``manifest.json``, ``summary.csv``, ``totals.png``, ``identical.csv``, ``late.csv``, answer
pages and marking sheets, exports) is rebuilt from the gradebook's record by
:func:`.outputs.write_outputs`, each file written atomically once every learner process is
gone.

``--shard K/N`` (or ``auto``: a Slurm array task or a Kubernetes Indexed Job pod) grades the
students whose folder name shard K of N owns (SHA-256 of the name, so a retry grades the
same students) into a folder of its own; ``merge-grades`` joins the shards (:mod:`.shards`).

A student's broken or hostile notebook costs that student the affected points, never the
run; ``grade`` exits 0 when it graded the class and 2 when it could not run (or could not
write an export it was asked for: the gradebook is then written, the export is not).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..config import GradingConfig, positive_integer, positive_number
from ..sandbox.child import THREAD_VARS, environment
from ..sandbox.isolation import ISOLATION_LEVELS, Level
from .gradebook_lines import identical_line, late_line, plural


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
    parser.add_argument("--shard", metavar="K/N|auto",
                        help="grade shard K of N of the class (the students whose folder name it owns) into a folder "
                             "of its own; 'auto' reads a Slurm array's or Kubernetes Indexed Job's variables; join the "
                             "shards with merge-grades")
    parser.add_argument("--require-isolation", choices=ISOLATION_LEVELS[:-1], metavar="LEVEL",
                        help="stop before grading (exit 2) when the sandbox on this machine is weaker than LEVEL "
                             "(namespaces, landlock or limits): a cluster node that forbids namespaces fails at once")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run learner code without the sandbox (only to compare; recorded in the gradebook)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    week = parser.add_argument_group("assignments, marks and dates")
    week.add_argument("--notebook", action="append", metavar="STEM",
                      help="grade only this notebook (repeatable); other notebooks' results are kept")
    week.add_argument("--roster", type=Path, metavar="FILE",
                      help="class roster CSV (folder, name, canvas_id, email, ...): checked against the folders, "
                           "needed by --export canvas|moodle")
    week.add_argument("--merge-rubric", action="append", type=Path, metavar="FILE",
                      help="a filled marking sheet (marking_<notebook>.csv): its marks join grades.csv and the "
                           "feedback (repeatable)")
    week.add_argument("--forget", action="append", metavar="STEM",
                      help="take a notebook's results out of the totals, keeping them in the gradebook (repeatable; "
                           "nothing is graded; undo with --restore)")
    week.add_argument("--restore", action="append", metavar="STEM",
                      help="put a forgotten notebook's results back into the totals (repeatable; nothing is graded)")
    week.add_argument("--overrides", type=Path, metavar="FILE",
                      help="CSV of student, exercise, points, reason: points set by hand (replaces earlier overrides)")
    week.add_argument("--due", action="append", metavar="[NOTEBOOK=]TIME",
                      help="due date, ISO 8601 (2025-03-07T23:59+01:00); without NOTEBOOK= for the notebooks "
                           "graded now (repeatable); late work is flagged in late.csv")
    week.add_argument("--extensions", type=Path, metavar="FILE",
                      help="CSV of student, notebook, due: one learner's own due date for one notebook (replaces "
                           "earlier extensions; everyone else keeps the notebook's due date)")
    week.add_argument("--late-rule", metavar="RULE",
                      help="deduct for late work, e.g. '10%%/day, grace 15min, max 50%%' ('none' removes it)")
    week.add_argument("--prediction-table", choices=("on", "off"),
                      help="a pseudonymous class table of prediction errors (predictions.csv) and each learner's "
                           "rank in their feedback; kept until 'off'")
    lms = parser.add_argument_group("exports")
    lms.add_argument("--export", action="append", choices=("canvas", "moodle", "gradescope"),
                     help="also write canvas.csv, moodle.csv or the Gradescope autograder zip (repeatable)")
    lms.add_argument("--assignment", action="append", metavar="NOTEBOOK=TITLE (ID)[/POINTS]",
                     help="a notebook's column in the Canvas or Moodle export: its title, Canvas's assignment id, "
                          "the points it is worth there (repeatable; default: every graded notebook, raw points)")
    lms.add_argument("--moodle-id", choices=("email", "idnumber"), default="email",
                     help="the column Moodle matches students on (default: email)")
    lms.add_argument("--wheel", type=Path, metavar="FILE",
                     help="the course's wheel, installed by the Gradescope bundle")
    lms.add_argument("--allow-partial", action="store_true",
                     help="export notebooks whose written answers are not all marked yet (their points so far, out "
                          "of the notebook's full points); without it such an export is refused")


def default_hidden_tests() -> Path | None:
    """The course root's ``tests/hidden`` when it exists."""
    from ...course_root import CourseRootError, find_course_root

    try:
        root = find_course_root()
    except CourseRootError:
        return None
    return root.hidden_tests if root.has("hidden_tests") else None


def grade_class(submissions: Path, out: Path, *, students: list[str] | None = None, jobs: int = 1,
                timeout: float | None = None, memory_mb: float | None = None, tests_dir: Path | None = None,
                hidden_dir: Path | None = None, config: GradingConfig | None = None,
                progress: bool = True, notebooks: list[str] | None = None,
                instructions: Any = None, shard: Any = None, require_isolation: str | None = None) -> dict[str, Any]:
    """Grade the chosen notebooks of every (or the chosen) student and write the outputs;
    return a summary dict.

    ``config`` holds the limits (``timeout`` and ``memory_mb`` override it). Hidden tests
    come from ``hidden_dir``; without it, and without ``tests_dir``, from the course's
    ``tests/hidden`` (:func:`default_hidden_tests`), as for ``python -m course_utils grade``.
    ``notebooks`` chooses the notebooks (default: all); ``instructions``
    (:class:`.instructions.Instructions`) adds a roster, marks, overrides, dates, exports.
    ``shard`` (:class:`course_utils.sharding.Shard`) grades the students that shard owns (with
    ``students``: those of them, each of which it must own) into ``out``, which must be empty
    or hold that same shard (:func:`.shards.check_out_folder`). ``require_isolation`` (a
    :class:`.isolation.Level` value) stops before any learner code runs when the sandbox this
    machine allows is weaker.

    Raises
    ------
    ValueError
        When grading cannot run: no such or unreadable folder, no tests or no exercise
        tests, unknown student or notebook, instructions that do not fit the class, a
        template process that does not start, a sandbox weaker than ``require_isolation``.
        Nothing is written then.
    """
    config = config or GradingConfig()
    if hidden_dir is None and tests_dir is None:
        hidden_dir = default_hidden_tests()
    overrides = {k: v for k, v in (("timeout", timeout), ("memory_mb", memory_mb)) if v is not None}
    if overrides:
        config = GradingConfig(**{**config.to_dict(), **overrides})
    with environment(**dict.fromkeys(THREAD_VARS, "1")):
        return _grade_class(Path(submissions), Path(out), students, jobs, tests_dir, hidden_dir, config, progress,
                            notebooks, instructions, shard, require_isolation)


def _grade_class(submissions: Path, out: Path, students: list[str] | None, jobs: int, tests_dir: Path | None,
                 hidden_dir: Path | None, config: GradingConfig, progress: bool, notebooks: list[str] | None,
                 instructions: Any, shard: Any, require_isolation: str | None) -> dict[str, Any]:
    from ...course_root import CourseRootError, find_course_root
    from ..stages.discover import discover, preload_names, test_modules
    from ..stages.extract import extract, private_folder
    from ..stages.run import run
    from ..stages.score import score
    from ..stages.write import write
    from ..errors import GraderProblem
    from ..course.ledger import SUBMISSIONS, read_ledger
    from ..stages.outputs import load_rubrics
    from .shards import check_out_folder

    started = time.perf_counter()
    if not submissions.is_dir():
        raise ValueError(f"submissions: {submissions} is not a folder")
    check_apart(submissions, out)
    check_out_folder(out, shard)
    previous = read_ledger(out)
    public, hidden_tests = test_modules(tests_dir, hidden_dir)
    notes: list[str] = []
    assigning = bool(notebooks)
    if not notebooks:
        try:
            rubrics = load_rubrics(tests_dir)
        except ValueError as exc:  # RubricError
            raise ValueError(f"tests: {exc}") from None
        set_before = notebooks_set(previous, [*public, *rubrics])
        if set_before is not None:
            notebooks, assigning = set_before, True
            notes.append(f"this gradebook grades the notebooks set so far ({', '.join(notebooks)}): a plain grade "
                         f"regrades them and adds none; to set another, add --notebook STEM")
    if notebooks:
        public = {stem: path for stem, path in public.items() if stem in notebooks}
        hidden_tests = {stem: path for stem, path in hidden_tests.items() if stem in notebooks}
    try:
        course_root = str(find_course_root().path)
    except CourseRootError:
        course_root = ""
    graded_seconds = 0.0
    with private_folder() as staging:
        hidden = [course_root, str(submissions.resolve()), str(out.resolve()), staging,
                  *(str(p.parent.resolve()) for p in [*public.values(), *hidden_tests.values()])]
        template = None
        if sys.platform.startswith("linux") and public:  # a fresh interpreter: it imports while we collect
            from ..sandbox.template import Template

            template = Template.spawn(preload_names([*public.values(), *hidden_tests.values()]), hidden,
                                      sandbox=config.sandbox, wait=False)
        try:
            plan = discover(submissions, out, students=students, notebooks=notebooks, tests_dir=tests_dir,
                                     hidden_dir=hidden_dir, config=config, shard=shard)
            plan.assigning = assigning
            plan.recorded = {label: entry.get(SUBMISSIONS, {}) for label, entry in previous.students.items()}
            if instructions is not None:
                notes += instructions.check(plan, previous)
            if template is not None and plan.stems:
                try:
                    template.wait_ready()
                except GraderProblem as exc:
                    raise ValueError(str(exc)) from None
            if require_isolation and plan.stems:
                check_isolation(template.isolation.level.value if template else Level.LIMITS.value, require_isolation)
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ValueError(f"out: cannot create {out} ({exc.strerror})") from None
            found = extract(plan, Path(staging))
            run_started = time.perf_counter()
            outcomes = run(plan, found, launcher=template, jobs=jobs, progress=progress)
            graded_seconds = time.perf_counter() - run_started
        finally:
            if template is not None:
                template.close()  # returns once every learner process is gone
        if not plan.stems:  # written answers only: they are read, never run
            isolation = {"level": "none needed", "mechanisms": [], "note": ""}
        elif template is not None:
            isolation = template.isolation.to_dict()
        else:
            isolation = {"level": "limits", "mechanisms": [], "note": f"no sandbox on {sys.platform}: only the "
                                                                      f"limits apply"}
        book = score(plan, found, outcomes, isolation)
    written = write(book, instructions)
    elapsed = time.perf_counter() - started
    return {"students": len(plan.students), "notebooks": len(plan.stems), "written_answers": len(plan.notebooks)
            - len(plan.stems), "seconds": elapsed, "grading_seconds": graded_seconds, "ignored": plan.ignored,
            "isolation": isolation, "grader_errors": book.grader_errors, "too_slow": too_slow(book.results),
            "exercise_means": exercise_means(written.ledger.rows, plan.notebooks), "hidden_tests": len(plan.hidden),
            "tests_sha256": plan.tests_sha256, "notes": notes + written.notes, "late": written.late,
            "identical": written.identical, "exports": written.exports, "export_errors": written.export_errors,
            "out": out, "shard": shard, "class_size": plan.class_size}


def notebooks_set(gradebook: Any, available: list[str]) -> list[str] | None:
    """The notebooks a plain ``grade`` (no ``--notebook``) regrades in ``gradebook`` (a
    :class:`.ledger.Ledger`), or None when it grades every notebook.

    None for an empty gradebook and one never graded with ``--notebook``; the notebooks set
    (:attr:`.ledger.Ledger.assigned`) of one in assignment mode. A gradebook written before
    the mode was recorded is in it when it holds some notebooks but not all of ``available``.

    Raises
    ------
    ValueError
        Every notebook set was forgotten: nothing to regrade.
    """
    assigned = gradebook.assigned
    if assigned is None and gradebook.rows:
        graded = gradebook.graded_notebooks
        assigned = graded if set(graded) != set(available) else None
    if assigned is None:
        return None
    chosen = [stem for stem in assigned if stem in available]
    if not chosen:
        forgotten = ", ".join(gradebook.forgotten) or "none"
        raise ValueError(f"notebook: this gradebook has no notebook set to regrade (forgotten: {forgotten}); set one "
                         f"with --notebook STEM, or bring one back with --restore STEM")
    return chosen


def check_apart(submissions: Path, out: Path) -> None:
    """Raise ValueError when the gradebook folder ``out`` is the submissions folder, inside it
    (the next run would grade the gradebook as a learner) or holds it (a run would write
    among the submissions)."""
    inside, outside = out.resolve(), submissions.resolve()
    if inside == outside or outside in inside.parents:
        raise ValueError(f"out: {out} is inside the submissions folder {submissions}, where the next run would grade "
                         f"it as a learner's folder; write the gradebook beside it "
                         f"(--out {outside.parent / 'gradebook'})")
    if inside in outside.parents:
        raise ValueError(f"out: the submissions folder {submissions} is inside the gradebook folder {out}; keep the "
                         f"two apart")


def check_isolation(level: str, required: str) -> None:
    """Raise ValueError when isolation ``level`` is weaker than ``required`` (both
    :class:`.isolation.Level` values)."""
    if ISOLATION_LEVELS.index(level) > ISOLATION_LEVELS.index(required):
        raise ValueError(f"isolation: this machine allows '{level}', weaker than --require-isolation {required} "
                         f"; nothing was graded (docs/guides/scale.md, 'Isolation on a cluster', says how to allow "
                         f"user namespaces)")


def too_slow(rows: list[dict[str, Any]]) -> list[str]:
    """The learners with a row whose status is "too slow" (a notebook used its whole time budget)."""
    from ..config import Status

    return sorted({row["student"] for row in rows if row.get("status") == Status.TOO_SLOW.value})


def exercise_means(rows: list[dict[str, Any]], notebooks: list[str]) -> dict[tuple[str, str], tuple[float, float]]:
    """``{(notebook, exercise): (class mean, possible)}`` for ``notebooks`` (what ``summary.csv``
    saves at its ``exercise`` level)."""
    from ..course.summary import point_stats

    by_exercise, _ = point_stats([row for row in rows if row["notebook"] in set(notebooks)])
    return {(stat.notebook, stat.exercise): (stat.mean, stat.max_points) for stat in by_exercise}


def instructions_from(args: argparse.Namespace) -> Any:
    """The :class:`.instructions.Instructions` of ``grade``'s options (None when there are none)."""
    from ..stages.instructions import Instructions

    if not any((args.roster, args.merge_rubric, args.overrides, args.due, args.late_rule, args.export,
                args.assignment, args.wheel, args.prediction_table, args.extensions)):
        return None
    return Instructions.read(roster=args.roster, merge_rubric=args.merge_rubric or (), overrides=args.overrides,
                             due=args.due or (), late_rule=args.late_rule, export=args.export or (),
                             assignment=args.assignment or (), moodle_id=args.moodle_id, wheel=args.wheel,
                             notebooks=args.notebook or (), prediction_table=args.prediction_table,
                             extensions=args.extensions, allow_partial=args.allow_partial)


def set_aside(out: Path, *, forget: list[str], restore: list[str], tests_dir: Path | None = None) -> Any:
    """``grade --forget`` / ``--restore``: take notebooks out of the totals of gradebook ``out``
    or put them back (:meth:`.ledger.Ledger.set_aside`) and rebuild every output; nothing is
    graded. Returns :func:`.outputs.write_outputs`'s :class:`.outputs.Written`.

    Raises
    ------
    ValueError
        No gradebook in ``out``, or a notebook that cannot be forgotten or restored.
    """
    from ..course.ledger import RESULTS, read_ledger
    from ..stages.outputs import load_rubrics, write_outputs

    if not (out / RESULTS).is_file():
        raise ValueError(f"out: {out} holds no gradebook ({RESULTS}); there is nothing to forget or restore")
    ledger = read_ledger(out).set_aside(forget, restore, time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    try:
        rubrics = load_rubrics(tests_dir)
    except ValueError as exc:  # RubricError
        raise ValueError(f"tests: {exc}") from None
    return write_outputs(out, ledger, rubrics=rubrics)


#: options that grade or decide something, which --forget and --restore do not combine with
_NOT_WITH_SET_ASIDE = ("notebook", "student", "shard", "roster", "merge_rubric", "overrides", "due", "extensions",
                       "late_rule", "export", "prediction_table")


def _run_set_aside(args: argparse.Namespace) -> int:
    given = [name for name in _NOT_WITH_SET_ASIDE if getattr(args, name, None)]
    if given:
        raise ValueError(f"forget: --forget and --restore change which notebooks count and nothing else; run them "
                         f"on their own (not with --{given[0].replace('_', '-')})")
    forget, restore = args.forget or [], args.restore or []
    written = set_aside(args.out, forget=forget, restore=restore, tests_dir=args.tests)
    for stem in forget:
        print(f"forgot {stem}: its results stay in {args.out / 'results.jsonl'} and count nowhere; a plain grade "
              f"no longer regrades it (undo: grade ... --out {args.out} --restore {stem})")
    for stem in restore:
        print(f"restored {stem}: its results count again")
    counted = sorted({row["notebook"] for row in written.ledger.rows})
    print(f"the totals now count {', '.join(counted) or 'no notebook'}; wrote {args.out / 'grades.csv'} and the rest "
          f"in {args.out}/")
    return 0


def run_grade(args: argparse.Namespace) -> int:
    from ...sharding import parse_shard

    if args.forget or args.restore:
        return _run_set_aside(args)
    shard = parse_shard(args.shard)  # ShardError (a ValueError): exit 2 with its message
    if shard is not None:
        from .shards import check_shard_options

        check_shard_options(args)
    hidden = args.hidden_tests  # None: the course's tests/hidden, unless --tests names other tests
    config = GradingConfig(timeout=args.timeout, startup_seconds=args.startup, memory_mb=args.memory_mb,
                           sandbox=not args.no_sandbox)
    instructions = instructions_from(args)
    summary = grade_class(args.submissions, args.out, students=args.student, jobs=args.jobs, tests_dir=args.tests,
                          hidden_dir=hidden, config=config, progress=not args.quiet, notebooks=args.notebook,
                          instructions=instructions, shard=shard, require_isolation=args.require_isolation)
    isolation = summary["isolation"]
    if isolation.get("note"):
        print(f"note: {isolation['note']}")
    for line in [*summary["ignored"], *summary["notes"]]:
        print(f"note: {line}")
    for line in summary["grader_errors"]:
        print(f"grader error (regrade with --student): {line}")
    if summary["too_slow"]:
        names = summary["too_slow"]
        print(f"too slow: {plural(len(names), 'learner')} used a notebook's whole time budget (the start-up budget "
              f"plus each exercise's time limit), so the calls past it earned nothing: "
              f"{', '.join(names[:10])}{', ...' if len(names) > 10 else ''}")
    if summary["exercise_means"]:
        print("class mean per exercise (points earned / possible; saved in summary.csv):")
        for (notebook, name), (mean, possible) in summary["exercise_means"].items():
            print(f"  {notebook + ':' + name:<48} {mean:5.2f} / {possible:g}")
    seconds, count = summary["seconds"], summary["students"]
    grading = summary["grading_seconds"]
    answers = summary["written_answers"]
    part = f" (shard {shard}: {count} of the class's {summary['class_size']})" if shard is not None else ""
    if summary["notebooks"]:
        extra = f" and the written answers of {plural(answers, 'notebook')}" if answers else ""
        print(f"graded {plural(count, 'student')}{part} x {plural(summary['notebooks'], 'notebook')}{extra} in "
              f"{seconds:.1f} s (running the tests: {grading:.1f} s, {grading / max(count, 1):.2f} s per student; "
              f"hidden tests in {summary['hidden_tests']} of {summary['notebooks']}; isolation: {isolation['level']})")
    else:
        print(f"collected the written answers of {plural(count, 'student')}{part} in "
              f"{plural(answers, 'notebook')} in {seconds:.1f} s (no code runs for written answers)")
    if summary["identical"]:
        print(identical_line(summary["identical"]))
    if summary["late"]:
        print(late_line(summary["late"]))
    out = args.out
    print(f"wrote {out / 'grades.csv'}, {out / 'results.jsonl'}, {out / 'feedback'}/, {out / 'summary.csv'}, "
          f"{out / 'manifest.json'} and the rest in {out}/")
    if shard is not None:
        print(f"this is shard {shard}; once all {shard.count} are graded, merge them: python -m course_utils "
              f"merge-grades GRADEBOOK SHARD_DIR... (every shard's --out folder)")
    for path in summary["exports"]:
        print(f"export: wrote {path}")
    for line in summary["export_errors"]:
        print(f"error: {line} (the gradebook in {out} was written; fix this and run the export again)",
              file=sys.stderr)
    return 2 if summary["export_errors"] else 0
