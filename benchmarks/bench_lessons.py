"""Print each lesson's execution time and the total, against the budgets of issue 5.

    python benchmarks/bench_lessons.py [NOTEBOOK ...]

Runs every lesson (or the ones named) with the course's one executor, each in a scratch
folder, exactly as CI and `python -m course_utils run-all` do. Budgets (issue 23): each lesson
under 120 s, lesson 04 under 40 s, all together under 180 s on a 2-core machine. Times depend
on the machine's load: report the load with the numbers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from course_utils import nbtools

BUDGET_S = {"04_chinchilla": 40}
DEFAULT_BUDGET_S = 120
TOTAL_BUDGET_S = 180


def main(argv: list[str]) -> int:
    notebooks = [Path(a) for a in argv] or nbtools.lesson_notebooks()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, cpus: {os.cpu_count()}")
    runs = nbtools.run_all(notebooks)
    print()
    over = sum(not run.ok for run in runs)
    timings = [(run.path, run.seconds) for run in runs]
    for path, seconds in timings:
        budget = BUDGET_S.get(path.stem, DEFAULT_BUDGET_S)
        over += seconds > budget
        print(f"{path.stem:<20} {seconds:7.1f} s  budget {budget:4d} s  {seconds / budget:5.0%}")
    total = sum(s for _, s in timings)
    print(f"{'total':<20} {total:7.1f} s  budget {TOTAL_BUDGET_S:4d} s  {total / TOTAL_BUDGET_S:5.0%}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if over or total > TOTAL_BUDGET_S else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
