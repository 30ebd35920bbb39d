"""The lab's figures (course_utils.lab.figures) draw what lessons 03 and 04 say they draw."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.chinchilla import budget_frontier, fit_isoflop_scaling  # noqa: E402
from course_utils.datasets import sweep_results  # noqa: E402
from course_utils.lab.figures import (plain_ticks, plot_isoflop_profiles, plot_loss_against_tokens,  # noqa: E402
                                      plot_oracle_by_position, plot_runs_against_compute)
from course_utils.results import mean_over_seeds  # noqa: E402


@pytest.fixture(scope="module")
def configs():
    return mean_over_seeds(sweep_results("course"))


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    ax.set_xscale("log")
    ax.set_yscale("log")
    yield ax
    plt.close(fig)


def test_loss_ticks_are_plain_numbers(ax):
    ax.plot([1, 10], [0.55, 0.95])
    plain_ticks(ax)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and all("10^" not in label and "times" not in label for label in labels)
    assert "0.6" in labels


def test_every_configuration_has_an_error_bar_and_size_has_a_colour_bar(ax, configs):
    frontier = budget_frontier(configs["flops_6nd"], configs["loss"])
    bar = plot_runs_against_compute(ax, configs, frontier, floor=0.5)
    assert len(ax.containers) == len(configs["loss"])  # one errorbar per configuration
    assert bar.ax.get_ylabel() == "non-embedding parameters N"


def test_the_isoflop_figure_marks_one_minimum_per_profile(ax, configs):
    runs = sweep_results("course")
    scaling = fit_isoflop_scaling([r.params_non_embedding for r in runs], [r.tokens for r in runs],
                                  [r.loss for r in runs], n_boot=0)
    plot_isoflop_profiles(ax, configs, scaling)
    from matplotlib.collections import PathCollection

    stars = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets()) == 1]
    assert len(stars) == len(scaling.budgets)


def test_the_tokens_panel_refuses_a_size_not_in_the_sweep(ax, configs):
    with pytest.raises(ValueError, match="no configuration"):
        plot_loss_against_tokens(ax, configs, 12345)


def test_the_window_floor_figure_draws_the_mean_of_its_curve(ax):
    nll = np.array([[1.0, 0.5, 0.5], [0.8, 0.5, 0.3]])
    plot_oracle_by_position(ax, nll, 0.4)
    assert ax.lines[1].get_ydata()[0] == pytest.approx(nll.mean())
