"""course_utils.hyperparameter_scaling: DeepSeek LLM's learning-rate and batch laws; µP."""

from __future__ import annotations

import pytest

from course_utils.hyperparameter_scaling import (mup_adam_learning_rate, non_embedding_flops_per_token,
                                                 optimal_batch_tokens, optimal_learning_rate)
from course_utils.literature import DEEPSEEK_LLM_MODELS


def _budget(spec):
    return non_embedding_flops_per_token(spec["n_layer"], spec["d_model"], spec["seq_len"]) * spec["tokens"]


def test_non_embedding_flops_per_token_of_deepseek_7b():
    """Eq. 2 with 30 layers, width 4096, sequence 4096: 72·30·4096² + 12·30·4096² = 4.228e10 (by hand)."""
    assert non_embedding_flops_per_token(30, 4096, 4096) == pytest.approx(84 * 30 * 4096**2, rel=1e-12)


@pytest.mark.parametrize("name", ["7B", "67B"])
def test_the_law_predicts_the_learning_rates_deepseek_used(name):
    """DeepSeek LLM Table 2: 4.2e-4 (7B) and 3.2e-4 (67B); eq. 1 at C = M·D gives 4.25e-4
    and 3.12e-4 (computed here; within 5%)."""
    spec = DEEPSEEK_LLM_MODELS[name]
    assert optimal_learning_rate(_budget(spec)) == pytest.approx(spec["lr"], rel=0.05)


@pytest.mark.parametrize("name", ["7B", "67B"])
def test_the_law_predicts_the_batch_sizes_deepseek_used(name):
    """Table 2: 2304 and 4608 sequences of 4096 tokens (9.4M, 18.9M); eq. 1 gives 9.2M and
    20.7M tokens (computed here; within 10%)."""
    spec = DEEPSEEK_LLM_MODELS[name]
    assert optimal_batch_tokens(_budget(spec)) == pytest.approx(spec["batch_sequences"] * spec["seq_len"], rel=0.10)


def test_learning_rate_law_at_1e20_flops():
    """0.3118 · (1e20)^-0.125 = 0.3118 · 10^-2.5 = 9.86e-4 (by hand); the paper validated at 1e20."""
    assert optimal_learning_rate(1e20) == pytest.approx(0.3118 * 10**-2.5, rel=1e-12)


def test_mup_divides_the_hidden_learning_rate_by_the_width_multiplier():
    """MuAdam (microsoft/mup, mup/optim.py): matrix-like lr / width_mult; vectors keep lr."""
    assert mup_adam_learning_rate(1e-2, 256, 4096) == pytest.approx(1e-2 / 16)
    assert mup_adam_learning_rate(1e-2, 256, 4096, kind="vector") == pytest.approx(1e-2)


def test_mup_rejects_an_unknown_parameter_kind():
    with pytest.raises(ValueError, match="kind"):
        mup_adam_learning_rate(1e-2, 256, 4096, kind="output")
