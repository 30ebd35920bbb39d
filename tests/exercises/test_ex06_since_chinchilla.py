"""Tests for solutions/ex06_since_chinchilla.ipynb: pass@k, coverage under a Beta
distribution of difficulties, mixture-of-experts parameter counts, the compute-optimal
training precision and the compute saved by algorithmic progress.

Published inputs carry their source; expected results are computed here from the
formulas, or are recomputations of published numbers stated with their inputs. Every
value check first asserts a finite number (or an array of the right shape), so NaN, an
empty array or a wrong shape can never pass.
"""

import math

import numpy as np
import pytest

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

#: Mixtral 8x7B, Jiang et al. 2024 (arXiv:2401.04088), Table 1.
MIXTRAL = dict(n_layer=32, d_model=4096, d_ff=14336, n_experts=8, top_k=2, n_heads=32, n_kv_heads=8,
               head_dim=128, vocab_size=32000)
#: Kumar et al. 2024 (arXiv:2411.04330), App. K, Table 2: weights, activations, KV cache.
KUMAR_GAMMAS = [2.6745, 2.2102, 0.9578]
KUMAR_OFFSETS = [0.3037, 1.4072, 2.4185]


def _number(value) -> float:
    """``value`` as a finite float; fails the test on NaN, infinity, arrays or non-numbers."""
    assert isinstance(value, (int, float)) and not isinstance(value, bool), \
        f"expected a number, got {type(value).__name__}"
    assert math.isfinite(value), f"expected a finite number, got {value!r}"
    return float(value)


def _array(value, shape) -> np.ndarray:
    """``value`` as a finite float array of exactly ``shape``."""
    array = np.asarray(value, dtype=float)
    assert array.shape == shape, f"expected shape {shape}, got {array.shape}"
    assert np.all(np.isfinite(array)), f"expected finite values, got {array}"
    return array


# --------------------------------------------------------------------------- pass_at_k


@exercise("pass_at_k", points=1, hint="With one correct sample in ten, one draw succeeds a tenth of the time.")
def test_one_correct_sample_in_ten_gives_a_tenth(student):
    """n = 10, c = 1, k = 1: 1 - C(9, 1)/C(10, 1) = 1 - 9/10 = 0.1 (computed here)."""
    assert _number(student.pass_at_k(10, 1, 1)) == pytest.approx(0.1, abs=1e-12)


@exercise("pass_at_k", points=1, hint="pass@k = 1 - C(n-c, k) / C(n, k).")
def test_pass_at_k_follows_the_binomial_formula(student):
    """n = 5, c = 2, k = 3: 1 - C(3, 3)/C(5, 3) = 1 - 1/10 = 0.9 (Chen et al. 2021, eq. 1)."""
    assert _number(student.pass_at_k(5, 2, 3)) == pytest.approx(0.9, abs=1e-12)


@exercise("pass_at_k", points=1, hint="If no sample was correct, no choice of k samples contains a correct one.")
def test_no_correct_sample_gives_zero(student):
    assert _number(student.pass_at_k(20, 0, 5)) == pytest.approx(0.0, abs=1e-12)


@exercise("pass_at_k", points=1, hint="When n - c < k, every choice of k samples contains a correct one: return 1.")
def test_more_draws_than_wrong_samples_always_succeeds(student):
    """n = 10, c = 8: only 2 wrong samples, so any 3 include a correct one."""
    assert _number(student.pass_at_k(10, 8, 3)) == pytest.approx(1.0, abs=1e-12)


@exercise("pass_at_k", points=2,
          hint="Use the product form prod(1 - k/i) or exact integers (math.comb); floating factorials overflow.")
def test_pass_at_k_is_exact_for_thousands_of_samples(student):
    """n = 10,000, c = 1: pass@k = k/n exactly, 0.025 for k = 250; and n = 10,000, c = 37,
    k = 1,000 against exact integer arithmetic (computed here, rel 1e-9)."""
    assert _number(student.pass_at_k(10_000, 1, 250)) == pytest.approx(0.025, rel=1e-9)
    expected = 1 - math.comb(10_000 - 37, 1_000) / math.comb(10_000, 1_000)
    assert _number(student.pass_at_k(10_000, 37, 1_000)) == pytest.approx(expected, rel=1e-9)


@exercise("pass_at_k", points=1, hint="k cannot exceed n: raise ValueError.")
def test_pass_at_k_rejects_k_above_n(student):
    with pytest.raises(ValueError):
        student.pass_at_k(5, 1, 6)


# ------------------------------------------------------------------- expected_coverage


