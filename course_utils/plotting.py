"""The course's look for plots: log-log axes, one colour palette, annotated fits.

Every lesson and widget draws with these helpers so that the same thing has the same
colour everywhere (measured points, fitted laws, published laws, estimates). The palette
is Okabe & Ito's (2008) colour-blind-safe set.

Colour is never the only difference between two things on a figure: each role also has
a marker or a line style (:data:`ROLE_STYLE`, :func:`style`), so a figure reads the
same in greyscale or to a reader who cannot tell the colours apart. Every figure also
carries a one-line text alternative: :func:`show` displays a figure with its summary
as a caption (and in the PNG's metadata), and the explorers in
:mod:`course_utils.widgets` do the same for their plots.

Matplotlib is imported only when a function here is called, so importing
:mod:`course_utils` stays cheap.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["PALETTE", "ROLE_STYLE", "style", "loglog_axes", "semilogy_axes", "plain_number_ticks", "plot_fit",
           "annotate_points", "fit_label", "figure_png", "show"]

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
#: What tells each role apart besides its colour: points get a marker shape, curves a
#: line style, so that no distinction on a figure rests on colour alone.
ROLE_STYLE: dict[str, dict[str, Any]] = {
    "data": {"marker": "o", "linestyle": "none"},
    "fit": {"linestyle": "-"},
    "published": {"linestyle": "--"},
    "kaplan": {"linestyle": ":"},
    "chinchilla": {"linestyle": "-."},
    "official": {"marker": "o", "linestyle": "none"},
    "estimate": {"marker": "^", "linestyle": "none"},
    "highlight": {"marker": "D", "linestyle": "none"},
    "muted": {"linestyle": (0, (6, 2, 1, 2))},  # dash-dot-dot: a comparison curve
}


def style(role: str, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``ax.plot`` that draw ``role`` in the course's way.

    The role's colour from :data:`PALETTE` plus its marker or line style from
    :data:`ROLE_STYLE`; ``overrides`` win (e.g. ``label=...``). For ``ax.scatter`` pass
    ``color`` and ``marker`` only.

    Examples
    --------
    >>> style("published", label="Hoffmann et al. 2022")["linestyle"]
    '--'
    """
    if role not in PALETTE:
        raise ValueError(f"role must be one of {sorted(PALETTE)}; got {role!r}")
    return {"color": PALETTE[role], **ROLE_STYLE.get(role, {}), **overrides}


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


def plain_number_ticks(ax: Any, axis: str = "y") -> Any:
    """Write the tick labels of ``axis`` ("x", "y" or "both") as plain numbers: 2, 3, 4.5.

    Loss axes span less than a decade, where matplotlib otherwise writes 2×10⁰ on a log
    scale, or an offset such as "+1.69" on a linear one. Major ticks are written with
    ``format(value, "g")``; on a log scale the minor ticks are labelled too whenever the
    visible range is under a decade (decided when the figure is drawn).
    """
    from matplotlib.ticker import FuncFormatter

    if axis not in ("x", "y", "both"):
        raise ValueError(f"axis must be 'x', 'y' or 'both'; got {axis!r}")

    def minor(value: float, _: Any, target: Any) -> str:
        low, high = sorted(target.get_view_interval())
        return f"{value:g}" if target.get_scale() == "log" and low > 0 and high / low < 10 else ""

    for target in (ax.xaxis, ax.yaxis) if axis == "both" else ((ax.xaxis if axis == "x" else ax.yaxis),):
        target.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        target.set_minor_formatter(FuncFormatter(lambda value, pos, target=target: minor(value, pos, target)))
    return ax


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
             color: str | None = None, linestyle: Any = "-", extend_to: float | None = None,
             annotate: bool = True, points: bool = True) -> Any:
    """Draw data points and a fitted curve, with the fitted exponent written on the plot.

    Parameters
    ----------
    ax : matplotlib Axes
        e.g. from :func:`loglog_axes` (or :func:`semilogy_axes` for a trend over years).
    x, y : arrays
        The data the law was fitted to (drawn as circles).
    fit : object with ``predict(x)``
        A fit from :mod:`course_utils.powerlaw`, :mod:`course_utils.chinchilla` or
        :func:`course_utils.trends.fit_exponential_trend`.
    label : str, optional
        Legend text for the curve (default: :func:`fit_label`).
    color : str, optional
        Curve colour (default ``PALETTE["fit"]``); points use ``PALETTE["data"]``.
    linestyle : str, optional
        Curve style (default solid). Give a second curve on the same axes its own
        style, so that the two differ by more than colour.
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
        ax.scatter(x, y, s=22, color=PALETTE["data"], marker=ROLE_STYLE["data"]["marker"], zorder=3, label="data")
    (line,) = ax.plot(grid, fit.predict(grid), color=color or PALETTE["fit"], linestyle=linestyle, linewidth=2,
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


def figure_png(fig: Any, alt: str, dpi: int = 90) -> bytes:
    """``fig`` as PNG bytes, with ``alt`` stored in the image's Description metadata."""
    import io

    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a one-line summary of what the figure shows")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Description": alt.strip()})
    return buffer.getvalue()


def show(alt: str, fig: Any = None) -> None:
    """Display ``fig`` (default: pyplot's current figure) with ``alt`` as its caption.

    The text alternative is a one-line summary of what the figure shows, for a reader
    who cannot see it: it appears under the image and is stored in the PNG's metadata.
    Use it instead of ``plt.show()`` in the lessons. The figure is closed afterwards.
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image, Markdown, display

    if fig is None:
        fig = plt.gcf()
    png = figure_png(fig, alt, dpi=fig.dpi)
    plt.close(fig)
    display(Image(data=png, format="png"), Markdown(f"*Figure: {alt.strip()}*"))
