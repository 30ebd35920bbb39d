"""Specification of course_utils.chinchilla: the Chinchilla law, its frontier and the fits.

Expected numbers come from Hoffmann et al. 2022 (arXiv:2203.15556) and Besiroglu et al.
2024 (arXiv:2404.10102); the derived ones (G, a, tokens per parameter) are recomputed
from the published parameters with eq. 4.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import check_grad, minimize

from course_utils import literature as lit
from course_utils.chinchilla import (
    BESIROGLU_2024, HOFFMANN_2022, HOFFMANN_2022_UNROUNDED, ChinchillaLaw, budget_summary, chinchilla_objective,
    efficient_frontier, fit_chinchilla, fit_isoflop_profile, hoffmann_grid, kaplan_joint_exponent,
    synthetic_isoflop_data,
)
from course_utils.powerlaw import fit_power_law

#: Besiroglu et al.'s extraction of Hoffmann's Figure 4 (third-party data; used when present).
ANCHOR = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "epoch_chinchilla_svg_extracted_data.csv"

#: Gopher's budget as 6·N·D of Chinchilla: 6 × 70e9 × 1.4e12 = 5.88e23 FLOP.
CHINCHILLA_6ND = 6 * lit.CHINCHILLA["params"] * lit.CHINCHILLA["tokens"]

LAWS = [HOFFMANN_2022, HOFFMANN_2022_UNROUNDED, BESIROGLU_2024]


@pytest.fixture(scope="module")
def synthetic():
    """The course's data set: 240 points from Besiroglu et al.'s law, 1% noise, seed 0."""
    return synthetic_isoflop_data(BESIROGLU_2024, noise=0.01, seed=0)


@pytest.fixture(scope="module")
def synthetic_fit(synthetic):
    """fit_chinchilla on the synthetic set, computed once for the module."""
    return fit_chinchilla(*synthetic)


@pytest.fixture(scope="module")
def anchor():
    """Epoch's 245 extracted points minus the 5 highest losses, as in their notebook (cells 3, 14-15)."""
    if not ANCHOR.exists():
        pytest.skip(f"third-party anchor data not present at {ANCHOR}")
    with ANCHOR.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    N = np.array([float(row["Model Size"]) for row in rows])
    C = np.array([float(row["Training FLOP"]) for row in rows])
    L = np.array([float(row["loss"]) for row in rows])
    assert len(rows) == 245
    keep = L < np.sort(L)[-5]
    return N[keep], C[keep] / (6 * N[keep]), L[keep]


# ------------------------------------------------------------------ constants


def test_printed_constants_are_hoffmanns_appendix_d2_values():
    """App. D.2: E = 1.69, A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28."""
    law = HOFFMANN_2022
    assert (law.E, law.A, law.B, law.alpha, law.beta) == (1.69, 406.4, 410.7, 0.34, 0.28)


def test_unrounded_constants_come_from_the_tex_logs():
    """A = exp(6.0073404) = 406.401, B = exp(6.0179186) = 410.723, E = exp(0.5267228) = 1.69337."""
    law = HOFFMANN_2022_UNROUNDED
    assert law.A == pytest.approx(406.401, abs=1e-3)
    assert law.B == pytest.approx(410.723, abs=1e-3)
    assert law.E == pytest.approx(1.69337, abs=1e-5)
    assert (law.alpha, law.beta) == (0.33917084, 0.2849083)


def test_besiroglu_constants_are_one_fit_their_table_1_likelihood_fit():
    """Besiroglu et al. 2024, Table 1 (A 482.01, B 2085.43, E 1.82, α 0.35, β 0.37), to five
    decimals from their notebook's cell 25 (A 482.00572, B 2085.43420, E 1.81686, α 0.34781,
    β 0.36585). E is the likelihood fit's 1.81686, not the grid replication's 1.8172
    (cell 18): issue 13 found the two fits mixed in one constant."""
    law = BESIROGLU_2024
    assert (law.E, law.A, law.B, law.alpha, law.beta) == (1.81686, 482.01, 2085.43, 0.34781, 0.36585)
    assert lit.BESIROGLU_2024_GRID_FIT["E"] == 1.8172 and lit.BESIROGLU_2024_GRID_FIT["A"] == 477.84


# ------------------------------------------------------------------- the law


