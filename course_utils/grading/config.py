"""What grading may spend, in one place: :class:`GradingConfig` and the one deadline formula.

Every limit the grader enforces on learner code, and every deadline it derives from them,
comes from a :class:`GradingConfig`. ``grade`` builds one from its command line, ``check``
and the ``student`` fixture use the defaults. :class:`Status` names what happened to a test.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any, Iterable


class Status(str, Enum):
    """What happened to one test (its ``status`` in ``results.jsonl``; the value is stored)."""

    PASSED = "passed"
    PARTIAL = "partial"  # a prediction scored by accuracy earned part of its points (.credit)
    FAILED = "failed"  # a wrong result
    ERROR = "error"  # the learner's code raised
    TIMEOUT = "timeout"  # one call ran past its exercise's time limit
    TOO_SLOW = "too slow"  # the notebook had used its whole time budget (notebook_deadline)
    CRASHED = "crashed"  # the learner's code ended its process
    MISSING = "missing"  # no such function, or no notebook submitted
    NOT_IMPLEMENTED = "not implemented"
    BAD_RETURN = "bad return"
    UNREADABLE = "unreadable"  # not a notebook
    REFUSED = "refused"  # a symbolic link, or a notebook past the size caps
    SKIPPED = "skipped"
    GATED = "gated"  # a raise-only check waiting for a passing value test (scoring.apply_gates)
    GRADER_ERROR = "grader error"  # the grader failed, not the learner: regrade

    def __str__(self) -> str:
        return self.value

    @property
    def learner_facing(self) -> bool:
        """Whether the status says what the learner's code or notebook did (every status but
        ``grader error``, which is the grader's own fault and is never counted against them)."""
        return self is not Status.GRADER_ERROR


#: the stated margin: seconds a grading worker may spend per student besides the learners'
#: time (pytest, the tests' own work, starting and stopping sandboxes). A learner's code cannot
#: make a worker use it: the proxy charges their every second to their notebook's budget.
GRACE_SECONDS = 60.0


@dataclass(frozen=True)
class GradingConfig:
    """Limits on learner code and the deadlines derived from them.

    Attributes
    ----------
    timeout
        Seconds each call to a learner's function may take (an ``@exercise(timeout=...)``
        overrides it for that exercise). Each exercise gets this budget once: after a
        time-out, its further calls fail at once.
    startup_seconds
        One budget, per notebook, for running its tagged cells, all starts together (a
        restart after a time-out runs them again). A single exercise cell may also take at
        most ``timeout``. Setup cells get no budget of their own.
    memory_mb
        Address space (MiB) each learner process may add to what it starts with: a hard
        ``RLIMIT_AS`` it cannot raise.
    processes
        Processes the learner's code may run at once (``RLIMIT_NPROC``, counted for the
        sandbox's own uid or user namespace).
    cpu_seconds
        CPU time of each learner process (hard ``RLIMIT_CPU``), a backstop behind the
        wall-clock limits.
    file_mb
        Largest file the learner's code may write (``RLIMIT_FSIZE``).
    scratch_mb
        Size of the sandbox's writable scratch folder (its ``/tmp``, a memory file system).
    open_files
        Open file descriptors per learner process (``RLIMIT_NOFILE``).
    max_notebook_mb
        A submitted notebook file larger than this is refused with a note.
    worker_memory_mb
        Address space (MiB) each grading worker (the process that runs a student's tests and
        reads their replies) may add to what it starts with: a hard ``RLIMIT_AS``. A reply
        that would need more is refused as that learner's crash, never allocated. A worker
        starts at about 190 MiB resident and grows by about 30 MiB grading all six notebooks,
        so 768 keeps every worker under 1 GiB with room to spare.
    max_code_kb
        The most code (KiB, all code cells together) the grader reads from one notebook;
        past it the notebook is refused with a note. Untagged cells larger than
        ``max_code_kb / 8`` are not searched for lost exercise definitions.
    sandbox
        Run learner code in the sandbox (Linux namespaces, see :mod:`.isolation`). Turning it
        off keeps the limits and is recorded in the gradebook.
    """

    timeout: float = 10.0
    startup_seconds: float = 60.0
    memory_mb: float = 2048.0
    processes: int = 64
    cpu_seconds: float = 600.0
    file_mb: float = 64.0
    scratch_mb: float = 256.0
    open_files: int = 256
    max_notebook_mb: float = 20.0
    max_code_kb: float = 512.0
    worker_memory_mb: float = 768.0
    sandbox: bool = True

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name == "sandbox":
                if not isinstance(value, bool):
                    raise ValueError(f"sandbox must be True or False, got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")

    def notebook_deadline(self, exercise_timeouts: Iterable[float | None]) -> float:
        """The notebook's time budget: the most seconds its learner's code may take in all.

        ``startup_seconds + sum(timeout_e for each exercise e)``: the cells' budget, plus
        every exercise running out of its time once (after which its calls fail at once).
        ``exercise_timeouts`` has one entry per exercise: its ``@exercise(timeout=...)``,
        or None for :attr:`timeout`. The proxy charges every second it waits for the
        learner's process (starts, cells, calls) to it; calls past it fail as
        :attr:`Status.TOO_SLOW`.
        """
        return self.startup_seconds + sum(t or self.timeout for t in exercise_timeouts)

    def deadline(self, notebooks: Iterable[Iterable[float | None]]) -> float:
        """Seconds a worker grading these notebooks may run before it is stopped: the one
        deadline formula, ``GRACE_SECONDS + sum of notebook_deadline`` over the notebooks
        (the learner's budgets, which the proxy enforces, plus the stated margin)."""
        return GRACE_SECONDS + sum(self.notebook_deadline(timeouts) for timeouts in notebooks)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def positive_number(text: str) -> float:
    """Command-line type: a number greater than 0."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def positive_integer(text: str) -> int:
    """Command-line type: a whole number of at least 1."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


positive_number.__name__ = "positive number"  # argparse names the type in its messages
positive_integer.__name__ = "positive integer"
