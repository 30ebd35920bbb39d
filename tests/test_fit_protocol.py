"""One fit protocol: every fit result has ``params()`` and ``predict()``, so ``bootstrap``
works with every fitter (issue 13: ``bootstrap(fit_exponential_trend, ...)`` used to raise)."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.chinchilla import BESIROGLU_2024, fit_chinchilla, fit_isoflop_profile, synthetic_isoflop_data
from course_utils.powerlaw import bootstrap, fit_power_law, fit_saturating_power_law
from course_utils.trends import fit_exponential_trend

YEARS = np.arange(2010.0, 2024.0)
#: Training compute growing 4× per year with 30% log-normal scatter (seeded).
COMPUTE = 1e20 * 4.0 ** (YEARS - 2010) * np.exp(0.3 * np.random.default_rng(0).standard_normal(YEARS.size))


def _chinchilla_fit(x, y):
    start = [[np.log(BESIROGLU_2024.A), np.log(BESIROGLU_2024.B), np.log(BESIROGLU_2024.E), BESIROGLU_2024.alpha,
              BESIROGLU_2024.beta]]
    return fit_chinchilla(x[:, 0], x[:, 1], y, grid=start)


def _cases():
    N = np.geomspace(1e7, 1e10, 12)
    N_iso = np.geomspace(1e8, 1e10, 7)
    D_C_L = synthetic_isoflop_data(BESIROGLU_2024, n_points=27, budgets=[1e20, 1e21, 1e22], noise=0.01, seed=0)
    return {
        "power law": (fit_power_law, N, 20.0 * N**-0.1),
        "saturating": (fit_saturating_power_law, N, 1.69 + 406.4 * N**-0.34),
        "trend": (fit_exponential_trend, YEARS, COMPUTE),
        "isoflop profile": (fit_isoflop_profile, N_iso, BESIROGLU_2024.isoflop_loss(N_iso, 1e21)),
        "chinchilla": (_chinchilla_fit, np.column_stack(D_C_L[:2]), D_C_L[2]),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_every_fit_result_has_params_and_predict(name):
    fitter, x, y = _cases()[name]
    fit = fitter(x, y)
    assert fit.params() and all(np.isfinite(value) for value in fit.params().values())
    assert np.shape(fit.predict(x[:3])) == (3,)


@pytest.mark.parametrize("name", list(_cases()))
def test_bootstrap_works_with_every_fitter(name):
    fitter, x, y = _cases()[name]
    result = bootstrap(fitter, x, y, n=8, seed=0)
    assert set(result.samples) == set(fitter(x, y).params())
    low, high = result.predict_band(x[:2])
    assert np.all(low <= high)


def test_bootstrap_of_a_compute_trend_agrees_with_its_t_interval():
    """Two ways to an interval on the slope of a trend: resampling the models (pairs
    bootstrap) and the textbook OLS t-interval. On well-behaved data they agree in width
    to within a factor of 1.5 and both hold the fitted slope."""
    fit = fit_exponential_trend(YEARS, COMPUTE)
    low, high = bootstrap(fit_exponential_trend, YEARS, COMPUTE, n=200, seed=0).interval("slope", 0.9)
    t_low, t_high = fit.slope_interval
    assert low < fit.slope < high and t_low < fit.slope < t_high
    assert 1 / 1.5 < (high - low) / (t_high - t_low) < 1.5


def test_power_law_exponent_is_the_log_log_slope():
    """N_opt ∝ C^a read straight off the fit: exponent = −alpha (no more ``-fit.alpha``)."""
    C = np.geomspace(1e19, 1e23, 9)
    fit = fit_power_law(C, BESIROGLU_2024.compute_optimal(C)[0])
    assert fit.exponent == pytest.approx(BESIROGLU_2024.a, abs=1e-9)
    assert fit.exponent == -fit.alpha


def test_saturating_fit_exponent_is_minus_alpha():
    N = np.geomspace(1e7, 1e10, 12)
    fit = fit_saturating_power_law(N, 1.69 + 406.4 * N**-0.34)
    assert fit.exponent == pytest.approx(-0.34, abs=1e-6)