def test_loss_is_e_plus_two_power_terms():
    """L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. eq. 2) at N = 70e9, D = 1.4e12."""
    law = HOFFMANN_2022
    expected = 1.69 + 406.4 / 70e9**0.34 + 410.7 / 1.4e12**0.28
    assert law.loss(70e9, 1.4e12) == pytest.approx(expected)
    assert law.loss(70e9, 1.4e12) == pytest.approx(1.9367, abs=1e-4)


def test_loss_broadcasts_over_arrays():
    N = np.array([1e8, 1e9, 1e10])
    losses = HOFFMANN_2022.loss(N, 2e10)
    assert losses.shape == (3,)
    assert np.all(np.diff(losses) < 0)


def test_isoflop_loss_spends_the_rest_of_the_budget_on_tokens():
    assert BESIROGLU_2024.isoflop_loss(1e9, 6e21) == pytest.approx(BESIROGLU_2024.loss(1e9, 1e12))


@pytest.mark.parametrize("field", ["E", "A", "B", "alpha", "beta"])
@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_law_rejects_non_positive_parameters(field, bad):
    params = dict(E=1.7, A=400.0, B=400.0, alpha=0.3, beta=0.3)
    params[field] = bad
    with pytest.raises(ValueError, match=field):
        ChinchillaLaw(**params)


# ---------------------------------------------------------- eq. 4 frontier


@pytest.mark.parametrize("law, G, a", [(HOFFMANN_2022, 1.3447, 0.4516), (HOFFMANN_2022_UNROUNDED, 1.3000, 0.4565),
                                       (BESIROGLU_2024, 0.1196, 0.5126)])
def test_frontier_constants_of_eq_4(law, G, a):
    """G = (αA/(βB))^(1/(α+β)), a = β/(α+β), b = 1 − a (Hoffmann et al. eq. 4; FACTS §2.4 [R])."""
    assert law.G == pytest.approx(G, abs=1e-4)
    assert law.a == pytest.approx(a, abs=1e-4)
    assert law.a + law.b == pytest.approx(1.0)


@pytest.mark.parametrize("law, ratio, tolerance", [(HOFFMANN_2022, 92.8, 0.1), (HOFFMANN_2022_UNROUNDED, 59.0, 0.1),
                                                   (BESIROGLU_2024, 18.33, 0.01)])
def test_tokens_per_parameter_at_chinchilla_compute(law, ratio, tolerance):
    """At C = 5.88e23: 92.8 tokens/param with the printed parameters, 59.0 with the TeX
    ones (FACTS §2.4 [R]) and 18.33 with Besiroglu et al.'s likelihood fit at five decimals
    (18.4 with α, β rounded to 0.3478, 0.3658) — rounding alone moves Hoffmann's answer 57%."""
    assert law.tokens_per_parameter(CHINCHILLA_6ND) == pytest.approx(ratio, abs=tolerance)


@pytest.mark.parametrize("law", LAWS, ids=lambda law: law.name)
def test_compute_optimal_spends_exactly_the_budget(law):
    C = np.geomspace(1e18, 1e26, 9)
    N, D = law.compute_optimal(C)
    np.testing.assert_allclose(6 * N * D, C, rtol=1e-12)
    np.testing.assert_allclose(D / N, law.tokens_per_parameter(C), rtol=1e-12)


@pytest.mark.parametrize("law", LAWS, ids=lambda law: law.name)
def test_compute_optimal_minimises_the_isoflop_loss(law):
    """The closed form must beat every other split of the same budget (dense grid in N)."""
    C = 1e22
    N_opt, _ = law.compute_optimal(C)
    grid = N_opt * np.geomspace(0.5, 2.0, 2001)
    best_on_grid = grid[np.argmin(law.isoflop_loss(grid, C))]
    assert best_on_grid == pytest.approx(N_opt, rel=2e-3)


# ------------------------------------------------------------ Table 3


def _printing_tolerance(flops: float, tokens: float) -> float:
    """Relative error that rounding alone can cause in 6ND/C: Table 3 prints FLOPs to
    3 significant figures and tokens to 0.1B (below 1T) or 0.1T."""
    token_unit = 1e9 if tokens < 1e12 else 1e12
    flop_unit = 10 ** np.floor(np.log10(flops)) / 100
    return 0.05 * token_unit / tokens + 0.5 * flop_unit / flops


