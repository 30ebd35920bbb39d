"""Specification of the scaling lab (course_utils.lab): short runs only."""

import numpy as np
import pytest

from course_utils.lab import ModelConfig, SyntheticLanguage, TinyTransformer, TrainSettings, run_sweep, train

TINY = TrainSettings(batch_size=4, n_val_windows=16)


@pytest.fixture(scope="module")
def language():
    return SyntheticLanguage(seed=0)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("shape", [(1, 32), (2, 64), (3, 96)])
def test_parameter_counts_match_the_model(shape):
    """n_layer·(12d² + 13d) + 2d non-embedding; (V + n_ctx)·d embedding (tied output)."""
    config = ModelConfig(*shape, n_ctx=64, vocab_size=64)
    model = TinyTransformer(config)
    assert sum(p.numel() for p in model.parameters()) == config.params_total
    embedding = sum(p.numel() for p in model.embedding_parameters())
    assert config.params_total - embedding == config.params_non_embedding


@pytest.mark.timeout(20)
def test_entropy_rate_equals_the_dense_formula(language):
    """h = Σ_s π_s H(next|s) over edges equals the same sum over the dense (K, M, V) table."""
    P = language.next_token_probs()
    H = -np.where(P > 0, P * np.log(np.where(P > 0, P, 1.0)), 0.0).sum(-1)
    assert language.entropy_rate() == pytest.approx(float((language.stationary() * H).sum()), rel=1e-12)


@pytest.mark.timeout(20)
def test_oracle_far_into_a_stream_matches_the_entropy_rate(language):
    """Once the state is known, the mean oracle NLL estimates h (Shannon–McMillan–Breiman)."""
    tokens = language.sample(4, 3000, seed=3)
    nll = language.oracle_nll(tokens)[:, 100:]
    se = nll.mean(axis=1).std(ddof=1) / 2 + nll.std() / np.sqrt(nll.size)
    assert abs(nll.mean() - language.entropy_rate()) < 4 * se + 0.02


@pytest.mark.timeout(30)
def test_same_seed_gives_identical_loss(language):
    config = ModelConfig(1, 32, n_ctx=16, vocab_size=64)
    a = train(config, language, 256, seed=1, settings=TINY, progress=False, threads=1).result
    b = train(config, language, 256, seed=1, settings=TINY, progress=False, threads=1).result
    assert a.loss == b.loss


@pytest.mark.timeout(30)
def test_model_never_beats_the_oracle_significantly(language):
    """Paired window differences model − oracle on held-out windows: mean > −3 SE."""
    config = ModelConfig(1, 32, n_ctx=32, vocab_size=64)
    report = train(config, language, 4096, seed=0, settings=TINY, progress=False, threads=1)
    diff = report.window_loss - report.window_oracle
    assert diff.mean() > -3 * diff.std(ddof=1) / np.sqrt(len(diff))


@pytest.mark.timeout(10)
def test_budget_below_one_batch_is_rejected(language):
    with pytest.raises(ValueError, match="one batch"):
        train(ModelConfig(1, 32, n_ctx=16, vocab_size=64), language, 10, settings=TINY, progress=False)


@pytest.mark.timeout(10)
def test_non_positive_sizes_are_rejected():
    with pytest.raises(ValueError, match="d_model"):
        ModelConfig(1, 0)


@pytest.mark.timeout(10)
def test_unwritable_results_path_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="out"):
        run_sweep("quick", tmp_path / "missing" / "results.csv")
