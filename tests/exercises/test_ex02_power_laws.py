"""Tests for solutions/ex02_power_laws.ipynb: power-law fits, Huber loss, bootstrap.

Data are synthetic draws from known laws with fixed seeds, generated in each test, so the
truth is known. Tolerances for noisy fits are stated with the spread they cover.
"""

import numpy as np

from course_utils.grading import exercise
from course_utils.grading.compare import array, assert_close, number, numbers, rejects

#: points of the hidden tests in tests/hidden/test_ex02_power_laws.py, which run when an instructor grades
#: (check_all() tells learners; tests/test_grading_honesty.py checks the sum)
HIDDEN_POINTS = 7

BLOCKED = [
    "course_utils.powerlaw.fit_power_law",
    "course_utils.powerlaw.fit_saturating_power_law",
    "course_utils.powerlaw.bootstrap",
    "course_utils.powerlaw.huber",
    "course_utils.powerlaw._huber",
    "course_utils.powerlaw.fit_log_sum_exp",
    "course_utils.powerlaw.lse_objective",
    "course_utils.chinchilla.huber",
    # other course code that fits these laws
    "course_utils.trends.fit_exponential_trend",  # a line through (x, ln y): on ln x, a power law
    "course_utils.chinchilla.fit_chinchilla",  # E + A/N^alpha + B/D^beta with D fixed: a saturating law
    "course_utils.chinchilla.chinchilla_objective",
    "course_utils.powerlaw._BatchedLevenbergMarquardt",  # the fitting engine behind fit_log_sum_exp
]

# The saturating law used below: the parameter-size part of Hoffmann et al. 2022's printed
# fit, L = 1.69 + 406.4 N^-0.34 (App. D.2), on 40 log-spaced N from 1e7 to 1e11.
E_TRUE, A_TRUE, ALPHA_TRUE = 1.69, 406.4, 0.34
X_SAT = np.geomspace(1e7, 1e11, 40)


def _noisy_power_law(n, seed, sigma=0.1):
    """y = 3 x^-0.3 with log-normal scatter sigma at n log-spaced x in [1, 1e4]."""
    rng = np.random.default_rng(seed)
    x = np.geomspace(1.0, 1e4, n)
    return x, 3.0 * x**-0.3 * rng.lognormal(0.0, sigma, n)


# ------------------------------------------------------------------ fit_power_law


@exercise("fit_power_law", points=1,
          hint="A power law is a straight line on log-log axes: its slope and intercept give the exponent and the "
               "scale (section 1; lesson 02, 'Straight lines on log-log axes').")
def test_power_law_fit_recovers_noiseless_parameters(student):
    """Exact data y = 5 x^-0.076 (Kaplan et al. 2020's alpha_N as the exponent): both
    parameters come back to floating-point accuracy (rel 1e-6)."""
    x = np.geomspace(1e3, 1e9, 25)
    assert_close(student.fit_power_law(x, 5.0 * x**-0.076), (5.0, 0.076), rtol=1e-6, names=("A", "alpha"))


@exercise("fit_power_law", points=1,
          hint="In the docstring's law a falling curve has a positive alpha: mind the minus sign between the slope "
               "and alpha (section 1; lesson 02, 'Straight lines on log-log axes').",
          hints={"wrong sign": "The docstring's law carries a minus sign in front of alpha: compare it with the "
                               "slope of your line (section 1)."})
def test_power_law_exponent_is_positive_for_a_decreasing_law(student):
    x = np.array([1.0, 10.0, 100.0])
    _A, alpha = numbers(student.fit_power_law(x, 2.0 / np.sqrt(x)), 2, names=("A", "alpha"))
    assert_close(alpha, 0.5, rtol=1e-6, what="alpha")


@exercise("fit_power_law", points=1,
          hint="Least squares where the law is a line, on the logarithms, so that relative noise weighs alike at "
               "every scale (section 1; lesson 02, 'Least squares in log space').")
