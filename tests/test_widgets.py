"""Specification of the explorers' user interface: readouts, figures, text alternatives and
widget wiring (no browser needed). The science they draw is specified beside it, in
test_chinchilla.py (budget_summary), test_powerlaw.py (fit_experiment) and
test_data_limits.py (data_limits_summary).

The browser test in tests/browser/ checks the same explorers in a real JupyterLab.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from course_utils import literature as lit
from course_utils.chinchilla import BESIROGLU_2024, HOFFMANN_2022, budget_summary
from course_utils.data_limits import data_limits_summary
from course_utils.figure_audit import figure_problems
from course_utils.plotting import PALETTE
from course_utils.powerlaw import fit_experiment
from course_utils.widgets import (
    LAWS, budget_alt, budget_figure, budget_readout, compute_budget_explorer, data_limits_alt, data_limits_explorer,
    data_limits_figure, data_limits_readout, fit_alt, fit_explorer, fit_figure, fit_readout, parse_number,
)

# Few bootstrap refits keep the fit tests fast; the behaviours tested do not depend on it.
FAST = dict(n_bootstrap=12)


# ------------------------------------------------------------------ readouts


def test_laws_offered_are_the_epoch_refit_first_then_hoffmann_printed_and_unrounded():
    assert [name.split("(")[1].rstrip(")") for name in LAWS] == ["refit", "printed", "unrounded"]


def test_budget_readout_states_the_optimum():
    s = budget_summary(1e22, HOFFMANN_2022)
    text = budget_readout(s)
    assert f"N_opt = {s.N_opt:.3g}" in text and f"D_opt = {s.D_opt:.3g}" in text
    assert "tokens per parameter" in text and "predicted loss" in text


def test_fit_readout_reports_alpha_and_the_extrapolation():
    e = fit_experiment(0.0, 8, (1e7, 1e9), **FAST)
    text = fit_readout(e)
    assert f"alpha = {e.fit.alpha:.3f}" in text and "true 0.34" in text and "at N = 1e+12" in text


def test_data_limits_readout_gives_effective_data_and_the_year():
    s = data_limits_summary(5e13, 4, 3.7)
    text = data_limits_readout(s)
    assert f"effective data = {s.effective_tokens:.3g}" in text
    assert f"exhaustion year = {s.exhaustion_year_effective:.2f}" in text


def test_data_limits_readout_says_four_epochs_buy_about_one_year():
    """Muennighoff et al. 2023 (R_D* = 15.39): 4 epochs stretch a stock 3.73×; at Epoch AI's
    3.7×/yr (June 2024) that is log(3.73)/log(3.7) = 1.0 year, not "a few years" (issue 13)."""
    assert "1.0 years later" in data_limits_readout(data_limits_summary(5e13, 4, 3.7))


def test_repeating_villalobos_effective_stock_is_flagged_as_double_counting():
    """Villalobos et al. 2024's 3e14 already allows for several epochs (Epoch AI's summary of
    the paper): repeating it again counts repetition twice."""
    assert "counts repetition twice" in data_limits_readout(data_limits_summary(lit.VILLALOBOS_2024_STOCK_TOKENS, 4))
    assert "twice" not in data_limits_readout(data_limits_summary(lit.VILLALOBOS_2024_STOCK_TOKENS, 1))
    assert "twice" not in data_limits_readout(data_limits_summary(5e13, 4))


# ------------------------------------------------------- figures: palette and alternatives


def test_fit_figure_draws_data_fit_and_truth_in_their_roles():
    """Data, fit and truth look as they do in every static figure (course_utils.plotting.ROLE_STYLE)."""
    fig = fit_figure(fit_experiment(0.02, 8, (1e7, 1e9), **FAST))
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert lines["data"].get_color() == PALETTE["data"] and lines["data"].get_marker() == "o"
    assert lines["fit (saturating)"].get_color() == PALETTE["fit"]
    assert lines["true curve"].get_gid() == "role:truth:level"


def test_the_budget_figure_draws_the_chosen_law_in_its_own_role():
    """Besiroglu's refit looks the same here as in lesson 04; so does Hoffmann's printed law."""
    for law, role in ((BESIROGLU_2024, "besiroglu"), (HOFFMANN_2022, "hoffmann")):
        right = budget_figure(budget_summary(1e22, law)).axes[1]
        assert any(line.get_gid() == f"role:{role}" for line in right.get_lines())


@pytest.mark.parametrize("figure", [
    lambda: budget_figure(budget_summary(1e22)),
    lambda: budget_figure(budget_summary(1e26, HOFFMANN_2022)),
    lambda: fit_figure(fit_experiment(0.02, 8, (1e7, 1e9), **FAST)),
    lambda: fit_figure(fit_experiment(0.05, 30, (1e6, 1e10), model="power law", **FAST)),
    lambda: data_limits_figure(data_limits_summary(5e13, 4)),
    lambda: data_limits_figure(data_limits_summary()),
], ids=["budget", "budget beyond the runs", "fit", "fit, power law", "data limits, repeated", "data limits"])
def test_explorer_figures_follow_the_course_style(figure):
    """Style, labels, roles, greyscale, no collisions: course_utils.figure_audit finds nothing."""
    assert figure_problems(figure()) == []


def test_loss_axes_carry_plain_number_ticks():
    fig = fit_figure(fit_experiment(0.02, 8, (1e7, 1e9), **FAST))
    fig.canvas.draw()
    axis = fig.axes[0].yaxis
    labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
    assert labels and all(label.replace(".", "").replace("−", "").isdigit() for label in labels), labels
    assert axis.get_offset_text().get_text() == ""


def test_each_figure_has_a_one_line_text_alternative():
    alts = [budget_alt(budget_summary(1e22)), fit_alt(fit_experiment(0.0, 8, (1e7, 1e9), **FAST)),
            data_limits_alt(data_limits_summary(5e13, 4))]
    assert all(alt and "\n" not in alt and alt.endswith(".") for alt in alts)
    assert "2026.6" in data_limits_alt(data_limits_summary())


# ------------------------------------------------------------------ parse_number


@pytest.mark.parametrize("text, value", [("1e21", 1e21), (" 3.5E+23 ", 3.5e23), ("15,000,000", 1.5e7),
                                         ("1_000", 1e3)])
def test_parse_number_reads_what_learners_type(text, value):
    assert parse_number(text, "budget", 1, 1e30) == value


@pytest.mark.parametrize("text, match", [("-1e21", "must be positive"), ("0", "must be positive"),
                                         ("lots", "must be a number"), ("nan", "finite"),
                                         ("1e40", "between")])
def test_parse_number_explains_what_is_wrong(text, match):
    with pytest.raises(ValueError, match=match):
        parse_number(text, "budget", 1e16, 1e28)


# --------------------------------------------------------------------- widgets


def _text_box(explorer, css_class):
    """The Text widget with ``css_class`` inside an explorer's rows."""
    found = []

    def walk(widget):
        if css_class in getattr(widget, "_dom_classes", ()):
            found.append(widget)
        for child in getattr(widget, "children", ()):
            walk(child)

    walk(explorer)
    assert len(found) == 1, f"expected one widget with class {css_class}"
    return found[0]


