"""Tests for solutions/ex06_since_chinchilla.ipynb: pass@k, coverage under a Beta
distribution of difficulties, mixture-of-experts parameter counts, the compute-optimal
training precision and the compute saved by algorithmic progress.

Published inputs carry their source; expected results are computed here from the
formulas, or are recomputations of published numbers stated with their inputs. Every
value goes through ``course_utils.grading.compare``, so NaN, None, an empty array or a
wrong shape never passes; no test's answer is a constant (0 or 1) that a function
returning that constant for everything would hit.
"""

import math

import numpy as np

from course_utils.grading import exercise
from course_utils.grading.compare import array, assert_all, assert_close, number, numbers, rejects

#: points of the hidden tests in tests/hidden/test_ex06_since_chinchilla.py, which run when an instructor grades
#: (check_all() tells learners; tests/test_grading_honesty.py checks the sum)
HIDDEN_POINTS = 9

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
    # other course code that computes these answers
    "course_utils.precision_scaling.lowest_precision",  # max(n·γ), the lower end of the search for P*
    "course_utils.precision_scaling.loss_at_precision",  # minimised over P at a fixed budget, it gives P*
    "course_utils.trends.growth_per_year_from_doubling",  # 2^(12/h), the factor per year
    "course_utils.trends.moores_law",  # v·2^(t/T): with v = 1 and T = h/12 years, the factor after t years
]

#: Mixtral 8x7B, Jiang et al. 2024 (arXiv:2401.04088), Table 1.
MIXTRAL = dict(n_layer=32, d_model=4096, d_ff=14336, n_experts=8, top_k=2, n_heads=32, n_kv_heads=8,
               head_dim=128, vocab_size=32000)
#: Kumar et al. 2024 (arXiv:2411.04330), App. K, Table 2: weights, activations, KV cache.
KUMAR_GAMMAS = [2.6745, 2.2102, 0.9578]
KUMAR_OFFSETS = [0.3037, 1.4072, 2.4185]


# --------------------------------------------------------------------------- pass_at_k


@exercise("pass_at_k", points=1, hint="With one draw, pass@k is the share of correct samples (section 1; lesson 06, "
                                      "'Test-time compute').")
def test_one_correct_sample_in_ten_gives_a_tenth(student):
    """n = 10, c = 1, k = 1: 1 - C(9, 1)/C(10, 1) = 1 - 9/10 = 0.1 (computed here)."""
    assert_close(student.pass_at_k(10, 1, 1), 0.1, atol=1e-12)


@exercise("pass_at_k", points=1, hint="Count the ways to draw k samples that are all wrong, against all the ways to "
                                      "draw k: the unbiased estimator of Chen et al. (section 1; lesson 06, "
                                      "'Test-time compute').")
def test_pass_at_k_follows_the_binomial_formula(student):
    """n = 5, c = 2, k = 3: 1 - C(3, 3)/C(5, 3) = 1 - 1/10 = 0.9 (Chen et al. 2021, eq. 1)."""
    assert_close(student.pass_at_k(5, 2, 3), 0.9, atol=1e-12)


@exercise("pass_at_k", points=1,
          hint="With no correct sample no draw succeeds; with one, a draw succeeds when it includes that sample "
               "(section 1).")
def test_no_correct_sample_gives_zero_and_one_gives_k_over_n(student):
    """n = 20, k = 5: c = 0 gives 0; c = 1 gives 1 - C(19, 5)/C(20, 5) = 5/20 = 0.25
    (computed here). The second case keeps a function returning 0 for everything out."""
    assert_close(student.pass_at_k(20, 0, 5), 0.0, atol=1e-12, what="pass@5 with no correct sample")
    assert_close(student.pass_at_k(20, 1, 5), 0.25, rtol=1e-12, what="pass@5 with one correct sample in 20")


@exercise("pass_at_k", points=1,
          hint="When there are fewer wrong samples than draws, every draw contains a correct one (section 1; lesson "
               "06, 'Test-time compute').")
