"""course_utils.data_limits: repeated data, data exhaustion, inference-aware sizing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils import data_limits
from course_utils.literature import (
    HOFFMANN_2022_PRINTED, LLAMA3_TRAINING_TOKENS, MUENNIGHOFF_2023_R_D_STAR,
)

# ---------------------------------------------------------------- repeated data


@pytest.mark.parametrize("epochs, expected", [(2, 0.984), (4, 0.931), (8, 0.828), (16, 0.661), (100, 0.164)])
def test_repeated_data_value_matches_the_published_decay(epochs, expected):
    """FACTS §4 [R], from Muennighoff et al. 2023 eq. 5 with R_D* = 15.387756:
    a repeated token is worth 0.984 of a fresh one at 2 epochs, 0.931 at 4, 0.661 at 16."""
    assert data_limits.repeated_data_value(epochs) == pytest.approx(expected, abs=6e-4)


def test_one_epoch_of_data_is_worth_its_full_size():
    assert data_limits.repeated_data_value(1) == 1.0
    assert data_limits.effective_data(100e9, 100e9) == pytest.approx(100e9)


def test_less_than_one_epoch_counts_only_the_tokens_seen():
    assert data_limits.effective_data(100e9, 40e9) == pytest.approx(40e9)


def test_effective_data_saturates_at_one_plus_r_star_times_unique():
    """D' → U(1 + R*) = 16.39 U as epochs → ∞ (Muennighoff et al. 2023)."""
    assert data_limits.effective_data(1e9, 1e15) == pytest.approx(1e9 * (1 + MUENNIGHOFF_2023_R_D_STAR), rel=1e-9)


def test_effective_data_formula_at_four_epochs():
    """By hand: U = 25e9, D = 100e9, R = 3: D' = 25e9 · (1 + 15.387756 · (1 − e^(−3/15.387756)))."""
    expected = 25e9 * (1 + 15.387756 * (1 - math.exp(-3 / 15.387756)))
    assert data_limits.effective_data(25e9, 100e9) == pytest.approx(expected, rel=1e-12)


def test_effective_data_is_elementwise():
    got = data_limits.effective_data(1.0, np.array([0.5, 1.0, 4.0]))
    assert got.shape == (3,)
    assert got[0] == 0.5 and got[1] == 1.0


def test_the_papers_rounded_r_star_changes_the_value_in_the_fourth_decimal():
    """With R* = 15.4 (the paper's rounding) 4 epochs give 0.9315 instead of 0.9314."""
    assert data_limits.repeated_data_value(4, r_star=15.4) == pytest.approx(0.9315, abs=1e-4)


@pytest.mark.parametrize("name, args", [("unique_tokens", (0.0, 1e9)), ("total_tokens", (1e9, -1.0)),
                                        ("unique_tokens", (float("nan"), 1e9))])
def test_effective_data_rejects_non_positive_token_counts(name, args):
    with pytest.raises(ValueError, match=name):
        data_limits.effective_data(*args)


# ------------------------------------------------------------------ exhaustion


def test_exhaustion_year_worked_example():
    """By hand: 15e12 tokens growing ×3 per year reach 3e14 after log(20)/log(3) = 2.727 years."""
    year = data_limits.data_exhaustion_year(15e12, 2024.0, 3.0, stock_tokens=3e14)
    assert year == pytest.approx(2024.0 + math.log(20) / math.log(3), rel=1e-12)


def test_exhaustion_from_llama3_at_epochs_2024_growth_lands_in_villalobos_window():
    """Llama 3's 15T tokens (April 2024), Epoch's 3.7×/yr (19 Jun 2024) and the 3e14 stock
    give 2024.29 + ln 20 / ln 3.7 = 2026.6: inside Villalobos et al.'s 2026–2032 range."""
    year = data_limits.data_exhaustion_year(LLAMA3_TRAINING_TOKENS, 2024.29, 3.7)
    assert year == pytest.approx(2026.58, abs=0.01)
    assert 2026 <= year <= 2032


