"""The course's one look for figures: a style, one encoding per meaning, and helpers that use them.

Every figure a learner sees (lessons, exercises, explorers) is drawn in this style, so that the
same thing looks the same everywhere:

* **The style** (:func:`course_style`): Okabe & Ito's (2008) colour-blind-safe colours, one
  sequential colormap for compute budgets and model sizes (:data:`BUDGET_CMAP`, viridis cut
  before its pale end), a light grid, no top or right spine, 150 dpi, fonts of at least 8 pt.
  :func:`use_course_style` applies it to pyplot (one call per notebook); :func:`styled` applies
  it for the length of a ``with`` block, which is how the figure builders in
  :mod:`course_utils.figures` and the explorers use it.
* **One encoding per meaning** (:data:`ROLE_STYLE`): measured points, held-out points,
  official figures and whose estimate a number is, a law fitted in front of the learner,
  Kaplan's, Hoffmann's and Besiroglu's laws, Moore's pace, published numbers, the truth of a
  simulation, bounds and boundaries. Each has one colour and one marker. Line styles mean the
  same for every role: a curve is **solid over the data it rests on and dashed beyond**
  (an extrapolation), a reference level is dotted (a bound dash-dotted), and an interval is a
  band in its curve's colour. Colour is never the only difference between two things on a
  figure: named laws carry their marker along their line, held-out points are open.
  :func:`style` gives the keyword arguments; each artist it styles carries its role in its
  ``gid`` (``"role:fit"``, ``"role:fit:extrapolated"``, ...), which
  :mod:`course_utils.figure_audit` checks.
* **Helpers**: :func:`plot_points`, :func:`plot_curve` (solid over the fitted range, dashed
  beyond, with its band), :func:`plot_level`, :func:`mark_boundary`, :func:`annotate_points`
  (labels placed without overlap by adjustText), :func:`legend` (outside the data),
  :func:`add_source` (the credit line under a figure of third-party data) and :func:`show`
  (the figure at 150 dpi with its text alternative in the PNG and as a caption).

Matplotlib is imported only when a function here is called, so importing
:mod:`course_utils` stays cheap.
"""

from __future__ import annotations

import contextlib
import math
import textwrap
from typing import Any, Iterator, Sequence

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["OKABE_ITO", "PALETTE", "ROLE_STYLE", "BUDGET_CMAP", "DPI", "course_style", "use_course_style", "styled",
           "course_figure", "new_figure", "style", "band_style", "budget_colours", "loglog_axes", "semilogy_axes",
           "plain_number_ticks", "finish", "plot_points", "plot_curve", "plot_level", "mark_boundary",
           "annotate_points", "legend", "add_source", "figure_png", "show"]

#: Okabe & Ito (2008), "Color Universal Design": eight colours told apart by the common
#: forms of colour blindness (yellow is left out: it vanishes on white).
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
#: A neutral grey dark enough to read on white (5:1), for estimates and comparison curves.
GREY = "#6E6E6E"