def test_more_draws_than_wrong_samples_always_succeeds(student):
    """n = 10, c = 8: only 2 wrong samples, so any 3 include a correct one: 1. With c = 7
    there are exactly 3 wrong samples, and the one choice of all three fails:
    1 - C(3, 3)/C(10, 3) = 1 - 1/120 (computed here)."""
    assert_close(student.pass_at_k(10, 8, 3), 1.0, atol=1e-12, what="pass@3 with 2 wrong samples in 10")
    assert_close(student.pass_at_k(10, 7, 3), 1 - 1 / 120, rtol=1e-12, what="pass@3 with 3 wrong samples in 10")


@exercise("pass_at_k", points=2,
          hint="Factorials of thousands overflow a float: exact integers, or the estimator as a product of ratios, "
               "stay exact (section 1; lesson 06, 'Test-time compute').")
def test_pass_at_k_is_exact_for_thousands_of_samples(student):
    """n = 10,000, c = 1: pass@k = k/n exactly, 0.025 for k = 250; and n = 10,000, c = 37,
    k = 1,000 against exact integer arithmetic (computed here, rel 1e-9)."""
    assert_close(student.pass_at_k(10_000, 1, 250), 0.025, rtol=1e-9, what="pass@250 with 1 correct in 10,000")
    expected = 1 - math.comb(10_000 - 37, 1_000) / math.comb(10_000, 1_000)
    assert_close(student.pass_at_k(10_000, 37, 1_000), expected, rtol=1e-9, what="pass@1000 with 37 correct in 10,000")


@exercise("pass_at_k", points=1, requires_value=True, hint="You cannot draw more samples than there are: the "
                                                           "docstring asks you to refuse it (section 1).")
def test_pass_at_k_rejects_k_above_n(student):
    with rejects(ValueError, "pass_at_k", "k = 6 with n = 5"):
        student.pass_at_k(5, 1, 6)


@exercise("pass_at_k", points=1, requires_value=True,
          hint="The correct samples are some of the n samples, between none and all: refuse other counts (section "
               "1).")
def test_pass_at_k_rejects_a_count_of_correct_samples_outside_zero_to_n(student):
    with rejects(ValueError, "pass_at_k", "c = 6 correct samples out of n = 5"):
        student.pass_at_k(5, 6, 2)
    with rejects(ValueError, "pass_at_k", "c = -1"):
        student.pass_at_k(5, -1, 2)


@exercise("pass_at_k", points=1, requires_value=True,
          hint="A user draws at least one sample: the docstring asks you to refuse zero draws (section 1).")
def test_pass_at_k_rejects_zero_draws(student):
    with rejects(ValueError, "pass_at_k", "k = 0"):
        student.pass_at_k(5, 1, 0)


# ------------------------------------------------------------------- expected_coverage


@exercise("expected_coverage", points=1, hint="With one sample, the coverage is the average success rate over "
                                              "problems: the mean of the Beta distribution (section 2; lesson 06, "
                                              "'Test-time compute').")
def test_one_sample_covers_the_mean_success_rate(student):
    """Beta(2, 6) has mean 2/8 = 0.25 (computed here)."""
    assert_close(student.expected_coverage(1, 2.0, 6.0), 0.25, rtol=1e-9)


@exercise("expected_coverage", points=2,
          hint="Average the chance that k samples all fail over the Beta distribution of success rates, and return "
               "an array shaped like k (section 2; lesson 06, 'Test-time compute').")
def test_uniform_difficulties_cover_k_over_k_plus_one(student):
    """p uniform on [0, 1]: E[(1 - p)^k] = 1/(k + 1), so coverage = k/(k + 1): 0.5, 0.75,
    0.99 for k = 1, 3, 99 (computed here)."""
    assert_close(student.expected_coverage(np.array([1.0, 3.0, 99.0]), 1.0, 1.0), [0.5, 0.75, 0.99], rtol=1e-9)