@pytest.mark.parametrize("params, flops, tokens", [row for row in lit.HOFFMANN_2022_TABLE3 if row[0] != 67e9])
def test_table3_rows_satisfy_c_equals_6nd_up_to_rounding(params, flops, tokens):
    """Hoffmann et al. Table 3: 6·N·D matches the printed FLOPs within 1%, and within what
    the printed precision allows (175B: 6 × 175e9 × 3.7e12 = 3.885e24 vs 3.85e24, because
    3.667T is printed as 3.7T)."""
    ratio = 6 * params * tokens / flops
    assert abs(ratio - 1) < 0.01
    assert abs(ratio - 1) <= _printing_tolerance(flops, tokens)


def test_table3_67b_row_is_inconsistent_beyond_rounding():
    """The 67B row: 6 × 67e9 × 1.5e12 = 6.03e23 is 4.7% above 5.76e23, more than printing 1.43T
    as 1.5T could explain — a number worth questioning in class."""
    params, flops, tokens = next(row for row in lit.HOFFMANN_2022_TABLE3 if row[0] == 67e9)
    ratio = 6 * params * tokens / flops
    assert ratio == pytest.approx(1.047, abs=0.001)
    assert ratio - 1 > _printing_tolerance(flops, tokens)


def test_table3_parameters_grow_as_the_square_root_of_compute():
    """OLS slope of log N on log C over Table 3 is 0.498: Approach 1's a ≈ 0.50 (Table 2)."""
    params, flops, _ = np.array(lit.HOFFMANN_2022_TABLE3).T
    slope = -fit_power_law(flops, params).alpha
    assert slope == pytest.approx(0.498, abs=0.001)


def test_table3_is_about_20_tokens_per_parameter():
    params, _, tokens = np.array(lit.HOFFMANN_2022_TABLE3).T
    assert np.all((tokens / params > 19.9) & (tokens / params < 22.5))


# ------------------------------------------------------- Approach 3 objective


def test_objective_gradient_matches_finite_differences(synthetic):
    def value(p):
        return chinchilla_objective(p, *synthetic)[0]

    def grad(p):
        return chinchilla_objective(p, *synthetic)[1]

    p = np.array([6.0, 7.0, 0.5, 0.33, 0.35])
    assert check_grad(value, grad, p, epsilon=1e-7) < 1e-6 * np.linalg.norm(grad(p)) + 1e-9


def test_mean_objective_is_sum_over_n(synthetic):
    p = [6.0, 7.0, 0.5, 0.33, 0.35]
    total, _ = chinchilla_objective(p, *synthetic, reduction="sum")
    mean, _ = chinchilla_objective(p, *synthetic, reduction="mean")
    assert mean == pytest.approx(total / 240)


def test_hoffmann_grid_has_4500_starts():
    """α, β ∈ {0,…,2} (5 each), e ∈ {−1,…,1} (5), a, b ∈ {0,…,25} (6 each): 4,500 (App. D.2)."""
    grid = hoffmann_grid()
    assert grid.shape == (4500, 5)
    assert len(np.unique(grid, axis=0)) == 4500


def test_summed_huber_converges_where_averaged_huber_stops_early(synthetic, synthetic_fit):
    """Besiroglu et al. 2024: Hoffmann's fit "stopped before convergence due to a poor choice
    of loss scale". From the TeX start, BFGS on the mean objective stops with the exponents
    still near the start (beta ≈ 0.285), while the sum reaches the optimum."""
    start = [lit.HOFFMANN_2022_UNROUNDED_LOGS[k] for k in "abe"] + list(lit.HOFFMANN_2022_UNROUNDED_EXPONENTS.values())
    by_sum = minimize(chinchilla_objective, start, args=(*synthetic, 1e-3, "sum"), jac=True, method="BFGS")
    by_mean = minimize(chinchilla_objective, start, args=(*synthetic, 1e-3, "mean"), jac=True, method="BFGS")
    optimum = synthetic_fit.law
    assert by_mean.x[4] == pytest.approx(0.2849, abs=0.005)
    assert by_sum.x[4] == pytest.approx(optimum.beta, abs=1e-3)
    assert by_mean.fun * 240 > 1.2 * by_sum.fun  # the early stop leaves a clearly worse fit


# ----------------------------------------------------------------- fitting


def test_fit_recovers_a_noiseless_law_exactly():
    law = BESIROGLU_2024
    fit = fit_chinchilla(*synthetic_isoflop_data(law, noise=0.0))
    for name in ("E", "A", "B", "alpha", "beta"):
        assert getattr(fit.law, name) == pytest.approx(getattr(law, name), rel=1e-4), name
    assert fit.n_starts == 4500