def test_budget_explorer_shows_the_optimum_and_a_plot():
    explorer = compute_budget_explorer()
    assert "N_opt = " in explorer.readout.value
    assert explorer.plot.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.message.value == ""


def test_budget_explorer_parts_carry_css_classes_for_the_browser():
    explorer = compute_budget_explorer()
    assert {"cu-explorer", "cu-compute-budget"} <= set(explorer._dom_classes)
    assert "cu-readout" in explorer.readout._dom_classes and "cu-plot" in explorer.plot._dom_classes
    assert "cu-budget" in explorer.controls["budget"]._dom_classes


def test_budget_explorer_opens_on_the_epoch_refit():
    """Lesson 04 ends trusting Besiroglu et al.'s refit, so the explorer starts there (issue 13)."""
    assert compute_budget_explorer().controls["law"].value == BESIROGLU_2024.name


def test_moving_the_budget_slider_updates_readout_and_plot():
    explorer = compute_budget_explorer()
    readout, plot = explorer.readout.value, explorer.plot.value
    explorer.controls["budget"].value = 1e21
    expected = budget_summary(1e21, BESIROGLU_2024)
    assert f"N_opt = {expected.N_opt:.3g}" in explorer.readout.value
    assert explorer.readout.value != readout and explorer.plot.value != plot