@exercise("expected_coverage", points=1, hint="At k = 1 the coverage is the mean success rate a / (a + b).")
def test_one_sample_covers_the_mean_success_rate(student):
    """Beta(2, 6) has mean 2/8 = 0.25 (computed here)."""
    assert _number(student.expected_coverage(1, 2.0, 6.0)) == pytest.approx(0.25, rel=1e-9)


@exercise("expected_coverage", points=2,
          hint="For Beta(1, 1), B(1, 1 + k)/B(1, 1) = 1/(k + 1); return an array shaped like k.")
def test_uniform_difficulties_cover_k_over_k_plus_one(student):
    """p uniform on [0, 1]: E[(1 - p)^k] = 1/(k + 1), so coverage = k/(k + 1): 0.5, 0.75,
    0.99 for k = 1, 3, 99 (computed here)."""
    got = _array(student.expected_coverage(np.array([1.0, 3.0, 99.0]), 1.0, 1.0), (3,))
    np.testing.assert_allclose(got, [0.5, 0.75, 0.99], rtol=1e-9)


@exercise("expected_coverage", points=1, hint="1 - exp(betaln(a, b + k) - betaln(a, b)).")
def test_swe_bench_lite_beta_fit_gives_56_percent_at_250_samples(student):
    """Beta(0.12202, 0.64541) passes through Brown et al. 2024's SWE-bench Lite points:
    15.9% at 1 sample, 56% at 250 (abstract; the fit is lesson 06's, abs 1e-6)."""
    a, b = 0.122021729577739, 0.6454105319174749
    assert _number(student.expected_coverage(1, a, b)) == pytest.approx(0.159, abs=1e-6)
    assert _number(student.expected_coverage(250, a, b)) == pytest.approx(0.56, abs=1e-6)


@exercise("expected_coverage", points=2,
          hint="Work with logarithms (scipy.special.betaln); math.gamma overflows for large k.")
def test_failures_fall_as_a_power_law_in_k_with_exponent_a(student):
    """For large k, 1 - coverage ≈ Γ(a+b)/Γ(b) · k^(-a): between k = 1e5 and 1e6 the
    log-log slope of the failures is -a = -0.3 (Stirling; tolerance 0.005)."""
    got = _array(student.expected_coverage(np.array([1e5, 1e6]), 0.3, 2.0), (2,))
    failures = 1.0 - got
    assert np.all(failures > 0), "coverage must stay below 1"
    slope = math.log(failures[1] / failures[0]) / math.log(10.0)
    assert slope == pytest.approx(-0.3, abs=5e-3)


# ---------------------------------------------------------------- moe_parameter_counts


def _counts(student, **config):
    result = student.moe_parameter_counts(**config)
    assert isinstance(result, (tuple, list)) and len(result) == 2, "return a tuple (total, active)"
    return _number(result[0]), _number(result[1])


@exercise("moe_parameter_counts", points=2,
          hint="Per layer: attention + router + 2 norms + n_experts experts of 3*d_model*d_ff; plus embeddings.")
def test_mixtral_has_46_7_billion_parameters_12_9_billion_active(student):
    """Mixtral 8x7B (Jiang et al. 2024, Table 1): Mistral AI publishes 46.7B total and 12.9B
    per token; counting gives 46,702,792,704 and 12,879,925,248 (tolerance: the rounding,
    0.05B)."""
    total, active = _counts(student, **MIXTRAL)
    assert total == pytest.approx(46.7e9, abs=0.05e9)
    assert active == pytest.approx(12.9e9, abs=0.05e9)


@exercise("moe_parameter_counts", points=2, hint="Count exactly as the conventions list, nothing more.")
def test_small_model_is_counted_exactly(student):
    """2 layers, d_model 8, d_ff 16, 4 experts (top 1), 2 heads of 4, 1 kv head, vocab 10:
    attention 2·8·2·4 + 2·8·1·4 = 192, router 32, norms 16, expert 3·8·16 = 384;
    total = 2·(192 + 32 + 16 + 4·384) + 2·10·8 + 8 = 3,720; active = 2·(240 + 384) + 168 = 1,416
    (computed by hand)."""
    total, active = _counts(student, n_layer=2, d_model=8, d_ff=16, n_experts=4, top_k=1, n_heads=2,
                            n_kv_heads=1, head_dim=4, vocab_size=10)
    assert (total, active) == (3720.0, 1416.0)


