"""Benchmark: grade a synthetic class with ``python -m course_utils grade``.

Builds a class from solutions/ and exercises/ (30 students by default): most submit the
solutions, some the blank notebooks, some a mix (every other exercise left blank), one
misses a notebook; everyone hands in the capstone's answer notebook (a notebook of written
answers, collected but not run). The notebooks with tests are listed with
``rubric.exercise_notebooks`` (solutions/ also holds the rubric-only capstone). Grades it with ``--jobs 2`` and the sandbox on (issue 10), and prints
the time per student against ``TARGET_SECONDS``. Side by side in the same run it grades
the same class with ``--no-sandbox`` and prints the ratio (what the sandbox costs), then
grades a few students the naive way — one fresh ``pytest`` interpreter per notebook — and
prints that ratio (the template's gain).

Run from the repository root (where solutions/ has notebooks):

    python benchmarks/bench_grade.py [--students 30] [--jobs 2] [--naive 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 120  # issues 4 and 10: 30 students x all notebooks, --jobs 2, sandbox on, on 2 cores


def _mixed(solution: Path, blank: Path, destination: Path) -> None:
    """The solution notebook with every other exercise cell taken from the blank one."""
    solved, empty = (json.loads(p.read_text(encoding="utf-8")) for p in (solution, blank))
    exercise = [i for i, c in enumerate(solved["cells"]) if "exercise" in c["metadata"].get("tags", [])]
    for i in exercise[1::2]:
        solved["cells"][i] = empty["cells"][i]
    destination.write_text(json.dumps(solved), encoding="utf-8")


def build_class(folder: Path, students: int) -> None:
    from course_utils.grading.rubric import exercise_notebooks, find_rubrics

    solutions = exercise_notebooks(ROOT / "solutions", ROOT / "tests" / "exercises")
    answers = [ROOT / "exercises" / f"{stem}.ipynb" for stem in find_rubrics(ROOT / "tests" / "exercises")
               if (ROOT / "exercises" / f"{stem}.ipynb").is_file()]
    for n in range(students):
        student = folder / f"student{n:02d}"
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--naive", type=int, default=3, help="students graded the naive way for the ratio")
    args = parser.parse_args()
    from course_utils.grading.rubric import exercise_notebooks

    notebooks = len(exercise_notebooks(ROOT / "solutions", ROOT / "tests" / "exercises"))
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as scratch:
        scratch = Path(scratch)
        build_class(scratch / "class", args.students)
        timed = {}
        for label, extra in (("sandbox", []), ("no sandbox", ["--no-sandbox"])):
            start = time.perf_counter()
            ran = subprocess.run([sys.executable, "-m", "course_utils", "grade", str(scratch / "class"), "--out",
                                  str(scratch / f"out-{len(timed)}"), "--jobs", str(args.jobs), "--quiet", *extra],
                                 check=True, cwd=ROOT, capture_output=True, text=True)
            timed[label] = time.perf_counter() - start
            isolation = next((line.rsplit("isolation: ", 1)[1].rstrip(")") for line in ran.stdout.splitlines()
                              if "isolation: " in line), "?")
            print(f"grade ({label}, isolation {isolation}): {args.students} students x {notebooks} notebooks, "
                  f"--jobs {args.jobs}: {timed[label]:.1f} s ({timed[label] / args.students:.2f} s per student)")
        # the write stage alone: every output rebuilt from the gradebook's record (what merge-grades calls)
        from course_utils.grading.outputs import rebuild

        start = time.perf_counter()
        rebuild(scratch / "out-0", tests_dir=ROOT / "tests" / "exercises")
        rebuilt = time.perf_counter() - start
        print(f"write stage alone (rebuild every output of the sandbox run's gradebook): {rebuilt:.1f} s "
              f"({rebuilt / timed['sandbox']:.0%} of that run)")
        fast = timed["sandbox"]
        fast_per_notebook = fast / (args.students * notebooks)
        met = fast * 30 / args.students < TARGET_SECONDS
        print(f"sandbox/no sandbox: {timed['sandbox'] / timed['no sandbox']:.2f}x; "
              f"target < {TARGET_SECONDS} s for 30 students with the sandbox: {'met' if met else 'NOT met'}")

        if args.naive:
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
