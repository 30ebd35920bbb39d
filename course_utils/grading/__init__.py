"""Autograded exercises: extraction, the ``student`` proxy, ``check``, class grading, release.

Public names
------------
``exercise``
    decorator for tests in ``tests/exercises/test_<notebook>.py``.
``check(name)``, ``check_all()``
    instant feedback inside an exercise notebook (a :class:`~.checkreport.CheckReport`).
``skip_if_unfinished``
    ``with skip_if_unfinished():`` around a demo cell: an unwritten exercise stops it quietly.
``StudentError``, ``StudentTimeout``, ``NotImplementedYet``, ``ExerciseMissing``...
    what the ``student`` proxy raises (see :mod:`.errors`).

Subcommands ``release``, ``start``, ``check``, ``grade``, ``merge-grades``, ``import`` and
``export`` of ``python -m course_utils`` are implemented in :mod:`.cli`. ``grade`` runs the stages of
:mod:`.pipeline` (discover, extract, run, score, write) under one
:class:`~.config.GradingConfig`; learner code runs in the sandbox of :mod:`.sandbox`,
forked from the clean template of :mod:`.template`. The write stage merges the run into the
gradebook's record (:mod:`.ledger`) with an instructor's additions (:mod:`.instructions`)
and rebuilds every output from it (:func:`.outputs.write_outputs`).
Submodules are imported lazily so that importing this package in a notebook's setup cell
stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import (BadReturn, ExerciseMissing, NotebookProblem, NotImplementedYet,
                     StudentCrashed, StudentError, StudentProblem, StudentTimeout)

_LAZY = {
    "exercise": "plugin",
    "check": "feedback",
    "check_all": "feedback",
    "skip_if_unfinished": "demo",
    "add_arguments": "cli",
    "run_command": "cli",
    "Student": "proxy",
}

__all__ = ["exercise", "check", "check_all", "skip_if_unfinished", "StudentError", "StudentTimeout",
           "StudentCrashed", "NotImplementedYet", "ExerciseMissing", "BadReturn", "NotebookProblem",
           "StudentProblem", "Student"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
