"""Specification of the explorers' logic and of their widget wiring (no browser needed).

The browser test in tests/browser/ checks the same explorers in a real JupyterLab.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import literature as lit
from course_utils.chinchilla import BESIROGLU_2024, HOFFMANN_2022
from course_utils.widgets import (
    LAWS, budget_readout, budget_summary, compute_budget_explorer, data_limits_explorer, data_limits_readout,
    data_limits_summary, fit_experiment, fit_explorer, fit_readout, kaplan_joint_exponent, parse_number,
)

# Few bootstrap refits keep the fit tests fast; the behaviours tested do not depend on it.
FAST = dict(n_bootstrap=12)


# ------------------------------------------------------------------ budget_summary


def test_budget_summary_spends_exactly_the_budget():
    """C = 6·N_opt·D_opt (Hoffmann et al. 2022, the constraint of eq. 4)."""
    s = budget_summary(1e22, HOFFMANN_2022)
    assert 6 * s.N_opt * s.D_opt == pytest.approx(1e22, rel=1e-12)


def test_budget_summary_optimum_is_the_minimum_of_its_isoflop_curve():
    s = budget_summary(5.76e23, BESIROGLU_2024)
    assert s.isoflop_loss.min() == pytest.approx(s.loss, rel=1e-6)
    assert s.N[np.argmin(s.isoflop_loss)] == pytest.approx(s.N_opt, rel=0.05)


def test_budget_summary_matches_the_law_it_was_given():
    s = budget_summary(1e24, BESIROGLU_2024)
    N_opt, D_opt = BESIROGLU_2024.compute_optimal(1e24)
    assert (s.N_opt, s.D_opt) == (N_opt, D_opt)
    assert s.tokens_per_param == pytest.approx(D_opt / N_opt)
    assert s.loss == pytest.approx(BESIROGLU_2024.loss(N_opt, D_opt))


def test_budget_summary_accepts_a_law_by_its_display_name():
    assert budget_summary(1e21, BESIROGLU_2024.name).law is BESIROGLU_2024


def test_laws_offered_are_hoffmann_printed_unrounded_and_the_epoch_refit():
    assert len(LAWS) == 3
    assert {"printed", "unrounded", "refit"} == {name.split("(")[1].rstrip(")") for name in LAWS}


def test_kaplan_line_is_his_published_allocation():
    """N = 1.3e9 · C^0.73 with C in PF-days (Kaplan et al. 2020, Table 6): 1.3e9 at 1 PF-day."""
    assert budget_summary(lit.PF_DAY).kaplan_N == pytest.approx(1.3e9)
    assert budget_summary(1e3 * lit.PF_DAY).kaplan_N == pytest.approx(1.3e9 * 1e3**0.73)


def test_kaplan_joint_law_gives_exponent_0575_not_073():
    """Minimising Kaplan's L(N, D) (eq. 1.5) under C = 6ND: α_D/(α_N+α_D) = 0.103/0.179."""
    assert kaplan_joint_exponent() == pytest.approx(0.103 / 0.179, abs=1e-3)


@pytest.mark.parametrize("C", [0, -1e21, float("nan"), float("inf"), "1e21"])
def test_budget_summary_rejects_a_budget_that_is_not_positive(C):
    with pytest.raises(ValueError, match="C must be"):
        budget_summary(C)


def test_budget_summary_rejects_an_unknown_law():
    with pytest.raises(ValueError, match="law must be"):
        budget_summary(1e21, "Kaplan")


def test_budget_readout_states_the_optimum():
    s = budget_summary(1e22, HOFFMANN_2022)
    text = budget_readout(s)
    assert f"N_opt = {s.N_opt:.3g}" in text and f"D_opt = {s.D_opt:.3g}" in text
    assert "tokens per parameter" in text and "predicted loss" in text


# ------------------------------------------------------------------ fit_experiment


def test_fit_without_noise_recovers_the_true_curve():
    """Noise-free points on L = 1.69 + 406.4·N^−0.34 (Hoffmann et al. 2022, App. D.2)."""
    e = fit_experiment(0.0, 12, (1e7, 1e10), **FAST)
    assert e.fit.alpha == pytest.approx(0.34, abs=1e-3)
    assert abs(e.extrapolation_error) < 1e-3


def test_pure_power_law_ignoring_the_floor_underestimates_the_extrapolated_loss():
    """A straight line in log-log through a curve that flattens keeps falling too fast."""
    e = fit_experiment(0.0, 12, (1e7, 1e9), model="power law", **FAST)
    assert e.extrapolated < e.true_at_target
    assert e.fit.alpha < 0.34


def test_bootstrap_band_widens_beyond_the_fitted_range():
    e = fit_experiment(0.03, 12, (1e7, 1e9), seed=1, **FAST)
    width = e.band[1] - e.band[0]
    inside = width[e.grid <= 1e9].max()
    assert width[-1] > inside


