"""Benchmark: grade a synthetic class with ``python -m course_utils grade``, and size a cluster from it.

Builds a class from solutions/ and exercises/ (30 students by default): most submit the
solutions, some the blank notebooks, some a mix (every other exercise left blank), one
misses a notebook; everyone hands in the capstone's answer notebook (a notebook of written
answers, collected but not run). The notebooks with tests are listed with
``rubric.exercise_notebooks`` (solutions/ also holds the rubric-only capstone). Grades it
with ``--jobs 2`` and the sandbox on, ``--repeats`` times (medians), and prints the time and
CPU per student against the targets of issue 24: the class of 30 in under ``TARGET_SECONDS``
of wall time and at most ``TARGET_CPU_PER_STUDENT`` CPU-seconds per student. Side by side
it grades the same class with ``--no-sandbox`` (what the sandbox costs) and a few students
the naive way, one fresh ``pytest`` interpreter per notebook (the template's gain).

Correctness check: in every run, each student who handed in the solutions earns every point
of every notebook, and each who handed in the blank notebooks earns none.

CPU: ``getrusage`` of the grader and every process it started (template, workers, sandboxes,
learner code). The fixed cost of one ``grade`` run (a class of one student: Python, the
template, collecting the tests), which every shard of a sharded run pays once, is measured
alone; CPU per student is what the class costs beyond it, per further student.

Memory, sampled every half second over the grader's process tree (Linux ``/proc``):

* the sum of RSS, which counts every page the forked processes share once per process (an
  upper bound), and
* the sum of PSS (``/proc/<pid>/smaps_rollup``): each shared page divided among the
  processes that map it, which is what the processes take from the machine together. The
  sandboxes are not dumpable, so only root (CAP_SYS_PTRACE) can read theirs; run as
  another user, the bench counts the RSS of each process it could not read in the PSS sum
  and says how many there were. The sandbox's in-memory /tmp is not in either sum (see the
  memory to ask, below).

The breakdown of one learner's CPU (``profile_grade.py``: the tests' own code, pytest's
per-test machinery, the round trips to the learner's process and their cost, the sandboxes)
is printed last. pytest starts and collects the tests once per run, before the grader forks a
worker per learner, so both are in the fixed cost, not here; so are the modules the tests
import, each test module's ``BLOCKED`` names and each test's location, which the grader works
out before it forks (:func:`course_utils.grading.stages.runner.run_collected`). As measured on
2026-12-07 at 02:15 (the reference solutions of the 6 notebooks, 155 tests; medians of 3; 2
cores, idle but for the benchmark, at a load average of 1.3):

==================================  =======  =====
part                                CPU-s    share
==================================  =======  =====
reading the notebooks               0.056    5%
per-test machinery                  0.137    13%
test code                           0.105    10%
comparisons                         0.009    1%
round trips, grader side            0.054    5%
starting the learner's processes    0.014    1%
learner processes, start-up         0.220    21%
learner processes, learner code     0.440    42%
total                               1.036
==================================  =======  =====

The machine's own speed moves by half over a day: the same code measured 0.84 to 1.34
CPU-s for this learner within half an hour, and a bare round trip (a learner function that
returns at once) cost 222 µs of wall time on one day and up to 600 µs on the next; here it
cost 292 µs (159 µs of the grader's CPU, 233 µs of the learner process's). Compare parts
within one run, or versions side by side, never runs of different hours. 201 round trips
per learner cost about 0.05 CPU-s together (5%), so batching a test's calls into fewer round
trips would not pay. The learner's own code was 1.02 CPU-s before the model answers lost
their needless cost (the bootstrap refits every resample at once, the saturating fit gives
BFGS its gradient, the Chinchilla fit's prediction is two nested ``np.logaddexp``); what is
left of it is spread over the tests, 20-70 ms each, the saturating and the Chinchilla fits
the largest (the latter as the exercise prescribes: BFGS without a gradient, whose early
stop is the point of the exercise). The start-up is six sandboxes, each two forks of an 87
MB process and their exits: the kernel copying page tables and then the pages the learner
process writes. A learner whose code is slower than the model answer (a bootstrap that loops
over ``fit_power_law``) costs more than these figures. The class's own figure (0.89 CPU-s
per student beyond the fixed cost, the same run) is lower than this one learner's: the class
mixes learners who hand in the solutions with blank and half-done notebooks, which cost
little.

Sizing (issue 15): the cores to grade 1,000 and 10,000 students in 10 minutes,

    cores = ceil(students x CPU-seconds per student / (600 s - fixed cost of a run))

(one shard per core, or per ``--jobs`` cores), and the memory to ask per shard: the PSS
peak, plus each of the shard's sandboxes' in-memory /tmp filled to its cap (``--jobs`` x
``GradingConfig.scratch_mb``: a learner's files live in memory), plus a margin of
``MEMORY_MARGIN``. The README's cluster table and recipes come from the default run
(medians of 3); ``--students 1000 --sandbox-only --naive 0`` checks them on a long run. No
part of this is run by ``pytest``.

Run from the repository root (where solutions/ has notebooks):

    python benchmarks/bench_grade.py [--students 30] [--jobs 2] [--repeats 3] [--naive 3] [--sandbox-only]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 20  # issue 24: 30 students x all notebooks, --jobs 2, sandbox on, on 2 idle cores
TARGET_CPU_PER_STUDENT = 1.0  # issue 24: CPU-seconds per student, beyond a run's fixed cost
WINDOW_SECONDS = 600  # issue 15: grade the class in 10 minutes
CLASS_SIZES = (1_000, 10_000)
MEMORY_MARGIN = 0.25  # asked beyond the PSS peak and the sandboxes' /tmp: other processes, a learner's growth


def _mixed(solution: Path, blank: Path, destination: Path) -> None:
    """The solution notebook with every other exercise cell taken from the blank one."""
    solved, empty = (json.loads(p.read_text(encoding="utf-8")) for p in (solution, blank))
    exercise = [i for i, c in enumerate(solved["cells"]) if "exercise" in c["metadata"].get("tags", [])]
    for i in exercise[1::2]:
        solved["cells"][i] = empty["cells"][i]
    destination.write_text(json.dumps(solved), encoding="utf-8")


def build_class(folder: Path, students: int) -> None:
    from course_utils.grading.course.rubric import exercise_notebooks, find_rubrics

    solutions = exercise_notebooks(ROOT / "solutions", ROOT / "tests" / "exercises")
    answers = [ROOT / "exercises" / f"{stem}.ipynb" for stem in find_rubrics(ROOT / "tests" / "exercises")
               if (ROOT / "exercises" / f"{stem}.ipynb").is_file()]
    for n in range(students):
        student = folder / f"student{n:05d}"
        student.mkdir(parents=True)
        for path in solutions:
            blank = ROOT / "exercises" / path.name
            if n % 5 == 1:
                shutil.copy(blank, student / path.name)
            elif n % 5 == 2:
                _mixed(path, blank, student / path.name)
            elif n == 3 and path == solutions[-1]:
                continue  # a missing notebook
            else:
                shutil.copy(path, student / path.name)
        for path in answers:
            shutil.copy(path, student / path.name)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree(root: int) -> list[int]:
    """Process ``root`` and all its descendants, from /proc (Linux)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        grown = tree | {pid for pid, parent in parents.items() if parent in tree}
        grew, tree = grown != tree, grown
    return sorted(tree)


