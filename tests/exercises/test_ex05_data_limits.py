"""Tests for solutions/ex05_data_limits.ipynb: tokens per parameter, repeated data,
exhaustion year, lifetime compute and inference-aware allocation.

Published inputs carry their source; expected results are computed here from the
formulas, or are recomputations of published formulas stated with their inputs.
"""

import math

import numpy as np

from course_utils.grading import exercise
from course_utils.grading.compare import assert_close, number, numbers, rejects

#: points of the hidden tests in tests/hidden/test_ex05_data_limits.py, which run when an instructor grades
#: (check_all() tells learners; tests/test_grading_honesty.py checks the sum)
HIDDEN_POINTS = 7

BLOCKED = [
    "course_utils.data_limits.effective_data",
    "course_utils.data_limits.repeated_data_value",
    "course_utils.data_limits.data_exhaustion_year",
    "course_utils.data_limits.exhaustion_interval",
    "course_utils.data_limits.lifetime_flops",
    "course_utils.data_limits.inference_optimal_size",
    "course_utils.chinchilla.ChinchillaLaw.compute_optimal",
    "course_utils.chinchilla.ChinchillaLaw.tokens_per_parameter",
    "course_utils.chinchilla.ChinchillaLaw.G",
    "course_utils.chinchilla.ChinchillaLaw.a",
    "course_utils.chinchilla.ChinchillaLaw.b",
    # other course code that computes these answers
    "course_utils.data_limits._tokens_for_loss",  # D(N) at a target loss, the core of the allocation
    "course_utils.trends.TrendFit.year_reaching",  # the year an exponential trend reaches a value
]

R_D_STAR = 15.387756  # Muennighoff et al. 2023, datablations README "Parametric Fit"
HOFFMANN_PRINTED = dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)  # Hoffmann et al. 2022, App. D.2


# -------------------------------------------------------------- tokens_per_parameter


@exercise("tokens_per_parameter", points=1, hint="How many training tokens each parameter saw (section 1; lesson "
                                                 "05, 'Overtraining').")
def test_llama3_8b_saw_1875_tokens_per_parameter(student):
    """Llama 3 8B: 8e9 parameters, 15e12 tokens (Meta, 2024) → 15e12 / 8e9 = 1,875."""
    assert_close(student.tokens_per_parameter(8e9, 15e12), 1875.0, rtol=1e-12)


@exercise("tokens_per_parameter", points=1, hint="NumPy arithmetic pairs arrays element by element (section 1).")
def test_tokens_per_parameter_elementwise(student):
    """Chinchilla (70B, 1.4T) → 20 and GPT-3 (175B, 300B) → 1.714 (Hoffmann et al. 2022,
    Table 1; ratios computed here)."""
    got = student.tokens_per_parameter(np.array([70e9, 175e9]), np.array([1.4e12, 300e9]))
    assert_close(got, [20.0, 300 / 175], rtol=1e-12)


@exercise("tokens_per_parameter", points=1, requires_value=True, hint="A model without parameters has no ratio: the "
                                                                      "docstring asks you to refuse it (section 1).")
def test_tokens_per_parameter_rejects_zero_parameters(student):
    with rejects(ValueError, "tokens_per_parameter", "N = 0"):
        student.tokens_per_parameter(0.0, 1e12)


@exercise("tokens_per_parameter", points=1, requires_value=True,
          hint="Refuse every size that is not positive, not only zero (section 1).")
def test_tokens_per_parameter_rejects_negative_parameters(student):
    with rejects(ValueError, "tokens_per_parameter", "N = -7e9"):
        student.tokens_per_parameter(-7e9, 1e12)


# ----------------------------------------------------------------- effective_data


@exercise("effective_data", points=2,
          hint="Muennighoff et al.'s law: the unique data counts in full, and each repeated epoch is worth a little "
               "less than the one before, decaying with the constant r_star (section 2; lesson 05, 'Repeating "
               "data').")
def test_four_epochs_are_worth_93_percent_of_fresh_data(student):
    """4 epochs over U unique tokens: D'/D = 0.931 (Muennighoff et al. 2023's law with their
    fitted R_D*, recomputed; their abstract: "up to 4 epochs ... negligible changes"). Tolerance 0.0005 =
    rounding of the published 0.931."""
    U = 100e9
    assert_close(number(student.effective_data(U, 4 * U, R_D_STAR)) / (4 * U), 0.931, atol=5e-4, what="D' / D")


