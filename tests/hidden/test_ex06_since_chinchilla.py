"""Hidden tests for ex06_since_chinchilla: the same behaviours as the public tests, on inputs
drawn from each student's own seed (``student_seed``), so a table of the public answers
scores nothing here. Expected values are computed in this file from the formulas, never
by calling the course's reference implementations.
"""

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from course_utils.grading import exercise

BLOCKED = [
    "course_utils.inference_scaling.pass_at_k",
    "course_utils.inference_scaling.coverage",
    "course_utils.inference_scaling.beta_coverage",
    "course_utils.inference_scaling.fit_beta_coverage",
    "course_utils.mixture_of_experts.moe_parameter_counts",
    "course_utils.precision_scaling.compute_optimal_precision",
    "course_utils.precision_scaling.effective_parameter_fraction",
    "course_utils.algorithmic_progress.compute_reduction_factor",
    "course_utils.algorithmic_progress.effective_compute_growth",
]


@pytest.fixture(scope="module")
def rng(student_seed):
    return np.random.default_rng(student_seed)


def _number(value) -> float:
    assert isinstance(value, (int, float)) and not isinstance(value, bool), \
        f"expected a number, got {type(value).__name__}"
    assert math.isfinite(value), f"expected a finite number, got {value!r}"
    return float(value)


@exercise("pass_at_k", points=2, hint="pass@k = 1 - C(n-c, k) / C(n, k), exactly, for large n too.", hidden=True)
def test_pass_at_k_on_the_students_own_draws(student, rng):
    """Five (n, c, k) with n up to 3,000, against exact integer binomials (rel 1e-9)."""
    for _ in range(5):
        n = int(rng.integers(20, 3_000))
        c = int(rng.integers(0, n + 1))
        k = int(rng.integers(1, n + 1))
        expected = 1.0 if n - c < k else 1 - math.comb(n - c, k) / math.comb(n, k)
        assert _number(student.pass_at_k(n, c, k)) == pytest.approx(expected, rel=1e-9, abs=1e-12), (n, c, k)


@exercise("expected_coverage", points=2, hint="1 - exp(betaln(a, b + k) - betaln(a, b)), elementwise in k.",
          hidden=True)
def test_expected_coverage_on_the_students_own_draws(student, rng):
    """A Beta(a, b) and five sample counts up to 1e6, against log-gamma arithmetic (rel 1e-9)."""
    a = float(rng.uniform(0.05, 5.0))
    b = float(rng.uniform(0.1, 20.0))
    k = np.sort(rng.integers(1, 1_000_000, size=5)).astype(float)

    def log_beta(x, y):
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)

    expected = [1 - math.exp(log_beta(a, b + ki) - log_beta(a, b)) for ki in k]
    got = np.asarray(student.expected_coverage(k, a, b), dtype=float)
    assert got.shape == (5,) and np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=1e-9)


@exercise("moe_parameter_counts", points=2, hint="Follow the counting conventions exactly.", hidden=True)
def test_moe_counts_on_the_students_own_architecture(student, rng):
    """A random architecture, counted here term by term (exact)."""
    n_layer, d_model, d_ff = (int(rng.integers(1, 40)), int(rng.integers(16, 4096)), int(rng.integers(16, 16384)))
    n_experts = int(rng.integers(2, 64))
    top_k = int(rng.integers(1, n_experts + 1))
    n_heads = int(rng.integers(1, 64))
    n_kv_heads = int(rng.integers(1, n_heads + 1))
    head_dim, vocab = int(rng.integers(8, 256)), int(rng.integers(100, 200_000))
    tied = bool(rng.integers(0, 2))
    attention = 2 * d_model * n_heads * head_dim + 2 * d_model * n_kv_heads * head_dim
    shared = attention + d_model * n_experts + 2 * d_model
    outside = vocab * d_model * (1 if tied else 2) + d_model
    expected = (n_layer * (shared + n_experts * 3 * d_model * d_ff) + outside,
                n_layer * (shared + top_k * 3 * d_model * d_ff) + outside)
    result = student.moe_parameter_counts(n_layer, d_model, d_ff, n_experts, top_k, n_heads, n_kv_heads,
                                          head_dim, vocab, tied_embeddings=tied)
    assert isinstance(result, (tuple, list)) and len(result) == 2
    assert (_number(result[0]), _number(result[1])) == expected


@exercise("compute_optimal_precision", points=2, hint="Maximise f(P)/P between max(n*gamma) and 32 bits.",
          hidden=True)
def test_optimal_precision_on_the_students_own_constants(student, rng):
    """Three random (γ, n) pairs; the maximum of f(P)/P found here on a dense grid and
    refined (tolerance 0.01 bit)."""
    gammas = rng.uniform(0.8, 3.0, size=3)
    offsets = rng.uniform(0.0, 1.5, size=3)
    low = float(np.max(gammas * offsets)) + 1e-6

    def score(p):
        factors = 1.0 - np.exp(-p / gammas + offsets)
        return -np.inf if np.any(factors <= 0) else float(np.sum(np.log(factors)) - math.log(p))

    grid = np.linspace(low, 32.0, 20_001)
    start = grid[int(np.argmax([score(p) for p in grid]))]
    refined = minimize_scalar(lambda p: -score(p), bounds=(max(low, start - 0.01), min(32.0, start + 0.01)),
                              method="bounded", options={"xatol": 1e-9}).x
    got = _number(student.compute_optimal_precision(gammas.tolist(), offsets.tolist()))
    assert got == pytest.approx(refined, abs=0.01)


@exercise("compute_reduction_factor", points=1, hint="2 ** (12 * years / halving_months).", hidden=True)
def test_reduction_factor_on_the_students_own_draws(student, rng):
    years = float(rng.uniform(0.1, 12.0))
    months = float(rng.uniform(2.0, 30.0))
    assert _number(student.compute_reduction_factor(years, months)) == pytest.approx(2 ** (12 * years / months),
                                                                                     rel=1e-12)
