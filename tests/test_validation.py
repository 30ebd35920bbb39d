"""One validation for every public function: a boolean or a string is never a number.

Before issue 13, ``HOFFMANN_2022.loss(True, 2e10)`` returned 408.6 and
``.loss("1e9", "2e10")`` returned 2.58 while ``training_flops`` refused both. Now every
public function of the science modules refuses both, with a message that starts with the
argument's name (course_utils/_validation.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import _validation as v
from course_utils import chinchilla, compute, data_limits, powerlaw, trends
from course_utils.chinchilla import HOFFMANN_2022

X = np.geomspace(1e6, 1e9, 8)
Y = 3.0 * X**-0.1

#: (call with the bad value in first place, argument name): every public numeric entry point.
CALLS = {
    "ChinchillaLaw.loss": (lambda bad: HOFFMANN_2022.loss(bad, 2e10), "N"),
    "ChinchillaLaw.compute_optimal": (lambda bad: HOFFMANN_2022.compute_optimal(bad), "C"),
    "ChinchillaLaw.tokens_per_parameter": (lambda bad: HOFFMANN_2022.tokens_per_parameter(bad), "C"),
    "ChinchillaLaw.isoflop_loss": (lambda bad: HOFFMANN_2022.isoflop_loss(1e9, bad), "C"),
    "ChinchillaLaw(E=...)": (lambda bad: chinchilla.ChinchillaLaw(E=bad, A=1, B=1, alpha=0.3, beta=0.3), "E"),
    "fit_chinchilla": (lambda bad: chinchilla.fit_chinchilla([bad, 1e8, 1e9, 1e10, 1e11], [1e9] * 5, [3.0] * 5), "N"),
    "fit_isoflop_profile": (lambda bad: chinchilla.fit_isoflop_profile([bad, 2e8, 3e8], [3.0, 2.9, 3.0]), "N"),
    "efficient_frontier": (lambda bad: chinchilla.efficient_frontier([bad, 2.0], [3.0, 2.0]), "C"),
    "synthetic_isoflop_data": (lambda bad: chinchilla.synthetic_isoflop_data(noise=bad), "noise"),
    "budget_summary": (lambda bad: chinchilla.budget_summary(bad), "C"),
    "kaplan_loss_of_params": (lambda bad: chinchilla.kaplan_loss_of_params(bad), "N"),
    "kaplan_allocation": (lambda bad: chinchilla.kaplan_allocation(bad), "C_flops"),
    "training_flops": (lambda bad: compute.training_flops(bad, 2e10), "N"),
    "non_embedding_params": (lambda bad: compute.non_embedding_params(bad, 768), "n_layer"),
    "flops_per_token": (lambda bad: compute.flops_per_token(12, 768, bad), "n_ctx"),
    "total_params": (lambda bad: compute.total_params(bad), "non_embedding"),
    "training_cost": (lambda bad: compute.training_cost(bad), "flops"),
    "training_cost(mfu=...)": (lambda bad: compute.training_cost(1e24, mfu=bad), "mfu"),
    "implied_mfu": (lambda bad: compute.implied_mfu(bad, 1e6), "flops"),
    "fit_power_law": (lambda bad: powerlaw.fit_power_law([bad, *X[1:]], Y), "x"),
    "fit_saturating_power_law": (lambda bad: powerlaw.fit_saturating_power_law(X, [bad, *Y[1:]]), "y"),
    "huber": (lambda bad: powerlaw.huber([0.1], bad), "delta"),
    "bootstrap(n=...)": (lambda bad: powerlaw.bootstrap(powerlaw.fit_power_law, X, Y, n=bad), "n"),
    "fit_experiment": (lambda bad: powerlaw.fit_experiment(bad, 8, (1e7, 1e9), n_bootstrap=2), "noise"),
    "fit_exponential_trend": (lambda bad: trends.fit_exponential_trend([2000.0, 2001.0, 2002.0], [bad, 2, 4]),
                              "values"),
    "moores_law": (lambda bad: trends.moores_law(2020.0, 2000.0, bad), "reference_value"),
    "growth_per_year_from_doubling": (lambda bad: trends.growth_per_year_from_doubling(bad), "doubling_months"),
    "effective_data": (lambda bad: data_limits.effective_data(bad, 4e12), "unique_tokens"),
    "repeated_data_value": (lambda bad: data_limits.repeated_data_value(bad), "epochs"),
    "data_exhaustion_year": (lambda bad: data_limits.data_exhaustion_year(15e12, bad, 3.7), "year_now"),
    "lifetime_flops": (lambda bad: data_limits.lifetime_flops(7e9, 1e12, bad), "inference_tokens"),
    "years_bought_by_repetition": (lambda bad: data_limits.years_bought_by_repetition(bad, 3.7), "epochs"),
    "data_limits_summary": (lambda bad: data_limits.data_limits_summary(bad), "stock_tokens"),
}


@pytest.mark.parametrize("bad", [True, "1e9"], ids=["bool", "str"])
@pytest.mark.parametrize("name", list(CALLS))
def test_every_public_function_refuses_booleans_and_strings(name, bad):
    call, argument = CALLS[name]
    with pytest.raises(ValueError, match=rf"^{argument} must be (a number|an integer)"):
        call(bad)


def test_hoffmann_loss_no_longer_treats_true_as_one_parameter():
    """The two cases the design review found (issue 13)."""
    with pytest.raises(ValueError, match="N must be a number, not bool"):
        HOFFMANN_2022.loss(True, 2e10)
    with pytest.raises(ValueError, match="N must be a number, not str"):
        HOFFMANN_2022.loss("1e9", "2e10")


def test_a_boolean_inside_a_list_is_refused_too():
    with pytest.raises(ValueError, match="N must be a number or an array of numbers, not one holding bool"):
        compute.training_flops([1e9, True], 2e10)


def test_numpy_numbers_and_arrays_are_accepted():
    assert compute.training_flops(np.float32(1e9), np.int64(2 * 10**10)) == pytest.approx(1.2e20)
    np.testing.assert_allclose(v.positive_array("N", np.array([1, 2, 3])), [1.0, 2.0, 3.0])


@pytest.mark.parametrize("helper, value, message", [
    (v.positive_array, [1.0, -1.0], "x must be positive; got -1.0"),
    (v.finite_array, [1.0, np.nan], "x must be finite; got nan"),
    (v.non_negative_array, -2, "x must be >= 0; got -2.0"),
    (v.positive_number, [1.0, 2.0], "x must be a single number"),
    (v.real_array, [], "x must not be empty"),
    (v.real_array, 1 + 2j, "x must be a number or an array of numbers, not one holding complex"),
    (v.fraction, 1.5, r"x must be in \(0, 1\]"),
    (v.level, 1.0, "x must be between 0 and 1"),
])
def test_messages_name_the_argument_and_say_what_was_wrong(helper, value, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        helper("x", value)


def test_positive_int_refuses_a_float_that_looks_whole():
    with pytest.raises(ValueError, match="n must be an integer, not float"):
        v.positive_int("n", 2.0)
    assert v.positive_int("n", np.int64(3)) == 3
