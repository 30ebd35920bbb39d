"""Hidden tests for ex02_power_laws: the public tests' behaviours on data of each student's
own (drawn with ``student_seed``, from SHA-256 of the student's folder name), so a table of
the public cases' answers earns nothing here.

Expected values are the truth of a law drawn here (noise-free data), the same estimator
computed here (least squares on logarithms), or a bootstrap run here with many resamples.
"""

import numpy as np

from course_utils.grading import exercise
from course_utils.grading.compare import assert_close, numbers
from course_utils.grading.plugin import student_rng


@exercise("fit_power_law", points=2, hidden=True,
          hint="Fit a line to (log x, log y): the slope is -alpha, the intercept is log A.")
def test_power_law_fit_on_your_own_noisy_data(student, student_seed):
    """y = A x^-alpha with A in 0.1-100, alpha in 0.05-1.5, 10-50 points in random order over
    2-6 decades, 5% log-normal scatter. Expected: the least-squares line through (ln x, ln y),
    computed here with numpy.polyfit (rel 1e-6: rounding only)."""
    rng = student_rng(student_seed, "fit_power_law")
    n = int(rng.integers(10, 51))
    x = rng.permutation(np.geomspace(10 ** rng.uniform(0, 3), 10 ** rng.uniform(5, 9), n))
    y = 10 ** rng.uniform(-1, 2) * x ** -rng.uniform(0.05, 1.5) * rng.lognormal(0.0, 0.05, n)
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    assert_close(student.fit_power_law(x, y), (np.exp(intercept), -slope), rtol=1e-6, names=("A", "alpha"))


@exercise("huber_loss", points=1, hidden=True,
          hint="0.5 * r**2 where |r| <= delta, delta * (|r| - 0.5 * delta) elsewhere, one value per residual.")
def test_huber_loss_of_your_own_residuals(student, student_seed):
    """5-30 residuals spread over both regimes (normal, SD 2·delta) with delta in 1e-3-1."""
    rng = student_rng(student_seed, "huber_loss")
    delta = 10 ** rng.uniform(-3, 0)
    r = rng.normal(0.0, 2 * delta, int(rng.integers(5, 31)))
    expected = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
    assert_close(student.huber_loss(r, delta), expected, rtol=1e-12)


@exercise("fit_saturating_power_law", points=2, hidden=True,
          hint="Work in log space and try several starting points; keep the fit with the lowest objective.")
def test_saturating_fit_recovers_your_own_law(student, student_seed):
    """Noise-free y = E + A x^-alpha on 30-50 log-spaced x over 3-4 decades from 1e6-1e7,
    with E in 1-3, alpha in 0.25-0.5 and A such that the reducible part is 0.5-3 times E at
    the smallest x (so the curve bends inside the data, as a loss curve does). Over 500 seeds
    the reference fit's largest relative error was 0.0008%, and 0.02% with BFGS's own
    finite-difference gradient (measured); tolerance 2%."""
    rng = student_rng(student_seed, "fit_saturating_power_law")
    E, alpha, share = rng.uniform(1.0, 3.0), rng.uniform(0.25, 0.5), rng.uniform(0.5, 3.0)
    x = np.geomspace(1.0, 10 ** rng.uniform(3, 4), int(rng.integers(30, 51))) * 10 ** rng.uniform(6, 7)
    A = share * E * x[0] ** alpha
    got = student.fit_saturating_power_law(x, E + A * x**-alpha)
    assert_close(got, (E, A, alpha), rtol=0.02, names=("E", "A", "alpha"))


def _bootstrap(x, y, n_resamples, level, rng):
    """Percentile interval of the least-squares exponent over resamples of the points."""
    idx = rng.integers(0, x.size, (n_resamples, x.size))
    log_x, log_y = np.log(x)[idx], np.log(y)[idx]
    dx = log_x - log_x.mean(axis=1, keepdims=True)
    alphas = -(dx * (log_y - log_y.mean(axis=1, keepdims=True))).sum(axis=1) / (dx**2).sum(axis=1)
    tail = 50 * (1 - level)
    return np.percentile(alphas, [tail, 100 - tail])


@exercise("bootstrap_interval", points=2, hidden=True,
          hint="Resample indices with replacement, refit alpha each time, take the two percentiles.")
def test_bootstrap_interval_of_your_own_data(student, student_seed):
    """y = 3 x^-alpha, alpha in 0.1-1, 20-60 points, 10% scatter; 1000 resamples at a level
    of 80-95%. Expected: the percentile interval of 20,000 resamples drawn here. Each end may
    differ by 25% of the half-width: the resampling noise of an end with 1000 resamples is
    about 4.5% of the half-width (binomial error of a quantile, computed for a normal
    spread), so 25% is over 5 SD."""
    rng = student_rng(student_seed, "bootstrap_interval")
    n, level = int(rng.integers(20, 61)), float(rng.choice([0.8, 0.9, 0.95]))
    x = np.geomspace(1.0, 1e4, n)
    y = 3.0 * x ** -rng.uniform(0.1, 1.0) * rng.lognormal(0.0, 0.1, n)
    expected = _bootstrap(x, y, 20_000, level, rng)
    low, high = numbers(student.bootstrap_interval(x, y, 1000, level, int(rng.integers(0, 2**31))), 2,
                        names=("low", "high"))
    half_width = (expected[1] - expected[0]) / 2
    assert_close((low, high), tuple(expected), atol=0.25 * half_width, names=("low", "high"))