@exercise("effective_data", points=1, hint="Without repetition there is nothing to discount: the effective data is "
                                           "the data seen (section 2; lesson 05, 'Repeating data').")
def test_effective_data_without_repetition_is_the_data(student):
    assert_close(student.effective_data(1e12, 3e11, R_D_STAR), 3e11, rtol=1e-12)


@exercise("effective_data", points=1, hint="However many epochs, the repeated part's worth approaches a ceiling set "
                                           "by r_star (section 2; lesson 05, 'Repeating data').")
def test_effective_data_saturates_at_one_plus_r_star_times_unique(student):
    """10,000 epochs: D'/U = 1 + 15.387756·(1 − e^(−9999/15.39)) = 16.388, computed here."""
    U = 1e9
    assert_close(number(student.effective_data(U, 1e4 * U, R_D_STAR)) / U, 1 + R_D_STAR, rtol=1e-9, what="D' / U")


# ----------------------------------------------------------------- exhaustion_year


@exercise("exhaustion_year", points=1, hint="Growth by a constant factor each year: how many years of it turn "
                                            "today's dataset into the stock? (section 3; lesson 05, 'How fast are "
                                            "training sets growing?')")
def test_exhaustion_year_for_the_villalobos_stock(student):
    """Stock 3e14 tokens (Villalobos et al. 2024), 15e12 tokens in 2024 (Llama 3), growth
    ×3.7/yr (Epoch AI data insight, 19 June 2024): 2024 + ln 20 / ln 3.7 = 2026.29,
    computed here (rel 1e-9)."""
    year = number(student.exhaustion_year(3e14, 15e12, 2024.0, 3.7), "the year")
    assert_close(year - 2024.0, math.log(20) / math.log(3.7), rtol=1e-9,
                 what="the time from 2024 to that year, in years")


@exercise("exhaustion_year", points=1, hint="Doubling the stock adds the time the dataset takes to double, whatever "
                                            "the stock (section 3; lesson 05, 'How fast are training sets "
                                            "growing?').")
def test_doubling_the_stock_adds_one_doubling_time(student):
    """Growth ×2/yr: twice the stock is reached exactly one year later."""
    first = number(student.exhaustion_year(1e14, 1e13, 2024.0, 2.0), "the year for the stock")
    second = number(student.exhaustion_year(2e14, 1e13, 2024.0, 2.0), "the year for twice the stock")
    assert_close(second - first, 1.0, rtol=1e-9, what="the delay")


@exercise("exhaustion_year", points=1, requires_value=True,
          hint="A dataset that does not grow never reaches the stock: the docstring asks you to refuse it (section "
               "3).")
def test_exhaustion_year_rejects_no_growth(student):
    with rejects(ValueError, "exhaustion_year", "growth_per_year = 1"):
        student.exhaustion_year(3e14, 15e12, 2024.0, 1.0)


@exercise("exhaustion_year", points=1,
          hint="A stock smaller than today's dataset was reached in the past: the same formula, with a negative "
               "number of years (section 3).")
def test_exhaustion_year_is_in_the_past_when_the_stock_is_already_smaller(student):
    """The docstring: earlier than year_now if the stock is already smaller. A stock of 1e12
    tokens against 1e13 growing ×2 a year: 2024 + ln(0.1)/ln 2 = 2020.68 (computed here)."""
    year = number(student.exhaustion_year(1e12, 1e13, 2024.0, 2.0), "the year")
    assert_close(year - 2024.0, math.log(0.1) / math.log(2.0), rtol=1e-9,
                 what="the time from 2024 to that year, in years")


@exercise("exhaustion_year", points=1, requires_value=True,
          hint="A stock or a dataset of no tokens has no logarithm: the docstring asks you to refuse it (section "
               "3).")
def test_exhaustion_year_rejects_an_empty_stock(student):
    with rejects(ValueError, "exhaustion_year", "a stock of 0 tokens"):
        student.exhaustion_year(0.0, 15e12, 2024.0, 3.7)


# ----------------------------------------------------------------- lifetime_compute


@exercise("lifetime_compute", points=1, hint="Training costs six FLOP per parameter per token, serving two per "
                                             "parameter per token: add both (section 4; lesson 05, 'Overtraining').")
def test_lifetime_compute_adds_inference(student):
    """7B params, 2T training and 2T inference tokens: 6·7e9·2e12 + 2·7e9·2e12 = 1.12e23
    (computed here)."""
    assert_close(student.lifetime_compute(7e9, 2e12, 2e12), 1.12e23, rtol=1e-12)


