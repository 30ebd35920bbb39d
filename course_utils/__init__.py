"""Scaling Laws in AI: the course's helper package.

One idea per module:

==========================  ===================================================================
``literature``              every published number the course uses, with its source
``powerlaw``                fitting y = A·x^(−α) and y = E + A·x^(−α)
``chinchilla``              the parametric law L(N, D) and compute-optimal allocation
``compute``                 FLOP accounting, hardware time and money
``trends``                  exponential trends over calendar time
``data_limits``             the stock of text, repeated data, the exhaustion year
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
``plotting``                the course's look for figures: a style, one encoding per meaning
``figures``                 the lessons' figures, one module per lesson
``figure_audit``            the checks a reviewer makes of a figure, as code
``widgets``                 the lessons' interactive explorers
``widget_snapshot``         static snapshots of widgets, for pages read without a kernel
``grading``                 exercises, ``check``, class grading, release builds
``sharding``                splitting work into N shards, the K-th run by one job
``nbtools``                 the one notebook executor and output cleaner
``website``                 the course website (``scaling-course site``)
``course_root``             where the course's folders are (checkout, started folder, wheel)
``doctor``                  the environment check in the first cell of every lesson
``frontend``                which notebook server serves the page, and whether it draws widgets
``commandline``             the conventions every subcommand of ``scaling-course`` follows
==========================  ===================================================================

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
    "course_root", "doctor", "frontend", "commandline", "sharding", "website",
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_SUBMODULES))