@exercise("expected_coverage", points=1, hint="The average over problems of the chance that k samples all fail is a "
                                              "ratio of two Beta functions (section 2; lesson 06, 'Test-time "
                                              "compute').")
def test_swe_bench_lite_beta_fit_gives_56_percent_at_250_samples(student):
    """Beta(0.12202, 0.64541) passes through Brown et al. 2024's SWE-bench Lite points:
    15.9% at 1 sample, 56% at 250 (abstract; the fit is lesson 06's, abs 1e-6)."""
    a, b = 0.122021729577739, 0.6454105319174749
    assert_close(student.expected_coverage(1, a, b), 0.159, atol=1e-6, what="the coverage at 1 sample")
    assert_close(student.expected_coverage(250, a, b), 0.56, atol=1e-6, what="the coverage at 250 samples")


@exercise("expected_coverage", points=2,
          hint="For large k the Beta functions overflow as plain numbers: work with their logarithms (section 2; "
               "lesson 06, 'Test-time compute').")
def test_failures_fall_as_a_power_law_in_k_with_exponent_a(student):
    """For large k, 1 - coverage ≈ Γ(a+b)/Γ(b) · k^(-a): between k = 1e5 and 1e6 the
    log-log slope of the failures is -a = -0.3 (Stirling; tolerance 0.005)."""
    failures = 1.0 - array(student.expected_coverage(np.array([1e5, 1e6]), 0.3, 2.0), shape=(2,))
    assert_all(failures > 0, "the coverage must stay below 1: some problems are still unsolved")
    slope = math.log(failures[1] / failures[0]) / math.log(10.0)
    assert_close(slope, -0.3, atol=5e-3, what="the log-log slope of 1 - coverage")


# ---------------------------------------------------------------- moe_parameter_counts


@exercise("moe_parameter_counts", points=2,
          hint="Per layer: attention, the router, two norms and every expert; plus the embeddings. Active "
               "parameters use only the experts a token is routed to (section 3; lesson 06, 'Mixture of experts').")
def test_mixtral_has_46_7_billion_parameters_12_9_billion_active(student):
    """Mixtral 8x7B (Jiang et al. 2024, Table 1): Mistral AI publishes 46.7B total and 12.9B
    per token; counting gives 46,702,792,704 and 12,879,925,248 (tolerance: the rounding,
    0.05B)."""
    assert_close(student.moe_parameter_counts(**MIXTRAL), (46.7e9, 12.9e9), atol=0.05e9, names=("total", "active"))


@exercise("moe_parameter_counts", points=2, hint="Count exactly what the notebook's conventions list, nothing more "
                                                 "(section 3).")
def test_small_model_is_counted_exactly(student):
    """2 layers, d_model 8, d_ff 16, 4 experts (top 1), 2 heads of 4, 1 kv head, vocab 10:
    attention 2·8·2·4 + 2·8·1·4 = 192, router 32, norms 16, expert 3·8·16 = 384;
    total = 2·(192 + 32 + 16 + 4·384) + 2·10·8 + 8 = 3,720; active = 2·(240 + 384) + 168 = 1,416
    (computed by hand)."""
    got = student.moe_parameter_counts(n_layer=2, d_model=8, d_ff=16, n_experts=4, top_k=1, n_heads=2,
                                       n_kv_heads=1, head_dim=4, vocab_size=10)
    assert_close(got, (3720.0, 1416.0), rtol=0, atol=0, names=("total", "active"))


@exercise("moe_parameter_counts", points=1, hint="If every token uses every expert, nothing is idle (section 3; "
                                                 "lesson 06, 'Mixture of experts').")