@exercise("lifetime_compute", points=1, hint="Without inference only the training compute is left (section 4; "
                                             "lesson 05, 'Overtraining').")
def test_lifetime_compute_without_inference_is_training_compute(student):
    assert_close(student.lifetime_compute(70e9, 1.4e12, 0.0), 5.88e23, rtol=1e-12)


@exercise("lifetime_compute", points=1, hint="NumPy arithmetic pairs arrays of sizes, tokens and inference element "
                                             "by element (section 4).")
def test_lifetime_compute_works_elementwise_on_arrays(student):
    """Two models at once, 1B and 7B parameters on 20B and 2T tokens, serving 1T and 2T
    tokens: 6ND + 2N·I computed here for each."""
    N, D, inference = np.array([1e9, 7e9]), np.array([20e9, 2e12]), np.array([1e12, 2e12])
    assert_close(student.lifetime_compute(N, D, inference), 6 * N * D + 2 * N * inference, rtol=1e-12)


# ------------------------------------------------------------ overtrained_allocation


def _compute_optimal(C, p):
    """Hoffmann et al. 2022, eq. 4."""
    G = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / (p["alpha"] + p["beta"]))
    a, b = p["beta"] / (p["alpha"] + p["beta"]), p["alpha"] / (p["alpha"] + p["beta"])
    return G * (C / 6) ** a, (C / 6) ** b / G


def _loss(N, D, p):
    return p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"]


@exercise("overtrained_allocation", points=2,
          hint="With nothing to serve, the cheapest model for a loss is the compute-optimal one (section 5; lesson "
               "05, 'Overtraining'; lesson 04, 'The closed form').")
def test_without_inference_the_allocation_is_compute_optimal(student):
    """Take the compute-optimal (N, D) at 1e23 FLOP (eq. 4) and its loss as the target;
    with zero inference the cheapest model is that one (tolerance 0.1%, optimiser's)."""
    N_opt, D_opt = _compute_optimal(1e23, HOFFMANN_PRINTED)
    got = student.overtrained_allocation(_loss(N_opt, D_opt, HOFFMANN_PRINTED), 0.0, HOFFMANN_PRINTED)
    assert_close(got, (N_opt, D_opt), rtol=1e-3, names=("N", "D"))


@exercise("overtrained_allocation", points=1, hint="For each size, the tokens that reach the target loss follow "
                                                   "from the law; return that pair (section 5; lesson 05, "
                                                   "'Overtraining').")
def test_allocation_reaches_the_target_loss(student):
    N, D = numbers(student.overtrained_allocation(2.0, 1e13, HOFFMANN_PRINTED), 2, names=("N", "D"), positive=True)
    assert_close(_loss(N, D, HOFFMANN_PRINTED), 2.0, rtol=1e-6, what="the loss of your (N, D)")


@exercise("overtrained_allocation", points=2,
          hint="Serving costs grow with the model's size: heavy use favours a smaller model trained longer (section "
               "5; lesson 05, 'Overtraining').")
def test_heavy_inference_favours_a_smaller_model(student):
    """Sardana et al. 2023: with large inference demand, train smaller and longer. At loss
    2.0, 2e13 inference tokens shrink the model to 0.35 of the compute-optimal size
    (measured with the reference solution); we ask for below 0.6 and more tokens."""
    N0, D0 = numbers(student.overtrained_allocation(2.0, 0.0, HOFFMANN_PRINTED), 2, names=("N", "D"), positive=True)
    N1, D1 = numbers(student.overtrained_allocation(2.0, 2e13, HOFFMANN_PRINTED), 2, names=("N", "D"), positive=True)
    assert N1 < 0.6 * N0, "with heavy inference the model should shrink well below the compute-optimal size"
    assert D1 > D0, "with heavy inference the smaller model should be trained on more tokens"


@exercise("overtrained_allocation", points=1, requires_value=True,
          hint="No model reaches the floor or below: the docstring asks you to refuse such a target (section 5; "
               "lesson 02, 'The irreducible term E').")
def test_allocation_rejects_a_target_below_the_irreducible_loss(student):
    """Hoffmann's printed fit has E = 1.69: a target of 1.5 nats/token is out of reach."""
    with rejects(ValueError, "overtrained_allocation", "a target loss below E"):
        student.overtrained_allocation(1.5, 0.0, HOFFMANN_PRINTED)
