"""course_utils.data_filtering: Goyal et al. 2024's utility that decays with repetition."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.data_filtering import pool_error
from course_utils.literature import GOYAL_2024_BUCKETS, GOYAL_2024_CONSTANTS

K = GOYAL_2024_CONSTANTS


def _error(samples, n_buckets):
    return pool_error(samples, GOYAL_2024_BUCKETS[:n_buckets], K["bucket_size"], K["a"], K["d"])


def test_fresh_data_follows_a_plain_power_law():
    """Within the first epoch y = d + (a·n/1e5)^b: 10M samples of the top-10% bucket give
    0.1 + 2.5^-0.16 = 0.9636 (by hand)."""
    assert _error(1e7, 1) == pytest.approx(0.1 + 2.5 ** -0.16, rel=1e-12)


def test_a_second_epoch_uses_the_decayed_utility():
    """25.6M samples = two epochs of 12.8M: y = (d + 3.2^b)·2^(b·2^(-1/τ)) (by hand)."""
    b, tau = GOYAL_2024_BUCKETS[0]["utility"], GOYAL_2024_BUCKETS[0]["half_life"]
    expected = (0.1 + 3.2 ** b) * 2.0 ** (b * 2 ** (-1 / tau))
    assert _error(25.6e6, 1) == pytest.approx(expected, rel=1e-12)


def _crossover(smaller, larger, low, high):
    """Samples seen where the pool of ``larger`` buckets starts to beat that of ``smaller``."""
    from scipy.optimize import brentq

    return brentq(lambda n: _error(n, smaller) - _error(n, larger), low, high, xtol=1e3)


def test_a_pool_of_m_buckets_multiplies_each_half_life_by_m():
    """The authors' estimate_best_pool.py: ``c_list = c_list * num_buckets`` (two buckets: each
    half-life doubled). 30M samples of the top-20% pool = 1.17 passes over its 25.6M: the
    second pass's slope is the mean of b·2^(-1/(2τ)) (by hand)."""
    (b1, t1), (b2, t2) = ((bucket["utility"], bucket["half_life"]) for bucket in GOYAL_2024_BUCKETS[:2])
    first = 0.1 + (25.6e6 * K["a"] / 1e5) ** ((b1 + b2) / 2)
    second = ((b1 * 2 ** (-1 / (2 * t1)) + b2 * 2 ** (-1 / (2 * t2))) / 2)
    assert _error(30e6, 2) == pytest.approx(first * (30e6 / 25.6e6) ** second, rel=1e-12)


def test_keeping_twenty_percent_wins_from_101_million_samples_and_thirty_from_1_1_billion():
    """Lesson 06's crossovers, with the authors' pipeline (issue 22): the top-10% pool is best up
    to 100.6M samples seen (7.9 passes over its 12.8M), the top-30% pool from 1.10B. Without the
    half-lives scaled by the pool's size the first came at 151M samples (11.8 passes)."""
    first = _crossover(1, 2, 5e7, 2e8)
    assert first == pytest.approx(100.6e6, rel=2e-3)
    assert first / K["bucket_size"] == pytest.approx(7.86, abs=0.01)
    assert _crossover(2, 3, 5e8, 3e9) == pytest.approx(1.097e9, rel=2e-3)


def test_the_top_ten_percent_wins_small_budgets_and_loses_large_ones():
    """With the authors' fitted buckets, keeping 10% is best at 64M samples seen and keeping
    20% is best at 640M (lesson 06; Goyal et al.'s message that filtering depends on compute)."""
    small = [_error(64e6, m) for m in range(1, 5)]
    large = [_error(640e6, m) for m in range(1, 5)]
    assert int(np.argmin(small)) == 0
    assert int(np.argmin(large)) == 1


def test_error_never_rises_with_more_samples():
    samples = np.geomspace(1e6, 1e10, 200)
    assert np.all(np.diff(_error(samples, 2)) <= 1e-15)


@pytest.mark.parametrize("buckets, match", [([], "non-empty"), ([{"utility": 0.1, "half_life": 2.0}], "negative"),
                                            ([{"utility": -0.1}], "half_life")])
def test_pool_error_rejects_malformed_buckets(buckets, match):
    with pytest.raises(ValueError, match=match):
        pool_error(1e7, buckets, 1e6, 0.025, 0.1)