#: One entry per meaning. ``color`` and ``marker`` identify the role; ``kind`` says how it is
#: drawn by default: ``points`` (markers only), ``line`` (a curve: solid over its data, dashed
#: beyond) or ``level`` (a reference value drawn across the axes). ``line_marker`` puts the
#: marker along a curve too, so that curves of different roles differ without colour;
#: ``level_style`` is the line style of the role's reference levels; ``open`` draws hollow
#: markers. ``means`` is the legend of the legend, printed in the learners' guide
#: (docs/guides/learners.md).
ROLE_STYLE: dict[str, dict[str, Any]] = {
    "data": dict(color=OKABE_ITO["blue"], marker="o", kind="points",
                 means="measured values: the runs or models a law is fitted to"),
    "heldout": dict(color=OKABE_ITO["blue"], marker="o", kind="points", open=True,
                    means="measured values left out of the fit (open markers)"),
    "yours": dict(color=OKABE_ITO["black"], marker="P", kind="points",
                  means="your own runs, trained in the notebook"),
    "official": dict(color=OKABE_ITO["blue"], marker="o", kind="points",
                     means="a number the model's developer published"),
    "estimate_epoch": dict(color=GREY, marker="^", kind="points", means="Epoch AI's estimate"),
    "estimate_course": dict(color=GREY, marker="s", kind="points",
                            means="the course's own estimate (6ND from published N and D)"),
    "estimate_other": dict(color=GREY, marker="v", kind="points",
                           means="someone else's estimate, named under the figure"),
    "highlight": dict(color=OKABE_ITO["black"], marker="*", kind="points",
                      means="a point the text names: an optimum, a parabola's minimum"),
    "frontier": dict(color=OKABE_ITO["black"], marker="o", kind="points", open=True,
                     means="the best run of each compute budget (ringed)"),
    "fit": dict(color=OKABE_ITO["vermillion"], marker="D", kind="line",
                means="a law fitted in front of you (band: its interval)"),
    "comparison": dict(color=GREY, marker="X", kind="line", line_marker=True,
                       means="a second fit or a what-if curve to compare with"),
    "model": dict(color=OKABE_ITO["black"], marker="o", kind="line",
                  means="a curve computed from a formula: an illustration, not a fit"),
    "kaplan": dict(color=OKABE_ITO["reddish purple"], marker="v", kind="line", line_marker=True,
                   means="Kaplan et al. 2020"),
    "hoffmann": dict(color=OKABE_ITO["orange"], marker="s", kind="line", line_marker=True, linewidth=2.4,
                     means="Hoffmann et al. 2022 (Chinchilla)"),
    "besiroglu": dict(color=OKABE_ITO["bluish green"], marker="P", kind="line", line_marker=True,
                      means="Besiroglu et al. 2024 (Epoch AI's refit of Chinchilla)"),
    "moore": dict(color=OKABE_ITO["black"], marker="x", kind="line", line_marker=True,
                  means="Moore's pace: a doubling every two years"),
    "published": dict(color=OKABE_ITO["bluish green"], marker="s", kind="level", level_style=":", line_marker=True,
                      means="another published number, range or law, credited under the figure"),
    "truth": dict(color=OKABE_ITO["black"], marker="X", kind="level", level_style=":",
                  means="the known answer: a simulation's truth, the lab's window floor"),
    "bound": dict(color=GREY, marker="none", kind="level", level_style="-.",
                  means="a limit a curve approaches and cannot cross (entropy rate h, a ceiling)"),
    "boundary": dict(color=GREY, marker="none", kind="level", level_style="-", linewidth=1.0,
                     means="a boundary the text names: train/test, a break, the end of the data"),
    "guide": dict(color=GREY, marker="none", kind="level", level_style=":", linewidth=1.0,
                  means="a guide for reading the figure, labelled on the line (e.g. tokens per parameter)"),
    "budget": dict(color=None, marker="o", kind="points",
                   means="compute budgets and model sizes: the one sequential colormap"),
}
#: The colour of each role (``None`` for ``budget``, which takes its colour from :data:`BUDGET_CMAP`).
PALETTE: dict[str, str | None] = {role: spec["color"] for role, spec in ROLE_STYLE.items()}
#: The one sequential colormap (compute budgets, model sizes, ordered series): viridis cut at
#: 0.6, where its colour still has 3:1 contrast on white (its yellow end has 1.3:1).
BUDGET_CMAP = "course_sequential"
_CMAP_RANGE = (0.0, 0.6)
#: Resolution of every course figure, in dots per inch.
DPI = 150
#: Line widths: curves, and the thin boundary lines.
_LINEWIDTH = 2.0