@exercise("moe_parameter_counts", points=1, hint="If every token uses every expert, every parameter is active.")
def test_routing_to_every_expert_makes_every_parameter_active(student):
    total, active = _counts(student, **dict(MIXTRAL, top_k=8))
    assert total == active == pytest.approx(46.7e9, abs=0.05e9)


@exercise("moe_parameter_counts", points=1, hint="Tied embeddings store one vocab_size x d_model matrix, not two.")
def test_tied_embeddings_save_one_vocabulary_matrix(student):
    """Tying saves 32,000 · 4,096 = 131,072,000 parameters in both counts (computed here)."""
    untied = _counts(student, **MIXTRAL)
    tied = _counts(student, **MIXTRAL, tied_embeddings=True)
    assert (untied[0] - tied[0], untied[1] - tied[1]) == (131_072_000.0, 131_072_000.0)


@exercise("moe_parameter_counts", points=1, hint="A token cannot be routed to more experts than exist: raise ValueError.")
def test_moe_counts_reject_top_k_above_the_number_of_experts(student):
    with pytest.raises(ValueError):
        student.moe_parameter_counts(**dict(MIXTRAL, top_k=9))


# ----------------------------------------------------------- compute_optimal_precision


@exercise("compute_optimal_precision", points=2,
          hint="Maximise prod(1 - exp(-P/gamma + n)) / P for P between max(n*gamma) and 32 bits.")
def test_kumar_constants_give_seven_bits(student):
    """Kumar et al. 2024, App. K Table 2 constants: P* = 7.002 bits (computed here by the
    same maximisation; the paper says "around 7-8 bits", §4.3.2). Tolerance 0.01 bit."""
    assert _number(student.compute_optimal_precision(KUMAR_GAMMAS, KUMAR_OFFSETS)) == pytest.approx(7.002, abs=0.01)


@exercise("compute_optimal_precision", points=2,
          hint="Without offsets and with three equal gammas, P*/gamma solves exp(x) - 1 = 3x.")
def test_three_equal_parts_without_offsets_give_1_904_gamma(student):
    """f = (1 - e^(-P/γ))^3: d/dP [3 ln(1 - e^(-x)) - ln x] = 0 gives e^x - 1 = 3x,
    x = 1.90381 (solved here); with γ = 2, P* = 3.8076 bits (tolerance 0.005)."""
    assert _number(student.compute_optimal_precision([2.0, 2.0, 2.0], [0.0, 0.0, 0.0])) == pytest.approx(3.8076, abs=5e-3)


@exercise("compute_optimal_precision", points=1, hint="f depends on P only through P/gamma: doubling every gamma doubles P*.")
def test_doubling_every_gamma_doubles_the_optimal_precision(student):
    once = _number(student.compute_optimal_precision([1.5, 1.2, 0.6], [0.2, 0.5, 1.0]))
    twice = _number(student.compute_optimal_precision([3.0, 2.4, 1.2], [0.2, 0.5, 1.0]))
    assert once > 0.6, "P* must lie above max(n * gamma) = 0.6 bits, where every factor is positive"
    assert twice == pytest.approx(2 * once, rel=1e-3)


# ------------------------------------------------------------ compute_reduction_factor


@exercise("compute_reduction_factor", points=1, hint="Two years at 8 months per halving is three halvings: 2**3.")
def test_two_years_at_eight_months_is_eight_times_less(student):
    assert _number(student.compute_reduction_factor(2.0, 8.0)) == pytest.approx(8.0, rel=1e-12)


@exercise("compute_reduction_factor", points=1, hint="Per year the factor is 2**(12/h).")
def test_one_year_spans_ho_et_al_interval(student):
    """Ho et al. 2024 (arXiv v1 abstract): 8 months, 95% CI 5-14 months; per year
    2^(12/14) = 1.811, 2^(12/8) = 2.828, 2^(12/5) = 5.278 (computed here)."""
    got = _array(student.compute_reduction_factor(1.0, np.array([14.0, 8.0, 5.0])), (3,))
    np.testing.assert_allclose(got, [2 ** (12 / 14), 2 ** 1.5, 2 ** 2.4], rtol=1e-12)


@exercise("compute_reduction_factor", points=1, hint="After zero years nothing has changed: the factor is 1.")
def test_no_time_no_progress(student):
    assert _number(student.compute_reduction_factor(0.0, 8.0)) == pytest.approx(1.0, abs=1e-12)


@exercise("compute_reduction_factor", points=1, hint="A halving time must be positive: raise ValueError for 0 or less.")
def test_reduction_factor_rejects_a_non_positive_halving_time(student):
    with pytest.raises(ValueError):
        student.compute_reduction_factor(1.0, 0.0)
