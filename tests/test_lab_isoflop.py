"""Approaches 1 and 2 on a sweep of budgets (course_utils.chinchilla): near-ties grouped into
budgets, one frontier run per budget, IsoFLOP minima and N_opt ∝ C^a with bootstrap intervals.

The synthetic sweeps are drawn from Besiroglu et al.'s refit (a = 0.513 = β/(α+β), Table 1),
so the right answers are known.
"""

import numpy as np
import pytest

from course_utils.chinchilla import (BESIROGLU_2024, budget_frontier, compute_budgets, efficient_frontier,
                                     fit_isoflop_scaling)


def _isoflop_sweep(noise=0.003, seeds=2, budgets=np.geomspace(1e18, 1e21, 6), sizes=5, seed=0):
    """Each budget: `sizes` model sizes from N_opt/4 to 4·N_opt, each with `seeds` noisy runs."""
    law = BESIROGLU_2024
    n_opt, _ = law.compute_optimal(budgets)
    N = np.concatenate([np.geomspace(n / 4, n * 4, sizes) for n in n_opt])
    C = np.repeat(budgets, sizes)
    N, C = np.repeat(N, seeds), np.repeat(C, seeds)
    D = C / (6 * N)
    L = law.loss(N, D) * np.exp(noise * np.random.default_rng(seed).standard_normal(N.size))
    return N, D, L


def test_runs_within_the_tolerance_share_a_budget():
    C = np.array([1.000e12, 0.998e12, 2.0e12, 1.003e12, 4.1e12, 3.99e12])
    np.testing.assert_array_equal(compute_budgets(C, rtol=0.05), [0, 0, 1, 0, 2, 2])


def test_near_ties_give_one_frontier_point_per_budget():
    """Two budgets whose best run is a hair dearer than a worse one (2.0 before 1.9 at 1e12,
    1.85 before 1.8 at 2e12). The exact frontier counts all four; the budget frontier keeps
    the best of each budget."""
    C = np.array([0.999e12, 1.000e12, 1.001e12, 2.0e12, 1.999e12])
    L = np.array([2.0, 1.9, 2.1, 1.8, 1.85])
    assert efficient_frontier(C, L).sum() == 4
    np.testing.assert_array_equal(budget_frontier(C, L), [False, True, False, True, False])


def test_isoflop_scaling_recovers_the_allocation_exponent_with_an_interval_that_holds_it():
    """Six budgets × five sizes × two seeds with 0.3 % noise: a within 0.02 of 0.513, and the
    90 % interval contains it; b = 1 − a because D_opt = C/(6 N_opt)."""
    N, D, L = _isoflop_sweep()
    result = fit_isoflop_scaling(N, D, L, n_boot=300)
    low, high = result.interval("a")
    assert result.a == pytest.approx(BESIROGLU_2024.a, abs=0.02)
    assert low <= BESIROGLU_2024.a <= high
    assert result.b == pytest.approx(1 - result.a, abs=1e-9)
    assert len(result.budgets) == 6 and not result.dropped


def test_isoflop_scaling_predicts_the_optimum_at_a_larger_budget():
    """The fitted N_opt(C) at 1e22 FLOP, ten times past the largest budget, is within 10 % of the law's."""
    N, D, L = _isoflop_sweep()
    result = fit_isoflop_scaling(N, D, L, n_boot=0)
    truth = BESIROGLU_2024.compute_optimal(1e22)[0]
    assert result.N_opt_at(1e22) == pytest.approx(truth, rel=0.10)
    assert result.D_opt_at(1e22) == pytest.approx(1e22 / (6 * result.N_opt_at(1e22)))


def test_a_budget_whose_minimum_lies_outside_its_sizes_is_dropped():
    """Shift one budget's sizes far above its optimum: its parabola's minimum is an
    extrapolation, so the budget is reported in `dropped` and not used."""
    N, D, L = _isoflop_sweep(seeds=1)
    C = 6 * N * D
    top = np.isclose(C, C.max())
    N2 = np.where(top, N * 30, N)
    D2 = C / (6 * N2)
    L2 = np.where(top, BESIROGLU_2024.loss(N2, D2), L)
    result = fit_isoflop_scaling(N2, D2, L2, n_boot=0)
    assert len(result.dropped) == 1 and result.dropped[0] == pytest.approx(C.max(), rel=1e-6)
    assert len(result.budgets) == 5


def test_fewer_than_two_usable_budgets_is_an_error():
    N, D, L = _isoflop_sweep(budgets=np.array([1e19]))
    with pytest.raises(ValueError, match="two budgets"):
        fit_isoflop_scaling(N, D, L)
