"""Lesson 05's figures: training sets against the stock of human text, and what repeated data is worth."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from course_utils import literature as lit
from course_utils.figures.history import NOTABLE_MODELS_SOURCE, others_credit, plot_by_source
from course_utils.plotting import (add_source, band_style, course_figure, legend, mark_boundary, new_figure, plot_curve,
                                   plot_level, plot_points, semilogy_axes)

__all__ = ["stock_figure", "repetition_figure"]


@course_figure
def stock_figure(columns: Mapping[str, np.ndarray], trend: Any, start_year: float, start_tokens: float,
                 growth: float, crossing_year: float, until: float = 2032.5):
    """Training-set sizes, the trend fitted to them (with its interval, dashed beyond the data),
    Epoch AI's published growth carried forward from Llama 3, and Villalobos et al.'s stock of
    human text with its interval and the years they project it is used up."""
    fig, ax = new_figure(size=(8.6, 5.6))
    semilogy_axes(ax, ylabel="training tokens D", title="Training sets against the stock of human text")
    known = plot_by_source(ax, columns, "tokens")
    years = columns["year"][known]
    grid = np.linspace(years.min(), until, 200)
    g_low, g_high = trend.growth_interval
    plot_curve(ax, grid, trend.predict(grid), "fit", fitted=(years.min(), years.max()),
               band=trend.band(grid),
               label=f"fitted here: ×{trend.growth_per_year:.2f}/yr",
               band_label=f"{trend.level:.0%}: ×{g_low:.2f} to ×{g_high:.2f}/yr")
    ahead = np.linspace(start_year, until, 100)
    plot_curve(ax, ahead, start_tokens * growth ** (ahead - start_year), "published", extrapolated=True,
               label=f"Epoch AI: ×{growth}/yr, from Llama 3")
    stock = lit.VILLALOBOS_2024_STOCK_TOKENS
    s_low, s_high = lit.VILLALOBOS_2024_STOCK_INTERVAL
    plot_level(ax, stock, "published", band=(s_low, s_high),
               label=f"stock of human text, {stock:.0e}", band_label="90% interval of the stock")
    y_low, y_high = lit.VILLALOBOS_2024_YEAR_INTERVAL
    ax.axvspan(y_low, y_high, **band_style("boundary", alpha=0.14, label=f"stock used up {y_low}–{y_high} "
                                                                       f"(median {lit.VILLALOBOS_2024_MEDIAN_YEAR})"))
    plot_points(ax, [crossing_year], [stock], "highlight", markersize=13, zorder=5,
                label=f"×{growth}/yr reaches it in {crossing_year:.1f}")
    ax.set_ylim(1e11, 3e15)
    ax.set_xlim(years.min() - 0.5, until)
    legend(ax, "below")
    add_source(fig, NOTABLE_MODELS_SOURCE + others_credit(columns, "tokens") + f" Growth ×{growth}/yr: Epoch AI "
                    "data insight "
                    f"({lit.EPOCH_2024_DATASET_GROWTH_DATE}). Stock, its 90% interval and the years "
                    f"{y_low}–{y_high}: Villalobos et al. 2024 (abstract and Fig. 1).")
    return fig


@course_figure
def repetition_figure(epochs: np.ndarray, effective: np.ndarray, r_star: float, good_until: float = 4.0):
    """Effective data against epochs (Muennighoff et al.'s law), against fresh repeats and the ceiling."""
    fig, ax = new_figure(size=(7.2, 4.2))
    ax.set_xscale("log")
    plot_curve(ax, epochs, effective, "published", label="effective data D′/U (their law)")
    plot_curve(ax, epochs, epochs, "comparison", label="if repeats were as good as new")
    plot_level(ax, 1 + r_star, "bound", label=f"ceiling 1 + R* = {1 + r_star:.1f}")
    mark_boundary(ax, good_until, f"{good_until:g} epochs ", y=0.97)
    ax.set(xlabel="epochs over the unique data", ylabel="effective data / unique data", ylim=(0, 40),
           title="Repeated data is worth less each time")
    legend(ax, "inside", loc="center right")
    add_source(fig, f"Muennighoff et al. 2023, eq. 5 with R* = {r_star:.1f} (their fitted R_D*).")
    return fig