def test_exhaustion_interval_brackets_the_median():
    low, high = data_limits.exhaustion_interval(15e12, 2024.0, 3.0)
    median = data_limits.data_exhaustion_year(15e12, 2024.0, 3.0)
    assert low < median < high
    assert high - low == pytest.approx(math.log(10) / math.log(3), rel=1e-12)  # the stock spans 10x


def test_exhaustion_rejects_a_shrinking_dataset():
    with pytest.raises(ValueError, match="growth_per_year"):
        data_limits.data_exhaustion_year(15e12, 2024.0, 0.9)


def test_exhaustion_rejects_a_string_year():
    with pytest.raises(ValueError, match="year_now"):
        data_limits.data_exhaustion_year(15e12, "2024", 3.0)


# ------------------------------------------------------- inference-aware sizing


def _chinchilla_loss(N, D):
    p = HOFFMANN_2022_PRINTED
    return p.E + p.A / N**p.alpha + p.B / D**p.beta


def test_lifetime_flops_adds_training_and_inference():
    """6 · 7e9 · 2e12 + 2 · 7e9 · 1e12 = 8.4e22 + 1.4e22 = 9.8e22."""
    assert data_limits.lifetime_flops(7e9, 2e12, 1e12) == pytest.approx(9.8e22, rel=1e-12)


def test_without_inference_the_optimum_satisfies_the_compute_optimal_condition():
    """Minimising 6ND at fixed loss E + A/N^α + B/D^β gives α·A/N^α = β·B/D^β
    (Lagrange condition of Hoffmann et al. 2022, eq. 4)."""
    p = HOFFMANN_2022_PRINTED
    best = data_limits.inference_optimal_size(_chinchilla_loss, 2.0, 0.0)
    assert _chinchilla_loss(best.N, best.D_train) == pytest.approx(2.0, rel=1e-9)
    assert p.alpha * p.A / best.N**p.alpha == pytest.approx(p.beta * p.B / best.D_train**p.beta, rel=1e-4)


def test_heavy_inference_favours_a_smaller_model_trained_longer():
    """Sardana et al. 2023: with large inference demand the optimum is smaller and
    trained on more tokens per parameter than the compute-optimal model."""
    alone = data_limits.inference_optimal_size(_chinchilla_loss, 2.0, 0.0)
    served = data_limits.inference_optimal_size(_chinchilla_loss, 2.0, 1e13)
    assert served.N < alone.N
    assert served.tokens_per_parameter > alone.tokens_per_parameter
    assert served.total_flops < data_limits.lifetime_flops(alone.N, alone.D_train, 1e13)


def test_a_target_below_the_irreducible_loss_is_rejected():
    with pytest.raises(ValueError, match="target_loss"):
        data_limits.inference_optimal_size(_chinchilla_loss, 1.5, 0.0)


def test_inference_optimal_size_rejects_a_non_callable():
    with pytest.raises(ValueError, match="loss"):
        data_limits.inference_optimal_size(2.0, 2.0, 0.0)


# ---------------------------------------------------- data_limits_summary (explorer, lesson 05)


def test_one_epoch_is_worth_exactly_the_unique_data():
    s = data_limits.data_limits_summary(3e14, 1, 3.7)
    assert s.effective_tokens == pytest.approx(3e14)
    assert s.exhaustion_year_effective == pytest.approx(s.exhaustion_year_one_pass)


def test_four_epochs_are_worth_0931_of_fresh_data():
    """Muennighoff et al. 2023 (R_D* = 15.39): a token seen 4 times is worth 0.931 of a new one."""
    s = data_limits.data_limits_summary(3e14, 4, 3.7)
    assert s.value_per_token == pytest.approx(0.931, abs=5e-4)
    assert s.effective_tokens == pytest.approx(4 * 3e14 * s.value_per_token)