def course_style() -> dict[str, Any]:
    """The course's matplotlib settings (rcParams) as a dict.

    Okabe-Ito colour cycle, light grid, no top/right spines, 150 dpi, fonts of 9-11 pt (8 pt
    at least: at 150 dpi that is 17 pixels), constrained layout, no offset or scientific
    notation on linear axes.
    """
    from cycler import cycler

    return {
        "figure.dpi": DPI, "savefig.dpi": DPI, "figure.figsize": (6.4, 4.0), "figure.constrained_layout.use": True,
        "figure.facecolor": "white", "savefig.facecolor": "white",
        "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
        "legend.fontsize": 9, "legend.title_fontsize": 9, "figure.titlesize": 12,
        "axes.titlelocation": "left", "axes.titleweight": "normal",
        "axes.prop_cycle": cycler(color=[OKABE_ITO[c] for c in ("blue", "vermillion", "bluish green",
                                                                "reddish purple", "orange", "sky blue", "black")]),
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "axes.grid.which": "major",
        "axes.axisbelow": True, "grid.color": "#D0D0D0", "grid.linewidth": 0.6,
        "axes.edgecolor": "#333333", "axes.labelcolor": "#222222", "xtick.color": "#333333",
        "ytick.color": "#333333", "axes.formatter.useoffset": False, "axes.formatter.limits": (-4, 5),
        "lines.linewidth": _LINEWIDTH, "lines.markersize": 6, "patch.linewidth": 0.8,
        "legend.frameon": False, "legend.handlelength": 2.6, "image.cmap": BUDGET_CMAP,
        "errorbar.capsize": 2,
    }


def _register_cmap() -> None:
    import matplotlib as mpl
    from matplotlib.colors import ListedColormap

    if BUDGET_CMAP not in mpl.colormaps:
        low, high = _CMAP_RANGE
        mpl.colormaps.register(ListedColormap(mpl.colormaps["viridis"](np.linspace(low, high, 256)),
                                              name=BUDGET_CMAP))


def use_course_style() -> None:
    """Apply the course style to every figure drawn from now on (pyplot included): one call per notebook."""
    import matplotlib as mpl

    _register_cmap()
    mpl.rcParams.update(course_style())


@contextlib.contextmanager
def styled() -> Iterator[None]:
    """The course style inside a ``with`` block only, leaving the caller's settings untouched."""
    import matplotlib as mpl

    _register_cmap()
    with mpl.rc_context(course_style()):
        yield


def course_figure(builder):
    """Decorator for a function that builds and returns a figure: it runs in the course style
    (:func:`styled`) and its figure gets the last touches (:func:`finish`)."""
    import functools

    @functools.wraps(builder)
    def build(*args: Any, **kwargs: Any):
        with styled():
            return finish(builder(*args, **kwargs))

    return build


def new_figure(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (6.4, 4.0), **kwargs: Any):
    """A pyplot-free figure and its axes (``Figure.subplots``), in the course style.

    Call it inside :func:`styled` (the figure builders do): the settings are read when the
    artists are made.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=True, **kwargs)


def _gid(role: str, part: str = "") -> str:
    return f"role:{role}" + (f":{part}" if part else "")


def style(role: str, kind: str | None = None, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``ax.plot`` (or ``axhline``/``axvline`` for a level) that draw ``role``.

    Parameters
    ----------
    role : str
        A key of :data:`ROLE_STYLE`.
    kind : {"points", "line", "extrapolated", "level"}, optional
        Markers only; a solid curve; the same curve beyond its data (dashed); a reference
        level. Default: the role's own ``kind``.
    **overrides
        Win over the role's settings: use them for ``label``, ``zorder``, sizes. Changing the
        colour, line style or marker makes the figure fail :mod:`course_utils.figure_audit`.

    Examples
    --------
    >>> style("fit", "extrapolated")["linestyle"]
    '--'
    >>> style("heldout")["markerfacecolor"]
    'white'
    """
    if role not in ROLE_STYLE:
        raise ValueError(f"role must be one of {sorted(ROLE_STYLE)}; got {role!r}")
    spec = ROLE_STYLE[role]
    kind = kind or spec["kind"]
    if spec["color"] is None and "color" not in overrides:
        raise ValueError(f"role {role!r} takes its colour from the colormap: pass color=")
    if kind == "points":
        out = dict(color=spec["color"], marker=spec["marker"], linestyle="none", gid=_gid(role),
                   markeredgewidth=1.2)
        if spec.get("open"):
            out["markerfacecolor"] = "white"
    elif kind in ("line", "extrapolated"):
        out = dict(color=spec["color"], linestyle="-" if kind == "line" else "--",
                   linewidth=spec.get("linewidth", _LINEWIDTH), gid=_gid(role, "" if kind == "line" else kind))
        if spec.get("line_marker"):
            out.update(marker=spec["marker"], markevery=0.12, markersize=5.5)
            if kind == "extrapolated":
                out["markerfacecolor"] = "white"
    elif kind == "level":
        out = dict(color=spec["color"], linestyle=spec.get("level_style", ":"),
                   linewidth=spec.get("linewidth", 1.6), gid=_gid(role, "level"))
    else:
        raise ValueError(f"kind must be 'points', 'line', 'extrapolated' or 'level'; got {kind!r}")
    out.update(overrides)
    return out


