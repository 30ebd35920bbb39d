"""Hidden tests for ex05_data_limits: the public tests' behaviours on inputs of each
student's own (drawn with ``student_seed``, from SHA-256 of the student's folder name), so
a table of the public cases' answers earns nothing here.

Expected values are computed here from the formulas the notebook states (D/N; Muennighoff
et al. 2023's effective data; the exhaustion year; 6ND + 2N·D_inference), and the
inference-aware allocation by a grid search over N refined with scipy.
"""

import math

import numpy as np
from scipy.optimize import minimize_scalar

from course_utils.grading import exercise
from course_utils.grading.compare import assert_close, numbers
from course_utils.grading.plugin import student_rng


@exercise("tokens_per_parameter", points=1, hidden=True, hint="Divide tokens by parameters: D / N, elementwise.")
def test_tokens_per_parameter_of_your_own_models(student, student_seed):
    """One model and an array of 2-6, N in 1e7-1e12 and D in 1e9-1e14."""
    rng = student_rng(student_seed, "tokens_per_parameter")
    N, D = 10 ** rng.uniform(7, 12), 10 ** rng.uniform(9, 14)
    assert_close(student.tokens_per_parameter(N, D), D / N, rtol=1e-12)
    size = int(rng.integers(2, 7))
    Ns, Ds = 10 ** rng.uniform(7, 12, size), 10 ** rng.uniform(9, 14, size)
    assert_close(student.tokens_per_parameter(Ns, Ds), Ds / Ns, rtol=1e-12)


@exercise("effective_data", points=2, hidden=True,
          hint="R = total/unique - 1 repeated epochs; D' = U + U*r_star*(1 - exp(-R/r_star)); no repeats: D' = total.")
def test_effective_data_of_your_own_corpus(student, student_seed):
    """U in 1e9-1e13 tokens, r_star in 5-30, once repeated 1.5-60 epochs and once a
    fraction 0.1-0.9 of one epoch."""
    rng = student_rng(student_seed, "effective_data")
    U, r_star = 10 ** rng.uniform(9, 13), rng.uniform(5.0, 30.0)
    total = U * rng.uniform(1.5, 60.0)
    expected = U + U * r_star * (1 - math.exp(-(total / U - 1) / r_star))
    assert_close(student.effective_data(U, total, r_star), expected, rtol=1e-12)
    part = U * rng.uniform(0.1, 0.9)
    assert_close(student.effective_data(U, part, r_star), part, rtol=1e-12)


@exercise("exhaustion_year", points=1, hidden=True, hint="year_now + log(stock / dataset_now) / log(growth_per_year).")
def test_exhaustion_year_of_your_own_forecast(student, student_seed):
    """A stock of 1e13-1e16 tokens, a dataset of 1e11-1e14 tokens in 2015-2030, growing
    ×1.2-5 a year (the stock may already be smaller: the year is then earlier)."""
    rng = student_rng(student_seed, "exhaustion_year")
    stock, now = 10 ** rng.uniform(13, 16), 10 ** rng.uniform(11, 14)
    year, growth = rng.uniform(2015, 2030), rng.uniform(1.2, 5.0)
    expected = year + math.log(stock / now) / math.log(growth)
    assert_close(student.exhaustion_year(stock, now, year, growth), expected, rtol=1e-12)


@exercise("lifetime_compute", points=1, hidden=True, hint="6 * N * D for training plus 2 * N * inference_tokens.")
def test_lifetime_compute_of_your_own_model(student, student_seed):
    """N in 1e8-1e12, D and the inference tokens in 1e10-1e14."""
    rng = student_rng(student_seed, "lifetime_compute")
    N, D, inference = 10 ** rng.uniform(8, 12), 10 ** rng.uniform(10, 14), 10 ** rng.uniform(10, 14)
    assert_close(student.lifetime_compute(N, D, inference), 6 * N * D + 2 * N * inference, rtol=1e-12)


def _cheapest(target, inference, p):
    """(N, D, lifetime FLOP) of the model reaching ``target`` for the least 6ND + 2N·inference."""
    def tokens(N):
        return (p["B"] / (target - p["E"] - p["A"] * N ** -p["alpha"])) ** (1 / p["beta"])

    def log_cost(log_N):
        N = math.exp(log_N)
        return math.log(6 * N * tokens(N) + 2 * N * inference)

    smallest = math.log((p["A"] / (target - p["E"])) ** (1 / p["alpha"]))  # below it the target is out of reach
    grid = np.linspace(smallest + 1e-6, smallest + math.log(1e7), 2001)
    best = int(np.argmin([log_cost(g) for g in grid]))
    refined = minimize_scalar(log_cost, bounds=(grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]),
                              method="bounded", options={"xatol": 1e-12})
    N = math.exp(refined.x)
    return N, tokens(N), math.exp(refined.fun)


@exercise("overtrained_allocation", points=2, hidden=True,
          hint="Minimise 6*N*D(N) + 2*N*inference_tokens over N, with D(N) the tokens that reach the loss.")
def test_allocation_for_your_own_target_and_demand(student, student_seed):
    """A law near Hoffmann et al.'s printed fit, a target 0.15-0.8 nats above E and
    1e10-1e14 inference tokens. Your (N, D) must reach the target (rel 1e-6) at a lifetime
    compute within 1e-6 of the least found here, with N within 1% of that model's."""
    rng = student_rng(student_seed, "overtrained_allocation")
    p = {"E": rng.uniform(1.5, 2.0), "A": 406.4 * 10 ** rng.uniform(-0.3, 0.3),
         "B": 410.7 * 10 ** rng.uniform(-0.3, 0.3), "alpha": rng.uniform(0.28, 0.4), "beta": rng.uniform(0.25, 0.35)}
    target, inference = p["E"] + rng.uniform(0.15, 0.8), 10 ** rng.uniform(10, 14)
    N_best, _D_best, cost_best = _cheapest(target, inference, p)
    N, D = numbers(student.overtrained_allocation(target, inference, p), 2, names=("N", "D"), positive=True)
    loss = p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"]
    assert_close(loss, target, rtol=1e-6, what="the loss of your (N, D)")
    cost = 6 * N * D + 2 * N * inference
    assert cost <= cost_best * (1 + 1e-6), "a model with less lifetime compute reaches this loss"
    assert_close(N, N_best, rtol=0.01, what="N")
