"""The published facts issue 13 added or corrected in course_utils/literature.py, each checked
against the arithmetic its source publishes alongside it."""

from __future__ import annotations

import math

import pytest

from course_utils import literature as lit


def test_semiconductor_sales_reproduce_the_published_yearly_changes():
    """SIA press releases: 2001 sales $139B, down 32% from $204B (3 February 2002); 2023
    $526.8B, down 8.2% from $574.1B (5 February 2024); 2024 $627.6B, up 19.1% (February 2025)."""
    sales = lit.SEMICONDUCTOR_SALES_USD
    assert sales[2001] / sales[2000] - 1 == pytest.approx(-0.32, abs=0.005)
    assert sales[2023] / sales[2022] - 1 == pytest.approx(-0.082, abs=0.0005)
    assert sales[2024] / sales[2023] - 1 == pytest.approx(0.191, abs=0.0005)


def test_alphabet_capex_more_than_doubles_from_2023_to_2025_plan():
    """Alphabet Q4 2024 release: $32.3B (2023), $52.5B (2024), about $75B planned for 2025."""
    capex = lit.ALPHABET_CAPEX_USD
    assert capex[2025] / capex[2023] == pytest.approx(2.32, abs=0.01)


def test_transformer_big_flop_is_the_papers_gpu_time_estimate():
    """Vaswani et al. 2017: 3.5 days on 8 P100s at an assumed 9.5 TFLOP/s sustained (footnote 5)
    gives the 2.3e19 of Table 2; Epoch AI's estimate, 7.4e18, is about a third of it."""
    assert 3.5 * 86_400 * 8 * 9.5e12 == pytest.approx(lit.TRANSFORMER_BIG["flops"], rel=0.01)
    assert lit.TRANSFORMER_BIG["epoch_flops"] / lit.TRANSFORMER_BIG["flops"] == pytest.approx(0.32, abs=0.01)


def test_hestness_exponents_are_shallower_than_the_theoretical_one_half():
    """Hestness et al. 2017 (abstract; Baidu's summary): exponents in [-0.35, -0.07] vs -0.5."""
    low, high = lit.HESTNESS_2017_EXPONENT_RANGE
    assert (low, high) == (-0.35, -0.07) and -0.5 < low < high < 0


def test_epoch_2030_feasible_run_is_ten_thousand_times_gpt4():
    """Epoch AI 2024: 2e29 FLOP by 2030, "exceed GPT-4 in scale to the same degree that GPT-4
    exceeds GPT-2"; against the course table's 2.1e25 for GPT-4 that is about 1e4×."""
    assert math.log10(lit.EPOCH_2024_FEASIBLE_FLOP_2030 / 2.1e25) == pytest.approx(4.0, abs=0.05)
    power_low, power_high = lit.EPOCH_2024_CONSTRAINTS_2030["power (one 1-5 GW campus)"]
    data_low, data_high = lit.EPOCH_2024_CONSTRAINTS_2030["data (text and multimodal)"]
    assert power_low < lit.EPOCH_2024_FEASIBLE_FLOP_2030 < power_high < data_high and power_low < data_low


def test_villalobos_median_dataset_exceeds_the_central_stock():
    """Villalobos et al. 2024, Fig. 1: at the median year (2028) datasets reach about 4e14
    tokens, ~5e28 FLOP without overtraining; 6·N·D with D = 20·N gives 4.8e28 [R]."""
    tokens = lit.VILLALOBOS_2024_MEDIAN_DATASET["tokens"]
    assert 6 * (tokens / 20) * tokens == pytest.approx(lit.VILLALOBOS_2024_MEDIAN_DATASET["flops"], rel=0.05)
    low, high = lit.VILLALOBOS_2024_STOCK_INTERVAL
    assert low < lit.VILLALOBOS_2024_STOCK_TOKENS < tokens < high
