"""The lab's figures (course_utils.lab.figures) draw what lessons 03 and 04 say they draw."""

import numpy as np
import pytest

from course_utils.chinchilla import budget_frontier, fit_isoflop_scaling
from course_utils.datasets import sweep_results
from course_utils.figure_audit import figure_problems
from course_utils.lab.figures import (oracle_figure, plot_isoflop_profiles, plot_loss_against_tokens,
                                      plot_oracle_by_position, plot_runs_against_compute, your_runs_figure)
from course_utils.plotting import loglog_axes, new_figure, styled
from course_utils.results import mean_over_seeds


@pytest.fixture(scope="module")
def configs():
    return mean_over_seeds(sweep_results("course"))


@pytest.fixture
def ax():
    with styled():
        _, ax = new_figure()
        yield loglog_axes(ax, "x", "y")


def _gids(ax):
    return [a.get_gid() for a in [*ax.get_lines(), *ax.collections] if a.get_gid()]


def test_every_configuration_has_an_error_bar_and_size_has_a_colour_bar(ax, configs):
    frontier = budget_frontier(configs["flops_6nd"], configs["loss"])
    bar = plot_runs_against_compute(ax, configs, frontier, floor=0.5)
    assert len(ax.containers) == len(configs["loss"])  # one errorbar per configuration
    assert bar.ax.get_ylabel() == "non-embedding parameters N"


def test_the_frontier_fit_is_solid_over_the_frontier_and_dashed_beyond(ax, configs):
    from course_utils.powerlaw import fit_saturating_power_law

    C, L = configs["flops_6nd"], configs["loss"]
    frontier = budget_frontier(C, L)
    fit = fit_saturating_power_law(np.sort(C[frontier]), np.sort(L[frontier])[::-1])
    plot_runs_against_compute(ax, configs, frontier, fit=fit, extend=10)
    solid = [line for line in ax.get_lines() if line.get_gid() == "role:fit"]
    dashed = [line for line in ax.get_lines() if line.get_gid() == "role:fit:extrapolated"]
    assert len(solid) == 1 and len(dashed) == 1
    assert solid[0].get_xdata().max() <= C[frontier].max() * 1.05
    assert dashed[0].get_xdata().max() == pytest.approx(C.max() * 10)


def test_the_isoflop_figure_marks_one_minimum_per_profile(ax, configs):
    runs = sweep_results("course")
    scaling = fit_isoflop_scaling([r.params_non_embedding for r in runs], [r.tokens for r in runs],
                                  [r.loss for r in runs], n_boot=0)
    plot_isoflop_profiles(ax, configs, scaling)
    stars = [line for line in ax.get_lines() if line.get_gid() == "role:highlight"]
    assert len(stars) == 1 and len(stars[0].get_xdata()) == len(scaling.budgets)


def test_the_tokens_panel_refuses_a_size_not_in_the_sweep(ax, configs):
    with pytest.raises(ValueError, match="no configuration"):
        plot_loss_against_tokens(ax, configs, 12345)


def test_the_window_floor_figure_draws_the_mean_of_its_curve(ax):
    nll = np.array([[1.0, 0.5, 0.5], [0.8, 0.5, 0.3]])
    plot_oracle_by_position(ax, nll, 0.4)
    floor = next(line for line in ax.get_lines() if line.get_gid() == "role:truth:level")
    assert floor.get_ydata()[0] == pytest.approx(nll.mean())


def test_the_gap_between_floor_and_h_is_zoomed_into_view():
    """Lesson 03: the window floor lies 0.008 above h; the right panel's y range is a few gaps wide."""
    nll = np.full((4, 64), 0.54)
    nll[:, 0] = 1.05
    fig = oracle_figure(nll, 0.538)
    gap = nll.mean() - 0.538
    low, high = fig.axes[1].get_ylim()
    assert high - low < 5 * gap and low < 0.538 < nll.mean() < high
    assert figure_problems(fig) == []


def test_your_quick_runs_are_drawn_over_the_shipped_sweep(configs):
    from types import SimpleNamespace

    yours = [SimpleNamespace(params_non_embedding=n, flops_6nd=c, loss=l)
             for n, c, l in ((7272, 2.3e10, 0.83), (7272, 9e10, 0.70), (28368, 9e10, 0.76), (28368, 3.6e11, 0.65))]
    fig = your_runs_figure(configs, yours, 0.546)
    ax = fig.axes[0]
    mine = next(line for line in ax.get_lines() if line.get_gid() == "role:yours" and line.get_linestyle() == "None")
    assert len(mine.get_xdata()) == 4
    assert sum(line.get_gid() == "role:budget" for line in ax.get_lines()) == len(configs["loss"])
    assert figure_problems(fig) == []
