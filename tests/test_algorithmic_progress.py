"""course_utils.algorithmic_progress: Ho et al. 2024's halving time as factors."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.algorithmic_progress import compute_reduction_factor, effective_compute_growth
from course_utils.literature import HO_2024_HALVING_INTERVAL_ARXIV_95, HO_2024_HALVING_MONTHS


def test_eight_month_halving_is_2_83_times_per_year():
    """Ho et al. 2024: 8 months -> 2^(12/8) = 2.828 per year; the 95% interval 5-14 months
    -> 5.278 to 1.811 (computed here)."""
    assert compute_reduction_factor(1, HO_2024_HALVING_MONTHS) == pytest.approx(2 ** 1.5, rel=1e-12)
    fast, slow = HO_2024_HALVING_INTERVAL_ARXIV_95
    got = compute_reduction_factor(1, np.array([slow, fast]))
    np.testing.assert_allclose(got, [2 ** (12 / 14), 2 ** 2.4], rtol=1e-12)


def test_two_years_is_three_halvings():
    assert compute_reduction_factor(2.0, 8.0) == 8.0


def test_effective_compute_multiplies_hardware_and_algorithms():
    """4x/yr more compute (Epoch AI 2024) times 2.828x/yr from algorithms = 11.31x/yr."""
    assert effective_compute_growth(4.0, 8.0) == pytest.approx(4 * 2 ** 1.5, rel=1e-12)


@pytest.mark.parametrize("args, match", [((-1.0, 8.0), "years"), ((1.0, 0.0), "halving_months"),
                                         (("1", 8.0), "years")])
def test_reduction_factor_rejects_impossible_inputs(args, match):
    with pytest.raises(ValueError, match=match):
        compute_reduction_factor(*args)