def test_fit_recovers_the_law_from_one_percent_noise(synthetic_fit):
    """240 points, 9 budgets, 1% noise (seed 0): E within 0.06, α and β within 0.03,
    the allocation exponent a within 0.02 of Besiroglu et al.'s law. At this noise
    level E and α trade off against each other, which is why the tolerance is loose."""
    law = synthetic_fit.law
    assert law.E == pytest.approx(BESIROGLU_2024.E, abs=0.06)
    assert law.alpha == pytest.approx(BESIROGLU_2024.alpha, abs=0.03)
    assert law.beta == pytest.approx(BESIROGLU_2024.beta, abs=0.03)
    assert law.a == pytest.approx(BESIROGLU_2024.a, abs=0.02)


def test_fit_recovers_the_law_tightly_from_tenth_percent_noise():
    law = fit_chinchilla(*synthetic_isoflop_data(BESIROGLU_2024, noise=0.001, seed=0)).law
    assert law.E == pytest.approx(BESIROGLU_2024.E, abs=0.005)
    assert law.alpha == pytest.approx(BESIROGLU_2024.alpha, abs=0.003)
    assert law.beta == pytest.approx(BESIROGLU_2024.beta, abs=0.003)


def test_fit_is_at_least_as_good_as_lbfgs_from_sampled_grid_starts(synthetic, synthetic_fit):
    """Hoffmann's procedure runs L-BFGS from each grid start; no sampled start may beat us."""
    fit = synthetic_fit
    starts = hoffmann_grid()[np.random.default_rng(0).choice(4500, size=12, replace=False)]
    loop_best = min(minimize(chinchilla_objective, x0, args=synthetic, jac=True, method="L-BFGS-B").fun
                    for x0 in starts)
    assert fit.objective <= loop_best * (1 + 1e-6)


def test_fit_is_deterministic(synthetic, synthetic_fit):
    assert fit_chinchilla(*synthetic) == synthetic_fit


def test_fit_mean_reduction_reports_the_mean_and_finds_the_same_law(synthetic, synthetic_fit):
    by_sum = synthetic_fit
    by_mean = fit_chinchilla(*synthetic, reduction="mean")
    assert by_mean.objective == pytest.approx(by_sum.objective / 240)
    assert by_mean.law.beta == pytest.approx(by_sum.law.beta, rel=1e-6)


def test_fit_accepts_a_custom_grid(synthetic, synthetic_fit):
    as_mapping = fit_chinchilla(*synthetic, grid=dict(a=[5.0], b=[5.0, 10.0], e=[0.5], alpha=[0.5], beta=[0.5]))
    as_array = fit_chinchilla(*synthetic, grid=[[6.0, 7.0, 0.5, 0.3, 0.3]])
    assert as_mapping.n_starts == 2 and as_array.n_starts == 1
    assert as_array.law.beta == pytest.approx(synthetic_fit.law.beta, rel=1e-5)


def test_fit_params_lists_the_five_parameters(synthetic_fit):
    assert set(synthetic_fit.params()) == {"E", "A", "B", "alpha", "beta"}


def test_anchor_replication_of_besiroglu_grid_fit(anchor):
    """Besiroglu et al. 2024, notebook cell 18 (Hoffmann's procedure, summed Huber):
    E = 1.8172, A = 477.84, B = 2143.86, α = 0.34731, β = 0.36718 on 240 points;
    independent reproduction (FACTS §3.4): objective 0.0010182740."""
    fit = fit_chinchilla(*anchor)
    law = fit.law
    assert fit.n_points == 240
    assert law.E == pytest.approx(1.8172, abs=0.001)
    assert law.A == pytest.approx(478, rel=0.02)
    assert law.B == pytest.approx(2143, rel=0.03)
    assert law.alpha == pytest.approx(0.3473, abs=0.001)
    assert law.beta == pytest.approx(0.3672, abs=0.001)
    assert fit.objective == pytest.approx(0.0010183, rel=1e-4)


