"""course_utils.plotting: the course's plot helpers (drawn off-screen, never shown)."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from course_utils import plotting  # noqa: E402
from course_utils.trends import fit_exponential_trend  # noqa: E402


def _power_fit(A=10.0, alpha=0.5):
    return SimpleNamespace(A=A, alpha=alpha, predict=lambda x: A * np.asarray(x, dtype=float) ** -alpha)


def test_importing_plotting_does_not_import_matplotlib():
    code = "import sys, course_utils.plotting; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_loglog_axes_sets_both_scales_and_labels():
    ax = plotting.loglog_axes(Figure().subplots(), xlabel="N", ylabel="loss")
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("N", "loss")


def test_loglog_axes_makes_a_figure_when_none_is_given():
    import matplotlib.pyplot as plt

    ax = plotting.loglog_axes()
    assert ax.get_xscale() == "log"
    plt.close(ax.figure)


def test_plot_fit_draws_the_fitted_curve_through_the_law():
    ax = plotting.loglog_axes(Figure().subplots())
    x = np.array([1.0, 10.0, 100.0])
    line = plotting.plot_fit(ax, x, 10.0 * x**-0.5, _power_fit())
    xs, ys = line.get_data()
    np.testing.assert_allclose(ys, 10.0 * xs**-0.5)
    assert xs[0] == pytest.approx(1.0) and xs[-1] == pytest.approx(100.0)


def test_plot_fit_writes_the_exponent_on_the_axes():
    ax = plotting.loglog_axes(Figure().subplots())
    x = np.array([1.0, 10.0, 100.0])
    plotting.plot_fit(ax, x, 10.0 * x**-0.5, _power_fit(alpha=0.076))
    assert any("α = 0.076" in t.get_text() for t in ax.texts)


def test_plot_fit_extends_the_curve_for_an_extrapolation():
    ax = plotting.loglog_axes(Figure().subplots())
    line = plotting.plot_fit(ax, [1.0, 10.0, 100.0], [10.0, 3.16, 1.0], _power_fit(), extend_to=1e4)
    assert line.get_data()[0][-1] == pytest.approx(1e4)


def test_plot_fit_labels_a_time_trend_with_its_doubling_time():
    years = np.arange(2010.0, 2020.0)
    fit = fit_exponential_trend(years, 2.0 ** (years - 2010))
    ax = plotting.semilogy_axes(Figure().subplots())
    plotting.plot_fit(ax, years, 2.0 ** (years - 2010), fit)
    assert any("doubling 12.0 months" in t.get_text() for t in ax.texts)


def test_plot_fit_rejects_an_object_without_predict():
    with pytest.raises(ValueError, match="predict"):
        plotting.plot_fit(Figure().subplots(), [1.0, 2.0], [1.0, 2.0], object())


def test_annotate_points_skips_unknown_coordinates():
    ax = Figure().subplots()
    texts = plotting.annotate_points(ax, [1.0, np.nan, 3.0], [1.0, 2.0, 3.0], ["a", "b", "c"])
    assert [t.get_text() for t in texts] == ["a", "c"]


def test_annotate_points_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="equal lengths"):
        plotting.annotate_points(Figure().subplots(), [1.0, 2.0], [1.0, 2.0], ["a"])


def test_palette_colours_are_valid_and_distinct_for_roles_that_meet():
    from matplotlib.colors import is_color_like

    assert all(is_color_like(c) for c in plotting.PALETTE.values())
    roles = [plotting.PALETTE[k] for k in ("data", "fit", "published", "kaplan", "chinchilla")]
    assert len(set(roles)) == len(roles)