def test_power_law_fit_on_noisy_data(student):
    """y = 3 x^-0.3, 30 points, 10% log-normal scatter (seed 0). The exponent's standard
    error is 0.1 / (sd(ln x)·sqrt(30)) ≈ 0.0069 (computed here); tolerance 0.02 ≈ 3 SE."""
    x, y = _noisy_power_law(30, seed=0)
    _A, alpha = numbers(student.fit_power_law(x, y), 2, names=("A", "alpha"))
    assert_close(alpha, 0.3, atol=0.02, what="alpha")


@exercise("fit_power_law", points=1, requires_value=True,
          hint="Logarithms need positive values: the docstring asks you to refuse the others before fitting "
               "(section 1).")
def test_power_law_fit_rejects_non_positive_values(student):
    with rejects(ValueError, "fit_power_law", "a negative y"):
        student.fit_power_law([1.0, 2.0, 3.0], [1.0, -1.0, 0.5])


@exercise("fit_power_law", points=1,
          hint="The docstring's alpha keeps its sign: a rising law has a negative one (section 1; lesson 02, "
               "'Straight lines on log-log axes').",
          hints={"wrong sign": "An absolute value loses the sign a rising law needs: alpha is the negated slope, "
                               "whatever its sign (section 1)."})
def test_power_law_exponent_is_negative_for_an_increasing_law(student):
    """y = 2·x^0.5 rises: slope +0.5, so alpha = -0.5 (the docstring's y = A·x^(-alpha));
    a function returning abs(slope) gives +0.5."""
    x = np.array([1.0, 4.0, 16.0, 64.0])
    _A, alpha = numbers(student.fit_power_law(x, 2.0 * np.sqrt(x)), 2, names=("A", "alpha"))
    assert_close(alpha, -0.5, rtol=1e-6, what="alpha")


@exercise("fit_power_law", points=1, requires_value=True,
          hint="Each x needs its y: the docstring asks you to refuse arrays of different lengths (section 1).")
def test_power_law_fit_rejects_arrays_of_different_lengths(student):
    """Without the check numpy.polyfit raises TypeError instead."""
    with rejects(ValueError, "fit_power_law", "3 x values and 2 y values"):
        student.fit_power_law([1.0, 2.0, 3.0], [1.0, 2.0])


# ------------------------------------------------------------------ huber_loss


@exercise("huber_loss", points=1, hint="Near zero the Huber loss is the squared loss, halved (section 2; lesson 02, "
                                       "'Robust fits: the Huber loss').")
def test_huber_is_quadratic_for_small_residuals(student):
    assert_close(student.huber_loss(np.array([0.0, 5e-4, -1e-3]), 1e-3), [0.0, 1.25e-7, 5e-7], rtol=1e-12)


@exercise("huber_loss", points=1, hint="Beyond delta the Huber loss grows linearly, joined smoothly to the "
                                       "quadratic part at delta (section 2; lesson 02, 'Robust fits: the Huber "
                                       "loss').")
def test_huber_is_linear_for_large_residuals(student):
    """delta = 1: h(3) = 1·(3 − 0.5) = 2.5 and h(−2) = 1.5 (the definition, by hand)."""
    assert_close(student.huber_loss(np.array([3.0, -2.0]), 1.0), [2.5, 1.5], rtol=1e-12)


@exercise("huber_loss", points=1, hint="One loss for each residual: the fit sums them later (section 2).")
def test_huber_returns_one_value_per_residual(student):
    """Seven residuals -1, -2/3, ..., 1 with delta 0.5: seven losses, by the definition
    (0.5·r² inside, 0.5·(|r| − 0.25) outside; computed here), not their sum."""
    r = np.linspace(-1.0, 1.0, 7)
    expected = np.where(np.abs(r) <= 0.5, 0.5 * r**2, 0.5 * (np.abs(r) - 0.25))
    assert_close(student.huber_loss(r, 0.5), expected, rtol=1e-12)


