"""Hidden tests for ex01_history_compute: the public tests' behaviours on inputs of each
student's own (drawn with ``student_seed``, from SHA-256 of the student's folder name), so
a table of the public cases' answers earns nothing here.

Expected values are computed here from the formulas the notebook states (6·N·D; Kaplan et
al. 2020 eqs. 2.1-2.2; least squares on ln(values); GPU-hours × price).
"""

import math

import numpy as np

from course_utils.grading import exercise
from course_utils.grading.compare import assert_close
from course_utils.grading.plugin import student_rng


@exercise("training_flops", points=1, hidden=True, hint="Multiply: 6 * N * D, elementwise for arrays.")
def test_training_flops_on_your_own_models(student, student_seed):
    """A scalar (N, D) and arrays of 2-6 models, N in 1e7-1e12 and D in 1e9-1e13."""
    rng = student_rng(student_seed, "training_flops")
    N, D = 10 ** rng.uniform(7, 12), 10 ** rng.uniform(9, 13)
    assert_close(student.training_flops(N, D), 6 * N * D, rtol=1e-12)
    size = int(rng.integers(2, 7))
    Ns, Ds = 10 ** rng.uniform(7, 12, size), 10 ** rng.uniform(9, 13, size)
    assert_close(student.training_flops(Ns, Ds), 6 * Ns * Ds, rtol=1e-12)


@exercise("forward_flops_per_token", points=1, hidden=True,
          hint="N = 12 * n_layer * d_model**2; return 2*N + 2*n_layer*n_ctx*d_model.")
def test_forward_flops_of_your_own_shapes(student, student_seed):
    """Three shapes: 1-96 layers, width a multiple of 64 up to 12,288, context 128-8,192."""
    rng = student_rng(student_seed, "forward_flops_per_token")
    for _ in range(3):
        n_layer, d_model = int(rng.integers(1, 97)), 64 * int(rng.integers(1, 193))
        n_ctx = int(2 ** rng.integers(7, 14))
        expected = 2 * 12 * n_layer * d_model**2 + 2 * n_layer * n_ctx * d_model
        assert_close(student.forward_flops_per_token(n_layer, d_model, n_ctx), expected, rtol=1e-12)


@exercise("fit_doubling_time", points=2, hidden=True,
          hint="Fit a straight line to (years, log(values)) by least squares; doubling time = log(2) / slope.")
def test_doubling_time_of_your_own_noisy_trend(student, student_seed):
    """15-60 dates over 8-30 years, doubling (or halving) every 0.3-5 years, log-normal
    scatter 0.05-0.4. Expected: ln 2 over the least-squares slope of ln(values), computed here
    with numpy.polyfit (the same estimator, so rel 1e-6 covers only rounding)."""
    rng = student_rng(student_seed, "fit_doubling_time")
    start, span, n = rng.uniform(1950, 2015), rng.uniform(8, 30), int(rng.integers(15, 61))
    years = np.sort(rng.uniform(start, start + span, n))
    doubling = rng.choice([-1.0, 1.0]) * rng.uniform(0.3, 5.0)
    scatter = rng.lognormal(0.0, rng.uniform(0.05, 0.4), n)
    values = 10 ** rng.uniform(0, 20) * 2.0 ** ((years - start) / doubling) * scatter
    slope = np.polyfit(years, np.log(values), 1)[0]
    assert_close(student.fit_doubling_time(years, values), math.log(2) / slope, rtol=1e-6)


@exercise("training_cost_usd", points=1, hidden=True,
          hint="Seconds = flops / (peak_flops * mfu); divide by 3600 for hours; times the price.")
def test_training_cost_of_your_own_run(student, student_seed):
    """1e18-1e26 FLOP on a 1e13-3e15 FLOP/s accelerator at 10-90% MFU, $0.5-10 per hour."""
    rng = student_rng(student_seed, "training_cost_usd")
    flops, peak = 10 ** rng.uniform(18, 26), 10 ** rng.uniform(13, 15.5)
    mfu, price = rng.uniform(0.1, 0.9), rng.uniform(0.5, 10.0)
    assert_close(student.training_cost_usd(flops, peak, mfu, price), flops / (peak * mfu) / 3600 * price, rtol=1e-12)
