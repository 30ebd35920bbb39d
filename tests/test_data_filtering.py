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
