"""Where one learner's grading spends its CPU time: the profile behind ``bench_grade.py``.

Grades one learner (the reference solutions, every notebook, public and hidden tests) the
way a grading worker does, in this process, with the sandbox's template, and charges every
CPU-second to one part:

====================================  ====================================================
part                                  what is timed
====================================  ====================================================
reading the notebooks                 parsing each notebook and choosing its cells
per-test machinery                    pytest's hooks, fixtures and reports around each test
test code                             the tests' own computations (references, inputs)
comparisons                           :mod:`course_utils.grading.compare` and ``credit``
round trips, grader side              a call to the learner's process: encoding, the
                                      socket, decoding and checking the reply
starting the learner's processes      grader side of each start: the cells sent, the
                                      events read
learner processes, start-up           the sandboxes of a blank learner: fork, namespaces,
                                      the notebook's cells
learner processes, learner code       the rest of the sandboxes' CPU: the learner's code
====================================  ====================================================

pytest starts and collects the tests once per ``grade`` run, in the grader, before it forks
a worker per learner (:func:`course_utils.grading.stages.runner.run_collected`): that is
part of a run's fixed cost (``bench_grade.py``), not of a learner's.

Every part of the grader's own process is timed exclusively (a round trip inside a test
is charged to the round trips, not to the test code). The learner processes are charged
from the template's accounting of its reaped children. Round trips are also counted and
timed on the wall clock, and :func:`round_trip_cost` measures one on its own: a learner
function that returns at once, called 300 times.

    python benchmarks/profile_grade.py [--repeats 3]

prints the table (medians over the repeats, and the load average beside it). Correctness
check: the profiled learner must earn every point of every notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[1]

PARTS = ("reading the notebooks", "per-test machinery",
         "test code", "comparisons", "round trips, grader side", "starting the learner's processes",
         "learner processes, start-up", "learner processes, learner code")


class Ledger:
    """CPU-seconds charged to parts, each part's time exclusive of the parts timed inside it."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.count: Counter = Counter()
        self.wall: dict[str, float] = defaultdict(float)
        self._nested: list[float] = []

    @contextlib.contextmanager
    def part(self, label: str) -> Iterator[None]:
        start, wall = time.process_time(), time.perf_counter()
        self._nested.append(0.0)
        try:
            yield
        finally:
            spent = time.process_time() - start
            self.cpu[label] += spent - self._nested.pop()
            self.wall[label] += time.perf_counter() - wall
            self.count[label] += 1
            if self._nested:
                self._nested[-1] += spent

    def wrap(self, label: str, function: Callable) -> Callable:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.part(label):
                return function(*args, **kwargs)
        return timed


class _Phases:
    """A pytest hook that charges each test's body to the ledger of the grading worker it runs
    in (registered in the grader's session, before the workers are forked)."""

    ledger: Ledger | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: Any) -> Iterator[None]:
        with self.ledger.part("test code"):
            return (yield)


@contextlib.contextmanager
def plugins_added(plugins: list[Any]) -> Iterator[None]:
    """Every pytest session the grader starts gets ``plugins`` as well. Undone on exit."""
    from course_utils.grading.stages import runner

    original_run = runner.run_pytest
    runner.run_pytest = lambda args, extra, **options: original_run(args, [*extra, *plugins], **options)
    try:
        yield
    finally:
        runner.run_pytest = original_run


@contextlib.contextmanager
def instrumented(ledger: Ledger) -> Iterator[None]:
    """Patch the grader's parts to charge ``ledger``. Undone on exit."""
    from course_utils.grading import compare, credit
    from course_utils.grading.sandbox import proxy

    saved: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, label: str) -> None:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, ledger.wrap(label, getattr(owner, name)))

    for name in ("assert_close", "number", "numbers", "array", "items", "fields", "assert_all", "how_far"):
        patch(compare, name, "comparisons")
    for name in ("award", "accuracy_credit"):
        patch(credit, name, "comparisons")
    patch(proxy.Student, "_call", "round trips, grader side")
    patch(proxy.Student, "_ensure_started", "starting the learner's processes")
    patch(proxy, "load_submission", "reading the notebooks")
    try:
        yield
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


def _children_cpu(pid: int) -> float:
    """CPU-seconds of the reaped children of process ``pid`` (its sandboxes), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _sandboxes_cpu(template: Any, before: float) -> float:
    """The CPU its sandboxes used since ``before``, once the template has reaped them all
    (it reaps every half second)."""
    time.sleep(1.2)
    return _children_cpu(template._process.pid) - before


def _instrumented_grading(suite: Any, phases: _Phases, notebooks: dict[str, str], student: str) -> dict[str, Any]:
    """In a grading worker: one learner graded as ``grade`` grades it, the parts charged."""
    ledger = Ledger()
    phases.ledger = ledger
    with instrumented(ledger), ledger.part("per-test machinery"):
        outcome = suite.grade(notebooks, student)
    return {"cpu": dict(ledger.cpu), "count": dict(ledger.count), "wall": dict(ledger.wall), "rows": outcome["rows"]}


def _one_learner(suite: Any, phases: _Phases, plan: Any, found: Any, template: Any) -> tuple[dict[str, Any], float]:
    """One learner graded in a fresh grading worker, forked from the grader's pytest session
    after it collected the tests, as ``grade`` does
    (:func:`course_utils.grading.stages.runner.run_collected`): the worker's parts, and the
    CPU of the learner's processes."""
    from course_utils.grading.stages.runner import Job, run_isolated

    notebooks = {stem: str(path) for stem, path in found.notebooks.items() if stem in plan.syllabus}
    before = _children_cpu(template._process.pid)
    [(_key, status, value)] = list(run_isolated([Job(found.student, _instrumented_grading,
                                                     (suite, phases, notebooks, found.student))]))
    if status != "ok":
        raise SystemExit(f"profile: the grading worker failed: {value}")
    return value, _sandboxes_cpu(template, before)


