"""The course's look for plots: log-log axes, one colour palette, annotated fits.

Every lesson and widget draws with these helpers so that the same thing has the same
colour everywhere (measured points, fitted laws, published laws, estimates). The palette
is Okabe & Ito's (2008) colour-blind-safe set. Matplotlib is imported only when a
function here is called, so importing :mod:`course_utils` stays cheap.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["PALETTE", "COLOR_CYCLE", "loglog_axes", "semilogy_axes", "plot_fit", "annotate_points",
           "fit_label"]

#: Colours by role (Okabe & Ito 2008, "Color Universal Design").
PALETTE: dict[str, str] = {
    "data": "#0072B2",        # blue: measured points, your runs
    "fit": "#D55E00",         # vermillion: a law fitted in front of the learner
    "published": "#009E73",   # bluish green: a published law or constant
    "kaplan": "#CC79A7",      # reddish purple: Kaplan et al. 2020
    "chinchilla": "#E69F00",  # orange: Hoffmann et al. 2022
    "official": "#0072B2",    # a figure published by the developer
    "estimate": "#999999",    # somebody's estimate
    "highlight": "#000000",
    "muted": "#BBBBBB",
}
#: The order in which several series take colours.
COLOR_CYCLE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                                "#F0E442", "#000000")


def _new_axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    return ax


def _style(ax: Any, xlabel: str | None, ylabel: str | None, title: str | None) -> Any:
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.35, linewidth=0.8)
    ax.grid(True, which="minor", alpha=0.12, linewidth=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def loglog_axes(ax: Any = None, xlabel: str | None = None, ylabel: str | None = None,
                title: str | None = None) -> Any:
    """Axes with both scales logarithmic, light grid, labels; a new figure if ``ax`` is None.

    A power law y = A·x^(−α) is a straight line of slope −α on these axes.
    """
    ax = _new_axes(ax)
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _style(ax, xlabel, ylabel, title)


def semilogy_axes(ax: Any = None, xlabel: str | None = "year", ylabel: str | None = None,
                  title: str | None = None) -> Any:
    """Axes with a logarithmic y scale only: exponential growth over time is a straight line."""
    ax = _new_axes(ax)
    ax.set_yscale("log")
    return _style(ax, xlabel, ylabel, title)


def fit_label(fit: Any) -> str:
    """Short text for a fitted law: its exponent (and floor E), or its growth per year.

    Understands results with ``alpha`` (and optionally ``E``), ``beta``, or a trend's
    ``growth_per_year`` and ``doubling_months``.
    """
    if hasattr(fit, "growth_per_year") and hasattr(fit, "doubling_months"):
        return f"×{fit.growth_per_year:.3g}/yr, doubling {fit.doubling_months:.1f} months"
    parts = []
    if hasattr(fit, "alpha"):
        parts.append(f"α = {fit.alpha:.3f}")
    if hasattr(fit, "beta"):
        parts.append(f"β = {fit.beta:.3f}")
    if hasattr(fit, "E"):
        parts.append(f"E = {fit.E:.3g}")
    return ", ".join(parts)


def plot_fit(ax: Any, x: ArrayLike, y: ArrayLike, fit: Any, *, label: str | None = None,
             color: str | None = None, extend_to: float | None = None, annotate: bool = True,
             points: bool = True) -> Any:
    """Draw data points and a fitted curve, with the fitted exponent written on the plot.

    Parameters
    ----------
    ax : matplotlib Axes
        e.g. from :func:`loglog_axes` (or :func:`semilogy_axes` for a trend over years).
    x, y : arrays
        The data the law was fitted to.
    fit : object with ``predict(x)``
        A fit from :mod:`course_utils.powerlaw`, :mod:`course_utils.chinchilla` or
        :func:`course_utils.trends.fit_exponential_trend`.
    label : str, optional
        Legend text for the curve (default: :func:`fit_label`).
    color : str, optional
        Curve colour (default ``PALETTE["fit"]``); points use ``PALETTE["data"]``.
    extend_to : float, optional
        Draw the curve out to this x, to show an extrapolation.
    annotate : bool
        Write :func:`fit_label` next to the curve.
    points : bool
        Also scatter the data.

    Returns
    -------
    matplotlib Line2D
        The fitted curve.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or x.size == 0:
        raise ValueError(f"x and y must be 1-D arrays of equal, non-zero length; got {x.shape} and {y.shape}")
    if not callable(getattr(fit, "predict", None)):
        raise ValueError(f"fit must have a predict(x) method; got {type(fit).__name__}")
    finite = x[np.isfinite(x)]
    low, high = float(finite.min()), float(finite.max())
    if extend_to is not None:
        low, high = min(low, extend_to), max(high, extend_to)
    log_x = ax.get_xscale() == "log"
    if log_x and low <= 0:
        raise ValueError("x must be positive on a logarithmic x axis")
    grid = np.geomspace(low, high, 200) if log_x else np.linspace(low, high, 200)
    text = fit_label(fit)
    if points:
        ax.scatter(x, y, s=22, color=PALETTE["data"], zorder=3, label="data")
    (line,) = ax.plot(grid, fit.predict(grid), color=color or PALETTE["fit"], linewidth=2,
                      label=label if label is not None else (text or "fit"), zorder=2)
    if annotate and text:
        middle = grid[len(grid) // 2]
        ax.annotate(text, xy=(middle, float(fit.predict(np.array([middle]))[0])), xytext=(6, 8),
                    textcoords="offset points", color=line.get_color(), fontsize=9)
    return line


def annotate_points(ax: Any, x: ArrayLike, y: ArrayLike, labels: Sequence[str], *, fontsize: float = 8,
                    offset: tuple[float, float] = (4, 3), color: str | None = None) -> list[Any]:
    """Write ``labels[i]`` beside point (x[i], y[i]); points with a NaN coordinate are skipped.

    Returns the matplotlib Text objects.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    labels = list(labels)
    if not (x.shape == y.shape == (len(labels),)):
        raise ValueError(f"x, y and labels must have equal lengths; got {x.shape}, {y.shape}, {len(labels)}")
    texts = []
    for xi, yi, text in zip(x, y, labels):
        if math.isfinite(xi) and math.isfinite(yi):
            texts.append(ax.annotate(str(text), xy=(xi, yi), xytext=offset, textcoords="offset points",
                                     fontsize=fontsize, color=color or PALETTE["highlight"]))
    return texts
