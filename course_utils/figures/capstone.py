"""Lesson 07's figure: the same smooth improvement read through two metrics."""

from __future__ import annotations

import numpy as np

from course_utils.plotting import course_figure, legend, new_figure, plot_curve

__all__ = ["emergence_figure"]


@course_figure
def emergence_figure(N: np.ndarray, per_token: np.ndarray, exact: np.ndarray, answer_length: int):
    """Per-token accuracy (smooth) and exact match of a whole answer (looks sudden) against N."""
    fig, ax = new_figure(size=(7.2, 4.2))
    ax.set_xscale("log")
    plot_curve(ax, N, per_token, "comparison", label="per-token accuracy (smooth)")
    plot_curve(ax, N, exact, "model", label=f"exact match of all {answer_length} tokens (looks sudden)")
    ax.set(xlabel="parameters N (an illustrative law, not fitted)", ylabel="accuracy", ylim=(-0.02, 1.04),
           title="Same model, two metrics")
    legend(ax, "inside", loc="lower right")
    return fig