def band_style(role: str, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``fill_between``/``axhspan``/``axvspan``: an interval of ``role``, in its colour."""
    if role not in ROLE_STYLE:
        raise ValueError(f"role must be one of {sorted(ROLE_STYLE)}; got {role!r}")
    out = dict(color=ROLE_STYLE[role]["color"], alpha=0.18, linewidth=0, gid=_gid(role, "band"))
    out.update(overrides)
    return out


def budget_colours(values: ArrayLike):
    """(one colour per value, a ScalarMappable for the colour bar) from :data:`BUDGET_CMAP`, log scale."""
    import matplotlib as mpl
    from matplotlib.colors import LogNorm

    _register_cmap()
    values = np.asarray(values, dtype=float)
    low, high = float(values.min()), float(values.max())
    mapper = mpl.cm.ScalarMappable(norm=LogNorm(low, high if high > low else low * 1.01), cmap=BUDGET_CMAP)
    return mapper.to_rgba(values), mapper


def _label_axes(ax: Any, xlabel: str | None, ylabel: str | None, title: str | None) -> Any:
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    return ax


def _new_axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def loglog_axes(ax: Any = None, xlabel: str | None = None, ylabel: str | None = None,
                title: str | None = None) -> Any:
    """Axes with both scales logarithmic, labelled; a new pyplot figure if ``ax`` is None.

    A power law y = A·x^(−α) is a straight line of slope −α on these axes.
    """
    ax = _new_axes(ax)
    ax.set_xscale("log")
    ax.set_yscale("log")
    return _label_axes(ax, xlabel, ylabel, title)


def semilogy_axes(ax: Any = None, xlabel: str | None = "year", ylabel: str | None = None,
                  title: str | None = None) -> Any:
    """Axes with a logarithmic y scale only: exponential growth over time is a straight line."""
    ax = _new_axes(ax)
    ax.set_yscale("log")
    return _label_axes(ax, xlabel, ylabel, title)


def _plain(value: float, _pos: Any = None) -> str:
    return f"{value:g}"


def plain_number_ticks(ax: Any, axis: str = "y") -> Any:
    """Write the ticks of ``axis`` ("x", "y" or "both") as plain numbers: 0.6, 0.8, 1, 2, 3.

    A loss axis rarely spans a decade, so a log scale would otherwise be labelled 6×10⁻¹ or
    not at all, and a linear one with an offset such as "+1.69". On a log scale the major ticks
    are put at 1, 2, 5 per decade (1, 1.5, 2, 3, 5, 7 under a factor of 20; evenly spaced round
    numbers under a factor of 3) and the minor ticks stay unlabelled: call it once the data are
    drawn (:func:`finish` does).
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    if axis not in ("x", "y", "both"):
        raise ValueError(f"axis must be 'x', 'y' or 'both'; got {axis!r}")
    for target in (ax.xaxis, ax.yaxis) if axis == "both" else ((ax.xaxis if axis == "x" else ax.yaxis),):
        target.set_major_formatter(FuncFormatter(_plain))
        if target.get_scale() == "log":
            low, high = sorted(target.get_view_interval())
            ratio = high / low if low > 0 else math.inf
            if ratio < 3:  # well under a decade: evenly spaced round numbers read best
                target.set_major_locator(FixedLocator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10])
                                                      .tick_values(low, high)))
            else:
                subs = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0) if ratio < 20 else (1.0, 2.0, 5.0)
                target.set_major_locator(LogLocator(base=10, subs=subs))
            target.set_minor_formatter(NullFormatter())
    return ax


