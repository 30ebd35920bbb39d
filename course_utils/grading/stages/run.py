"""The run stage: every student's tests, each student in a grading worker of its own and the
learner's code in the sandbox (an :class:`Outcome` each: every test's row and the notes).
"""

from __future__ import annotations

import gc
import sys
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..config import GradingConfig
from .discover import Plan
from .extract import Submission


@dataclass
class Outcome:
    """What running one student's tests gave (output of :func:`run`)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # stem -> rows
    notes: dict[str, list[str]] = field(default_factory=dict)
    isolation: dict[str, list[str]] = field(default_factory=dict)  # stem -> what the sandbox enforced
    error: str | None = None  # the grading worker failed (a grader error)


def grade_student(test_files: list[str], notebooks: dict[str, str], config: GradingConfig,
                  launcher: Any, student: str) -> dict[str, Any]:
    """In a grading worker: one pytest run over one student's notebooks (plain data back).

    ``student`` seeds the hidden tests' inputs: the folder name in Unicode NFC, so that a
    folder unpacked from a macOS zip (NFD) draws what the roster's name draws (Gradescope)."""
    from .runner import run_tests

    session = run_tests(test_files, notebooks=notebooks, config=config, launcher=launcher, student=student,
                        timeout=config.timeout, memory_mb=config.memory_mb, modules="reuse")
    rows: dict[str, list[dict]] = {stem: [] for stem in notebooks}
    for row in session.results:
        rows.setdefault(row.notebook, []).append(row.to_dict())
    return {"rows": rows, "notes": session.notes, "isolation": session.isolation}


def run(plan: Plan, submissions: list[Submission], *, launcher: Any = None, jobs: int = 1,
        progress: bool = False) -> dict[str, Outcome]:
    """Every student's tests, ``jobs`` grading workers at a time (student name -> outcome).

    Each worker is a fresh fork of this process; the learner's code runs in processes from
    ``launcher`` (the sandbox's template), never in the worker.
    """
    from .runner import Job, run_isolated

    work = []
    for number, found in enumerate(submissions):
        stems = [stem for stem in found.notebooks if stem in plan.syllabus]
        if stems:
            work.append(Job(number, grade_student,
                            (plan.test_files(stems), {s: str(found.notebooks[s]) for s in stems}, plan.config,
                             launcher, unicodedata.normalize("NFC", found.student)), deadline=plan.deadline(stems),
                            memory_mb=plan.config.worker_memory_mb))
    outcomes = {found.student: Outcome() for found in submissions}
    bar = None
    if progress and work:
        from tqdm import tqdm

        tqdm.monitor_interval = 0  # no monitor thread in a process that forks
        bar = tqdm(total=len(work), unit="student", desc="grading", file=sys.stderr)
    gc.collect()
    gc.freeze()  # the workers' collections leave what this process holds alone: its pages stay shared
    try:
        for number, status, value in run_isolated(work, workers=jobs):
            outcome = outcomes[submissions[number].student]
            if status == "ok":
                outcome.rows, outcome.notes, outcome.isolation = value["rows"], value["notes"], value["isolation"]
            else:
                outcome.error = value
            if bar is not None:
                bar.update(1)
    finally:
        gc.unfreeze()
    if bar is not None:
        bar.close()
    return outcomes
