"""The run stage: every student's tests, each student in a grading worker of its own and the
learner's code in the sandbox (an :class:`Outcome` each: every test's row and the notes).
"""

from __future__ import annotations

import gc
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import GraderProblem
from .discover import Plan, preload_names
from .extract import Submission


@dataclass
class Outcome:
    """What running one student's tests gave (output of :func:`run`)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # stem -> rows
    notes: dict[str, list[str]] = field(default_factory=dict)
    isolation: dict[str, list[str]] = field(default_factory=dict)  # stem -> what the sandbox enforced
    error: str | None = None  # the grading worker failed (a grader error)


def run(plan: Plan, submissions: list[Submission], *, launcher: Any = None, jobs: int = 1,
        progress: bool = False) -> dict[str, Outcome]:
    """Every student's tests, ``jobs`` grading workers at a time (student name -> outcome).

    Each worker is a fresh fork of this process; the learner's code runs in processes from
    ``launcher`` (the sandbox's template), never in the worker.
    """
    from .runner import Job, run_collected, run_isolated

    work = []
    for number, found in enumerate(submissions):
        stems = [stem for stem in found.notebooks if stem in plan.syllabus]
        if stems:
            work.append((number, {s: str(found.notebooks[s]) for s in stems}, found.student))
    outcomes = {found.student: Outcome() for found in submissions}
    if not work:
        return outcomes
    bar = None
    if progress:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread in a process that forks
        bar = tqdm(total=len(work), unit="student", desc="grading", file=sys.stderr)

    def grade_everyone(suite: Any) -> None:
        # the hidden tests' inputs are seeded by the folder name in Unicode NFC, so that a folder
        # unpacked from a macOS zip (NFD) draws what the roster's name draws (Gradescope)
        jobs_ = [Job(number, suite.grade, (notebooks, unicodedata.normalize("NFC", student)),
                     deadline=plan.deadline(notebooks), memory_mb=plan.config.worker_memory_mb)
                 for number, notebooks, student in work]
        gc.collect()
        gc.freeze()  # the workers' collections leave what this process holds alone: its pages stay shared
        try:
            for number, status, value in run_isolated(jobs_, workers=jobs):
                outcome = outcomes[submissions[number].student]
                if status == "ok":
                    outcome.rows, outcome.notes, outcome.isolation = value["rows"], value["notes"], value["isolation"]
                else:
                    outcome.error = value
                if bar is not None:
                    bar.update(1)
        finally:
            gc.unfreeze()

    stems = list(dict.fromkeys(stem for _number, notebooks, _student in work for stem in notebooks))
    test_files = plan.test_files(stems)
    try:
        run_collected(test_files, grade_everyone, config=plan.config, launcher=launcher,
                      preload=preload_names(Path(path) for path in test_files))
    except GraderProblem as exc:  # pytest itself failed: a grader error for everyone it did not grade
        for number, _notebooks, _student in work:
            outcome = outcomes[submissions[number].student]
            if not outcome.rows and outcome.error is None:
                outcome.error = f"{type(exc).__name__}: {exc}"
    finally:
        if bar is not None:
            bar.close()
    return outcomes
