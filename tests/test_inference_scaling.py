"""course_utils.inference_scaling: pass@k, coverage, the Beta model of difficulty, FLOPs matching."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.inference_scaling import (beta_coverage, coverage, fit_beta_coverage,
                                            flops_matched_inference_factor, pass_at_k)
from course_utils.literature import BROWN_2024_SWE_BENCH_LITE, SNELL_2024_LARGER_MODEL_FACTOR

# --------------------------------------------------------------------------- pass@k


def test_pass_at_k_matches_the_binomial_formula():
    """Chen et al. 2021, eq. 1: n = 5, c = 2, k = 3 gives 1 - C(3, 3)/C(5, 3) = 0.9 (by hand)."""
    assert pass_at_k(5, 2, 3) == pytest.approx(0.9, abs=1e-12)


def test_pass_at_k_with_one_correct_sample_is_k_over_n():
    """c = 1: 1 - C(n-1, k)/C(n, k) = k/n exactly; 250/10,000 = 0.025 (by hand)."""
    assert pass_at_k(10_000, 1, 250) == pytest.approx(0.025, rel=1e-12)


def test_pass_at_k_agrees_with_exact_integers_for_large_n():
    expected = 1 - math.comb(10_000 - 37, 1_000) / math.comb(10_000, 1_000)
    assert pass_at_k(10_000, 37, 1_000) == pytest.approx(expected, rel=1e-12)


def test_pass_at_k_is_one_when_wrong_samples_are_fewer_than_k():
    assert pass_at_k(10, 8, 3) == 1.0


def test_pass_at_k_broadcasts_over_problems():
    got = pass_at_k([10, 10, 10], [0, 1, 10], 1)
    np.testing.assert_allclose(got, [0.0, 0.1, 1.0], atol=1e-12)


@pytest.mark.parametrize("args, match", [((5, 1, 6), "k cannot exceed n"), ((5, 6, 1), "c .* cannot exceed n"),
                                         ((5, 1, 0), "k must be >= 1"), ((5, 1.5, 1), "whole numbers"),
                                         ((True, 1, 1), "whole number")])
def test_pass_at_k_rejects_impossible_counts(args, match):
    with pytest.raises(ValueError, match=match):
        pass_at_k(*args)


# ------------------------------------------------------------------------- coverage


def test_coverage_averages_one_minus_failure_to_the_k():
    """p = (0.1, 0.5, 1, 0), k = 2: mean(0.19, 0.75, 1, 0) = 0.485 (by hand)."""
    assert coverage([0.1, 0.5, 1.0, 0.0], 2) == pytest.approx(0.485, abs=1e-12)


def test_coverage_is_shaped_like_k():
    assert coverage([0.2, 0.4], [1, 2, 4]).shape == (3,)


def test_identical_problems_reach_full_coverage_at_250_samples():
    """Brown et al. 2024: 15.9% at one sample. If every issue had p = 0.159, 250 samples
    would miss a fraction 0.841^250 = 1.6e-19 of them (computed here)."""
    assert 1 - coverage([0.159], 250) == pytest.approx(0.841 ** 250, rel=1e-9)


def test_coverage_rejects_probabilities_outside_zero_one():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        coverage([0.5, 1.2], 3)


# ------------------------------------------------------------------ the Beta model


def test_beta_coverage_at_one_sample_is_the_mean():
    assert beta_coverage(1, 2.0, 6.0) == pytest.approx(0.25, rel=1e-12)


def test_uniform_difficulty_covers_k_over_k_plus_one():
    """Beta(1, 1): E[(1-p)^k] = 1/(k+1) (by hand)."""
    np.testing.assert_allclose(beta_coverage(np.array([1.0, 3.0, 99.0]), 1.0, 1.0), [0.5, 0.75, 0.99], rtol=1e-12)


def test_beta_failures_fall_as_k_to_the_minus_a():
    """Stirling: B(a, b+k)/B(a, b) ~ Γ(a+b)/Γ(b)·k^(-a); slope -0.3 between 1e5 and 1e6 (tolerance 1e-3)."""
    failures = 1 - beta_coverage(np.array([1e5, 1e6]), 0.3, 2.0)
    assert math.log10(failures[1] / failures[0]) == pytest.approx(-0.3, abs=1e-3)


def test_beta_fit_passes_through_brown_et_al_swe_bench_lite_points():
    """Brown et al. 2024 (abstract): 15.9% at 1 sample, 56% at 250. The fit is
    Beta(0.1220, 0.6454) (lesson 06)."""
    (k1, k2), (c1, c2) = BROWN_2024_SWE_BENCH_LITE["samples"], BROWN_2024_SWE_BENCH_LITE["coverage"]
    a, b = fit_beta_coverage(c1, k2, c2)
    assert (a, b) == pytest.approx((0.122021729577739, 0.6454105319174749), rel=1e-6)
    assert beta_coverage(k1, a, b) == pytest.approx(c1, rel=1e-9)
    assert beta_coverage(k2, a, b) == pytest.approx(c2, rel=1e-9)


def test_beta_fit_refuses_coverage_above_the_identical_problems_ceiling():
    with pytest.raises(ValueError, match="every problem alike"):
        fit_beta_coverage(0.5, 10, 0.9999)


# ------------------------------------------------------------------ FLOPs matching


def test_a_fourteen_times_larger_model_buys_53_times_the_inference_at_equal_tokens():
    """M = 14 (Snell et al. 2024), D_inf = D_pre: 14 + 3·13 = 53 (by hand)."""
    assert flops_matched_inference_factor(SNELL_2024_LARGER_MODEL_FACTOR, 1e12, 1e12) == pytest.approx(53.0)


def test_flops_matching_balances_the_total_compute():
    """6N·D_pre + 2N·(factor·D_inf) equals M·(6N·D_pre + 2N·D_inf) (N = 1)."""
    m, d_pre, d_inf = 7.0, 2e12, 3e10
    factor = flops_matched_inference_factor(m, d_pre, d_inf)
    assert 6 * d_pre + 2 * factor * d_inf == pytest.approx(m * (6 * d_pre + 2 * d_inf), rel=1e-12)


def test_flops_matching_rejects_a_smaller_big_model():
    with pytest.raises(ValueError, match="size_ratio must be >= 1"):
        flops_matched_inference_factor(0.5, 1e12, 1e12)
