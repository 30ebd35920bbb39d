"""The figures of the scaling lab (lessons 03 and 04), drawn from a results table.

Two layers. Axes-level functions draw one idea on given axes and return what they drew:
:func:`plot_runs_against_compute`, :func:`plot_loss_against_tokens`,
:func:`plot_isoflop_profiles`, :func:`plot_oracle_by_position`. Figure builders compose them
into each figure the lessons show and return the figure: :func:`oracle_figure`,
:func:`your_runs_figure`, :func:`slices_figure`, :func:`frontier_figure`,
:func:`two_fits_figure` (lesson 03) and :func:`approaches_figure` (lesson 04).

They take the seed-averaged configurations of :func:`course_utils.results.mean_over_seeds`
(the columns of the results schema plus ``loss_sd``). Conventions, those of
:mod:`course_utils.plotting`: the spread between seeds is an error bar of ± one standard
deviation; a quantity with many values (model size, compute budget) is a colour of the
course's one sequential colormap with a colour bar; a law is solid over the runs it was fitted
to and dashed beyond; the window floor is the ``truth`` and the entropy rate h a ``bound``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from course_utils.plotting import (budget_colours, course_figure, legend, loglog_axes, mark_boundary, new_figure,
                                   plot_curve, plot_level, plot_points, style)

__all__ = ["plot_runs_against_compute", "plot_loss_against_tokens", "plot_isoflop_profiles",
           "plot_oracle_by_position", "oracle_figure", "your_runs_figure", "slices_figure", "frontier_figure",
           "two_fits_figure", "approaches_figure"]

_LOSS = "validation loss (nats/token)"
_C6 = "training compute C = 6ND (FLOP)"


def _budget_points(ax: Any, x, y, sd, colours, label: str | None = None, **kwargs: Any) -> None:
    for i, (xi, yi, si, colour) in enumerate(zip(x, y, sd, colours)):
        plot_points(ax, [xi], [yi], "budget", yerr=[si], color=colour, markersize=5,
                    label=label if i == len(x) // 2 else None, **kwargs)


def plot_runs_against_compute(ax: Any, configs: Mapping[str, np.ndarray], frontier: np.ndarray,
                              fit: Any = None, floor: float | None = None, extend: float = 1.0,
                              compute: str = "flops_6nd") -> Any:
    """Every configuration's loss against compute, coloured by N, with the frontier and its fit.

    Parameters
    ----------
    configs : mapping
        Seed-averaged configurations (``mean_over_seeds``).
    frontier : bool array
        The frontier configurations (e.g. :func:`course_utils.chinchilla.budget_frontier`).
    fit : object with ``predict``, optional
        A law fitted to the frontier: solid over it, dashed out to ``extend`` × its largest compute.
    floor : float, optional
        The window floor (the truth).

    Returns
    -------
    The colour bar.
    """
    C, L, N = configs[compute], configs["loss"], configs["params_non_embedding"]
    colours, mapper = budget_colours(N)
    _budget_points(ax, C, L, configs["loss_sd"], colours, zorder=3)
    plot_points(ax, C[frontier], L[frontier], "frontier", markersize=12, markeredgewidth=1.4, zorder=4,
                label="frontier: the best run of each budget")
    if fit is not None:
        grid = np.geomspace(C[frontier].min(), C.max() * extend, 200)
        plot_curve(ax, grid, fit.predict(grid), "fit", fitted=(C[frontier].min(), C[frontier].max()),
                   label=f"E + A·C^−α fitted to the frontier: E = {fit.E:.3f}, α = {fit.alpha:.2f}")
    if floor is not None:
        plot_level(ax, floor, "truth", label=f"window floor {floor:.3f}")
    return ax.figure.colorbar(mapper, ax=ax, label="non-embedding parameters N")


def plot_loss_against_tokens(ax: Any, configs: Mapping[str, np.ndarray], n_params: float,
                             floor: float | None = None) -> Any:
    """L(D) of the one model size ``n_params``: its runs at every budget, with seed error bars,
    and the window ``floor``."""
    N, D, L = configs["params_non_embedding"], configs["tokens"], configs["loss"]
    pick = N == n_params
    if not pick.any():
        raise ValueError(f"no configuration has N = {n_params}")
    order = np.argsort(D[pick])
    plot_points(ax, D[pick][order], L[pick][order], "data", yerr=configs["loss_sd"][pick][order], zorder=3,
                label=f"N = {int(n_params):,} (seed mean ± sd)")
    if floor is not None:
        plot_level(ax, floor, "truth", label=f"window floor {floor:.3f}")
    return ax


def plot_isoflop_profiles(ax: Any, configs: Mapping[str, np.ndarray], scaling: Any = None,
                          budgets: np.ndarray | None = None) -> Any:
    """Loss against N at each compute budget (IsoFLOP profiles), coloured by budget.

    ``budgets`` labels each configuration's budget (:func:`course_utils.chinchilla.compute_budgets`).
    With ``scaling`` (:func:`course_utils.chinchilla.fit_isoflop_scaling`), each profile's
    parabola and its minimum (a star) are drawn. Returns the colour bar.
    """
    from course_utils.chinchilla import compute_budgets

    N, L, C = configs["params_non_embedding"], configs["loss"], configs["flops_6nd"]
    labels = compute_budgets(C) if budgets is None else budgets
    centres = np.array([np.exp(np.log(C[labels == k]).mean()) for k in range(labels.max() + 1)])
    colours, mapper = budget_colours(centres)
    for k, colour in enumerate(colours):
        pick = labels == k
        order = np.argsort(N[pick])
        if scaling is None:
            ax.plot(N[pick][order], L[pick][order], **style("budget", "line", color=colour, linewidth=1.0))
        _budget_points(ax, N[pick][order], L[pick][order], configs["loss_sd"][pick][order], [colour] * pick.sum())
    if scaling is not None:
        for budget, profile in zip(scaling.budgets, scaling.profiles):
            k = int(np.argmin(np.abs(np.log(centres / budget))))
            pick = labels == k
            grid = np.geomspace(N[pick].min(), N[pick].max(), 60)
            ax.plot(grid, profile.predict(grid), **style("budget", "line", color=colours[k], linewidth=1.8))
        plot_points(ax, scaling.N_opt, scaling.L_min, "highlight", markersize=12, zorder=5,
                    label="parabola minimum")
        legend(ax, "inside", loc="lower left")
    return ax.figure.colorbar(mapper, ax=ax, label="compute budget C = 6ND (FLOP)")


def plot_oracle_by_position(ax: Any, oracle_nll: np.ndarray, entropy_rate: float) -> Any:
    """The source's own loss at each position of the validation windows, its mean (the window
    floor) and the entropy rate h."""
    positions = np.arange(1, oracle_nll.shape[1] + 1)
    plot_points(ax, positions, oracle_nll.mean(axis=0), "data", markersize=4, zorder=3,
                label="source's own loss at that position (mean over windows)")
    plot_level(ax, oracle_nll.mean(), "truth", label=f"window floor {oracle_nll.mean():.4f} (their mean)")
    plot_level(ax, entropy_rate, "bound", label=f"entropy rate h {entropy_rate:.4f}")
    ax.set_xscale("log")
    ax.set_xlabel("position in the window (tokens seen before it + 1)")
    ax.set_ylabel("nats per token")
    return ax


@course_figure
def oracle_figure(oracle_nll: np.ndarray, entropy_rate: float):
    """Left: the source's loss at each position of a window. Right: the gap between the window
    floor and h, zoomed in until it is visible."""
    fig, (left, right) = new_figure(1, 2, size=(9.6, 3.9), width_ratios=(2.2, 1))
    plot_oracle_by_position(left, oracle_nll, entropy_rate)
    left.set_title("Where the window floor exceeds h: the first tokens")
    floor = float(oracle_nll.mean())
    gap = floor - entropy_rate
    plot_level(right, floor, "truth")
    plot_level(right, entropy_rate, "bound")
    right.annotate("", xy=(0.5, entropy_rate), xytext=(0.5, floor), xycoords=("axes fraction", "data"),
                   arrowprops=dict(arrowstyle="<->", color="#222222", linewidth=1.2))
    right.annotate(f"floor − h\n= {gap:.4f}\nnats/token", xy=(0.55, (floor + entropy_rate) / 2),
                   xycoords=("axes fraction", "data"), va="center", fontsize=9)
    right.set_ylim(entropy_rate - 1.5 * gap, floor + 1.5 * gap)
    right.set_xticks([])
    right.set(title="The gap, zoomed", ylabel="nats per token")
    legend(left, "below")
    return fig


@course_figure
def your_runs_figure(configs: Mapping[str, np.ndarray], yours: Sequence[Any], floor: float):
    """Your quick runs (their loss against compute, one line per model size) on the shipped sweep."""
    fig, ax = new_figure(size=(7.6, 4.4))
    loglog_axes(ax, _C6, _LOSS, "Your quick runs beside the course's sweep")
    C, L, N = configs["flops_6nd"], configs["loss"], configs["params_non_embedding"]
    colours, mapper = budget_colours(N)
    _budget_points(ax, C, L, configs["loss_sd"], colours, zorder=2, label="course sweep (colour: N)")
    for size in sorted({r.params_non_embedding for r in yours}):
        runs = sorted((r for r in yours if r.params_non_embedding == size), key=lambda r: r.flops_6nd)
        ax.plot([r.flops_6nd for r in runs], [r.loss for r in runs], **style("yours", "line", linewidth=1.0))
    sizes = ", ".join(f"{n:,}" for n in sorted({r.params_non_embedding for r in yours}))
    plot_points(ax, [r.flops_6nd for r in yours], [r.loss for r in yours], "yours", markersize=9, zorder=4,
                label=f"your {len(yours)} quick runs; a line joins each size,\nN = {sizes} from left to right")
    plot_level(ax, floor, "truth", label=f"window floor {floor:.3f}")
    ax.set_xlim(min(C.min(), min(r.flops_6nd for r in yours)) / 4, C.max() * 1.5)
    fig.colorbar(mapper, ax=ax, label="non-embedding parameters N (course sweep)")
    legend(ax, "inside", loc="upper right")
    return fig


@course_figure
def slices_figure(configs: Mapping[str, np.ndarray], n_params: float, floor: float,
                  budgets: np.ndarray | None = None):
    """Left: L(D) of one model size. Right: loss against N at each fixed compute (IsoFLOP)."""
    fig, (left, right) = new_figure(1, 2, size=(11.0, 4.2))
    plot_loss_against_tokens(loglog_axes(left, "training tokens D", _LOSS, f"L(D) at N = {n_params:,.0f}"),
                             configs, n_params, floor=floor)
    legend(left, "inside", loc="upper right")
    plot_isoflop_profiles(loglog_axes(right, "non-embedding parameters N", _LOSS, "Loss against N at fixed compute"),
                          configs, budgets=budgets)
    return fig


@course_figure
def frontier_figure(configs: Mapping[str, np.ndarray], frontier: np.ndarray, fit: Any, floor: float,
                    extend: float = 10.0):
    """Every configuration against compute, the frontier, its fit (dashed beyond it) and the floor."""
    fig, ax = new_figure(size=(8.2, 4.8))
    loglog_axes(ax, _C6, _LOSS, "Every configuration, the frontier and its fit")
    plot_runs_against_compute(ax, configs, frontier, fit=fit, floor=floor, extend=extend)
    legend(ax, "inside", loc="upper right", title="solid: fitted; dashed: extrapolated")
    return fig


@course_figure
def two_fits_figure(C_f: np.ndarray, L_f: np.ndarray, sd_f: np.ndarray, fits: Sequence[tuple[Any, Any, int, str]],
                    floor: float, entropy_rate: float, extend: float = 100.0, level: float = 0.9):
    """The frontier, and laws fitted to all of it and to its cheapest part, each with its
    bootstrap band, extended (dashed) ``extend`` times beyond the data.

    ``fits`` holds (fit, bootstrap result, number of frontier points it used, role) per law.
    """
    fig, ax = new_figure(size=(8.2, 5.0))
    loglog_axes(ax, _C6, _LOSS, f"One sweep, two fits, extrapolated {extend:g}×")
    grid = np.geomspace(C_f.min(), C_f.max() * extend, 200)
    pct = round(100 * level)
    for fit, boot, used, role in fits:
        low, high = boot.interval("E", level)
        name = "all points" if used == len(C_f) else f"cheapest {used}"
        plot_curve(ax, grid, fit.predict(grid), role, fitted=(C_f.min(), C_f[used - 1]),
                   band=boot.predict_band(grid, level),
                   label=f"{name}: E = {fit.E:.3f}, {pct}% interval {low:.2f}–{high:.2f}",
                   band_label=f"{name}: {pct}% bootstrap band")
        if used < len(C_f):
            mark_boundary(ax, C_f[used - 1], f"cheapest {used} end ", y=0.97)
    mark_boundary(ax, C_f.max(), " data end", y=0.97, side="right")
    plot_points(ax, C_f, L_f, "data", yerr=sd_f, zorder=4, label="frontier (seed mean ± sd)")
    plot_level(ax, floor, "truth", label=f"window floor {floor:.3f}")
    plot_level(ax, entropy_rate, "bound", label=f"entropy rate h {entropy_rate:.3f}")
    ax.set_ylim(entropy_rate - 0.04, L_f.max() * 1.05)
    legend(ax, "below")
    return fig


@course_figure
def approaches_figure(lab: Mapping[str, np.ndarray], on: np.ndarray, isoflop: Any, law: Any,
                      tokens_per_param: Sequence[float] = (20, 100, 1000), level: float = 0.9):
    """Lesson 04 on the lab sweep. Left: the IsoFLOP profiles with their parabolas and minima.
    Right: the optimum N against C: Approach 1's best runs, Approach 2's minima and law with
    the interval of its exponent, Approach 3's law, and guides of constant tokens per parameter."""
    fig, (left, right) = new_figure(1, 2, size=(11.5, 4.5))
    plot_isoflop_profiles(loglog_axes(left, "non-embedding parameters N", _LOSS, "IsoFLOP profiles of the lab sweep"),
                          lab, isoflop)
    C, N = lab["flops_6nd"], lab["params_non_embedding"]
    loglog_axes(right, "compute budget C = 6ND (FLOP)", "compute-optimal N (non-embedding)", "Where the optimum moves")
    grid = np.geomspace(C.min(), C.max(), 100)
    for k in tokens_per_param:
        guide = np.sqrt(grid / (6 * k))  # D/N = k and C = 6ND give N = sqrt(C / 6k)
        right.plot(grid, guide, **style("guide", "level"))
        right.annotate(f"D/N = {k:,g}", xy=(grid[-1], guide[-1]), xytext=(-2, 3), textcoords="offset points",
                       ha="right", va="bottom", fontsize=8.5, color="#444444")
    plot_points(right, C[on], N[on], "data", zorder=3, label="best run of each budget (Approach 1)")
    plot_points(right, isoflop.budgets, isoflop.N_opt, "highlight", markersize=12, zorder=4,
                label="parabola minima (Approach 2)")
    a_low, a_high = isoflop.interval("a", level)
    centre = float(np.exp(np.log(isoflop.budgets).mean()))
    fan = [isoflop.N_opt_at(centre) * (grid / centre) ** a for a in (a_low, a_high)]
    plot_curve(right, grid, isoflop.N_opt_at(grid), "fit", fitted=(isoflop.budgets.min(), isoflop.budgets.max()),
               band=(np.minimum(*fan), np.maximum(*fan)),
               label=f"Approach 2: a = {isoflop.a:.2f} ({round(100 * level)}% {a_low:.2f}–{a_high:.2f})")
    plot_curve(right, grid, law.compute_optimal(grid)[0], "comparison", label=f"Approach 3: a = {law.a:.2f}")
    legend(right, "below")
    return fig
