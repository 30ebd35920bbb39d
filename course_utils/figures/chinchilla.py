"""Lesson 04's figures on published laws and simulated runs: how big a model for a budget
(Kaplan, Hoffmann and Besiroglu side by side) and the IsoFLOP profiles of Approach 2."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from course_utils import literature as lit
from course_utils.chinchilla import kaplan_allocation
from course_utils.plotting import (add_source, budget_colours, course_figure, legend, loglog_axes, new_figure,
                                   plot_curve, plot_points, style)

__all__ = ["kaplan_fitted_flops", "allocation_figure", "isoflop_figure"]


def kaplan_fitted_flops() -> tuple[float, float]:
    """The compute (FLOP) over which Kaplan's allocation asks for model sizes he trained.

    N = 1.3e9·C^0.73 (C in PF-days, Table 6) inverted at his smallest and largest models,
    768 and 1.5e9 non-embedding parameters: beyond that his law is an extrapolation.
    """
    k = lit.KAPLAN_2020_ALLOCATION
    low, high = lit.KAPLAN_2020_MODEL_SIZES
    return tuple(lit.PF_DAY * (n / k["N_coefficient"]) ** (1 / k["N_exponent"]) for n in (low, high))


@course_figure
def allocation_figure(budgets: np.ndarray, hoffmann: Any, besiroglu: Any, chinchilla: dict):
    """The compute-optimal size against the budget under Kaplan's, Hoffmann's and Besiroglu's
    laws, each solid over the compute its runs covered and dashed beyond, with Chinchilla."""
    fig, ax = new_figure(size=(7.4, 4.6))
    loglog_axes(ax, "training compute C (FLOP)", "compute-optimal parameters N", "How big a model for a budget?")
    k = lit.KAPLAN_2020_ALLOCATION
    plot_curve(ax, budgets, kaplan_allocation(budgets), "kaplan", fitted=kaplan_fitted_flops(),
               label=f"Kaplan et al. 2020 (Table 6): N ∝ C^{k['N_exponent']}")
    fig4 = lit.HOFFMANN_2022_FIG4_FLOP_RANGE
    plot_curve(ax, budgets, hoffmann.compute_optimal(budgets)[0], "hoffmann", fitted=fig4,
               label=f"Hoffmann et al. 2022 (printed fit): a = {hoffmann.a:.2f}")
    plot_curve(ax, budgets, besiroglu.compute_optimal(budgets)[0], "besiroglu", fitted=fig4,
               label=f"Besiroglu et al. 2024 (refit): a = {besiroglu.a:.2f}")
    plot_points(ax, [chinchilla["flops"]], [chinchilla["params"]], "official", markersize=8, zorder=5,
                label="Chinchilla: 70B parameters at 5.76e23 FLOP")
    legend(ax, "inside", loc="upper left", title="solid: over the runs fitted; dashed: extrapolated")
    add_source(fig, "Kaplan et al. 2020, Table 6, solid where it asks for sizes he trained (768 to 1.5e9 "
                    "non-embedding parameters); Hoffmann et al. 2022, App. D.2, and Besiroglu et al. 2024, "
                    "Table 1, solid over the runs of Hoffmann's Figure 4 (1.4e18 to 1.3e22 FLOP, as extracted "
                    "by Besiroglu et al.); Chinchilla: Hoffmann et al. 2022, §4.")
    return fig


@course_figure
def isoflop_figure(N: np.ndarray, L: np.ndarray, budgets: Sequence[float], groups: Sequence[np.ndarray],
                   profiles: Sequence[Any], truth_name: str):
    """Approach 2 on simulated runs: each budget's runs (``groups`` holds the masks), its
    fitted parabola and its minimum, coloured by budget."""
    fig, ax = new_figure(size=(7.4, 4.6))
    loglog_axes(ax, "parameters N", "loss (nats/token)", "IsoFLOP profiles (Approach 2)")
    colours, mapper = budget_colours(budgets)
    for colour, pick, profile in zip(colours, groups, profiles):
        grid = np.geomspace(N[pick].min(), N[pick].max(), 100)
        ax.plot(N[pick], L[pick], **style("budget", "points", color=colour, markersize=3.5))
        ax.plot(grid, profile.predict(grid), **style("budget", "line", color=colour, linewidth=1.8))
    plot_points(ax, [p.N_opt for p in profiles], [p.L_min for p in profiles], "highlight", markersize=12,
                zorder=5, label="parabola minimum")
    legend(ax, "inside", loc="lower left")
    fig.colorbar(mapper, ax=ax, label="compute budget C (FLOP)")
    add_source(fig, f"runs simulated from {truth_name} with 1% noise, on the design of Hoffmann et al. 2022's "
                    "IsoFLOP profiles (§3.2: nine budgets from 6e18 to 3e21 FLOP).")
    return fig
