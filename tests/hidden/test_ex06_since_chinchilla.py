"""Hidden tests for ex06_since_chinchilla: the public tests' behaviours on inputs of each
student's own (drawn with ``student_rng`` from ``student_seed``, SHA-256 of the student's
folder name), so a table of the public cases' answers earns nothing here.

Expected values are computed in this file from the formulas the notebook states (exact
integer binomials; E[(1 - p)^k] for Beta-distributed p as a product; the counting
conventions; a dense grid refined with scipy; 2^(12·t/h)), never by calling the course's
reference implementations. Inputs are drawn so that a function returning one constant
(0 or 1) for everything fails every test.
"""

import math

import numpy as np
from scipy.optimize import minimize_scalar

from course_utils.grading import exercise
from course_utils.grading.compare import assert_close
from course_utils.grading.plugin import student_rng


def _pass_at_k(n, c, k):
    """Chen et al. 2021, eq. 1, with exact integers."""
    return 1.0 if n - c < k else 1 - math.comb(n - c, k) / math.comb(n, k)


@exercise("pass_at_k", points=2, hidden=True, hint="pass@k = 1 - C(n-c, k) / C(n, k), exactly, for large n too.")
def test_pass_at_k_of_your_own_samples(student, student_seed):
    """n in 30-3,000: four (n, c, k) with pass@k between 0.02 and 0.98, one with no correct
    sample (0) and one with fewer wrong samples than draws (1), against exact integer
    binomials (rel 1e-9)."""
    rng = student_rng(student_seed, "pass_at_k")
    cases = []
    while len(cases) < 4:  # rejection: pass@k is near 1 for most (c, k), a constant would pass there
        n = int(rng.integers(30, 3_001))
        c = int(rng.integers(1, n // 2))
        k = int(rng.integers(1, n - c + 1))
        if 0.02 < _pass_at_k(n, c, k) < 0.98:
            cases.append((n, c, k))
    n = int(rng.integers(30, 3_001))
    cases.append((n, 0, int(rng.integers(1, n + 1))))
    n = int(rng.integers(30, 3_001))
    c = int(rng.integers(n // 2, n))
    cases.append((n, c, int(rng.integers(n - c + 1, n + 1))))
    for n, c, k in cases:
        assert_close(student.pass_at_k(n, c, k), _pass_at_k(n, c, k), rtol=1e-9, atol=1e-12,
                     what=f"pass@{k} with {c} correct of {n} samples")


def _failures(a, b, ks):
    """E[(1 - p)^k] for p ~ Beta(a, b) and whole k: the product of (b + j) / (a + b + j) for
    j < k, summed as logarithms with math.fsum (exact to rounding, unlike differences of
    log-gamma values near 1e7 at k ~ 1e6)."""
    logs = np.log1p(-a / (a + b + np.arange(int(max(ks)))))
    bounds = [0] + [int(k) for k in ks]
    segments = [math.fsum(logs[lo:hi]) for lo, hi in zip(bounds, bounds[1:])]
    return [math.exp(math.fsum(segments[:i + 1])) for i in range(len(segments))]


@exercise("expected_coverage", points=2, hidden=True,
          hint="1 - exp(betaln(a, b + k) - betaln(a, b)), elementwise in k.")
def test_expected_coverage_of_your_own_benchmark(student, student_seed):
    """A Beta(a, b) with a in 0.05-2 and b in 0.1-20, and five sample counts: one below 100
    (where coverage is still well below 1), four log-uniform up to 1e6. Tolerance rel 1e-8:
    any double-precision form of B(a, b + k)/B(a, b) (betaln, lgamma) is off by up to
    1.3e-9 at k ~ 1e6 (measured against 40-digit mpmath); a wrong formula is off by far more."""
    rng = student_rng(student_seed, "expected_coverage")
    a, b = float(rng.uniform(0.05, 2.0)), float(rng.uniform(0.1, 20.0))
    k = np.sort(np.concatenate([[rng.integers(1, 100)], np.round(10 ** rng.uniform(0, 6, 4))])).astype(float)
    expected = [1.0 - failures for failures in _failures(a, b, k)]
    assert_close(student.expected_coverage(k, a, b), expected, rtol=1e-8)


@exercise("moe_parameter_counts", points=2, hidden=True, hint="Follow the counting conventions exactly.")
def test_moe_counts_of_your_own_architecture(student, student_seed):
    """A random architecture (up to 40 layers, d_model 4,096, 64 experts, 200,000 tokens),
    counted here term by term (exact)."""
    rng = student_rng(student_seed, "moe_parameter_counts")
    n_layer, d_model, d_ff = int(rng.integers(1, 40)), int(rng.integers(16, 4096)), int(rng.integers(16, 16384))
    n_experts = int(rng.integers(2, 64))
    top_k = int(rng.integers(1, n_experts + 1))
    n_heads = int(rng.integers(1, 64))
    n_kv_heads = int(rng.integers(1, n_heads + 1))
    head_dim, vocab = int(rng.integers(8, 256)), int(rng.integers(100, 200_000))
    tied = bool(rng.integers(0, 2))
    attention = 2 * d_model * n_heads * head_dim + 2 * d_model * n_kv_heads * head_dim
    shared = attention + d_model * n_experts + 2 * d_model
    outside = vocab * d_model * (1 if tied else 2) + d_model
    expected = (float(n_layer * (shared + n_experts * 3 * d_model * d_ff) + outside),
                float(n_layer * (shared + top_k * 3 * d_model * d_ff) + outside))
    got = student.moe_parameter_counts(n_layer, d_model, d_ff, n_experts, top_k, n_heads, n_kv_heads,
                                       head_dim, vocab, tied_embeddings=tied)
    assert_close(got, expected, rtol=0, atol=0, names=("total", "active"))


@exercise("compute_optimal_precision", points=2, hidden=True,
          hint="Maximise f(P)/P between max(n*gamma) and 32 bits.")
def test_optimal_precision_of_your_own_constants(student, student_seed):
    """Three (γ, n) pairs, γ in 0.8-3 and n in 0-1.5; the maximum of f(P)/P found here on
    a grid of 20,001 points and refined (tolerance 0.01 bit)."""
    rng = student_rng(student_seed, "compute_optimal_precision")
    gammas, offsets = rng.uniform(0.8, 3.0, size=3), rng.uniform(0.0, 1.5, size=3)
    low = float(np.max(gammas * offsets)) + 1e-6

    def log_value(p):
        factors = 1.0 - np.exp(-np.asarray(p, dtype=float)[..., None] / gammas + offsets)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.all(factors > 0, axis=-1), np.sum(np.log(factors), axis=-1) - np.log(p), -np.inf)

    grid = np.linspace(low, 32.0, 20_001)
    start = grid[int(np.argmax(log_value(grid)))]
    best = minimize_scalar(lambda p: -float(log_value(p)), bounds=(max(low, start - 0.01), min(32.0, start + 0.01)),
                           method="bounded", options={"xatol": 1e-9}).x
    got = student.compute_optimal_precision(gammas.tolist(), offsets.tolist())
    assert_close(got, best, atol=0.01, what="P*")


@exercise("compute_reduction_factor", points=1, hidden=True, hint="2 ** (12 * years / halving_months), elementwise.")
def test_reduction_factor_of_your_own_forecast(student, student_seed):
    """0.1-12 years at a halving time of 2-30 months, then an array of 2-5 halving times."""
    rng = student_rng(student_seed, "compute_reduction_factor")
    years, months = float(rng.uniform(0.1, 12.0)), float(rng.uniform(2.0, 30.0))
    assert_close(student.compute_reduction_factor(years, months), 2 ** (12 * years / months), rtol=1e-12)
    months = rng.uniform(2.0, 30.0, int(rng.integers(2, 6)))
    assert_close(student.compute_reduction_factor(years, months), 2 ** (12 * years / months), rtol=1e-12)
