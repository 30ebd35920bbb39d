"""course_utils.downstream_prediction: Gadre et al.'s error law and Llama 3's token fit."""

from __future__ import annotations

import math

import pytest

from course_utils.compute import training_flops
from course_utils.downstream_prediction import downstream_error, optimal_tokens
from course_utils.literature import (GADRE_2024, LLAMA3_FLAGSHIP_PLAN, LLAMA3_TOKEN_FIT_FIGURE,
                                     LLAMA3_TOKEN_FIT_TEXT)


def test_exact_match_of_l_tokens_is_the_special_case_epsilon_k_one():
    """Gadre et al. §5: with ε = k = 1, γ = ℓ, Err = 1 - e^(-ℓL); ℓ = 10, L = 0.1 gives 1 - e^-1."""
    assert downstream_error(0.1, 1.0, 1.0, 10.0) == pytest.approx(1 - math.exp(-1.0), rel=1e-12)


def test_downstream_error_falls_with_loss():
    assert downstream_error(2.0, 0.8, 5.0, 1.5) < downstream_error(3.0, 0.8, 5.0, 1.5)


def test_llama3_figure_constants_come_within_two_percent_of_16_55_trillion_tokens():
    """Llama 3 §3.2.1: 3.8e25 FLOPs -> 16.55T tokens. Figure 3's (0.537, 0.299) gives 16.29T;
    the text's rounded (0.53, 0.29) gives 10.46T, a factor 1.56 lower (computed here)."""
    flops = LLAMA3_FLAGSHIP_PLAN["flops"]
    figure = optimal_tokens(flops, LLAMA3_TOKEN_FIT_FIGURE["A"], LLAMA3_TOKEN_FIT_FIGURE["alpha"])
    text = optimal_tokens(flops, LLAMA3_TOKEN_FIT_TEXT["A"], LLAMA3_TOKEN_FIT_TEXT["alpha"])
    assert figure == pytest.approx(LLAMA3_FLAGSHIP_PLAN["tokens"], rel=0.02)
    assert figure / text == pytest.approx(1.557, abs=0.002)


def test_gadre_targets_cost_about_300_and_20_times_their_fits():
    """Gadre et al. 2024 abstract: predictions "from experiments that take 300x less
    compute" (loss) and "20x less compute" (error). 6ND of the 1.4B/900B run is 315x the
    2.4e19 loss fit; of the 6.9B/138B run 21x the 2.7e20 error fit (computed here)."""
    big = training_flops(*GADRE_2024["targets"]["1.4B, 900B tokens"])
    optimal = training_flops(*GADRE_2024["targets"]["6.9B, 138B tokens"])
    assert big / GADRE_2024["loss_fit_flops"] == pytest.approx(315, abs=1)
    assert optimal / GADRE_2024["downstream_fit_flops"] == pytest.approx(21.2, abs=0.1)


def test_downstream_error_rejects_non_positive_constants():
    with pytest.raises(ValueError, match="gamma"):
        downstream_error(2.0, 0.8, 5.0, 0.0)