def finish(fig: Any) -> Any:
    """Last touches of the style, once everything is drawn: a logarithmic axis spanning less
    than two decades gets plain-number ticks (:func:`plain_number_ticks`). :func:`figure_png`
    and :func:`show` call it; a builder whose figure is saved another way calls it last."""
    for ax in fig.axes:
        for name, target in (("x", ax.xaxis), ("y", ax.yaxis)):
            low, high = sorted(target.get_view_interval())
            if target.get_scale() == "log" and low > 0 and high / low < 100:
                plain_number_ticks(ax, name)
    return fig


def plot_points(ax: Any, x: ArrayLike, y: ArrayLike, role: str = "data", *, yerr: ArrayLike | None = None,
                xerr: ArrayLike | None = None, **kwargs: Any) -> Any:
    """Markers of ``role`` at (x, y), with error bars ``yerr``/``xerr`` if given (e.g. ± one sd
    between seeds, or an interval as [[below], [above]])."""
    spec = style(role, "points", **kwargs)
    if yerr is None and xerr is None:
        return ax.plot(x, y, **spec)[0]
    gid = spec.pop("gid")
    container = ax.errorbar(x, y, yerr=yerr, xerr=xerr, elinewidth=1.2, capsize=2.5, **spec)
    container.lines[0].set_gid(gid)
    for part in (*container.lines[1], *container.lines[2]):
        part.set_gid(gid + ":error")
    return container.lines[0]


def _split(x: np.ndarray, inside: np.ndarray) -> list[tuple[np.ndarray, bool]]:
    """Runs of consecutive points inside or outside, each extended to touch its neighbour."""
    pieces, start = [], 0
    for i in range(1, len(x) + 1):
        if i == len(x) or inside[i] != inside[start]:
            stop = min(i + 1, len(x))
            pieces.append((np.arange(start, stop), bool(inside[start])))
            start = i
    return pieces


