"""Lesson 02's figures: a power law on two kinds of axes, the floor that bends it, the spread of
fitted exponents, a held-out test and a broken power law."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from course_utils.plotting import (course_figure, legend, loglog_axes, mark_boundary, new_figure, plot_curve,
                                   plot_level, plot_points, style)

__all__ = ["axes_figure", "floor_figure", "fresh_fits_figure", "holdout_figure", "broken_figure"]


@course_figure
def axes_figure(x: np.ndarray, y: np.ndarray, alpha: float):
    """The same power law on linear axes (a curve hugging the axes) and on log-log axes (a line)."""
    fig, (left, right) = new_figure(1, 2, size=(9.0, 3.6))
    plot_curve(left, x, y, "model")
    left.set(title="linear axes", xlabel="x", ylabel="y")
    left.ticklabel_format(axis="x", style="plain")
    left.xaxis.set_major_formatter(_thousands())
    loglog_axes(right, "x", "y", f"log-log axes: a line of slope −α = −{alpha:g}")
    plot_curve(right, x, y, "model")
    return fig


def _thousands():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:,.0f}")


@course_figure
def floor_figure(N: np.ndarray, loss: np.ndarray, pure: Any, saturating: Any, E: float, extend_to: float):
    """Losses drawn from E + A/N^α, a pure power law and the saturating law fitted to them, both
    extended (dashed) far beyond the data, and the true floor E."""
    fig, ax = new_figure(size=(7.2, 4.2))
    loglog_axes(ax, "parameters N", "loss (nats/token)", "A floor bends the line")
    grid = np.geomspace(N.min(), extend_to, 300)
    fitted = (N.min(), N.max())
    plot_curve(ax, grid, pure.predict(grid), "comparison", fitted=fitted,
               label=f"pure power law, α = {pure.alpha:.3f}")
    plot_curve(ax, grid, saturating.predict(grid), "fit", fitted=fitted,
               label=f"E + A·N^−α, α = {saturating.alpha:.3f}")
    plot_points(ax, N, loss, "data", label="data", zorder=4)
    plot_level(ax, E, "truth", label=f"true floor E = {E}")
    mark_boundary(ax, N.max(), "end of data ", y=0.2)
    ax.set_ylim(0.8, loss.max() * 1.1)
    legend(ax, "inside", loc="upper right", title="solid: fitted range; dashed: extrapolated")
    return fig


@course_figure
def fresh_fits_figure(fresh_alpha: np.ndarray, truth: float, estimate: float, percentile: tuple[float, float],
                      basic: tuple[float, float], level: float = 0.9):
    """Exponents fitted to many fresh data sets, the truth, and one data set's estimate with its
    percentile and basic bootstrap intervals drawn as bars."""
    fig, ax = new_figure(size=(7.2, 3.8))
    counts, _, bars = ax.hist(fresh_alpha, bins=15, color=style("data")["color"], alpha=0.45,
                              label=f"α fitted to {len(fresh_alpha)} fresh data sets")
    for bar in bars:
        bar.set_gid("role:data:band")
    top = counts.max()
    plot_level(ax, truth, "truth", orientation="vertical", label=f"truth α = {truth}")
    pct = round(100 * level)
    for height, role, (low, high), name in ((1.22, "fit", percentile, "percentile"),
                                            (1.12, "comparison", basic, "basic")):
        plot_points(ax, [estimate], [height * top], role, xerr=[[estimate - low], [high - estimate]], markersize=7,
                    label=f"this data set, α = {estimate:.3f}: {pct}% {name} interval")
    ax.set_ylim(0, top * 1.32)
    ax.set(xlabel="fitted exponent α", ylabel="data sets", title="One data set's intervals against the spread of fits")
    legend(ax, "below")
    return fig


@course_figure
def holdout_figure(N: np.ndarray, loss: np.ndarray, train: np.ndarray, fits: Mapping[str, tuple[Any, str]],
                   errors: Mapping[str, float]):
    """Fits to the small runs, extended (dashed) to the held-out large ones, with the split marked.

    ``fits`` maps a legend name to (fit, role); ``errors`` the same names to the worst
    relative error on the held-out runs.
    """
    fig, ax = new_figure(size=(7.2, 4.2))
    loglog_axes(ax, "parameters N", "loss (nats/token)", "Fit on small runs, test on large ones")
    grid = np.geomspace(N.min(), N.max(), 300)
    split = N[train].max()
    for name, (fit, role) in fits.items():
        plot_curve(ax, grid, fit.predict(grid), role, fitted=(N.min(), split),
                   label=f"{name}: worst held-out error {errors[name]:.1%}")
    plot_points(ax, N[train], loss[train], "data", label="fitted runs", zorder=4)
    plot_points(ax, N[~train], loss[~train], "heldout", label="held-out runs", zorder=4)
    mark_boundary(ax, split, "fitted | held out ", y=0.3)
    legend(ax, "inside", loc="upper right")
    return fig


@course_figure
def broken_figure(x: np.ndarray, y: np.ndarray, early: np.ndarray, fit: Any, break_at: float):
    """A power law fitted before a break, extended (dashed) past it, against what happened next."""
    fig, ax = new_figure(size=(7.2, 4.2))
    loglog_axes(ax, "scale x", "loss", "The exponent changed after the data ended")
    grid = np.geomspace(x.min(), x.max(), 300)
    plot_curve(ax, grid, fit.predict(grid), "fit", fitted=(x.min(), x[early].max()),
               label=f"power law fitted before the break, α = {fit.alpha:.2f}")
    plot_points(ax, x[early], y[early], "data", label="observed (fitted)", zorder=4)
    plot_points(ax, x[~early], y[~early], "heldout", label="what happened next", zorder=4)
    mark_boundary(ax, x[early].max(), "data end ", y=0.35)
    mark_boundary(ax, break_at, " break", y=0.35, side="right")
    legend(ax, "below")
    return fig