def test_repetition_can_never_give_more_than_1639_times_the_unique_data():
    """D'/U saturates at 1 + R_D* = 16.39 (Muennighoff et al. 2023, eq. 5)."""
    assert data_limits.data_limits_summary(1e14, 1000, 3.7).effective_tokens < 16.39 * 1e14


def test_stock_runs_out_when_the_growing_dataset_reaches_it():
    """A set of 1e13 tokens growing 10× a year reaches 1e15 two years later."""
    s = data_limits.data_limits_summary(1e15, 1, 10.0, dataset_tokens_now=1e13, year_now=2024.0)
    assert s.exhaustion_year_one_pass == pytest.approx(2026.0)


def test_repeating_data_postpones_exhaustion():
    s = data_limits.data_limits_summary(3e14, 4, 3.7)
    assert s.exhaustion_year_effective > s.exhaustion_year_one_pass


def test_default_start_is_llama3_on_its_release_date():
    s = data_limits.data_limits_summary(3e14, 1, 3.7)
    assert s.dataset_tokens_now == LLAMA3_TRAINING_TOKENS
    assert 2024.29 < s.year_now < 2024.30  # 18 April 2024


@pytest.mark.parametrize("kwargs, match", [
    (dict(epochs=0), "epochs"),
    (dict(epochs=0.5), "epochs"),
    (dict(stock_tokens=-1), "stock_tokens"),
    (dict(growth_per_year=1.0), "growth_per_year"),
])
def test_data_limits_summary_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data_limits.data_limits_summary(**(dict(stock_tokens=3e14, epochs=4, growth_per_year=3.7) | kwargs))




def test_four_epochs_postpone_exhaustion_by_about_one_year():
    """4 epochs stretch a unique stock to 3.73× (Muennighoff et al. 2023, R_D* = 15.39); at
    Epoch AI's 3.7× per year (19 June 2024) that is log(3.73)/log(3.7) = 1.005 years. Lessons
    05 and 07 used to say repetition buys "a few years" (issue 13)."""
    assert data_limits.years_bought_by_repetition(4, 3.7) == pytest.approx(1.005, abs=1e-3)
    assert data_limits.data_limits_summary(5e13, 4, 3.7).years_gained == pytest.approx(1.005, abs=1e-3)


def test_even_unlimited_repetition_buys_only_about_two_years():
    """The ceiling D'/U = 1 + R_D* = 16.39 at 3.7×/yr: log(16.39)/log(3.7) = 2.14 years."""
    assert data_limits.years_bought_by_repetition(1e9, 3.7) == pytest.approx(2.137, abs=1e-3)


def test_default_summary_uses_villalobos_stock_once_and_reaches_it_in_2026():
    """Llama 3's 15T tokens (18 April 2024) growing 3.7×/yr (Epoch AI, June 2024) reach
    Villalobos et al. 2024's 3e14 tokens in 2024.30 + ln(20)/ln(3.7) = 2026.58."""
    s = data_limits.data_limits_summary()
    assert s.epochs == 1.0 and s.stock_tokens == 3e14
    assert s.exhaustion_year_one_pass == pytest.approx(2026.585, abs=1e-3)
    assert not s.counts_repetition_twice and data_limits.data_limits_summary(epochs=4).counts_repetition_twice


def test_r_star_is_an_e_folding_constant_not_a_half_life():
    """After R_D* repeated epochs the gain still to come from repetition has fallen by a factor
    e (Muennighoff et al. 2023, eq. 5), not 2; effective_data used to call it a half-life."""
    r_star = MUENNIGHOFF_2023_R_D_STAR
    ceiling = 1 + r_star
    after = data_limits.effective_data(1.0, 1.0 + r_star)  # R_D = r_star repeated epochs
    assert (ceiling - after) / (ceiling - 1.0) == pytest.approx(math.exp(-1), rel=1e-12)
