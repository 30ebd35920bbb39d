"""Lesson 06's figures: coverage under repeated sampling, stored against active parameters,
precision, data filtering and algorithmic progress."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from course_utils import literature as lit
from course_utils.figures.history import NOTABLE_MODELS_SOURCE
from course_utils.plotting import (add_source, band_style, budget_colours, course_figure, legend, mark_boundary,
                                   new_figure, plot_curve, plot_level, plot_points, style)

__all__ = ["coverage_figure", "moe_figure", "precision_figure", "filtering_figure", "algorithmic_figure"]

_SERIES_MARKERS = ("o", "s", "^", "D", "v")


def _series(ax: Any, x: np.ndarray, ys: Sequence[np.ndarray], values: Sequence[float], labels: Sequence[str]):
    """Curves of an ordered quantity (budgets, pool sizes): one colour of the course's colormap
    each, told apart without colour by their markers."""
    colours, _ = budget_colours(np.asarray(values, dtype=float))
    for y, colour, marker, label in zip(ys, colours, _SERIES_MARKERS, labels):
        ax.plot(x, y, **style("budget", "line", color=colour, marker=marker, markevery=0.1, markersize=6,
                              label=label))


@course_figure
def coverage_figure(k: np.ndarray, fitted: np.ndarray, alike: np.ndarray, beta: tuple[float, float],
                    p1: float, published: Mapping[str, Any]):
    """Coverage against samples: the Beta model through the two published points (dashed past
    them: the model's extrapolation), every-issue-alike, and the single-sample state of the art."""
    fig, ax = new_figure(size=(7.4, 4.4))
    ax.set_xscale("log")
    samples = published["samples"]
    plot_curve(ax, k, fitted, "fit", fitted=(min(samples), max(samples)),
               label=f"issues of unequal difficulty, Beta({beta[0]:.2f}, {beta[1]:.2f})")
    plot_curve(ax, k, alike, "comparison", label=f"every issue alike, p = {p1}")
    plot_points(ax, samples, published["coverage"], "published", markersize=8, zorder=4,
                label="Brown et al. 2024, SWE-bench Lite")
    plot_level(ax, published["single_sample_sota"], "published",
               label=f"single-sample state of the art, {published['single_sample_sota']:.0%}")
    ax.set(xlabel="samples per issue, k", ylabel="coverage (share of issues solved)", ylim=(0, 1.02),
           title="Repeated sampling: coverage grows slowly")
    legend(ax, "inside", loc="lower right", title="solid: between the published points; dashed: extrapolated")
    add_source(fig, "Brown et al. 2024, Large Language Monkeys (abstract): DeepSeek-Coder-V2-Instruct, 15.9% with "
                    "one sample and 56% with 250; 43% is the single-sample state of the art they cite.")
    return fig


@course_figure
def moe_figure(names: Sequence[str], total: np.ndarray, active: np.ndarray):
    """Paired bars: parameters stored (total) against parameters used per token (active)."""
    fig, ax = new_figure(size=(7.2, 0.62 * len(names) + 1.9))
    y = np.arange(len(names))
    ax.barh(y + 0.2, total, height=0.38, color="white", edgecolor="#333333", hatch="///", linewidth=0.8,
            label="total parameters (stored)")
    bars = ax.barh(y - 0.2, active, height=0.38, color=style("official")["color"], label="active per token (used)")
    for bar in bars:
        bar.set_gid("role:official")
    for yi, t, a in zip(y, total, active):
        ax.text(t, yi + 0.2, f" {t:.0f}B", va="center", fontsize=8.5)
        ax.text(a, yi - 0.2, f" {a:.0f}B", va="center", fontsize=8.5)
    ax.set_yticks(y, names)
    ax.grid(False, axis="y")
    ax.set(xlabel="billions of parameters", ylabel="model", title="Stored against used: MoE models and one dense model")
    ax.set_xlim(0, total.max() * 1.18)
    legend(ax, "below")
    add_source(fig, NOTABLE_MODELS_SOURCE)
    return fig


@course_figure
def precision_figure(bits: np.ndarray, extra_loss: Sequence[np.ndarray], budgets: Sequence[float], best: float,
                     published: tuple[float, float] = lit.KUMAR_2024_OPTIMAL_BITS):
    """The extra loss of training at each precision, for several budgets, the one best precision,
    and the range the paper states (``published``, shaded)."""
    fig, ax = new_figure(size=(8.6, 4.2))
    ax.axvspan(*published, **band_style("published", label=f"the paper: {published[0]:g}–{published[1]:g} bits "
                                                           "(§4.3.2)"))
    _series(ax, bits, extra_loss, budgets, [f"C = {b:.0e} FLOP" for b in budgets])
    plot_points(ax, [best], [0], "highlight", markersize=13, zorder=5,
                label=f"best: P* = {best:.1f} bits, every budget")
    ax.set(xlabel="training precision P (bits)", ylabel="loss above the best precision (nats)", ylim=(-0.002, 0.05),
           title="Kumar et al.'s law: the best precision does not move with compute")
    legend(ax, "right")
    add_source(fig, "Kumar et al. 2024, Scaling Laws for Precision: eqs. 3–5 with the constants of their "
                    "App. K, Table 2.")
    return fig


@course_figure
def filtering_figure(seen: np.ndarray, accuracy: Sequence[np.ndarray], kept: Sequence[float]):
    """Accuracy (the fitted law) against samples seen for pools that keep more or less of the
    data, with each point where a larger pool overtakes the best one marked."""
    fig, ax = new_figure(size=(7.4, 4.4))
    ax.set_xscale("log")
    _series(ax, seen, accuracy, kept, [f"keep the top {k:.0%}" for k in kept])
    best = np.asarray(accuracy).argmax(axis=0)
    for at in np.flatnonzero(np.diff(best)) + 1:
        mark_boundary(ax, seen[at], f"top {kept[best[at]]:.0%} overtakes ", y=0.1)
    ax.set(xlabel="samples seen (with repeats)", ylabel="ImageNet zero-shot accuracy (fit)",
           title="Goyal et al.'s law: the best filter depends on the budget")
    legend(ax, "inside", loc="upper left")
    add_source(fig, "Goyal et al. 2024 (CVPR): their fitted T-MARS buckets of the DataComp medium pool "
                    "(github.com/locuslab/scaling_laws_data_filtering, results/parameter_values.jsonl).")
    return fig


@course_figure
def algorithmic_figure(years: np.ndarray, central: np.ndarray, arxiv_band: tuple[np.ndarray, np.ndarray],
                       neurips_band: tuple[np.ndarray, np.ndarray], moore: np.ndarray, halving: float,
                       arxiv_months: tuple[float, float], neurips_months: tuple[float, float]):
    """The compute needed for a fixed result, falling at Ho et al.'s rate with both published
    intervals, beside a halving every two years."""
    fig, ax = new_figure(size=(7.4, 4.4))
    ax.set_yscale("log")
    ax.fill_between(years, *neurips_band, **band_style("published", alpha=0.08,
                                                       label=f"{neurips_months[0]:g}–{neurips_months[1]:g} months "
                                                             "(90%, NeurIPS version)"))
    plot_curve(ax, years, central, "published", band=arxiv_band, label=f"halving every {halving:g} months",
               band_label=f"{arxiv_months[0]:g}–{arxiv_months[1]:g} months (95%, arXiv version)")
    plot_curve(ax, years, moore, "moore", label="halving every 24 months (Moore's pace)")
    ax.set(xlabel="years from now", ylabel="compute needed / compute today", ylim=(1e-7, 2),
           title="Ho et al. 2024: the compute for a fixed result")
    legend(ax, "inside", loc="lower left")
    add_source(fig, "Ho et al. 2024, Algorithmic progress in language models: arXiv:2403.05812 (abstract of v1) "
                    "and the NeurIPS 2024 version.")
    return fig
