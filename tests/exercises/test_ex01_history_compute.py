"""Tests for solutions/ex01_history_compute.ipynb: compute accounting and trends.

Each test checks one behaviour of the learner's function; expected values come from a
published table (cited) or are computed here from first principles.
"""

import numpy as np

from course_utils.grading import exercise
from course_utils.grading.compare import assert_close, number, rejects

#: points of the hidden tests in tests/hidden/test_ex01_history_compute.py, which run when an instructor grades
#: (check_all() tells learners; tests/test_grading_honesty.py checks the sum)
HIDDEN_POINTS = 5

BLOCKED = [
    "course_utils.compute.training_flops",
    "course_utils.data_limits.lifetime_flops",  # 6ND + 2N·0 is training_flops
    "course_utils.compute.flops_per_token",
    "course_utils.compute.non_embedding_params",
    "course_utils.compute.training_cost",
    "course_utils.trends.fit_exponential_trend",
    "course_utils.trends.doubling_months_from_growth",
]


# ------------------------------------------------------------------ training_flops


@exercise("training_flops", points=1, hint="Training costs about six FLOP per parameter per token: two forward, "
                                           "four backward (section 1; lesson 00, 'C: 6ND').")
def test_training_flops_matches_gpt3_published_compute(student):
    """GPT-3 (175e9 params, 300e9 tokens): 6ND = 3.15e23, Brown et al. 2020 Table D.1
    publishes 3.14e23 FLOP. Tolerance 1%: the published count includes the attention term
    that 6ND leaves out."""
    assert_close(student.training_flops(175e9, 300e9), 3.14e23, rtol=0.01)


@exercise("training_flops", points=1, hint="The rule counts only the parameter multiplications, forward and "
                                           "backward, for every token: no other factor (section 1).")
def test_training_flops_is_six_n_d(student):
    """Computed from the rule itself: 6 · 1e9 · 20e9 = 1.2e20 (floating-point tolerance)."""
    assert_close(student.training_flops(1e9, 20e9), 1.2e20, rtol=1e-12)


@exercise("training_flops", points=1, hint="An array of sizes and an array of token counts pair up element by "
                                           "element when the arithmetic is NumPy's, not a loop over Python numbers "
                                           "(section 1).")
def test_training_flops_works_elementwise_on_arrays(student):
    """Table 3 of Hoffmann et al. 2022 (400M/8.0B, 1B/20.2B): 6ND computed here."""
    got = student.training_flops(np.array([400e6, 1e9]), np.array([8.0e9, 20.2e9]))
    assert_close(got, [1.92e19, 1.212e20], rtol=1e-12)


# --------------------------------------------------------- forward_flops_per_token


@exercise("forward_flops_per_token", points=1,
          hint="Two FLOP per non-embedding parameter per token, plus the attention scores, which grow with the "
               "context: Kaplan et al.'s eq. 2.2 (section 2).")
def test_forward_flops_of_a_gpt2_small_shape(student):
    """n_layer 12, d_model 768, n_ctx 1024 (Kaplan eqs. 2.1-2.2, computed here):
    N = 84,934,656, so 2N + 2·12·1024·768 = 169,869,312 + 18,874,368 = 188,743,680."""
    assert_close(student.forward_flops_per_token(12, 768, 1024), 188_743_680, rtol=1e-12)


@exercise("forward_flops_per_token", points=1,
          hint="Only the attention term depends on the context length, and in proportion to it (section 2; Kaplan "
               "et al. 2020, eq. 2.2).")
def test_forward_flops_context_term_is_linear_in_n_ctx(student):
    """Doubling n_ctx from 1024 to 2048 adds exactly 2·n_layer·1024·d_model (eq. 2.2)."""
    longer = number(student.forward_flops_per_token(4, 256, 2048), "the FLOP at n_ctx 2048")
    extra = longer - number(student.forward_flops_per_token(4, 256, 1024), "the FLOP at n_ctx 1024")
    assert_close(extra, 2 * 4 * 1024 * 256, rtol=1e-9, what="the FLOP added by doubling n_ctx")


@exercise("forward_flops_per_token", points=1,
          hint="When the width is large next to the context, the parameter term dominates the attention term "
               "(section 2; lesson 00, 'C: 6ND').")
def test_forward_flops_is_about_2n_for_a_wide_model(student):
    """GPT-3-like shape (96 layers, d_model 12288, n_ctx 2048): d_model ≫ n_ctx/12, so the
    total is within 2% of 2N (the attention share computed here is 1.4%)."""
    two_n = 2 * 12 * 96 * 12288**2
    assert_close(student.forward_flops_per_token(96, 12288, 2048), two_n, rtol=0.02)


# ----------------------------------------------------------------- fit_doubling_time


@exercise("fit_doubling_time", points=1,
          hint="An exponential trend is a straight line once you take the logarithm of the values; its slope says "
               "how fast they double (section 3; lesson 01, 'How fast has training compute grown?').")
def test_doubling_time_of_moores_two_year_law(student):
    """An exact series doubling every 2 years (Moore 1975) must give 2.0; tolerance 1e-6
    covers only floating-point error in the least-squares fit."""
    years = np.arange(1975.0, 1996.0)
    values = 2300.0 * 2.0 ** ((years - 1975.0) / 2.0)
    assert_close(student.fit_doubling_time(years, values), 2.0, rtol=1e-6)


@exercise("fit_doubling_time", points=2,
          hint="Fit the line where the trend is straight, on the logarithm of the values, not on the values "
               "(section 3; lesson 01, 'How fast has training compute grown?').")
