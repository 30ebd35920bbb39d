"""course_utils.compute: FLOP accounting, hardware time and money."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import compute
from course_utils.literature import ACCELERATORS, Accelerator


def test_training_flops_of_gpt3_matches_the_published_compute():
    """Brown et al. 2020, Table D.1: GPT-3 175B on 300B tokens used 3.14e23 FLOP.
    6ND = 3.15e23; the 0.3% gap is the attention term 6ND leaves out."""
    assert compute.training_flops(175e9, 300e9) == pytest.approx(3.15e23, rel=1e-12)
    assert compute.training_flops(175e9, 300e9) == pytest.approx(3.14e23, rel=0.005)


def test_training_flops_of_chinchilla_is_within_3_percent_of_gophers_budget():
    """Hoffmann et al. 2022: 70B × 1.4T; 6ND = 5.88e23 vs the 5.76e23 budget (Fig. 2)."""
    assert compute.training_flops(70e9, 1.4e12) == pytest.approx(5.88e23, rel=1e-12)


def test_training_flops_works_elementwise():
    """Hoffmann et al. 2022 Table 3 rows 400M/8.0B and 1B/20.2B: 1.92e19 and 1.212e20."""
    got = compute.training_flops(np.array([400e6, 1e9]), np.array([8.0e9, 20.2e9]))
    np.testing.assert_allclose(got, [1.92e19, 1.212e20], rtol=1e-12)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "1e9", [1.0, -2.0]])
def test_training_flops_rejects_bad_parameters_naming_N(bad):
    with pytest.raises(ValueError, match="N"):
        compute.training_flops(bad, 1e9)


def test_non_embedding_params_of_a_gpt2_small_shape():
    """Kaplan eq. 2.1 computed by hand: 12 · 12 · 768² = 84,934,656."""
    assert compute.non_embedding_params(12, 768) == 84_934_656


def test_non_embedding_params_rejects_a_float_layer_count():
    with pytest.raises(ValueError, match="n_layer"):
        compute.non_embedding_params(12.5, 768)


def test_forward_flops_per_token_of_a_gpt2_small_shape():
    """Kaplan eq. 2.2 by hand: 2 · 84,934,656 + 2 · 12 · 1024 · 768 = 188,743,680."""
    assert compute.flops_per_token(12, 768, 1024) == 188_743_680


def test_training_flops_per_token_is_three_times_forward():
    """Backward ≈ 2 × forward (Kaplan §2.1): 3 × 188,743,680 = 566,231,040."""
    assert compute.flops_per_token(12, 768, 1024, training=True) == 566_231_040


def test_context_term_is_small_for_a_wide_model():
    """GPT-3's shape (96 layers, d_model 12,288, n_ctx 2,048): d_model ≫ n_ctx/12, so
    the context term is n_ctx / (12 d_model) = 1.4% of 2N."""
    two_n = 2 * compute.non_embedding_params(96, 12288)
    assert compute.flops_per_token(96, 12288, 2048) / two_n - 1 == pytest.approx(2048 / (12 * 12288))


def test_total_params_adds_the_pearce_song_embedding_term():
    """Pearce & Song 2024: N_T = N + 47,491 · N^(1/3); for N = 1e9, 1e9 + 4.7491e6."""
    assert compute.total_params(1e9) == pytest.approx(1e9 + 47_491 * 1e3, rel=1e-12)


def test_training_cost_worked_example():
    """By hand: 1e21 FLOP on an H100 (989.4e12 FLOP/s) at 40% MFU is
    1e21 / (0.4 · 989.4e12) / 3600 = 701.8 GPU-hours; on 8 GPUs 3.66 days; at $2/h $1,403.7."""
    cost = compute.training_cost(1e21, gpu="H100", n_gpus=8, mfu=0.4, usd_per_gpu_hour=2.0)
    hours = 1e21 / (0.4 * 989.4e12) / 3600
    assert cost.gpu_hours == pytest.approx(hours, rel=1e-12)
    assert cost.wall_days == pytest.approx(hours / 8 / 24, rel=1e-12)
    assert cost.usd == pytest.approx(2.0 * hours, rel=1e-12)


def test_training_cost_gpu_hours_do_not_depend_on_the_number_of_gpus():
    one = compute.training_cost(1e22, n_gpus=1)
    many = compute.training_cost(1e22, n_gpus=1000)
    assert one.gpu_hours == pytest.approx(many.gpu_hours)
    assert one.wall_days == pytest.approx(1000 * many.wall_days)


def test_training_cost_accepts_a_custom_accelerator():
    chip = Accelerator("toy", 1e15, "BF16", "made up for the test")
    cost = compute.training_cost(3.6e18, gpu=chip, mfu=1.0, usd_per_gpu_hour=1.0)
    assert cost.gpu_hours == pytest.approx(1.0)


@pytest.mark.parametrize("mfu", [0.0, 1.5, -0.1, float("nan")])
def test_training_cost_rejects_an_impossible_utilisation(mfu):
    with pytest.raises(ValueError, match="mfu"):
        compute.training_cost(1e21, mfu=mfu)


def test_training_cost_rejects_an_unknown_gpu_naming_the_known_ones():
    with pytest.raises(ValueError, match="H100"):
        compute.training_cost(1e21, gpu="GTX 480")


def test_training_cost_rejects_zero_gpus():
    with pytest.raises(ValueError, match="n_gpus"):
        compute.training_cost(1e21, n_gpus=0)


def test_implied_mfu_of_llama2_70b():
    """Touvron et al. 2023: Llama 2-70B, 2T tokens, 1,720,320 A100-80GB GPU-hours.
    6ND = 8.4e23; 8.4e23 / (1,720,320 · 3600 · 312e12) = 0.4347."""
    assert compute.implied_mfu(8.4e23, 1_720_320, gpu="A100") == pytest.approx(0.4347, abs=5e-4)


def test_implied_mfu_inverts_training_cost():
    cost = compute.training_cost(5e23, gpu="A100", mfu=0.37)
    assert compute.implied_mfu(5e23, cost.gpu_hours, gpu="A100") == pytest.approx(0.37)


def test_every_accelerator_has_a_positive_peak_and_a_source():
    for key, chip in ACCELERATORS.items():
        assert chip.peak_flops > 1e13, key
        assert chip.source, key


def test_gpt1_costs_tens_of_dollars_at_todays_assumed_price():
    """Lesson 01 used to say 'hundreds of dollars' while printing $25 (issue 13): Epoch AI's
    1.76e19 FLOP for GPT-1 on H100s (989.4 TFLOP/s dense BF16, datasheet) at 40% MFU and the
    assumed $2 per GPU-hour is 1.76e19 / (0.4 · 989.4e12) / 3600 = 12.4 GPU-hours, $24.7."""
    cost = compute.training_cost(1.76e19, gpu="H100", mfu=0.4)
    assert cost.gpu_hours == pytest.approx(12.35, abs=0.01)
    assert 10 < cost.usd < 100
