"""course_utils.precision_scaling: Kumar et al. 2024's precision-aware law."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from course_utils.literature import KUMAR_2024_FIT, KUMAR_2024_OPTIMAL_BITS
from course_utils.precision_scaling import (compute_optimal_precision, effective_parameter_fraction,
                                            loss_at_precision, lowest_precision)

GAMMA, OFFSET = KUMAR_2024_FIT["gamma"], KUMAR_2024_FIT["offset"]


def test_kumar_constants_give_a_compute_optimal_precision_of_seven_bits():
    """App. K, Table 2 constants, maximising f(P)/P: 7.002 bits; the paper reports
    "around 7-8 bits" (§4.3.2, Finding 3)."""
    best = compute_optimal_precision(GAMMA, OFFSET)
    assert best == pytest.approx(7.002, abs=1e-3)
    assert KUMAR_2024_OPTIMAL_BITS[0] - 0.05 <= best <= KUMAR_2024_OPTIMAL_BITS[1]


def test_three_equal_parts_without_offsets_peak_where_e_to_the_x_minus_one_is_three_x():
    """f = (1 - e^(-x))^3, x = P/γ: the maximum of f/P solves e^x - 1 = 3x (by hand)."""
    x = brentq(lambda t: math.expm1(t) - 3 * t, 1.0, 3.0)
    assert compute_optimal_precision([2.0, 2.0, 2.0]) == pytest.approx(2.0 * x, rel=1e-6)


def test_a_single_part_without_offset_has_no_optimum():
    """(1 - e^(-P/γ))/P only falls with P: no interior maximum."""
    with pytest.raises(ValueError, match="no interior maximum"):
        compute_optimal_precision([2.0])


def test_effective_fraction_at_16_bits_is_nearly_one():
    """Table 2 constants at 16 bits: 0.9937 of the parameters count (computed here)."""
    factors = [1 - math.exp(-16 / GAMMA[p] + OFFSET[p]) for p in GAMMA]
    assert effective_parameter_fraction(16, GAMMA, OFFSET) == pytest.approx(np.prod(factors), rel=1e-12)
    assert effective_parameter_fraction(16, GAMMA, OFFSET) == pytest.approx(0.9937, abs=1e-4)


def test_effective_fraction_refuses_precisions_where_a_factor_is_not_positive():
    """n·γ for activations is 1.4072 · 2.2102 = 3.110 bits, the fit's floor."""
    assert lowest_precision(GAMMA, OFFSET) == pytest.approx(1.4072 * 2.2102)
    with pytest.raises(ValueError, match="must exceed 3.11"):
        effective_parameter_fraction(3.0, GAMMA, OFFSET)


def test_the_closed_form_loss_is_the_minimum_over_model_size():
    """L*(C, P) equals a brute-force minimum over N of A(N f)^-α + B D^-α + E with
    D = C/((6/16) N P) (grid of 200,001 sizes; rel 1e-9)."""
    budget, bits = 1e21, 8.0
    f = effective_parameter_fraction(bits, GAMMA, OFFSET)
    n = np.geomspace(1e6, 1e13, 200_001)
    d = budget / (6 / 16 * n * bits)
    alpha = KUMAR_2024_FIT["alpha"]
    brute = np.min(KUMAR_2024_FIT["A"] * (n * f) ** -alpha + KUMAR_2024_FIT["B"] * d ** -alpha + KUMAR_2024_FIT["E"])
    assert loss_at_precision(budget, bits, KUMAR_2024_FIT) == pytest.approx(brute, rel=1e-9)


def test_the_best_precision_is_the_same_for_every_budget():
    bits = np.linspace(4, 16, 1201)
    best = [bits[np.argmin(loss_at_precision(c, bits, KUMAR_2024_FIT))] for c in (1e19, 1e22, 1e25)]
    assert max(best) - min(best) <= 0.01


def test_loss_at_precision_needs_the_fit_constants():
    with pytest.raises(ValueError, match="fit needs keys"):
        loss_at_precision(1e21, 8, {"A": 1.0})
