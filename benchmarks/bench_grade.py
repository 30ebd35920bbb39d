"""Benchmark: grade a synthetic class with ``python -m course_utils grade``, and size a cluster from it.

Builds a class from solutions/ and exercises/ (30 students by default): most submit the
solutions, some the blank notebooks, some a mix (every other exercise left blank), one
misses a notebook; everyone hands in the capstone's answer notebook (a notebook of written
answers, collected but not run). The notebooks with tests are listed with
``rubric.exercise_notebooks`` (solutions/ also holds the rubric-only capstone). Grades it with ``--jobs 2`` and the sandbox on (issue 10), and prints
the time per student against ``TARGET_SECONDS``. Side by side in the same run it grades
the same class with ``--no-sandbox`` and prints the ratio (what the sandbox costs), then
grades a few students the naive way — one fresh ``pytest`` interpreter per notebook — and
prints that ratio (the template's gain).

Sizing (issue 15): besides wall-clock time it measures the CPU-seconds each student costs
(``getrusage`` of the grader and every process it started: template, sandboxes, learner
code) and the fixed cost of one ``grade`` run (a class of one student: Python, the template,
collecting the tests), which every shard of a sharded run pays once. From them it prints the
cores needed to grade 1,000 and 10,000 students in 10 minutes:

    cores = ceil(students x CPU-seconds per student / (600 s - fixed cost of a run))

(one shard per core, or per ``--jobs`` cores). ``--students 1000`` is the measurement the
README's table comes from; it is never part of ``pytest``.

Run from the repository root (where solutions/ has notebooks):

    python benchmarks/bench_grade.py [--students 30] [--jobs 2] [--naive 3] [--sandbox-only]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 120  # issues 4 and 10: 30 students x all notebooks, --jobs 2, sandbox on, on 2 cores
WINDOW_SECONDS = 600  # issue 15: grade the class in 10 minutes
CLASS_SIZES = (1_000, 10_000)


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


def _tree_rss_mb(root: int) -> float:
    """Resident memory (MiB) of process ``root`` and all its descendants, from /proc (Linux).
    Pages shared between forks are counted once per process: an upper bound."""
    parents, rss = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    tree, grew = {root}, True
    while grew:
        grown = tree | {pid for pid, parent in parents.items() if parent in tree}
        grew, tree = grown != tree, grown
    return sum(rss.get(pid, 0) for pid in tree) / 2**20


def grade(folder: Path, out: Path, jobs: int, extra: list[str]) -> dict[str, float | str]:
    """One ``grade`` run: wall seconds, CPU-seconds (grader and every process it started),
    the seconds spent running the tests (grade's own report), the isolation level, and the
    peak resident memory of the grader's process tree (sampled every 0.5 s; Linux)."""
    cpu, start = _children_cpu(), time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "course_utils", "grade", str(folder), "--out", str(out),
                                "--jobs", str(jobs), "--quiet", *extra], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample() -> None:
        while process.poll() is None:
            if Path("/proc").is_dir():
                peak[0] = max(peak[0], _tree_rss_mb(process.pid))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"grade failed ({process.returncode}):\n{stderr}")
    ran = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    line = next((line for line in ran.stdout.splitlines() if "isolation: " in line), "")
    tests = re.search(r"running the tests: ([\d.]+) s", line)
    return {"wall": wall, "cpu": cpu, "tests": float(tests.group(1)) if tests else float("nan"),
            "isolation": line.rsplit("isolation: ", 1)[1].rstrip(")") if line else "?", "peak_mb": peak[0]}


def cores_needed(students: int, cpu_per_student: float, fixed: float, window: float = WINDOW_SECONDS) -> int:
    """Cores (one shard each) that grade ``students`` in ``window`` seconds:
    ceil(students x cpu_per_student / (window - fixed))."""
    return math.ceil(students * cpu_per_student / (window - fixed))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--naive", type=int, default=3, help="students graded the naive way for the ratio")
    parser.add_argument("--sandbox-only", action="store_true",
                        help="do not grade the class a second time with --no-sandbox (halves a long run)")
    args = parser.parse_args()
    from course_utils.grading.course.rubric import exercise_notebooks

    notebooks = len(exercise_notebooks(ROOT / "solutions", ROOT / "tests" / "exercises"))
    print(f"{args.students} students x {notebooks} notebooks, --jobs {args.jobs}, {os.cpu_count()} CPU(s), "
          f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as scratch:
        scratch = Path(scratch)
        build_class(scratch / "class", args.students)
        build_class(scratch / "one", 1)
        fixed = grade(scratch / "one", scratch / "out-one", 1, [])
        print(f"fixed cost of one grade run (a class of 1 student, --jobs 1): {fixed['wall']:.1f} s wall, "
              f"{fixed['cpu']:.1f} CPU-s, peak memory {fixed['peak_mb']:.0f} MiB", flush=True)
        timed = {}
        modes = [("sandbox", [])] + ([] if args.sandbox_only else [("no sandbox", ["--no-sandbox"])])
        for label, extra in modes:
            timed[label] = run = grade(scratch / "class", scratch / f"out-{len(timed)}", args.jobs, extra)
            per_cpu = (run["cpu"] - fixed["cpu"]) / max(args.students - 1, 1)
            print(f"grade ({label}, isolation {run['isolation']}): {run['wall']:.1f} s wall "
                  f"({run['wall'] / args.students:.3f} s per student; running the tests {run['tests']:.1f} s), "
                  f"{run['cpu']:.1f} CPU-s ({per_cpu:.3f} CPU-s per student more than the first); peak memory of "
                  f"the grader's processes {run['peak_mb']:.0f} MiB", flush=True)
        # the write stage alone: every output rebuilt from the gradebook's record (what merge-grades runs)
        from course_utils.grading.stages.outputs import rebuild

        start = time.perf_counter()
        rebuild(scratch / "out-0", tests_dir=ROOT / "tests" / "exercises")
        rebuilt = time.perf_counter() - start
        sandboxed = timed["sandbox"]
        print(f"write stage alone (rebuild every output of the sandbox run's gradebook, what merge-grades does): "
              f"{rebuilt:.1f} s ({rebuilt / sandboxed['wall']:.0%} of that run)")
        met = sandboxed["wall"] * 30 / args.students < TARGET_SECONDS
        if "no sandbox" in timed:
            print(f"sandbox/no sandbox: {sandboxed['wall'] / timed['no sandbox']['wall']:.2f}x wall, "
                  f"{sandboxed['cpu'] / timed['no sandbox']['cpu']:.2f}x CPU")
        print(f"target < {TARGET_SECONDS} s for 30 students with the sandbox: {'met' if met else 'NOT met'}")

        print(f"\nsizing: cores to grade a class in {WINDOW_SECONDS // 60} minutes = ceil(students x CPU-s per "
              f"student / ({WINDOW_SECONDS} s - {fixed['wall']:.0f} s fixed cost per shard)); merge afterwards: "
              f"about {rebuilt / args.students * 1000:.1f} s per 1,000 students")
        for label, run in timed.items():
            per_cpu = (run["cpu"] - fixed["cpu"]) / max(args.students - 1, 1)
            sizes = ", ".join(f"{n:,} students: {cores_needed(n, per_cpu, fixed['wall'])} cores" for n in CLASS_SIZES)
            print(f"  {label}: {per_cpu:.3f} CPU-s per student -> {sizes}")

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
