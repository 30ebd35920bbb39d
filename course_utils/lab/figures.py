"""The figures of the scaling lab (lessons 03 and 04), drawn from a results table.

Every function takes matplotlib axes and the seed-averaged configurations of
:func:`course_utils.results.mean_over_seeds` (the columns of the results schema plus
``loss_sd``), draws one idea and returns what it drew, so that the lesson cells stay short.
Conventions: the spread between seeds is drawn as error bars of ± one standard deviation;
a quantity with many values (model size, compute budget) is a colour with a colour bar, not
a legend entry per value; loss axes carry plain numbers (0.6, 0.7, …), not powers of ten.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from course_utils.plotting import PALETTE

__all__ = ["plain_ticks", "size_colours", "plot_runs_against_compute", "plot_loss_against_tokens",
           "plot_isoflop_profiles", "plot_oracle_by_position"]


def plain_ticks(ax: Any, axis: str = "y") -> None:
    """Label a logarithmic axis with plain numbers (0.6, 0.8, 1) at the major and minor ticks.

    A loss axis rarely spans a factor of ten, so matplotlib's default leaves it with one
    label written as a power of ten (6 × 10⁻¹) or none at all.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    low, high = (ax.get_ylim() if axis == "y" else ax.get_xlim())
    subs = (1.0, 2.0, 5.0) if high / max(low, 1e-300) > 3 else (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0)
    target.set_major_locator(LogLocator(base=10, subs=subs))
    target.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    target.set_minor_formatter(NullFormatter())


def size_colours(values: np.ndarray, cmap: str = "viridis"):
    """(colour of each value, ScalarMappable for a colour bar) on a logarithmic scale."""
    import matplotlib as mpl
    from matplotlib.colors import LogNorm

    values = np.asarray(values, dtype=float)
    norm = LogNorm(values.min(), values.max() if values.max() > values.min() else values.min() * 1.01)
    mapper = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    return mapper.to_rgba(values), mapper


def _errorbar(ax: Any, x, y, sd, colour, **kwargs) -> Any:
    return ax.errorbar(x, y, yerr=sd, fmt="o", color=colour, ecolor=colour, elinewidth=1, capsize=2,
                       markersize=kwargs.pop("markersize", 4), **kwargs)


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
        A law fitted to the frontier, drawn out to ``extend`` × the largest compute.
    floor : float, optional
        The window floor, drawn as a dashed line.

    Returns
    -------
    The colour bar.
    """
    C, L, N = configs[compute], configs["loss"], configs["params_non_embedding"]
    colours, mapper = size_colours(N)
    for c, l, sd, colour in zip(C, L, configs["loss_sd"], colours):
        _errorbar(ax, c, l, sd, colour, alpha=0.9)
    ax.scatter(C[frontier], L[frontier], s=130, facecolor="none", edgecolor=PALETTE["highlight"], linewidth=1.3,
               zorder=4, label="frontier (best of each budget)")
    if fit is not None:
        grid = np.geomspace(C.min(), C.max() * extend, 200)
        ax.plot(grid, fit.predict(grid), color=PALETTE["fit"], linewidth=2,
                label=f"fit E + A·C^(−α): E = {fit.E:.3f}, α = {fit.alpha:.2f}")
    if floor is not None:
        ax.axhline(floor, color=PALETTE["published"], linestyle="--", label=f"window floor {floor:.3f}")
    plain_ticks(ax)
    bar = ax.figure.colorbar(mapper, ax=ax, label="non-embedding parameters N")
    ax.legend(fontsize=8)
    return bar


def plot_loss_against_tokens(ax: Any, configs: Mapping[str, np.ndarray], n_params: float,
                             fit: Any = None, floor: float | None = None) -> Any:
    """L(D) of the one model size ``n_params``: its runs at every budget, with seed error bars."""
    N, D, L = configs["params_non_embedding"], configs["tokens"], configs["loss"]
    pick = N == n_params
    if not pick.any():
        raise ValueError(f"no configuration has N = {n_params}")
    order = np.argsort(D[pick])
    _errorbar(ax, D[pick][order], L[pick][order], configs["loss_sd"][pick][order], PALETTE["data"],
              label=f"N = {int(n_params):,} (seed mean ± sd)")
    if fit is not None:
        grid = np.geomspace(D[pick].min(), D[pick].max(), 100)
        ax.plot(grid, fit.predict(grid), color=PALETTE["fit"], linewidth=2, label=f"power law, slope −{fit.alpha:.2f}")
    if floor is not None:
        ax.axhline(floor, color=PALETTE["published"], linestyle="--", label="window floor")
    plain_ticks(ax)
    ax.legend(fontsize=8)
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
    colours, mapper = size_colours(centres, cmap="plasma")
    for k, colour in enumerate(colours):
        pick = labels == k
        order = np.argsort(N[pick])
        ax.plot(N[pick][order], L[pick][order], color=colour, linewidth=0.8, alpha=0.6)
        _errorbar(ax, N[pick][order], L[pick][order], configs["loss_sd"][pick][order], colour)
    if scaling is not None:
        for budget, profile in zip(scaling.budgets, scaling.profiles):
            k = int(np.argmin(np.abs(np.log(centres / budget))))
            pick = labels == k
            grid = np.geomspace(N[pick].min(), N[pick].max(), 60)
            ax.plot(grid, profile.predict(grid), color=colours[k], linewidth=1.8)
            ax.scatter([profile.N_opt], [profile.L_min], marker="*", s=120, color=PALETTE["highlight"], zorder=5)
        ax.scatter([], [], marker="*", s=120, color=PALETTE["highlight"], label="parabola minimum")
        ax.legend(fontsize=8)
    plain_ticks(ax)
    return ax.figure.colorbar(mapper, ax=ax, label="compute budget C = 6ND (FLOP)")


def plot_oracle_by_position(ax: Any, oracle_nll: np.ndarray, entropy_rate: float) -> Any:
    """The source's own loss at each position of the validation windows, against h."""
    positions = np.arange(1, oracle_nll.shape[1] + 1)
    ax.plot(positions, oracle_nll.mean(axis=0), color=PALETTE["data"], marker="o", markersize=3,
            label="oracle NLL at that position (mean over windows)")
    ax.axhline(oracle_nll.mean(), color=PALETTE["fit"], linestyle="-", label=f"window floor {oracle_nll.mean():.3f}")
    ax.axhline(entropy_rate, color=PALETTE["published"], linestyle="--", label=f"entropy rate h {entropy_rate:.3f}")
    ax.set_xscale("log")
    ax.set_xlabel("position in the window (tokens seen before it)")
    ax.set_ylabel("nats per token")
    ax.legend(fontsize=8)
    return ax
