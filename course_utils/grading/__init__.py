"""Autograded exercises: extraction, the ``student`` proxy, ``check``, class grading, release.

Public names
------------
``exercise``
    decorator for tests in ``tests/exercises/test_<notebook>.py``.
``check(name)``, ``check_all()``
    instant feedback inside an exercise notebook (a :class:`~.learner.checkreport.CheckReport`).
``skip_if_unfinished``
    ``with skip_if_unfinished():`` around a demo cell: an unwritten exercise stops it quietly.
``StudentError``, ``StudentTimeout``, ``NotImplementedYet``, ``ExerciseMissing``...
    what the ``student`` proxy raises (see :mod:`.errors`).

Its parts, one sub-package each (ARCHITECTURE.md draws the layers): :mod:`.notebook` reads a
notebook without running it; :mod:`.sandbox` runs learner code behind the process boundary;
:mod:`.course` holds an instructor's files and tables; :mod:`.stages` grades a class as
discover -> extract -> run -> score -> write; :mod:`.learner` gives a learner instant feedback;
:mod:`.commands` implements the subcommands ``release``, ``start``, ``check``, ``grade``,
``merge-grades``, ``import`` and ``export`` of ``python -m course_utils``. The modules that
exercise tests import stay here: :mod:`.compare`, :mod:`.credit`, :mod:`.plugin`,
:mod:`.errors`, with the shared :mod:`.config`, :mod:`.scoring` and :mod:`.safetext`.
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
    "check": "learner.feedback",
    "check_all": "learner.feedback",
    "skip_if_unfinished": "learner.demo",
    "add_arguments": "commands.cli",
    "run_command": "commands.cli",
    "Student": "sandbox.proxy",
}

__all__ = ["exercise", "check", "check_all", "skip_if_unfinished", "StudentError", "StudentTimeout",
           "StudentCrashed", "NotImplementedYet", "ExerciseMissing", "BadReturn", "NotebookProblem",
           "StudentProblem", "Student"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