def round_trip_cost(template: Any, notebook: Path, calls: int = 300) -> tuple[float, float, float]:
    """One round trip on its own: ``training_flops`` of the solutions' exercise 1 (two
    multiplications) called ``calls`` times through the proxy. Returns (wall seconds, grader
    CPU-seconds, learner-process CPU-seconds), each per call."""
    from course_utils.grading.sandbox.proxy import Student

    with Student(notebook, expected=["training_flops"], launcher=template) as student:
        student.training_flops(1e9, 2e10)  # started
        before = _children_cpu(template._process.pid)
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(calls):
            student.training_flops(1e9, 2e10)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    child = _sandboxes_cpu(template, before)  # the child is reaped once the proxy closed it
    return wall / calls, cpu / calls, child / calls


def profile(repeats: int = 3) -> dict[str, Any]:
    """The profile of one learner, medians over ``repeats`` gradings of the same learner."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_grade import build_class

    from course_utils.grading.sandbox.template import Template
    from course_utils.grading.stages.discover import discover, preload_names, test_modules
    from course_utils.grading.stages.extract import extract
    from course_utils.grading.stages.runner import run_collected

    scratch = Path(tempfile.mkdtemp(prefix="profile-grade-"))
    try:
        build_class(scratch / "class", 2)  # student00000: the solutions; student00001: blank notebooks
        tests, hidden = ROOT / "tests" / "exercises", ROOT / "tests" / "hidden"
        public, hidden_modules = test_modules(tests, hidden)
        template = Template.spawn(preload_names([*public.values(), *hidden_modules.values()]),
                                  [str(scratch), str(ROOT)])
        try:
            plan = discover(scratch / "class", scratch / "out", tests_dir=tests, hidden_dir=hidden)
            solved, blank = extract(plan, scratch / "staging")
            phases, measured = _Phases(), {}

            def learners(suite: Any) -> None:
                gc.collect()
                gc.freeze()  # as grade does before it forks its workers
                _one_learner(suite, phases, plan, solved, template)  # warm: the first forks
                measured["runs"] = [_one_learner(suite, phases, plan, solved, template) for _ in range(repeats)]
                measured["blanks"] = [_one_learner(suite, phases, plan, blank, template)[1] for _ in range(repeats)]

            with plugins_added([phases]):
                test_files = plan.test_files(plan.syllabus)
                run_collected(test_files, learners, config=plan.config, launcher=template,
                              preload=preload_names([Path(path) for path in test_files]))
            runs, blanks = measured["runs"], measured["blanks"]
            trip = [round_trip_cost(template, solved.notebooks["ex01_history_compute"]) for _ in range(repeats)]
        finally:
            template.close()
        earned = {row["status"] for rows in runs[0][0]["rows"].values() for row in rows}
        if earned != {"passed"}:
            raise SystemExit(f"profile: the reference solutions did not pass every test ({sorted(earned)})")
        parts = {label: statistics.median(run["cpu"].get(label, 0.0) for run, _ in runs) for label in PARTS[:6]}
        startup = statistics.median(blanks)
        parts["learner processes, start-up"] = startup
        parts["learner processes, learner code"] = max(0.0, statistics.median(cpu for _, cpu in runs) - startup)
        label = "round trips, grader side"
        return {"parts": parts, "round_trips": runs[0][0]["count"].get(label, 0),
                "round_trip_wall": statistics.median(run["wall"][label] / max(run["count"][label], 1) for run, _ in runs),
                "bare_round_trip": tuple(statistics.median(t[i] for t in trip) for i in range(3)),
                "tests": sum(len(rows) for rows in runs[0][0]["rows"].values()),
                "notebooks": len(runs[0][0]["rows"]), "load": os.getloadavg()[0]}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def print_profile(result: dict[str, Any]) -> None:
    parts, total = result["parts"], sum(result["parts"].values())
    print(f"one learner (the reference solutions: {result['notebooks']} notebooks, {result['tests']} tests), "
          f"CPU-seconds by part (load average {result['load']:.1f}):")
    width = max(map(len, parts))
    for label in PARTS:
        print(f"  {label:<{width}}  {parts[label]:6.3f}  {parts[label] / total:4.0%}")
    print(f"  {'total':<{width}}  {total:6.3f}")
    wall, grader, child = result["bare_round_trip"]
    print(f"round trips: {result['round_trips']} per learner, {result['round_trip_wall'] * 1e3:.2f} ms each on the "
          f"wall clock with the learner's work; a bare one (a function that returns at once) costs "
          f"{wall * 1e6:.0f} µs: {grader * 1e6:.0f} µs of the grader's CPU and {child * 1e6:.0f} µs of the "
          f"learner process's")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print_profile(profile(args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
