"""Scaling Laws in AI: the course's helper package.

One idea per module:

==========================  ===========================================================
Modules are imported lazily, so ``import course_utils`` is cheap and does not load
PyTorch until the lab is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

_SUBMODULES = (
    "literature", "powerlaw", "chinchilla", "compute", "trends", "data_limits",
    "inference_scaling", "mixture_of_experts", "precision_scaling", "data_filtering",
    "downstream_prediction", "algorithmic_progress", "hyperparameter_scaling",
    "datasets", "results", "lab", "plotting", "figures", "figure_audit", "widgets", "grading", "nbtools", "widget_snapshot",
    "course_root", "doctor", "frontend", "commandline",
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))