def test_routing_to_every_expert_makes_every_parameter_active(student):
    total, active = numbers(student.moe_parameter_counts(**dict(MIXTRAL, top_k=8)), 2, names=("total", "active"))
    assert_close(total, 46.7e9, atol=0.05e9, what="the total")
    assert_close(active, total, rtol=0, atol=0, what="the active count (it should equal the total)")


@exercise("moe_parameter_counts", points=1, hint="Tied embeddings share one matrix between the input and the output "
                                                 "(section 3).")
def test_tied_embeddings_save_one_vocabulary_matrix(student):
    """Tying saves 32,000 · 4,096 = 131,072,000 parameters in both counts (computed here)."""
    untied = numbers(student.moe_parameter_counts(**MIXTRAL), 2, "the untied counts", names=("total", "active"))
    tied = numbers(student.moe_parameter_counts(**MIXTRAL, tied_embeddings=True), 2, "the tied counts",
                   names=("the tied total", "the tied active count"))
    assert_close((untied[0] - tied[0], untied[1] - tied[1]), (131_072_000.0, 131_072_000.0), rtol=0, atol=0,
                 names=("the total saved by tying", "the active count saved by tying"))


@exercise("moe_parameter_counts", points=1, requires_value=True,
          hint="A token cannot be routed to more experts than exist: the docstring asks you to refuse it (section "
               "3).")
def test_moe_counts_reject_top_k_above_the_number_of_experts(student):
    with rejects(ValueError, "moe_parameter_counts", "top_k = 9 with 8 experts"):
        student.moe_parameter_counts(**dict(MIXTRAL, top_k=9))


@exercise("moe_parameter_counts", points=1, requires_value=True,
          hint="Every size (layers, widths, experts, vocabulary) must be positive: refuse the others (section 3).")
def test_moe_counts_reject_a_size_that_is_not_positive(student):
    with rejects(ValueError, "moe_parameter_counts", "n_layer = 0"):
        student.moe_parameter_counts(**dict(MIXTRAL, n_layer=0))


@exercise("moe_parameter_counts", points=1, requires_value=True,
          hint="Counts are whole numbers: integer arithmetic keeps them exact (section 3).")
def test_moe_counts_are_whole_numbers(student):
    """The docstring returns a tuple of int: 46,702,792,704 parameters, not 46702792704.0."""
    counts = student.moe_parameter_counts(**MIXTRAL)
    assert isinstance(counts, (tuple, list)) and len(counts) == 2, "the result should be (total, active)"
    whole = [not isinstance(c, bool) and np.ndim(c) == 0 and np.asarray(c).dtype.kind in "iu" for c in counts]
    assert all(whole), f"the counts should be ints, but are {', '.join(type(c).__name__ for c in counts)}"


# ----------------------------------------------------------- compute_optimal_precision


@exercise("compute_optimal_precision", points=2,
          hint="Maximise the effective parameters per bit over the precision, searching only where every factor is "
               "positive and up to 32 bits (section 4; lesson 06, 'Precision').")
def test_kumar_constants_give_seven_bits(student):
    """Kumar et al. 2024, App. K Table 2 constants: P* = 7.002 bits (computed here by the
    same maximisation; the paper says "around 7-8 bits", §4.3.2). Tolerance 0.01 bit."""
    assert_close(student.compute_optimal_precision(KUMAR_GAMMAS, KUMAR_OFFSETS), 7.002, atol=0.01, what="P*")


@exercise("compute_optimal_precision", points=2,
          hint="Set the derivative of the log of the effective parameters per bit to zero (section 4; lesson 06, "
               "'Precision').")
def test_three_equal_parts_without_offsets_give_1_904_gamma(student):
    """f = (1 - e^(-P/γ))^3: d/dP [3 ln(1 - e^(-x)) - ln x] = 0 gives e^x - 1 = 3x,
    x = 1.90381 (solved here); with γ = 2, P* = 3.8076 bits (tolerance 0.005)."""
    assert_close(student.compute_optimal_precision([2.0, 2.0, 2.0], [0.0, 0.0, 0.0]), 3.8076, atol=5e-3, what="P*")


