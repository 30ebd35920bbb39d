"""Scaling Laws in AI: the course's helper package.

One idea per module:

========================  =====================================================
``literature``            every published number the course uses, with its source
``powerlaw``              fitting y = A x^-alpha and y = E + A x^-alpha
``chinchilla``            the parametric law L(N, D) and compute-optimal allocation
``compute``               FLOP accounting, hardware time and money
``trends``                exponential trends over calendar time
``data_limits``           the stock of text, repeated data, exhaustion year
``datasets``              the course's own data tables and shipped sweep results
``results``               the one schema for training-run results
``lab``                   the scaling lab (tiny transformers on a CPU)
``plotting``              the course's look for log-log plots
``widgets``               ipywidgets explorers used in the lessons
``grading``               exercises, ``check``, class grading, release builds
``nbtools``               the one notebook executor, output cleaner and offline HTML
``widget_snapshot``       static snapshots of widgets for pages read without a kernel
``course_root``           where the course's folders are (checkout, started folder, wheel)
``doctor``                environment check for the first cell of every notebook
========================  =====================================================

Modules are imported lazily, so ``import course_utils`` is cheap and does not load
PyTorch until the lab is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

_SUBMODULES = (
    "literature", "powerlaw", "chinchilla", "compute", "trends", "data_limits",
    "datasets", "results", "lab", "plotting", "widgets", "grading", "nbtools", "widget_snapshot",
    "course_root", "doctor",
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))