def test_doubling_time_from_noisy_compute_trend(student):
    """Synthetic trend doubling every 5.7 months (Sevilla et al. 2022, deep-learning era),
    72 points over 2010-2022 with log-normal scatter sigma = 0.5 (seed 0). The slope's
    standard error is sigma / (sd(t)·sqrt(n)) ≈ 1.2% of the slope; tolerance 5% ≈ 4 SE."""
    rng = np.random.default_rng(0)
    years = np.sort(rng.uniform(2010.0, 2022.0, 72))
    values = 1e15 * 2.0 ** ((years - 2010.0) / (5.7 / 12)) * rng.lognormal(0.0, 0.5, years.size)
    assert_close(student.fit_doubling_time(years, values), 5.7 / 12, rtol=0.05)


@exercise("fit_doubling_time", points=1,
          hint="A shrinking series has a falling line: the docstring keeps the sign, so a halving time comes out "
               "negative (section 3).")
def test_doubling_time_is_negative_for_a_halving_series(student):
    """Values halving every 3 years give -3 (the docstring's sign convention)."""
    years = np.arange(2000.0, 2012.0)
    values = 1e6 * 0.5 ** ((years - 2000.0) / 3.0)
    assert_close(student.fit_doubling_time(years, values), -3.0, rtol=1e-6)


@exercise("fit_doubling_time", points=1, requires_value=True,
          hint="A logarithm needs positive values: the docstring asks you to refuse the others before fitting "
               "(section 3).")
def test_doubling_time_rejects_non_positive_values(student):
    with rejects(ValueError, "fit_doubling_time", "a value of 0"):
        student.fit_doubling_time([2000.0, 2001.0, 2002.0], [1.0, 0.0, 4.0])


@exercise("fit_doubling_time", points=1, requires_value=True,
          hint="Years and values must pair up one to one: the docstring asks you to refuse arrays that do not "
               "(section 3).")
def test_doubling_time_rejects_arrays_of_different_lengths(student):
    """The docstring's second rule; without the check numpy.polyfit raises TypeError instead."""
    with rejects(ValueError, "fit_doubling_time", "4 years and 3 values"):
        student.fit_doubling_time([2000.0, 2001.0, 2002.0, 2003.0], [1.0, 2.0, 4.0])


# ----------------------------------------------------------------- training_cost_usd


@exercise("training_cost_usd", points=1,
          hint="From FLOP to seconds at the speed the GPU achieves (its peak times the utilisation), then to hours, "
               "then to dollars (section 4; lesson 01, 'From FLOP to GPU-hours to dollars').")
def test_training_cost_of_a_worked_example(student):
    """Computed here: 1e21 FLOP at 1e15 FLOP/s × 50% MFU = 2e6 s = 555.56 GPU-hours;
    at $2 per GPU-hour that is $1,111.11."""
    assert_close(student.training_cost_usd(1e21, 1e15, 0.5, 2.0), 1e21 / 5e14 / 3600 * 2, rtol=1e-12)


@exercise("training_cost_usd", points=1,
          hint="The utilisation scales the speed a GPU achieves: half the utilisation, twice the hours (section 4; "
               "lesson 01, 'From FLOP to GPU-hours to dollars').")
def test_training_cost_doubles_when_utilisation_halves(student):
    full = number(student.training_cost_usd(3.14e23, 3e14, 0.6, 1.5), "the cost", positive=True)
    half = number(student.training_cost_usd(3.14e23, 3e14, 0.3, 1.5), "the cost", positive=True)
    assert_close(half, 2 * full, rtol=1e-12, what="the cost at half the utilisation")


@exercise("training_cost_usd", points=1, requires_value=True,
          hint="Utilisation is a share of the peak: above 1 is impossible, and the docstring asks you to refuse it "
               "(section 4).")
def test_training_cost_rejects_utilisation_above_one(student):
    with rejects(ValueError, "training_cost_usd", "mfu = 1.5"):
        student.training_cost_usd(1e21, 1e15, 1.5, 2.0)


@exercise("training_cost_usd", points=1,
          hint="The interval (0, 1] includes its right end: a perfect GPU is allowed, only zero and above one are "
               "not (section 4).")
def test_training_cost_accepts_full_utilisation(student):
    """mfu = 1 lies in (0, 1]: 1e21 FLOP at 1e15 FLOP/s take 1e6 s = 277.78 GPU-hours, $555.56
    at $2 per GPU-hour (computed here)."""
    assert_close(student.training_cost_usd(1e21, 1e15, 1.0, 2.0), 1e21 / 1e15 / 3600 * 2, rtol=1e-12)


@exercise("training_cost_usd", points=1, requires_value=True,
          hint="A GPU that does no work never finishes: the docstring asks for an error here, not a division by "
               "zero (section 4).")
def test_training_cost_rejects_zero_utilisation(student):
    with rejects(ValueError, "training_cost_usd", "mfu = 0"):
        student.training_cost_usd(1e21, 1e15, 0.0, 2.0)


@exercise("training_cost_usd", points=1, requires_value=True,
          hint="Every input is a positive quantity (FLOP, speed, price): the docstring asks you to refuse the "
               "others (section 4).")
def test_training_cost_rejects_negative_compute(student):
    with rejects(ValueError, "training_cost_usd", "flops = -1e21"):
        student.training_cost_usd(-1e21, 1e15, 0.5, 2.0)
