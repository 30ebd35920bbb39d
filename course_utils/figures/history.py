"""Lesson 01's figures: the training compute of notable language models, and its trend beside Moore's pace."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from course_utils.datasets import estimated_by
from course_utils.literature import EPOCH_GPT4_FLOP_INTERVAL, MOORE_DOUBLING_YEARS
from course_utils.plotting import (add_source, annotate_points, course_figure, legend, new_figure, plot_curve,
                                   plot_points, semilogy_axes, style)

__all__ = ["SOURCE_ROLES", "NOTABLE_MODELS_SOURCE", "others_credit", "plot_by_source", "compute_figure", "trend_figure"]

#: The plotting role of each answer of :func:`course_utils.datasets.estimated_by`, with its legend text.
SOURCE_ROLES = {"official": ("official", "published by the developer"),
                "epoch": ("estimate_epoch", "Epoch AI's estimate"),
                "course": ("estimate_course", "the course's estimate, 6ND"),
                "other": ("estimate_other", "someone else's estimate")}
#: The credit line of every figure drawn from the course's table of notable models.
NOTABLE_MODELS_SOURCE = ("the course's table of notable models (course_utils/data/notable_models.csv): "
                         "developers' papers and releases; estimates from Epoch AI, Notable AI Models, as "
                         "marked, or the course's 6ND arithmetic from published N and D.")
#: The models lesson 01 names on its figure.
NAMED = ("Transformer (big)", "GPT-1", "GPT-2 (1.5B)", "GPT-3 (175B)", "GPT-4", "Chinchilla", "Llama 3.1 405B",
         "Grok-3")


def others_credit(columns: Mapping[str, np.ndarray], quantity: str) -> str:
    """A sentence for the source line naming the models whose ``quantity`` someone else estimated."""
    names = columns["name"][np.isfinite(columns[quantity]) & (estimated_by(columns, quantity) == "other")]
    return f" Other estimates: {', '.join(names)} (whose: the table's source column)." if len(names) else ""


def plot_by_source(ax: Any, columns: Mapping[str, np.ndarray], quantity: str, **kwargs: Any) -> np.ndarray:
    """Draw ``quantity`` against the year, each point in the role of whoever gave its number.

    Returns the mask of the models drawn (those with a value).
    """
    known = np.isfinite(columns[quantity])
    who = estimated_by(columns, quantity)
    for answer, (role, text) in SOURCE_ROLES.items():
        pick = known & (who == answer)
        if pick.any():
            plot_points(ax, columns["year"][pick], columns[quantity][pick], role,
                        label=f"{text} ({pick.sum()})", zorder=3, **kwargs)
    return known


def _month(year: float) -> str:
    import calendar

    return f"{calendar.month_name[min(12, int((year % 1) * 12 + 0.5) + 1)]} {int(year)}"


@course_figure
def compute_figure(columns: Mapping[str, np.ndarray], named: tuple[str, ...] = NAMED,
                   intervals: Mapping[str, tuple[float, float]] | None = None):
    """Training compute of the notable models over time, by who gave each number, a few named.

    ``intervals`` maps a model's name to the interval of its estimate, drawn as a bar
    (default: Epoch AI's 90% interval for GPT-4, which lesson 01 quotes).
    """
    fig, ax = new_figure(size=(7.2, 4.3))
    semilogy_axes(ax, ylabel="training compute C (FLOP)", title="Training compute of notable language models")
    known = plot_by_source(ax, columns, "flops")
    for name, (low, high) in (intervals if intervals is not None else {"GPT-4": EPOCH_GPT4_FLOP_INTERVAL}).items():
        at = columns["name"] == name
        year, value = columns["year"][at][0], columns["flops"][at][0]
        ax.errorbar([year], [value], yerr=[[value - low], [high - value]], fmt="none", capsize=3, elinewidth=1.4,
                    color=style("estimate_epoch")["color"], gid="role:estimate_epoch:error",
                    label=f"{name}: Epoch AI's 90% interval")
    ax.set_ylim(5e18, 2e27)
    pick = known & np.isin(columns["name"], named)
    annotate_points(ax, columns["year"][pick], columns["flops"][pick], columns["name"][pick],
                    avoid=(columns["year"][known], columns["flops"][known]))
    legend(ax, "inside", loc="upper left")
    add_source(fig, NOTABLE_MODELS_SOURCE)
    return fig


@course_figure
def trend_figure(columns: Mapping[str, np.ndarray], trend: Any, moore_start: float, moore_values: Any,
                 moore_years: np.ndarray):
    """The fitted compute trend (with the interval of its growth rate) beside Moore's pace.

    The band is the fitted line with its slope at either end of the slope's interval,
    pivoting at the mean year of the data: the interval the text quotes for the growth per
    year (×low to ×high), drawn. Moore's pace is ``moore_values`` over ``moore_years``.
    """
    fig, ax = new_figure(size=(7.2, 4.3))
    semilogy_axes(ax, ylabel="training compute C (FLOP)", title="The compute trend against Moore's pace")
    known = plot_by_source(ax, columns, "flops", markersize=5)
    years = columns["year"][known]
    grid = np.linspace(years.min(), years.max(), 200)
    g_low, g_high = trend.growth_interval
    plot_curve(ax, grid, trend.predict(grid), "fit", fitted=(years.min(), years.max()),
               band=trend.band(grid),
               label=f"fitted trend: ×{trend.growth_per_year:.1f}/yr, doubling {trend.doubling_months:.1f} months",
               band_label=f"{trend.level:.0%} interval of the growth, ×{g_low:.1f} to ×{g_high:.1f}/yr")
    plot_curve(ax, moore_years, moore_values, "moore",
               label=f"Moore's pace, ×{2 ** (1 / MOORE_DOUBLING_YEARS):.2f}/yr, from the trend in {_month(moore_start)}")
    ax.set_ylim(5e18, 3e28)
    legend(ax, "inside", loc="upper left")
    add_source(fig, NOTABLE_MODELS_SOURCE + f" Moore's pace: a doubling every {MOORE_DOUBLING_YEARS:g} years "
                    "(Moore 1975).")
    return fig