@exercise("compute_optimal_precision", points=1,
          hint="The objective depends on the precision only through its ratio to the gammas: scale them, and the "
               "answer scales too (section 4).")
def test_doubling_every_gamma_doubles_the_optimal_precision(student):
    once = number(student.compute_optimal_precision([1.5, 1.2, 0.6], [0.2, 0.5, 1.0]), "P*")
    twice = number(student.compute_optimal_precision([3.0, 2.4, 1.2], [0.2, 0.5, 1.0]), "P* with doubled gammas")
    assert once > 0.6, "P* must lie above max(n * gamma) = 0.6 bits, where every factor is positive"
    assert_close(twice, 2 * once, rtol=1e-3, what="P* with every gamma doubled")


@exercise("compute_optimal_precision", points=1,
          hint="The docstring bounds the search at 32 bits: a bounded scalar search, not an open one (section 4).")
def test_the_search_stops_at_32_bits(student):
    """Three equal gammas of 20 without offsets put the maximum of f(P)/P at 1.9038·20 = 38.08
    bits (solved above), beyond the docstring's range: the answer is its upper end, 32 (0.01)."""
    got = student.compute_optimal_precision([20.0, 20.0, 20.0], [0.0, 0.0, 0.0])
    assert_close(got, 32.0, atol=0.01, what="P*")


# ------------------------------------------------------------ compute_reduction_factor


@exercise("compute_reduction_factor", points=1, hint="Count the halvings the time span holds; each halves the "
                                                     "compute needed (section 5; lesson 06, 'Algorithmic "
                                                     "progress').")
def test_two_years_at_eight_months_is_eight_times_less(student):
    assert_close(student.compute_reduction_factor(2.0, 8.0), 8.0, rtol=1e-12)


@exercise("compute_reduction_factor", points=1, hint="A year holds twelve months' worth of halvings, so a shorter "
                                                     "halving time means a larger factor (section 5; lesson 06, "
                                                     "'Algorithmic progress').")
def test_one_year_spans_ho_et_al_interval(student):
    """Ho et al. 2024 (arXiv v1 abstract): 8 months, 95% CI 5-14 months; per year
    2^(12/14) = 1.811, 2^(12/8) = 2.828, 2^(12/5) = 5.278 (computed here)."""
    got = student.compute_reduction_factor(1.0, np.array([14.0, 8.0, 5.0]))
    assert_close(got, [2 ** (12 / 14), 2 ** 1.5, 2 ** 2.4], rtol=1e-12)


@exercise("compute_reduction_factor", points=1,
          hint="After no time nothing has changed; after one halving time the compute has halved (section 5).")
def test_no_time_no_progress_and_one_halving_time_halves(student):
    """0 years at 8 months per halving: 2^0 = 1. Half a year at 6 months: one halving, 2
    (the second case keeps a function returning 1 for everything out)."""
    assert_close(student.compute_reduction_factor(0.0, 8.0), 1.0, atol=1e-12, what="the factor after 0 years")
    assert_close(student.compute_reduction_factor(0.5, 6.0), 2.0, rtol=1e-12, what="the factor after one halving time")


@exercise("compute_reduction_factor", points=1, requires_value=True,
          hint="A halving time is a positive span: the docstring asks you to refuse the others (section 5).")
def test_reduction_factor_rejects_a_non_positive_halving_time(student):
    with rejects(ValueError, "compute_reduction_factor", "halving_months = 0"):
        student.compute_reduction_factor(1.0, 0.0)


@exercise("compute_reduction_factor", points=1, requires_value=True,
          hint="Time runs forward here: the docstring asks you to refuse a negative number of years (section 5).")
def test_reduction_factor_rejects_a_negative_number_of_years(student):
    with rejects(ValueError, "compute_reduction_factor", "years = -1"):
        student.compute_reduction_factor(-1.0, 8.0)