def test_fit_experiment_is_reproducible_with_its_seed():
    a = fit_experiment(0.02, 8, (1e7, 1e9), seed=3, **FAST)
    b = fit_experiment(0.02, 8, (1e7, 1e9), seed=3, **FAST)
    assert np.array_equal(a.y, b.y) and a.fit.alpha == b.fit.alpha


def test_fit_readout_reports_alpha_and_the_extrapolation():
    e = fit_experiment(0.0, 8, (1e7, 1e9), **FAST)
    text = fit_readout(e)
    assert f"alpha = {e.fit.alpha:.3f}" in text and "true 0.34" in text and "at N = 1e+12" in text


@pytest.mark.parametrize("kwargs, match", [
    (dict(noise=-0.1), "noise"),
    (dict(n_points=3), "n_points"),
    (dict(x_range=(1e9, 1e7)), "x_range"),
    (dict(x_range=(0, 1e9)), "x_range"),
    (dict(model="cubic"), "model"),
    (dict(extrapolate_to=1e8), "extrapolate_to"),
    (dict(level=1.5), "level"),
])
def test_fit_experiment_rejects_bad_settings(kwargs, match):
    settings = dict(noise=0.01, n_points=8, x_range=(1e7, 1e9)) | kwargs
    with pytest.raises(ValueError, match=match):
        fit_experiment(**settings, **FAST)


# ------------------------------------------------------------- data_limits_summary


def test_one_epoch_is_worth_exactly_the_unique_data():
    s = data_limits_summary(3e14, 1, 3.7)
    assert s.effective_tokens == pytest.approx(3e14)
    assert s.exhaustion_year_effective == pytest.approx(s.exhaustion_year_unique)


def test_four_epochs_are_worth_0931_of_fresh_data():
    """Muennighoff et al. 2023 (R_D* = 15.39): a token seen 4 times is worth 0.931 of a new one."""
    s = data_limits_summary(3e14, 4, 3.7)
    assert s.value_per_token == pytest.approx(0.931, abs=5e-4)
    assert s.effective_tokens == pytest.approx(4 * 3e14 * s.value_per_token)


def test_repetition_can_never_give_more_than_1639_times_the_unique_data():
    """D'/U saturates at 1 + R_D* = 16.39 (Muennighoff et al. 2023, eq. 5)."""
    assert data_limits_summary(1e14, 1000, 3.7).effective_tokens < 16.39 * 1e14


def test_stock_runs_out_when_the_growing_dataset_reaches_it():
    """A set of 1e13 tokens growing 10× a year reaches 1e15 two years later."""
    s = data_limits_summary(1e15, 1, 10.0, dataset_tokens_now=1e13, year_now=2024.0)
    assert s.exhaustion_year_unique == pytest.approx(2026.0)


def test_repeating_data_postpones_exhaustion():
    s = data_limits_summary(3e14, 4, 3.7)
    assert s.exhaustion_year_effective > s.exhaustion_year_unique


def test_default_start_is_llama3_on_its_release_date():
    s = data_limits_summary(3e14, 1, 3.7)
    assert s.dataset_tokens_now == lit.LLAMA3_TRAINING_TOKENS
    assert 2024.29 < s.year_now < 2024.30  # 18 April 2024


@pytest.mark.parametrize("kwargs, match", [
    (dict(epochs=0), "epochs"),
    (dict(epochs=0.5), "epochs"),
    (dict(unique_tokens=-1), "unique_tokens"),
    (dict(growth_per_year=1.0), "growth_per_year"),
])
def test_data_limits_summary_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data_limits_summary(**(dict(unique_tokens=3e14, epochs=4, growth_per_year=3.7) | kwargs))


def test_data_limits_readout_gives_effective_data_and_the_year():
    s = data_limits_summary(3e14, 4, 3.7)
    text = data_limits_readout(s)
    assert f"effective data = {s.effective_tokens:.3g}" in text
    assert f"exhaustion year = {s.exhaustion_year_effective:.1f}" in text


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


def test_moving_the_budget_slider_updates_readout_and_plot():
    explorer = compute_budget_explorer()
    readout, plot = explorer.readout.value, explorer.plot.value
    explorer.controls["budget"].value = 1e21
    expected = budget_summary(1e21, HOFFMANN_2022)
    assert f"N_opt = {expected.N_opt:.3g}" in explorer.readout.value
    assert explorer.readout.value != readout and explorer.plot.value != plot


def test_choosing_another_law_updates_the_readout():
    explorer = compute_budget_explorer()
    explorer.controls["law"].value = BESIROGLU_2024.name
    assert BESIROGLU_2024.name in explorer.readout.value


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


def test_data_limits_explorer_follows_the_growth_slider():
    explorer = data_limits_explorer()
    explorer.controls["growth_per_year"].value = 2.0
    expected = data_limits_summary(lit.VILLALOBOS_2024_STOCK_TOKENS, 4.0, 2.0)
    assert f"exhaustion year = {expected.exhaustion_year_effective:.1f}" in explorer.readout.value


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