def plot_curve(ax: Any, x: ArrayLike, y: ArrayLike, role: str = "fit", *, fitted: tuple[float, float] | None = None,
               extrapolated: bool = False, band: tuple[ArrayLike, ArrayLike] | None = None, label: str | None = None,
               band_label: str | None = None, **kwargs: Any) -> Any:
    """A curve of ``role``: solid where x lies in the ``fitted`` range, dashed beyond it.

    Parameters
    ----------
    x, y : arrays
        The curve (e.g. a grid and the law's prediction on it).
    fitted : (low, high), optional
        The range of x its data cover; ``None`` draws it all solid (a curve that is not an
        extrapolation of anything).
    extrapolated : bool
        The whole curve lies beyond its data (a projection, or a law used outside the runs
        it was fitted to): all dashed.
    band : (low, high) arrays, optional
        An interval around the curve on the same grid (e.g. a bootstrap band), drawn in the
        curve's colour.
    label, band_label : str, optional
        Legend entries. The dashed part gets no entry of its own: say "dashed: extrapolated"
        in the label or the caption.

    Returns
    -------
    The solid part's Line2D (the first drawn part if all of it is dashed).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-D arrays of equal length >= 2; got {x.shape} and {y.shape}")
    if band is not None:
        low, high = (np.asarray(b, dtype=float) for b in band)
        ax.fill_between(x, low, high, **band_style(role, label=band_label))
    if extrapolated:
        inside = np.zeros(x.size, dtype=bool)
    elif fitted is None:
        inside = np.ones(x.size, dtype=bool)
    else:
        lo, hi = sorted(fitted)
        inside = (x >= lo * (1 - 1e-9)) & (x <= hi * (1 + 1e-9))
    lines = []
    for index, solid in _split(x, inside):
        if index.size >= 2:
            kind = "line" if solid else "extrapolated"
            lines.append(ax.plot(x[index], y[index], **style(role, kind, label=None, **kwargs))[0])
    labelled = next((line for line in lines if line.get_linestyle() == "-"), lines[0])
    if label is not None:
        labelled.set_label(label)
    return labelled


def plot_level(ax: Any, value: float, role: str = "truth", *, label: str | None = None,
               orientation: str = "horizontal", band: tuple[float, float] | None = None,
               band_label: str | None = None, **kwargs: Any) -> Any:
    """A reference value of ``role`` across the axes (dotted; a bound dash-dotted), with an optional band."""
    if orientation not in ("horizontal", "vertical"):
        raise ValueError(f"orientation must be 'horizontal' or 'vertical'; got {orientation!r}")
    horizontal = orientation == "horizontal"
    if band is not None:
        (ax.axhspan if horizontal else ax.axvspan)(*band, **band_style(role, label=band_label))
    return (ax.axhline if horizontal else ax.axvline)(value, **style(role, "level", label=label, **kwargs))


def mark_boundary(ax: Any, x: float, text: str, *, y: float = 0.98, side: str = "left") -> Any:
    """A thin vertical line at ``x`` with ``text`` written beside its top: a boundary the text names.

    ``side`` puts the text on the ``left`` or the ``right`` of the line; ``y`` is its height
    as a fraction of the axes.
    """
    from matplotlib.transforms import blended_transform_factory

    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right'; got {side!r}")
    line = ax.axvline(x, **style("boundary", "level"))
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    ax.annotate(text, xy=(x, y), xycoords=transform, xytext=(-4 if side == "left" else 4, 0),
                textcoords="offset points", ha="right" if side == "left" else "left", va="top", fontsize=8.5,
                color="#333333")
    return line


def annotate_points(ax: Any, x: ArrayLike, y: ArrayLike, labels: Sequence[str], *, fontsize: float = 8.5,
                    offset: tuple[float, float] = (4, 3), color: str | None = None, repel: bool = True,
                    avoid: tuple[ArrayLike, ArrayLike] | None = None) -> list[Any]:
    """Write ``labels[i]`` beside point (x[i], y[i]), moved (adjustText) so that no two labels overlap.

    Points with a NaN coordinate are skipped. With ``repel`` the labels are pushed apart and
    away from the points (and from the other points ``avoid`` = (x, y), e.g. every point on
    the axes) and joined to their point by a thin line where they moved; the placement is
    computed when this is called, so call it after the axes limits are set. Returns the
    matplotlib Text objects.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    labels = list(labels)
    if not (x.shape == y.shape == (len(labels),)):
        raise ValueError(f"x, y and labels must have equal lengths; got {x.shape}, {y.shape}, {len(labels)}")
    keep = np.isfinite(x) & np.isfinite(y)
    texts = [ax.annotate(str(text), xy=(xi, yi), xytext=offset, textcoords="offset points", fontsize=fontsize,
                         color=color or "#222222")
             for xi, yi, text in zip(x[keep], y[keep], np.asarray(labels, dtype=object)[keep])]
    if repel and texts:
        others_x, others_y = (np.asarray(a, dtype=float) for a in avoid) if avoid is not None else ([], [])
        points_x, points_y = np.concatenate([x[keep], others_x]), np.concatenate([y[keep], others_y])
        finite = np.isfinite(points_x) & np.isfinite(points_y)
        _repel(ax, texts, points_x[finite], points_y[finite])
    return texts


