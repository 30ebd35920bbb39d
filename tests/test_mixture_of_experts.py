"""course_utils.mixture_of_experts: total and active parameters of routed transformers."""

from __future__ import annotations

import pytest

from course_utils.literature import MIXTRAL_8X7B_ARCHITECTURE, MIXTRAL_8X7B_PUBLISHED_PARAMS
from course_utils.mixture_of_experts import moe_parameter_counts


def test_mixtral_counts_reproduce_the_published_46_7_and_12_9_billion():
    """Jiang et al. 2024, Table 1 architecture; Mistral AI publishes 46.7B total and 12.9B
    per token (tolerance: the rounding, 0.05B)."""
    counts = moe_parameter_counts(**MIXTRAL_8X7B_ARCHITECTURE)
    assert counts.total == pytest.approx(MIXTRAL_8X7B_PUBLISHED_PARAMS["total"], abs=0.05e9)
    assert counts.active == pytest.approx(MIXTRAL_8X7B_PUBLISHED_PARAMS["active"], abs=0.05e9)


def test_mixtral_exact_counts():
    """32 · (41,943,040 attention + 32,768 router + 8,192 norms + 8 · 176,160,768 experts)
    + 2 · 32,000 · 4,096 + 4,096 = 46,702,792,704; with 2 experts 12,879,925,248 (by hand)."""
    counts = moe_parameter_counts(**MIXTRAL_8X7B_ARCHITECTURE)
    assert (counts.total, counts.active) == (46_702_792_704, 12_879_925_248)
    assert counts.active_fraction == pytest.approx(0.2758, abs=1e-4)


def test_one_expert_is_a_dense_model():
    counts = moe_parameter_counts(2, 8, 16, 1, 1, 2, 2, 4, 10)
    assert counts.total == counts.active


def test_tying_embeddings_saves_one_vocabulary_matrix():
    untied = moe_parameter_counts(**MIXTRAL_8X7B_ARCHITECTURE)
    tied = moe_parameter_counts(**dict(MIXTRAL_8X7B_ARCHITECTURE, tied_embeddings=True))
    assert untied.total - tied.total == untied.active - tied.active == 32_000 * 4_096


@pytest.mark.parametrize("change, match", [(dict(top_k=9), "top_k"), (dict(n_kv_heads=64), "n_kv_heads"),
                                           (dict(d_model=0), "d_model"), (dict(n_layer=32.0), "n_layer"),
                                           (dict(tied_embeddings="no"), "tied_embeddings")])
def test_moe_counts_reject_impossible_architectures(change, match):
    with pytest.raises(ValueError, match=match):
        moe_parameter_counts(**dict(MIXTRAL_8X7B_ARCHITECTURE, **change))