def tree_memory(root: int) -> tuple[float, float, int]:
    """``(RSS sum, PSS sum, processes whose PSS could not be read)`` of ``root``'s tree, MiB.
    RSS counts a page shared between forks once per process; PSS divides it among them. A
    process whose PSS cannot be read counts its RSS in the PSS sum (an upper bound)."""
    rss = pss = 0.0
    unread = 0
    for pid in _tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            resident = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, IndexError, ValueError):
            continue
        rss += resident
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            pss += int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE).group(1)) / 1024
        except PermissionError:  # not dumpable (a sandbox), and this process may not ptrace it (not root)
            unread += 1
            pss += resident
        except (OSError, AttributeError):
            continue  # it just ended (a zombie has no smaps): it holds no memory
    return rss, pss, unread


def grade(folder: Path, out: Path, jobs: int, extra: list[str]) -> dict[str, float | str]:
    """One ``grade`` run: wall seconds, CPU-seconds (grader and every process it started),
    the seconds spent running the tests (grade's own report), the isolation level, and the
    peaks of the RSS and PSS sums of the grader's process tree (sampled every 0.5 s)."""
    cpu, start = _children_cpu(), time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "course_utils", "grade", str(folder), "--out", str(out),
                                "--jobs", str(jobs), "--quiet", *extra], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak = {"rss": 0.0, "pss": 0.0, "unread": 0}

    def sample() -> None:
        while process.poll() is None:
            if Path("/proc").is_dir():
                rss, pss, unread = tree_memory(process.pid)
                peak["rss"], peak["unread"] = max(peak["rss"], rss), max(peak["unread"], unread)
                peak["pss"] = max(peak["pss"], pss)
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"grade failed ({process.returncode}):\n{stderr}")
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    line = next((line for line in stdout.splitlines() if "isolation: " in line), "")
    tests = re.search(r"running the tests: ([\d.]+) s", line)
    check_grades(folder, out)
    return {"wall": wall, "cpu": cpu, "tests": float(tests.group(1)) if tests else float("nan"),
            "isolation": line.rsplit("isolation: ", 1)[1].rstrip(")") if line else "?", "peak_mb": peak["rss"],
            "pss_mb": peak["pss"], "unread": peak["unread"]}