def _repel(ax: Any, texts: list[Any], x: np.ndarray, y: np.ndarray) -> None:
    """Move annotation labels apart with adjustText (Flyamer et al.), deterministically."""
    from adjustText import adjust_text

    figure = ax.figure
    if figure.canvas is None or not hasattr(figure.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(figure)
    figure.canvas.draw()  # the layout fixes the axes' size, which the placement depends on
    # adjustText moves Text objects placed in data coordinates: swap each annotation for one.
    plain = [ax.text(t.xy[0], t.xy[1], t.get_text(), fontsize=t.get_fontsize(), color=t.get_color())
             for t in texts]
    for t in texts:
        t.remove()
    others = [t for t in ax.texts if t not in plain]
    adjust_text(plain, x=x, y=y, ax=ax, objects=others or None, expand=(1.15, 1.3), ensure_inside_axes=True,
                iter_lim=400,
                arrowprops=dict(arrowstyle="-", color="#888888", linewidth=0.6, shrinkA=1, shrinkB=3))
    texts[:] = plain


def legend(ax: Any, where: str = "right", **kwargs: Any) -> Any:
    """The axes' legend, outside the data: to the ``right`` of the axes, ``below`` them, or ``inside``
    at a named ``loc`` (only where the audit shows it covers nothing)."""
    if where == "right":
        kwargs = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)
    elif where == "below":
        kwargs = dict(loc="upper center", bbox_to_anchor=(0.5, -0.16), borderaxespad=0.0,
                      ncols=kwargs.pop("ncols", 2), **kwargs)
    elif where != "inside":
        raise ValueError(f"where must be 'right', 'below' or 'inside'; got {where!r}")
    return ax.legend(**kwargs)


def add_source(fig: Any, text: str) -> Any:
    """Write the credit line ``Source: text`` under the figure (third-party data and laws).

    It sits below the axes, outside the layout; :func:`figure_png` and :func:`show` save the
    figure with a tight bounding box, which takes it in.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must name the source of the figure's data")
    width_in = fig.get_figwidth()
    wrapped = textwrap.fill(f"Source: {text.strip()}", width=max(40, int(width_in * 17)))
    return fig.text(0.005, -0.01, wrapped, ha="left", va="top", fontsize=8, color="#444444",
                    gid="course:source")


def figure_png(fig: Any, alt: str, dpi: int = DPI) -> bytes:
    """``fig`` as PNG bytes at ``dpi`` (150 unless more is asked for), with ``alt`` in its Description metadata."""
    import io

    if not isinstance(alt, str) or not alt.strip():
        raise ValueError("alt must be a one-line summary of what the figure shows")
    if getattr(fig, "canvas", None) is None or type(fig.canvas).__name__ == "FigureCanvasBase":
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    finish(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=max(int(dpi), DPI), bbox_inches="tight", pad_inches=0.08,
                facecolor="white", metadata={"Description": alt.strip()})
    return buffer.getvalue()


def show(alt: str, fig: Any = None) -> None:
    """Display ``fig`` (default: pyplot's current figure) at 150 dpi with ``alt`` as its caption.

    The text alternative is a one-line summary of what the figure shows, for a reader who
    cannot see it: it is stored in the PNG's metadata and shown in italics under the image,
    in the notebook and in its HTML export. Use it instead of ``plt.show()``. The figure is
    closed afterwards.
    """
    from IPython.display import Image, Markdown, display

    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.gcf()
    png = figure_png(fig, alt)
    import matplotlib.pyplot as plt

    plt.close(fig)  # a figure pyplot does not manage (a builder's) is left alone
    display(Image(data=png, format="png"), Markdown(f"*Figure: {alt.strip()}*"))
