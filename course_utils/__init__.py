"""Scaling Laws in AI: the course's helper package.

One idea per module:

==========================  ==================================================================
``literature``              every published number the course uses, with its source
``powerlaw``                fitting y = A x^-alpha and y = E + A x^-alpha
``chinchilla``              the parametric law L(N, D) and compute-optimal allocation
``compute``                 FLOP accounting, hardware time and money
``trends``                  exponential trends over calendar time
``data_limits``             the stock of text, repeated data, exhaustion year
``inference_scaling``       pass@k, coverage under repeated sampling, FLOPs-matched test time
``mixture_of_experts``      total against active parameters of routed models
``precision_scaling``       precision-aware scaling: effective parameters, optimal bits
``data_filtering``          the value of filtered data when it must be repeated
``downstream_prediction``   from loss to benchmark error; Llama 3's token fit
``algorithmic_progress``    the compute needed for a fixed result, over time
``hyperparameter_scaling``  learning rate and batch size against compute; µP
``datasets``                the course's own data tables and shipped sweep results
``results``                 the one schema for training-run results
``lab``                     the scaling lab (tiny transformers on a CPU)
``plotting``                the course's look for log-log plots
``widgets``                 ipywidgets explorers used in the lessons
``grading``                 exercises, ``check``, class grading, release builds
``nbtools``                 the one notebook executor and output cleaner
``doctor``                  environment check for the first cell of every notebook
==========================  ==================================================================

Modules are imported lazily, so ``import course_utils`` is cheap and does not load
PyTorch until the lab is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = (
    "literature", "powerlaw", "chinchilla", "compute", "trends", "data_limits",
    "inference_scaling", "mixture_of_experts", "precision_scaling", "data_filtering",
    "downstream_prediction", "algorithmic_progress", "hyperparameter_scaling",
    "datasets", "results", "lab", "plotting", "widgets", "grading", "nbtools", "doctor",
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))