@exercise("huber_loss", points=1,
          hint="Elementwise NumPy operations keep an array's shape; flattening into a list does not (section 2).")
def test_huber_keeps_the_shape_of_the_residuals(student):
    """A 2×2 array of residuals with delta = 1 gives a 2×2 array of losses (the docstring:
    "same shape as residuals"): 0.125, 2.5, 5e-7 and 2.0 by the definition, computed here."""
    got = student.huber_loss(np.array([[0.5, -3.0], [1e-3, 2.5]]), 1.0)
    assert_close(array(got, "the losses", shape=(2, 2)), [[0.125, 2.5], [5e-7, 2.0]], rtol=1e-12, what="the losses")


@exercise("huber_loss", points=1, hint="A single number is a residual too: NumPy's elementwise operations take it "
                                       "as they take an array (section 2).")
def test_huber_of_a_single_residual(student):
    """residuals may be a float: h(3) with delta = 1 is 1·(3 − 0.5) = 2.5, one number."""
    assert_close(number(student.huber_loss(3.0, 1.0), "the loss"), 2.5, rtol=1e-12, what="the loss")


# ------------------------------------------------------- fit_saturating_power_law


@exercise("fit_saturating_power_law", points=2,
          hint="A floor plus a power law is not a straight line on any axes: fit its logarithm with a numerical "
               "optimiser, the floor and the scale kept positive (section 3; lesson 02, 'The irreducible term E').")
def test_saturating_fit_recovers_noiseless_parameters(student):
    """Exact data from the law: E, A and alpha within 1% (the optimiser's tolerance)."""
    got = student.fit_saturating_power_law(X_SAT, E_TRUE + A_TRUE * X_SAT**-ALPHA_TRUE)
    assert_close(got, (E_TRUE, A_TRUE, ALPHA_TRUE), rtol=0.01, names=("E", "A", "alpha"))


@exercise("fit_saturating_power_law", points=2,
          hint="A fit with a floor has several local minima: start from several points and keep the best (section "
               "3; lesson 02, 'The irreducible term E').")
def test_saturating_fit_recovers_exponent_under_noise(student):
    """1% multiplicative Gaussian noise (seed 3). Over 100 seeds the reference fit's alpha
    scatters with SD 0.010 (measured when writing this test); tolerance 0.04 = 4 SD."""
    rng = np.random.default_rng(3)
    y = (E_TRUE + A_TRUE * X_SAT**-ALPHA_TRUE) * (1.0 + 0.01 * rng.standard_normal(X_SAT.size))
    _E, _A, alpha = numbers(student.fit_saturating_power_law(X_SAT, y), 3, names=("E", "A", "alpha"))
    assert_close(alpha, ALPHA_TRUE, atol=0.04, what="alpha")


@exercise("fit_saturating_power_law", points=2,
          hint="A robust loss lets an outlier pull only so hard: use the Huber loss of the log residuals (sections "
               "2 and 3; lesson 02, 'Robust fits: the Huber loss').")
def test_saturating_fit_is_robust_to_outliers(student):
    """Exact data with two gross outliers (one point ×1.5, one ×0.8). The Huber fit keeps
    E within 0.005 of 1.69; a squared-error fit drops to E ≈ 1.648 (measured)."""
    y = E_TRUE + A_TRUE * X_SAT**-ALPHA_TRUE
    y[5] *= 1.5
    y[30] *= 0.8
    E, _A, _alpha = numbers(student.fit_saturating_power_law(X_SAT, y), 3, names=("E", "A", "alpha"))
    assert_close(E, E_TRUE, atol=0.005, what="E")


# ------------------------------------------------------------ bootstrap_interval


@exercise("bootstrap_interval", points=1,
          hint="An interval is a pair, the lower end first, taken from the spread of the refitted exponents "
               "(section 4; lesson 02, 'How sure are we? Bootstrap intervals').")
