"""course_utils.figure_audit finds each way a figure can leave the course style (issue 23).

Each test draws one figure with one fault, the way the issue found it in a lesson, and checks
that the audit names it; the first test checks that a figure drawn with the helpers passes.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import plotting
from course_utils.figure_audit import figure_problems


@pytest.fixture
def figure():
    """A figure in the course style with one labelled axes, for a test to spoil."""
    with plotting.styled():
        fig, ax = plotting.new_figure()
        plotting.loglog_axes(ax, "parameters N", "loss (nats/token)")
        yield fig, ax


def _problems_with(problems, words):
    return [p for p in problems if words in p]


def test_a_figure_drawn_with_the_helpers_passes(figure):
    fig, ax = figure
    x = np.geomspace(1e6, 1e9, 10)
    plotting.plot_points(ax, x, 3 * x**-0.1, "data", label="runs")
    plotting.plot_curve(ax, np.geomspace(1e6, 1e11, 50), 3 * np.geomspace(1e6, 1e11, 50) ** -0.1, "fit",
                        fitted=(1e6, 1e9), label="fit")
    plotting.legend(ax, "right")
    assert figure_problems(fig) == []


def test_matplotlib_defaults_are_caught():
    """The exercise notebooks drew with matplotlib's defaults: tab10, a box, no grid, 100 dpi."""
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2], [1, 2])
    problems = figure_problems(fig)
    assert _problems_with(problems, "dpi") and _problems_with(problems, "spine") and _problems_with(problems, "grid")
    assert _problems_with(problems, "#1f77b4, not a course colour")
    assert _problems_with(problems, "no x-axis label") and _problems_with(problems, "no y-axis label")


def test_a_law_drawn_in_a_bare_palette_colour_is_caught(figure):
    """Lesson 04 cell 5 drew Kaplan's law with color=PALETTE["kaplan"] and nothing else."""
    fig, ax = figure
    ax.plot([1e6, 1e9], [3, 2], color=plotting.PALETTE["kaplan"], label="Kaplan et al. 2020")
    problems = figure_problems(fig)
    assert _problems_with(problems, "the colour of kaplan") and _problems_with(problems, "names Kaplan")


def test_a_role_colour_reused_for_something_else_is_caught(figure):
    """Lesson 03 drew an unrelated fit in the orange that means Hoffmann."""
    fig, ax = figure
    ax.plot([1e6, 1e9], [3, 2], **plotting.style("fit", color=plotting.PALETTE["hoffmann"]))
    assert _problems_with(figure_problems(fig), "not fit's")


def test_an_extrapolation_drawn_solid_is_caught(figure):
    fig, ax = figure
    ax.plot([1e9, 1e12], [2, 1.8], **plotting.style("fit", "extrapolated", linestyle="-"))
    assert _problems_with(figure_problems(fig), "an extrapolation is dashed")


def test_held_out_points_drawn_filled_are_caught(figure):
    fig, ax = figure
    ax.plot([1e9, 1e10], [2, 1.9], **plotting.style("heldout", markerfacecolor=plotting.PALETTE["heldout"]))
    assert _problems_with(figure_problems(fig), "heldout points are open")


def test_two_legend_entries_that_differ_by_colour_alone_are_caught(figure):
    """Lesson 04 cell 5: in greyscale Kaplan's and Hoffmann's solid lines were the same."""
    fig, ax = figure
    ax.plot([1e6, 1e9], [3, 2], **plotting.style("fit", label="one law"))
    ax.plot([1e6, 1e9], [3.2, 2.2], **plotting.style("fit", color=plotting.PALETTE["fit"], label="another law"))
    plotting.legend(ax, "right")
    assert _problems_with(figure_problems(fig), "differ by colour alone")


def test_overlapping_labels_are_caught(figure):
    """Lesson 01 cell 9 wrote 'Transformer (big)' over 'GPT-1'."""
    fig, ax = figure
    ax.plot([1e6, 1e9], [3, 2], linestyle="none")
    ax.annotate("Transformer (big)", (3e7, 2.5))
    ax.annotate("GPT-1", (3.3e7, 2.5))
    assert _problems_with(figure_problems(fig), "overlap")


def test_a_label_over_a_marker_is_caught(figure):
    fig, ax = figure
    plotting.plot_points(ax, [1e7, 1e8], [2.5, 2.5], "data")
    ax.annotate("a model", (1e7, 2.5), xytext=(-10, -3), textcoords="offset points")
    assert _problems_with(figure_problems(fig), "covers a marker")


def test_a_legend_over_the_data_is_caught(figure):
    """Lesson 04 cell 11 and lesson 02 cell 14 put their legends on top of points."""
    fig, ax = figure
    x = np.geomspace(1e6, 1e9, 30)
    for shift in np.linspace(1, 3, 8):
        ax.plot(x, shift * x**-0.01, **plotting.style("budget", "line", color="#440154", label=f"{shift:.1f}"))
    plotting.legend(ax, "inside", loc="center")
    assert _problems_with(figure_problems(fig), "the legend covers")


def test_a_tiny_font_is_caught(figure):
    fig, ax = figure
    ax.annotate("tiny", (1e7, 2.5), fontsize=6)
    assert _problems_with(figure_problems(fig), "under 8 pt")


def test_a_colour_bar_in_another_colormap_is_caught(figure):
    fig, ax = figure
    points = ax.scatter([1e6, 1e9], [3, 2], c=[1, 2], cmap="plasma")
    fig.colorbar(points, ax=ax, label="budget")
    problems = figure_problems(fig)
    assert _problems_with(problems, "'plasma'")
