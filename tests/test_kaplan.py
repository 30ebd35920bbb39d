"""Specification of Kaplan et al. 2020's laws in course_utils.chinchilla (arXiv:2001.08361)."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import literature as lit
from course_utils.chinchilla import (
    kaplan_allocation, kaplan_joint_compute_optimal, kaplan_joint_loss, kaplan_loss_of_compute,
    kaplan_loss_of_params, kaplan_loss_of_tokens,
)
from course_utils.powerlaw import fit_power_law

C_GRID = np.geomspace(1e18, 1e26, 17)


def test_doubling_parameters_multiplies_loss_by_0_9487():
    """Kaplan §1.2: doubling N multiplies L(N) by 2^-0.076 ≈ 0.95 (α_N = 0.076, eq. 1.1)."""
    ratio = kaplan_loss_of_params(2e9) / kaplan_loss_of_params(1e9)
    assert ratio == pytest.approx(0.9487, abs=1e-4)


def test_loss_of_params_is_one_at_the_scale_constant():
    """L(N) = (N_c/N)^α_N equals 1 nat at N = N_c = 8.8e13 (Table 5)."""
    assert kaplan_loss_of_params(8.8e13) == pytest.approx(1.0)


def test_loss_of_tokens_uses_alpha_d_0_095():
    """Eq. 1.2: α_D = 0.095, so 10x data multiplies L(D) by 10^-0.095 ≈ 0.8035."""
    assert kaplan_loss_of_tokens(1e10) / kaplan_loss_of_tokens(1e9) == pytest.approx(10**-0.095)
    assert kaplan_loss_of_tokens(5.4e13) == pytest.approx(1.0)


def test_loss_of_compute_takes_pf_days():
    """Eq. 1.3: L = (3.1e8 / C_min)^0.050 with C_min in PF-days; 1 at C_c, ×10^-0.05 per 10×."""
    assert kaplan_loss_of_compute(3.1e8) == pytest.approx(1.0)
    assert kaplan_loss_of_compute(10.0) / kaplan_loss_of_compute(1.0) == pytest.approx(10**-0.05)


def test_joint_law_reduces_to_a_power_law_in_n_with_unlimited_data():
    """Eq. 1.5 with D → ∞ is (N_c/N)^α_N with Table 2's N_c = 6.4e13 and α_N = 0.076."""
    assert kaplan_joint_loss(1e9, 1e40) == pytest.approx((6.4e13 / 1e9) ** 0.076, rel=1e-9)


def test_joint_law_reduces_to_a_power_law_in_d_with_unlimited_parameters():
    """With N → ∞, eq. 1.5 is (D_c/D)^α_D with Table 2's D_c = 1.8e13 and α_D = 0.103."""
    assert kaplan_joint_loss(1e40, 1e10) == pytest.approx((1.8e13 / 1e10) ** 0.103, rel=1e-6)


def test_allocation_is_1_3e9_params_at_one_pf_day():
    """Table 6: N_opt = 1.3e9 · C_min^0.73 with C_min in PF-days (1 PF-day = 8.64e19 FLOP)."""
    assert kaplan_allocation(8.64e19) == pytest.approx(1.3e9)


def test_allocation_exponent_is_0_73():
    slope = -fit_power_law(C_GRID, kaplan_allocation(C_GRID)).alpha
    assert slope == pytest.approx(0.73, abs=1e-9)


def test_joint_law_optimum_grows_as_c_to_the_0_575():
    """Minimising eq. 1.5 under C = 6ND gives N_opt ∝ C^(α_D/(α_N+α_D)) = C^(0.103/0.179)
    = C^0.575 — nearer Chinchilla's 0.5 than Kaplan's own 0.73."""
    N, _ = kaplan_joint_compute_optimal(C_GRID)
    slope = -fit_power_law(C_GRID, N).alpha
    assert slope == pytest.approx(0.103 / (0.076 + 0.103), abs=1e-4)
    assert slope == pytest.approx(0.575, abs=0.001)


def test_joint_law_optimum_matches_the_closed_form():
    """dL/dN = 0 on L(N, C/6N): N^(1+p) = p·N_c^p·C/(6·D_c), p = α_N/α_D."""
    k = lit.KAPLAN_2020_JOINT
    p = k["alpha_N"] / k["alpha_D"]
    closed_form = (p * k["N_c"] ** p * C_GRID / (6 * k["D_c"])) ** (1 / (1 + p))
    N, D = kaplan_joint_compute_optimal(C_GRID)
    np.testing.assert_allclose(N, closed_form, rtol=1e-6)
    np.testing.assert_allclose(6 * N * D, C_GRID, rtol=1e-12)


def test_joint_law_optimum_beats_neighbouring_splits():
    C = 1e22
    N, D = kaplan_joint_compute_optimal(C)
    for factor in (0.9, 1.1):
        assert kaplan_joint_loss(N, D) < kaplan_joint_loss(N * factor, D / factor)


@pytest.mark.parametrize("function, argument", [
    (kaplan_loss_of_params, "N"), (kaplan_loss_of_tokens, "D"), (kaplan_loss_of_compute, "C_pf_days"),
    (kaplan_allocation, "C_flops"), (kaplan_joint_compute_optimal, "C_flops"),
    (lambda bad: kaplan_joint_loss(bad, 1e10), "N"), (lambda bad: kaplan_joint_loss(1e9, bad), "D"),
])
@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_kaplan_functions_name_the_bad_argument(function, argument, bad):
    with pytest.raises(ValueError, match=rf"^{argument} must"):
        function(bad)
