"""Specification of course_utils.powerlaw: power-law fits in log space and the bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

from course_utils.powerlaw import (bootstrap, fit_experiment, fit_log_sum_exp, fit_power_law, fit_saturating_power_law,
                                   huber, huber_derivative, log_r_squared)

# Few bootstrap refits keep the fit-experiment tests fast; the behaviours tested do not depend on it.
FAST = dict(n_bootstrap=12)

X = np.geomspace(1e6, 1e10, 30)


def noisy(y: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    """Multiply by log-normal noise of standard deviation sigma (in log space)."""
    return y * np.exp(sigma * np.random.default_rng(seed).standard_normal(y.shape))


# ------------------------------------------------------------------ fit_power_law


def test_power_law_recovers_exact_parameters():
    """y = 3·x^-0.5 is a straight line in log-log space; OLS must return it exactly."""
    fit = fit_power_law(X, 3.0 * X**-0.5)
    assert fit.A == pytest.approx(3.0, rel=1e-10)
    assert fit.alpha == pytest.approx(0.5, rel=1e-10)
    assert fit.r2 == pytest.approx(1.0)


def test_power_law_halving_example():
    """y halves for every 10x in x, so alpha = log10(2) = 0.30103 and A = y(1) = 2."""
    fit = fit_power_law([1, 10, 100], [2.0, 1.0, 0.5])
    assert fit.alpha == pytest.approx(np.log10(2))
    assert fit.A == pytest.approx(2.0)


def test_power_law_r2_below_one_with_noise():
    fit = fit_power_law(X, noisy(3.0 * X**-0.5, 0.2))
    assert 0.5 < fit.r2 < 1.0


def test_power_law_predict_follows_the_formula():
    fit = fit_power_law(X, 3.0 * X**-0.5)
    assert fit.predict(4e6) == pytest.approx(3.0 * 4e6**-0.5)


def test_power_law_rising_data_gives_negative_alpha():
    """y = x^0.7 grows, so alpha in y = A·x^-alpha is -0.7."""
    assert fit_power_law(X, X**0.7).alpha == pytest.approx(-0.7)


# ------------------------------------------------------------------------ huber


def test_huber_matches_scipy_convention():
    """½r² inside |r| ≤ δ, δ(|r| − ½δ) outside: the same as scipy.special.huber."""
    r = np.linspace(-0.01, 0.01, 41)
    np.testing.assert_allclose(huber(r, 1e-3), scipy.special.huber(1e-3, r))


def test_huber_values_at_and_beyond_delta():
    assert huber(0.5, 1.0) == pytest.approx(0.125)
    assert huber(3.0, 1.0) == pytest.approx(2.5)
    assert huber(-3.0, 1.0) == pytest.approx(2.5)


def test_huber_derivative_is_clipped_residual():
    np.testing.assert_allclose(huber_derivative([-2.0, -0.5, 0.0, 0.5, 2.0], 1.0), [-1, -0.5, 0, 0.5, 1])


def test_huber_rejects_bad_delta():
    with pytest.raises(ValueError, match="delta"):
        huber(1.0, 0.0)


# ------------------------------------------------------- fit_saturating_power_law


TRUE = dict(E=1.7, A=400.0, alpha=0.3)


def saturating(x):
    return TRUE["E"] + TRUE["A"] * x ** -TRUE["alpha"]


@pytest.mark.parametrize("loss", ["huber", "squared"])
def test_saturating_fit_recovers_noiseless_parameters(loss):
    fit = fit_saturating_power_law(X, saturating(X), loss=loss)
    assert fit.E == pytest.approx(TRUE["E"], rel=1e-4)
    assert fit.A == pytest.approx(TRUE["A"], rel=1e-3)
    assert fit.alpha == pytest.approx(TRUE["alpha"], rel=1e-4)
    assert fit.objective < 1e-12


@pytest.mark.parametrize("loss", ["huber", "squared"])
def test_saturating_fit_recovers_parameters_under_1_percent_noise(loss):
    """30 points with 1% log-normal noise pin E to 2% and alpha to 0.02 (seed 0)."""
    fit = fit_saturating_power_law(X, noisy(saturating(X), 0.01), loss=loss)
    assert fit.E == pytest.approx(TRUE["E"], rel=0.02)
    assert fit.alpha == pytest.approx(TRUE["alpha"], abs=0.02)


def test_huber_fit_resists_an_outlier_that_squared_error_follows():
    """One point 50% too high drags the squared-error fit; the Huber fit barely moves."""
    y = saturating(X)
    y[-1] *= 1.5
    robust = fit_saturating_power_law(X, y, loss="huber")
    squared = fit_saturating_power_law(X, y, loss="squared")
    assert abs(robust.E - TRUE["E"]) < 0.01
    assert abs(squared.E - TRUE["E"]) > 5 * abs(robust.E - TRUE["E"])


def test_saturating_fit_predict_follows_the_formula():
    fit = fit_saturating_power_law(X, saturating(X))
    np.testing.assert_allclose(fit.predict(X), saturating(X), rtol=1e-5)


def test_saturating_fit_accepts_explicit_starts():
    fit = fit_saturating_power_law(X, saturating(X), starts=[(1.0, 100.0, 0.5), (2.0, 1000.0, 0.2)])
    assert fit.n_starts == 2
    assert fit.E == pytest.approx(TRUE["E"], rel=1e-4)


@pytest.mark.parametrize("loss", ["huber", "squared"])
def test_saturating_fit_ends_where_no_step_goes_lower(loss):
    """The polish runs until nothing lowers the objective: at the returned optimum, small
    moves of each parameter (relative 1e-7) either way never lower it by more than rounding
    (1e-12 of it). Data: 30 points with 1% noise (seed 0), so the optimum is not zero."""
    y = noisy(saturating(X), 0.01)
    fit = fit_saturating_power_law(X, y, loss=loss)
    log_x, log_y = np.log(X), np.log(y)

    def objective(E, A, alpha):
        r = np.log(E + A * X ** -alpha) - log_y
        return float(np.sum(huber(r, fit.delta) if loss == "huber" else 0.5 * r**2))

    best = objective(fit.E, fit.A, fit.alpha)
    assert best == pytest.approx(fit.objective, rel=1e-9)
    for which in range(3):
        for sign in (-1, 1):
            moved = [fit.E, fit.A, fit.alpha]
            moved[which] *= 1 + sign * 1e-7
            assert objective(*moved) >= best * (1 - 1e-12)


def test_a_fit_from_thousands_of_starts_reaches_the_same_optimum_as_from_one_near_it():
    """fit_log_sum_exp screens many starts in single precision and polishes the best in
    double: from 2,000 scattered starts it finds the optimum that one start next to the
    truth finds, to 1e-10 of the objective (a three-term law, 2% noise, seed 1)."""
    rng = np.random.default_rng(1)
    log_N, log_D = rng.uniform(np.log(1e7), np.log(1e10), 80), rng.uniform(np.log(1e9), np.log(1e12), 80)
    Z = np.stack([log_N - log_N.mean(), log_D - log_D.mean()])
    truth = np.array([np.log(400.0) - 0.34 * log_N.mean(), 0.34, np.log(410.0) - 0.28 * log_D.mean(), 0.28,
                      np.log(1.7)])
    log_y = np.log(np.exp(truth[0] - truth[1] * Z[0]) + np.exp(truth[2] - truth[3] * Z[1]) + np.exp(truth[4]))
    log_y += 0.02 * rng.standard_normal(80)
    scattered = truth + rng.uniform(-3, 3, (2000, 5)) * [1, 0.3, 1, 0.3, 1]
    many = fit_log_sum_exp(Z, log_y, scattered, delta=1e-3)
    near = fit_log_sum_exp(Z, log_y, truth[None, :], delta=1e-3)
    assert many.n_starts == 2000
    assert many.objective == pytest.approx(near.objective, rel=1e-10)


def test_saturating_fit_rejects_unknown_loss():
    with pytest.raises(ValueError, match="loss"):
        fit_saturating_power_law(X, saturating(X), loss="absolute")


# -------------------------------------------------------------------- bootstrap


def test_bootstrap_interval_contains_the_true_exponent():
    """90% interval of alpha from 300 pairs resamples of a noisy power law covers 0.5."""
    result = bootstrap(fit_power_law, X, noisy(3.0 * X**-0.5, 0.05), n=300, seed=0)
    low, high = result.interval("alpha", level=0.9)
    assert low < 0.5 < high
    assert high - low < 0.05
    assert result.samples["alpha"].shape == (300,)


def test_bootstrap_saturating_interval_contains_the_true_floor():
    result = bootstrap(fit_saturating_power_law, X, noisy(saturating(X), 0.01), n=40, seed=1)
    low, high = result.interval("E", level=0.95)
    assert low < TRUE["E"] < high


def test_bootstrap_is_reproducible_for_a_seed_and_varies_across_seeds():
    y = noisy(3.0 * X**-0.5, 0.05)
    first = bootstrap(fit_power_law, X, y, n=50, seed=3).samples["alpha"]
    again = bootstrap(fit_power_law, X, y, n=50, seed=3).samples["alpha"]
    other = bootstrap(fit_power_law, X, y, n=50, seed=4).samples["alpha"]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_bootstrap_wider_level_gives_wider_interval():
    result = bootstrap(fit_power_law, X, noisy(3.0 * X**-0.5, 0.05), n=200)
    low50, high50 = result.interval("alpha", 0.5)
    low95, high95 = result.interval("alpha", 0.95)
    assert low95 < low50 < high50 < high95


def test_bootstrap_predict_band_brackets_the_truth():
    result = bootstrap(fit_power_law, X, noisy(3.0 * X**-0.5, 0.05), n=200)
    x = np.array([1e7, 1e9])
    low, high = result.predict_band(x, level=0.95)
    assert np.all(low < 3.0 * x**-0.5) and np.all(3.0 * x**-0.5 < high)


def test_bootstrap_accepts_a_function_returning_a_dict():
    result = bootstrap(lambda x, y: {"mean": float(np.mean(y))}, X, X, n=20)
    assert set(result.samples) == {"mean"}
    assert result.estimate["mean"] == pytest.approx(X.mean())


def test_bootstrap_fits_each_distinct_resample_once():
    """Four points allow 35 different resamples: 200 draws need at most 35 fits (plus the full one)."""
    calls = []

    def counted(x, y):
        calls.append(1)
        return fit_power_law(x, y)

    x = np.array([1.0, 10.0, 100.0, 1000.0])
    result = bootstrap(counted, x, 2 * x**-0.5, n=200, seed=0)
    assert len(calls) <= 36 and len(result.samples["alpha"]) + result.n_failed == 200


def test_bootstrap_counts_failed_refits():
    """Three points resample to a single distinct x about 1 time in 9; those refits fail."""
    result = bootstrap(fit_power_law, [1.0, 2.0, 4.0], [1.0, 0.5, 0.25], n=200, seed=0)
    assert 0 < result.n_failed < 60
    assert len(result.samples["alpha"]) == 200 - result.n_failed


def test_bootstrap_interval_rejects_unknown_name_and_level():
    result = bootstrap(fit_power_law, X, 3.0 * X**-0.5, n=10)
    with pytest.raises(ValueError, match="name"):
        result.interval("beta")
    with pytest.raises(ValueError, match="level"):
        result.interval("alpha", level=1.5)


# ------------------------------------------------------------------ bad input


FITS = [fit_power_law, fit_saturating_power_law]


@pytest.mark.parametrize("fit", FITS)
@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_fits_reject_non_positive_or_non_finite_x(fit, bad):
    x = X.copy()
    x[3] = bad
    with pytest.raises(ValueError, match=r"\bx\b"):
        fit(x, saturating(X))


@pytest.mark.parametrize("fit", FITS)
@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan])
def test_fits_reject_non_positive_or_nan_y(fit, bad):
    y = saturating(X)
    y[0] = bad
    with pytest.raises(ValueError, match=r"\by\b"):
        fit(X, y)


@pytest.mark.parametrize("fit", FITS)
def test_fits_reject_mismatched_lengths(fit):
    with pytest.raises(ValueError, match="same length"):
        fit(X, saturating(X)[:-1])


@pytest.mark.parametrize("fit, n_params", [(fit_power_law, 2), (fit_saturating_power_law, 3)])
def test_fits_reject_fewer_points_than_parameters(fit, n_params):
    with pytest.raises(ValueError, match="at least"):
        fit(X[: n_params - 1], saturating(X)[: n_params - 1])


@pytest.mark.parametrize("fit", FITS)
def test_fits_reject_text(fit):
    with pytest.raises(ValueError, match=r"\bx\b"):
        fit(["a", "b", "c"], [1.0, 2.0, 3.0])


def test_bootstrap_rejects_mismatched_rows():
    with pytest.raises(ValueError, match="same number of rows"):
        bootstrap(fit_power_law, X, X[:-1])


def test_log_r_squared_is_one_for_a_perfect_fit_and_zero_for_the_mean():
    """1 − SS_res/SS_tot of log y: predicting y exactly gives 1, predicting its geometric mean 0."""
    y = np.array([1.0, 10.0, 100.0])
    assert log_r_squared(y, y) == 1.0
    assert log_r_squared(y, np.full(3, 10.0)) == pytest.approx(0.0, abs=1e-12)


# ------------------------------------------------------- fit_experiment (explorer, lesson 02)


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




# ------------------------------------------------- percentile vs basic intervals


def test_basic_interval_reflects_the_percentiles_about_the_estimate():
    """Basic bootstrap interval (Davison & Hinkley 1997, ch. 5): (2θ̂ − q_hi, 2θ̂ − q_lo)."""
    result = bootstrap(fit_power_law, X, noisy(3.0 * X**-0.5, 0.05), n=200, seed=0)
    low, high = result.interval("alpha", 0.9)
    basic_low, basic_high = result.interval("alpha", 0.9, method="basic")
    estimate = result.estimate["alpha"]
    assert (basic_low, basic_high) == pytest.approx((2 * estimate - high, 2 * estimate - low))


def test_bias_is_the_mean_refit_minus_the_estimate():
    """Efron & Tibshirani 1993, ch. 10: bias ≈ mean of the bootstrap replicates − θ̂."""
    result = bootstrap(fit_power_law, X, noisy(3.0 * X**-0.5, 0.05), n=50, seed=1)
    assert result.bias("alpha") == pytest.approx(result.samples["alpha"].mean() - result.estimate["alpha"])


def test_interval_rejects_an_unknown_method():
    result = bootstrap(fit_power_law, X, 3.0 * X**-0.5, n=5)
    with pytest.raises(ValueError, match="method"):
        result.interval("alpha", method="bca")


def test_saturating_fit_is_centred_on_the_truth_across_fresh_data_sets():
    """Lesson 02's Monte Carlo, smaller: 40 data sets of 16 points on L = 1.69 + 406.4·N^-0.34
    (Hoffmann et al. 2022's printed E, A, α) with 1% log noise. The mean fitted E and α lie
    within 0.02 and 0.012 of the truth (≈ 3.5 standard errors of a 40-set mean: the spread
    across data sets is 0.034 for E and 0.020 for α, measured over 200 sets). The method is
    not biased; a single data set can still be a low draw (issue 13, lesson 02)."""
    N = np.geomspace(1e7, 1e10, 16)
    fits = [fit_saturating_power_law(N, (1.69 + 406.4 * N**-0.34) * np.exp(
        0.01 * np.random.default_rng(1000 + s).standard_normal(N.size))) for s in range(40)]
    assert np.mean([f.E for f in fits]) == pytest.approx(1.69, abs=0.02)
    assert np.mean([f.alpha for f in fits]) == pytest.approx(0.34, abs=0.012)
