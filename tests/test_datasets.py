"""course_utils.datasets: the notable-models table and the shipped sweep results."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from course_utils import datasets
from course_utils.literature import CHINCHILLA, GPT3

ANCHOR = Path(__file__).resolve().parents[1].parent / "shared" / "anchors" / \
    "epoch_notable_ai_models_LM_subset_2025-02-24.csv"


@pytest.fixture(scope="module")
def models():
    return {m.name: m for m in datasets.notable_models()}


def test_the_table_has_at_least_thirty_models(models):
    assert len(models) >= 30


def test_every_row_names_its_source(models):
    assert all(len(m.source) > 10 for m in models.values())


def test_every_status_is_official_estimate_or_unknown_and_unknown_means_empty(models):
    for m in models.values():
        for column in ("params", "tokens", "flops"):
            status = getattr(m, f"{column}_status")
            assert status in datasets.STATUSES, m.name
            assert (getattr(m, column) is None) == (status == "unknown"), (m.name, column)


def test_every_estimate_says_whose_estimate_it_is(models):
    for m in models.values():
        if "estimate" in (m.params_status, m.tokens_status, m.flops_status):
            assert "estimate" in m.source or "course arithmetic" in m.source, m.name


def test_gpt3_compute_is_the_official_published_value(models):
    """Brown et al. 2020, Table D.1: 3.14e23 FLOP, 175B parameters, 300B tokens."""
    gpt3 = models["GPT-3 (175B)"]
    assert (gpt3.params, gpt3.tokens, gpt3.flops) == (GPT3["params"], GPT3["tokens"], GPT3["flops"])
    assert gpt3.flops_status == "official"


def test_gpt4_is_an_estimate_not_an_official_figure(models):
    """OpenAI disclosed neither size nor data; 2.1e25 is Epoch AI's Speculative estimate."""
    gpt4 = models["GPT-4"]
    assert gpt4.flops_status == "estimate" and "Speculative" in gpt4.source
    assert gpt4.params is None and gpt4.params_status == "unknown"
    assert gpt4.tokens is None and gpt4.tokens_status == "unknown"


@pytest.mark.parametrize("name", ["Gemini 1.0 Ultra", "Grok-3", "PaLM 2"])
def test_undisclosed_frontier_compute_is_marked_estimate(models, name):
    assert models[name].flops_status == "estimate"


def test_chinchilla_trained_on_20_tokens_per_parameter(models):
    """Hoffmann et al. 2022: 70B parameters on 1.4T tokens, exactly 20 tokens/parameter."""
    chinchilla = models["Chinchilla"]
    assert chinchilla.tokens_per_param == pytest.approx(20.0)
    assert chinchilla.flops == CHINCHILLA["flops"]


def test_llama3_8b_is_heavily_overtrained(models):
    """15T tokens on 8B parameters: 1,875 tokens per parameter (FACTS §8)."""
    assert models["Llama 3 8B"].tokens_per_param == pytest.approx(1875.0)


def test_course_arithmetic_rows_agree_with_6nd_to_three_digits(models):
    for m in models.values():
        if "course arithmetic" in m.source and m.flops_status == "estimate":
            n = m.active_params or m.params
            assert m.flops == pytest.approx(6 * n * m.tokens, rel=2e-3), m.name


def test_dates_parse_and_cover_2017_to_2025(models):
    dates = [m.date for m in models.values()]
    assert all(isinstance(d, dt.date) for d in dates)
    assert min(dates).year == 2017 and max(dates).year == 2025


def test_estimated_by_tells_whose_compute_estimate_each_is():
    """Issue 23: of the 38 models with a compute value, 8 are the developers' own, 23 Epoch AI's
    estimates and 7 the course's 6ND arithmetic (LLaMA-7B, Gemma 2B and 7B, Phi-3-mini,
    Llama 3 8B, DeepSeek-V3, Qwen3-235B)."""
    columns = datasets.notable_models_arrays()
    who = datasets.estimated_by(columns, "flops")[np.isfinite(columns["flops"])]
    assert {answer: int((who == answer).sum()) for answer in set(who)} == {"official": 8, "epoch": 23, "course": 7}
    course = datasets.estimated_by(columns, "flops") == "course"
    assert set(columns["name"][course]) == {"LLaMA-7B", "Gemma 2B", "Gemma 7B", "Phi-3-mini", "Llama 3 8B",
                                            "DeepSeek-V3", "Qwen3-235B-A22B"}


def test_the_gpt4_interval_drawn_in_lesson_01_is_the_one_the_table_cites():
    from course_utils.literature import EPOCH_GPT4_FLOP_INTERVAL

    gpt4 = next(m for m in datasets.notable_models() if m.name == "GPT-4")
    low, high = EPOCH_GPT4_FLOP_INTERVAL
    assert f"90% interval {low:.2g}-{high:.2g}".replace("+", "") in gpt4.source
    assert low < gpt4.flops < high


def test_estimated_by_reads_the_clause_of_the_quantity_asked_for():
    """LaMDA's compute is its developer's; its token count is Hoffmann et al.'s estimate."""
    columns = datasets.notable_models_arrays()
    lamda = columns["name"] == "LaMDA"
    assert datasets.estimated_by(columns, "flops")[lamda] == ["official"]
    assert datasets.estimated_by(columns, "tokens")[lamda] == ["other"]
    with pytest.raises(ValueError, match="quantity"):
        datasets.estimated_by(columns, "loss")