def test_choosing_another_law_updates_the_readout():
    explorer = compute_budget_explorer()
    explorer.controls["law"].value = HOFFMANN_2022.name
    assert HOFFMANN_2022.name in explorer.readout.value


def test_budget_explorer_accepts_a_law_by_its_display_name():
    assert compute_budget_explorer(law=HOFFMANN_2022.name).controls["law"].value == HOFFMANN_2022.name


def test_budget_explorer_rejects_an_unknown_law():
    with pytest.raises(ValueError, match="law must be"):
        compute_budget_explorer(law="Kaplan")


def test_explorer_plot_carries_its_text_alternative():
    """The plot's caption and its PNG metadata say what it shows (issue 13). Not the Image's
    tooltip: ipywidgets 8's ImageView fails to render in the browser when it is set."""
    explorer = data_limits_explorer()
    alt = data_limits_alt(data_limits_summary())
    assert explorer.plot.tooltip is None
    assert alt in explorer.alt.value and "cu-alt" in explorer.alt._dom_classes
    assert Image.open(io.BytesIO(bytes(explorer.plot.value))).info["Description"] == alt


def test_typing_a_budget_moves_the_slider():
    explorer = compute_budget_explorer()
    _text_box(explorer, "cu-budget-text").value = "1e22"
    assert explorer.controls["budget"].value == pytest.approx(1e22)
    assert "C = 1e+22" in explorer.readout.value


def test_typing_a_negative_budget_shows_a_message_and_keeps_the_last_result():
    explorer = compute_budget_explorer()
    readout = explorer.readout.value
    _text_box(explorer, "cu-budget-text").value = "-5e21"
    assert "must be positive" in explorer.message.value
    assert explorer.readout.value == readout


def test_a_good_value_after_a_bad_one_clears_the_message():
    explorer = compute_budget_explorer()
    box = _text_box(explorer, "cu-budget-text")
    box.value = "-5e21"
    box.value = "2e23"
    assert explorer.message.value == ""


def test_typing_zero_epochs_shows_a_message():
    explorer = data_limits_explorer()
    readout = explorer.readout.value
    _text_box(explorer, "cu-epochs-text").value = "0"
    assert "epochs must be positive" in explorer.message.value
    assert explorer.readout.value == readout


def test_data_limits_explorer_opens_on_villalobos_stock_used_once():
    """The 3e14 stock is already effective (several epochs allowed): the default is one pass."""
    explorer = data_limits_explorer()
    assert explorer.controls["stock_tokens"].value == pytest.approx(lit.VILLALOBOS_2024_STOCK_TOKENS)
    assert explorer.controls["epochs"].value == 1.0
    assert "twice" not in explorer.readout.value


def test_data_limits_explorer_follows_the_growth_slider():
    explorer = data_limits_explorer()
    explorer.controls["growth_per_year"].value = 2.0
    expected = data_limits_summary(lit.VILLALOBOS_2024_STOCK_TOKENS, 1.0, 2.0)
    assert f"exhaustion year = {expected.exhaustion_year_effective:.2f}" in explorer.readout.value


def test_fit_explorer_redraws_when_the_noise_changes():
    explorer = fit_explorer(**FAST)
    plot = explorer.plot.value
    explorer.controls["noise"].value = 0.05
    assert explorer.plot.value != plot and "alpha = " in explorer.readout.value


def test_fit_explorer_reports_an_empty_range_instead_of_raising():
    explorer = fit_explorer(**FAST)
    explorer.controls["span"].value = (8.0, 8.0)
    assert "fitted range is empty" in explorer.message.value


def test_each_call_makes_an_independent_explorer():
    """Re-running a notebook cell builds a new explorer; the old one is not wired to it."""
    first, second = compute_budget_explorer(), compute_budget_explorer()
    readout = first.readout.value
    second.controls["budget"].value = 1e20
    assert first.readout.value == readout