def test_anchor_averaged_huber_stops_near_hoffmanns_values(anchor):
    """On the extracted data, BFGS from the TeX start stops at beta = 0.285 with the mean
    (Hoffmann's 0.2849) and reaches 0.367 with the sum (Besiroglu et al. 2024)."""
    start = [lit.HOFFMANN_2022_UNROUNDED_LOGS[k] for k in "abe"] + list(lit.HOFFMANN_2022_UNROUNDED_EXPONENTS.values())
    by_mean = minimize(chinchilla_objective, start, args=(*anchor, 1e-3, "mean"), jac=True, method="BFGS")
    by_sum = minimize(chinchilla_objective, start, args=(*anchor, 1e-3, "sum"), jac=True, method="BFGS")
    assert by_mean.x[4] == pytest.approx(0.285, abs=0.002)
    assert by_sum.x[4] == pytest.approx(0.3672, abs=0.001)


# ---------------------------------------------------- Approaches 1 and 2


def test_isoflop_profile_finds_the_vertex_of_an_exact_parabola():
    N = np.geomspace(1e8, 1e10, 7)
    x = np.log(N)
    L = 2.5 + 0.1 * (x - np.log(1e9)) ** 2
    profile = fit_isoflop_profile(N, L)
    assert profile.N_opt == pytest.approx(1e9, rel=1e-8)
    assert profile.L_min == pytest.approx(2.5)
    assert profile.predict(1e9) == pytest.approx(2.5)


def test_isoflop_profile_locates_the_laws_optimum():
    """Noiseless profile of Besiroglu's law at 1e21 FLOP: the parabola's minimum lies within
    1% of eq. 4's N_opt (a parabola in log N only approximates the profile: 0.4% off here)."""
    law, C = BESIROGLU_2024, 1e21
    N_opt, _ = law.compute_optimal(C)
    N = N_opt * np.geomspace(1 / 4, 4, 15)
    assert fit_isoflop_profile(N, law.isoflop_loss(N, C)).N_opt == pytest.approx(N_opt, rel=0.01)


def test_isoflop_profiles_give_approach_2_exponent(synthetic):
    """Parabola minima over the 9 budgets of the synthetic set scale as C^a with a within
    0.03 of the true law's a = 0.513 (0.533 on this set)."""
    N, D, L = synthetic
    C = 6 * N * D
    _, budget = np.unique(np.round(np.log10(C), 6), return_inverse=True)
    budgets = [C[budget == k][0] for k in range(budget.max() + 1)]
    optima = [fit_isoflop_profile(N[budget == k], L[budget == k]).N_opt for k in range(budget.max() + 1)]
    assert len(budgets) == 9
    assert -fit_power_law(budgets, optima).alpha == pytest.approx(BESIROGLU_2024.a, abs=0.03)


def test_isoflop_profile_rejects_a_profile_without_minimum():
    N = np.geomspace(1e8, 1e10, 5)
    with pytest.raises(ValueError, match="no minimum"):
        fit_isoflop_profile(N, 3.0 - 0.01 * (np.log(N) - np.log(1e9)) ** 2)


def test_efficient_frontier_keeps_points_better_than_all_cheaper_ones():
    C = [1, 2, 2, 3, 4, 5]
    L = [5.0, 4.0, 4.5, 4.2, 3.0, 3.0]
    np.testing.assert_array_equal(efficient_frontier(C, L), [True, True, False, False, True, False])


def test_efficient_frontier_ignores_input_order():
    C = np.array([4, 1, 3, 2])
    L = np.array([3.0, 5.0, 4.2, 4.0])
    np.testing.assert_array_equal(efficient_frontier(C, L), [True, True, False, True])


def test_efficient_frontier_of_synthetic_data_is_decreasing(synthetic):
    N, D, L = synthetic
    C = 6 * N * D
    mask = efficient_frontier(C, L)
    order = np.argsort(C[mask])
    assert 3 <= mask.sum() < len(L)
    assert np.all(np.diff(L[mask][order]) < 0)


# --------------------------------------------------------------- synthetic data


def test_synthetic_data_follows_hoffmanns_design():
    """240 runs on 9 budgets from 6e18 to 3e21 FLOP (Hoffmann et al. §3.2), 26-27 per budget."""
    N, D, L = synthetic_isoflop_data(noise=0.0)
    C = 6 * N * D
    budgets, counts = np.unique(np.round(C / 1e18, 6), return_counts=True)
    assert len(N) == 240
    np.testing.assert_allclose(budgets[[0, -1]] * 1e18, [6e18, 3e21])
    assert len(budgets) == 9 and set(counts) == {26, 27}
    np.testing.assert_allclose(L, BESIROGLU_2024.loss(N, D))