def test_records_are_sorted_by_date():
    dates = [m.date for m in datasets.notable_models()]
    assert dates == sorted(dates)


def test_records_are_frozen(models):
    with pytest.raises(AttributeError):
        models["GPT-3 (175B)"].flops = 1.0


def test_arrays_use_nan_for_unknown_numbers():
    arrays = datasets.notable_models_arrays()
    names = list(arrays["name"])
    assert np.isnan(arrays["params"][names.index("GPT-4")])
    assert arrays["year"].shape == arrays["flops"].shape == (len(names),)
    assert np.all(np.diff(arrays["year"]) >= 0)


def test_required_models_are_present(models):
    for name in ["Transformer (big)", "GPT-1", "BERT-Large", "GPT-2 (1.5B)", "T5-11B", "GPT-3 (175B)",
                 "Jurassic-1 Jumbo", "Gopher (280B)", "Megatron-Turing NLG 530B", "LaMDA", "GPT-NeoX-20B",
                 "Chinchilla", "PaLM (540B)", "OPT-175B", "BLOOM (176B)", "GLM-130B", "LLaMA-65B", "GPT-4",
                 "Falcon-40B", "Falcon-180B", "PaLM 2", "Llama 2-70B", "Mistral 7B", "Mixtral 8x7B",
                 "Qwen-72B", "Gemini 1.0 Ultra", "Gemma 7B", "Phi-3-mini", "Llama 3 8B", "Llama 3 70B",
                 "Qwen2-72B", "Nemotron-4 340B", "Llama 3.1 405B", "Qwen2.5-72B", "DeepSeek-V3", "Grok-3"]:
        assert name in models


def test_mixture_of_experts_rows_record_active_parameters(models):
    v3 = models["DeepSeek-V3"]
    assert v3.active_params == 37e9 and v3.params == 671e9


def test_the_sources_file_ships_beside_the_table():
    text = datasets.data_file("SOURCES.md").read_text(encoding="utf-8")
    assert "notable_models.csv" in text and "CC BY" in text


@pytest.mark.skipif(not ANCHOR.exists(), reason="Epoch AI anchor snapshot not present (only in the course workshop)")
def test_epoch_estimates_match_the_epoch_snapshot(models):
    """Every FLOP value the table attributes to Epoch AI matches the 2025-02-24 snapshot to 1%."""
    with open(ANCHOR, encoding="utf-8") as handle:
        epoch = {row["Model"]: row for row in csv.DictReader(handle)}
    aliases = {"Llama 3 70B": "Llama 3-70B", "Llama 3.1 405B": "Llama 3.1-405B", "BLOOM (176B)": "BLOOM-176B",
               "Jurassic-1 Jumbo": "Jurassic-1-Jumbo", "Transformer (big)": "Transformer"}
    checked = 0
    for m in models.values():
        row = epoch.get(aliases.get(m.name, m.name))
        if row and m.flops_status == "estimate" and "C: Epoch AI" in m.source:
            assert m.flops == pytest.approx(float(row["Training compute (FLOP)"]), rel=0.01), m.name
            checked += 1
    assert checked >= 15


def test_missing_sweep_raises_file_not_found_naming_the_file():
    with pytest.raises(FileNotFoundError, match="sweep_no_such_preset.csv"):
        datasets.sweep_results("no_such_preset")


def test_sweep_preset_must_be_a_plain_name():
    with pytest.raises(ValueError, match="preset"):
        datasets.sweep_results("../etc")


def test_sweep_results_reads_the_shipped_course_sweep():
    runs = datasets.sweep_results("course")
    assert runs and all(r.loss > 0 and r.tokens > 0 for r in runs)


def test_transformer_big_gives_the_papers_flop_and_epochs_estimate_beside_it(models):
    """Vaswani et al. 2017, Table 2: 2.3e19 FLOP for the Transformer (big), EN-DE (their own
    estimate, published by the developer); Epoch AI's hardware estimate is 7.4e18 (issue 13)."""
    transformer = models["Transformer (big)"]
    assert (transformer.flops, transformer.flops_status) == (2.3e19, "official")
    assert "Table 2" in transformer.source and "7.4e18" in transformer.source
    assert transformer.params == 213e6  # Table 3


@pytest.mark.parametrize("name, tokens, where", [
    ("T5-11B", 1e12, "section 3.7"),      # Raffel et al. 2019: "about 1 trillion pre-training tokens"
    ("GLM-130B", 400e9, "section 1"),     # Zeng et al. 2022: "pre-trained over 400 billion tokens"
])
def test_published_token_counts_are_marked_official(models, name, tokens, where):
    model = models[name]
    assert (model.tokens, model.tokens_status) == (tokens, "official") and where in model.source


def test_gpt5_is_in_the_series_with_nothing_undisclosed_filled_in(models):
    """OpenAI's GPT-5 system card (August 2025) discloses no parameters, tokens or compute."""
    gpt5 = models["GPT-5"]
    assert gpt5.date.year == 2025 and gpt5.date.month == 8
    assert (gpt5.params, gpt5.tokens, gpt5.flops) == (None, None, None)
    assert {gpt5.params_status, gpt5.tokens_status, gpt5.flops_status} == {"unknown"}