def test_bootstrap_interval_brackets_the_point_estimate(student):
    x, y = _noisy_power_law(30, seed=0)
    slope = np.polyfit(np.log(x), np.log(y), 1)[0]
    low, high = numbers(student.bootstrap_interval(x, y, 200, 0.9, 0), 2, names=("low", "high"))
    assert low < -slope < high, "the interval does not contain the exponent fitted to all the data"


@exercise("bootstrap_interval", points=2,
          hint="Resample the points with replacement, refit each time, and read the interval off the spread of the "
               "refits (section 4; lesson 02, 'How sure are we? Bootstrap intervals').")
def test_bootstrap_interval_contains_the_true_exponent(student):
    """y = 3 x^-0.3, 30 points, 10% scatter (seed 0): the point estimate is 0.3010 and the
    reference 90% interval (1000 resamples) is (0.2925, 0.3080), so the truth 0.3 sits well inside."""
    x, y = _noisy_power_law(30, seed=0)
    low, high = numbers(student.bootstrap_interval(x, y, 200, 0.9, 0), 2, names=("low", "high"))
    assert low < 0.3 < high, "the interval misses the true exponent"


@exercise("bootstrap_interval", points=2,
          hint="With more data the refitted exponents agree more closely: each resample must have as many points as "
               "the data (section 4; lesson 02, 'How sure are we? Bootstrap intervals').")
def test_bootstrap_interval_narrows_with_more_points(student):
    """16× more points should narrow the interval about 4× (1/sqrt(n)); over 5 seeds the
    measured ratio was 3.2-5.1. We ask only for a 2× narrowing."""
    few = numbers(student.bootstrap_interval(*_noisy_power_law(25, seed=1), 200, 0.9, 0), 2, names=("low", "high"))
    many = numbers(student.bootstrap_interval(*_noisy_power_law(400, seed=1), 200, 0.9, 0), 2, names=("low", "high"))
    assert few[0] < few[1] and many[0] < many[1], "an interval's low end should be below its high end"
    assert (many[1] - many[0]) < 0.5 * (few[1] - few[0]), "the interval does not narrow with 16× more points"


@exercise("bootstrap_interval", points=1,
          hint="A higher level leaves less in each tail: the two quantiles move apart (section 4; lesson 02, 'How "
               "sure are we? Bootstrap intervals').")
def test_bootstrap_interval_widens_with_the_level(student):
    """Same data and seed: the 99% interval is wider than the 50% one by about z(0.995)/z(0.75)
    = 3.8 for a normal spread (computed here); we ask for 2×. A function that always takes the
    5th and 95th percentiles gives the same width for both."""
    x, y = _noisy_power_law(30, seed=0)
    narrow = numbers(student.bootstrap_interval(x, y, 400, 0.5, 0), 2, "the 50% interval", names=("low", "high"))
    wide = numbers(student.bootstrap_interval(x, y, 400, 0.99, 0), 2, "the 99% interval", names=("low", "high"))
    assert narrow[0] < narrow[1], "an interval's low end should be below its high end"
    assert wide[1] - wide[0] > 2 * (narrow[1] - narrow[0]), "the 99% interval is not much wider than the 50% one"


@exercise("bootstrap_interval", points=1, requires_value=True,
          hint="Every random draw must come from a generator made from the seed argument, so one seed gives one "
               "interval (section 4).")
def test_bootstrap_interval_is_reproducible_with_its_seed(student):
    """Two calls with seed 7 give the same interval to the last bit. (A constant would too, so
    this check counts only beside a passing test of the interval itself.)"""
    x, y = _noisy_power_law(30, seed=2)
    first = numbers(student.bootstrap_interval(x, y, 100, 0.8, 7), 2, "the first interval", names=("low", "high"))
    again = student.bootstrap_interval(x, y, 100, 0.8, 7)
    assert_close(again, first, rtol=0, atol=0, names=("the low end from a second call with the same seed",
                                                      "the high end from a second call with the same seed"))