def check_grades(folder: Path, out: Path) -> None:
    """The correctness check: a student who handed in the solutions earns every point of every
    notebook, one who handed in the blank notebooks none (build_class's n % 5 == 1)."""
    totals: dict[str, list[float]] = {}
    for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        earned = totals.setdefault(row["student"], [0.0, 0.0])
        earned[0] += row["points"]
        earned[1] += row["max_points"]
    for student in sorted(p.name for p in folder.iterdir()):
        number = int(student.removeprefix("student"))
        points, possible = totals.get(student, [0.0, 0.0])
        if number % 5 == 1 and points != 0:
            raise SystemExit(f"correctness: {student} handed in blank notebooks and earned {points:g} points")
        if number % 5 not in (1, 2) and number != 3 and points != possible:
            raise SystemExit(f"correctness: {student} handed in the solutions and earned {points:g} of {possible:g}")


def cores_needed(students: int, cpu_per_student: float, fixed: float, window: float = WINDOW_SECONDS) -> int:
    """Cores (one shard each) that grade ``students`` in ``window`` seconds:
    ceil(students x cpu_per_student / (window - fixed))."""
    return math.ceil(students * cpu_per_student / (window - fixed))


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each measure over repeated runs (the isolation level of the first)."""
    return {key: (statistics.median(run[key] for run in runs) if isinstance(runs[0][key], (int, float))
                  else runs[0][key]) for key in runs[0]}


def memory_to_ask(pss_mb: float, jobs: int, margin: float = MEMORY_MARGIN) -> float:
    """MiB to ask per shard: (the PSS peak + ``jobs`` sandboxes' /tmp at its cap) x (1 + margin)."""
    from course_utils.grading.config import GradingConfig

    return (pss_mb + jobs * GradingConfig.scratch_mb) * (1 + margin)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement (medians are printed)")
    parser.add_argument("--naive", type=int, default=3, help="students graded the naive way for the ratio")
    parser.add_argument("--sandbox-only", action="store_true",
                        help="do not grade the class a second time with --no-sandbox (halves a long run)")
    parser.add_argument("--no-profile", action="store_true", help="skip the breakdown of one learner's CPU")
    args = parser.parse_args()
    from course_utils.grading.course.rubric import exercise_notebooks

    notebooks = len(exercise_notebooks(ROOT / "solutions", ROOT / "tests" / "exercises"))
    print(f"{args.students} students x {notebooks} notebooks, --jobs {args.jobs}, {os.cpu_count()} CPU(s), "
          f"{args.repeats} run(s) of each, medians; load average before: {os.getloadavg()[0]:.1f}"
          f"{'' if os.geteuid() == 0 else ' (not root: a sandbox PSS cannot be read, its RSS stands in)'}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as scratch:
        scratch = Path(scratch)
        build_class(scratch / "class", args.students)
        build_class(scratch / "one", 1)
        modes = [("sandbox", [])] + ([] if args.sandbox_only else [("no sandbox", ["--no-sandbox"])])
        fixed_runs, class_runs = [], {label: [] for label, _ in modes}
        for repeat in range(args.repeats):  # the measurements alternate, so that each sees the same load
            fixed_runs.append(grade(scratch / "one", scratch / f"out-one-{repeat}", 1, []))
            for label, extra in modes:
                class_runs[label].append(grade(scratch / "class", scratch / f"out-{label}-{repeat}", args.jobs, extra))
            print(f"  run {repeat + 1}: load average {os.getloadavg()[0]:.1f}, class with the sandbox "
                  f"{class_runs['sandbox'][-1]['wall']:.1f} s, {class_runs['sandbox'][-1]['cpu']:.1f} CPU-s", flush=True)
        fixed = _median_run(fixed_runs)
        print(f"fixed cost of one grade run (a class of 1 student, --jobs 1): {fixed['wall']:.1f} s wall, "
              f"{fixed['cpu']:.1f} CPU-s", flush=True)
        timed = {label: _median_run(runs) for label, runs in class_runs.items()}
        for label, run in timed.items():
            per_cpu = (run["cpu"] - fixed["cpu"]) / max(args.students - 1, 1)
            unread = (f" (with the RSS of {run['unread']:.0f} process(es) whose PSS this user may not read)"
                      if run["unread"] else " (every process read)")
            print(f"grade ({label}, isolation {run['isolation']}): {run['wall']:.1f} s wall "
                  f"({run['wall'] / args.students:.3f} s per student; running the tests {run['tests']:.1f} s), "
                  f"{run['cpu']:.1f} CPU-s ({per_cpu:.3f} CPU-s per student more than the first); peak memory of "
                  f"the grader's processes: PSS {run['pss_mb']:.0f} MiB{unread} (RSS summed over them "
                  f"{run['peak_mb']:.0f} MiB)", flush=True)
        # the write stage alone: every output rebuilt from the gradebook's record (what merge-grades runs)
        from course_utils.grading.stages.outputs import rebuild

        start = time.perf_counter()
        rebuild(scratch / "out-sandbox-0", tests_dir=ROOT / "tests" / "exercises")
        rebuilt = time.perf_counter() - start
        sandboxed = timed["sandbox"]
        print(f"write stage alone (rebuild every output of the sandbox run's gradebook, what merge-grades does): "
              f"{rebuilt:.1f} s ({rebuilt / sandboxed['wall']:.0%} of that run)")
        if "no sandbox" in timed:
            print(f"sandbox/no sandbox: {sandboxed['wall'] / timed['no sandbox']['wall']:.2f}x wall, "
                  f"{sandboxed['cpu'] / timed['no sandbox']['cpu']:.2f}x CPU")
        per_cpu = (sandboxed["cpu"] - fixed["cpu"]) / max(args.students - 1, 1)
        wall_30 = sandboxed["wall"] * 30 / args.students
        print(f"targets with the sandbox: 30 students in < {TARGET_SECONDS} s: {wall_30:.1f} s, "
              f"{'met' if wall_30 < TARGET_SECONDS else 'NOT met'}; <= {TARGET_CPU_PER_STUDENT} CPU-s per student: "
              f"{per_cpu:.2f}, {'met' if per_cpu <= TARGET_CPU_PER_STUDENT else 'NOT met'} (load average now "
              f"{os.getloadavg()[0]:.1f})")

        from course_utils.grading.config import GradingConfig

        ask = memory_to_ask(sandboxed["pss_mb"], args.jobs)
        print(f"\nsizing: cores to grade a class in {WINDOW_SECONDS // 60} minutes = ceil(students x CPU-s per "
              f"student / ({WINDOW_SECONDS} s - {fixed['wall']:.0f} s fixed cost per shard)); merge afterwards: "
              f"about {rebuilt / args.students * 1000:.1f} s per 1,000 students")
        for label, run in timed.items():
            per = (run["cpu"] - fixed["cpu"]) / max(args.students - 1, 1)
            sizes = ", ".join(f"{n:,} students: {cores_needed(n, per, fixed['wall'])} cores" for n in CLASS_SIZES)
            print(f"  {label}: {per:.3f} CPU-s per student -> {sizes}")
        print(f"memory per shard of --jobs {args.jobs}: PSS peak {sandboxed['pss_mb']:.0f} MiB + {args.jobs} x "
              f"{GradingConfig.scratch_mb:.0f} MiB of sandbox /tmp, + {MEMORY_MARGIN:.0%} = {ask:.0f} MiB "
              f"(--mem={math.ceil(ask / 1024)}G)")

        if args.naive:
            fast_per_notebook = sandboxed["wall"] / (args.students * notebooks)
            start = time.perf_counter()
            for student in sorted((scratch / "class").iterdir())[:args.naive]:
                for test in sorted((ROOT / "tests" / "exercises").glob("test_*.py")):
                    notebook = student / f"{test.stem.removeprefix('test_')}.ipynb"
                    subprocess.run([sys.executable, "-m", "pytest", str(test), "--target", str(notebook), "-q",
                                    "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True)
            naive = time.perf_counter() - start
            naive_per_notebook = naive / (args.naive * notebooks)
            print(f"naive: one fresh pytest per notebook, serial, {args.naive} students: {naive:.1f} s "
                  f"({naive_per_notebook:.2f} s per notebook)")
            print(f"ratio naive/grade per notebook: {naive_per_notebook / fast_per_notebook:.1f}x "
                  f"(grade uses {args.jobs} jobs; per job: {naive_per_notebook / fast_per_notebook / args.jobs:.1f}x)")
    if not args.no_profile:
        from profile_grade import print_profile, profile

        print()
        print_profile(profile(args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