def test_synthetic_noise_has_the_requested_scale():
    N, D, L = synthetic_isoflop_data(noise=0.01, seed=1)
    assert np.std(np.log(L / BESIROGLU_2024.loss(N, D))) == pytest.approx(0.01, rel=0.15)


# ------------------------------------------------------------------ bad input


GOOD = dict(N=[1e8, 2e8, 4e8, 8e8, 1.6e9, 3.2e9], D=[1e10] * 6, L=[3.0, 2.9, 2.8, 2.7, 2.65, 2.6])


@pytest.mark.parametrize("argument", ["N", "D", "L"])
@pytest.mark.parametrize("bad", [0.0, -5.0, np.nan])
def test_fit_chinchilla_names_the_bad_argument(argument, bad):
    data = {k: np.array(v, dtype=float) for k, v in GOOD.items()}
    data[argument][2] = bad
    with pytest.raises(ValueError, match=rf"^{argument} must"):
        fit_chinchilla(**data)


def test_fit_chinchilla_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="same length"):
        fit_chinchilla(GOOD["N"], GOOD["D"][:-1], GOOD["L"])


def test_fit_chinchilla_rejects_too_few_points():
    with pytest.raises(ValueError, match="at least 5"):
        fit_chinchilla(GOOD["N"][:4], GOOD["D"][:4], GOOD["L"][:4])


@pytest.mark.parametrize("kwargs, word", [(dict(delta=0.0), "delta"), (dict(reduction="median"), "reduction"),
                                          (dict(grid="random"), "grid"), (dict(grid=[[1.0, 2.0]]), "grid")])
def test_fit_chinchilla_rejects_bad_options(kwargs, word):
    with pytest.raises(ValueError, match=word):
        fit_chinchilla(**GOOD, **kwargs)


@pytest.mark.parametrize("call, argument", [
    (lambda bad: HOFFMANN_2022.loss(bad, 1e10), "N"),
    (lambda bad: HOFFMANN_2022.loss(1e9, bad), "D"),
    (lambda bad: HOFFMANN_2022.compute_optimal(bad), "C"),
    (lambda bad: HOFFMANN_2022.tokens_per_parameter(bad), "C"),
    (lambda bad: HOFFMANN_2022.isoflop_loss(1e9, bad), "C"),
    (lambda bad: fit_isoflop_profile([1e8, 1e9, bad], [3.0, 2.9, 3.0]), "N"),
    (lambda bad: efficient_frontier([1.0, 2.0], [3.0, bad]), "L"),
])
@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_law_and_approaches_name_the_bad_argument(call, argument, bad):
    with pytest.raises(ValueError, match=rf"^{argument} must"):
        call(bad)


def test_bootstrap_refits_chinchilla_on_resampled_runs(synthetic, synthetic_fit):
    """Pairs bootstrap as in Besiroglu et al. 2024 (cell 21), with N and D as two columns and
    each refit started from the full-data optimum to keep it fast."""
    from course_utils.powerlaw import bootstrap

    N, D, L = synthetic
    best = synthetic_fit.law
    start = [[np.log(best.A), np.log(best.B), np.log(best.E), best.alpha, best.beta]]
    result = bootstrap(lambda x, y: fit_chinchilla(x[:, 0], x[:, 1], y, grid=start),
                       np.column_stack([N, D]), L, n=10, seed=0)
    assert result.samples["beta"].shape == (10,)
    assert np.std(result.samples["beta"]) > 0
    low, high = result.interval("beta", level=0.9)
    assert low < best.beta < high


# ------------------------------------------------------- budget_summary (explorer, lesson 04)


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


def test_budget_summary_rejects_a_law_that_is_not_a_chinchilla_law():
    with pytest.raises(ValueError, match="law must be"):
        budget_summary(1e21, "Kaplan")




@pytest.mark.parametrize("share", [0.5, 0.25, 0.125])
def test_smaller_models_end_at_a_higher_loss_for_the_same_compute(share):
    """The capstone's candidates: N = share · N_opt trained on C/(6N) tokens reaches a higher
    loss than the compute-optimal model at the same C (lesson 07 used to say smaller models
    'lose a little loss', issue 13). Besiroglu et al.'s law at the capstone's 2.1e24 FLOP."""
    C = 2.1e24
    N_opt, _ = BESIROGLU_2024.compute_optimal(C)
    assert BESIROGLU_2024.isoflop_loss(share * N_opt, C) > BESIROGLU_2024.isoflop_loss(N_opt, C)
