"""Specification of the scaling lab (course_utils.lab): short runs only."""

import numpy as np
import pytest

from course_utils.lab import (ModelConfig, Preset, PydocCorpus, SyntheticLanguage, TinyTransformer, TrainSettings,
                              run_sweep, train)
from course_utils.lab import sweep as sweep_module
from course_utils.results import read_results

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


SMALL = Preset("small", shapes=((1, 32), (2, 32)), tokens=(256, 512), seeds=(0,), n_ctx=16)


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_two_workers_give_the_same_losses_as_one_process(tmp_path):
    """Every run trains on one thread wherever it runs, so the worker count changes nothing."""
    parallel = run_sweep(SMALL, tmp_path / "two.csv", workers=2, settings=TINY, progress=False)
    serial = run_sweep(SMALL, tmp_path / "one.csv", workers=1, settings=TINY, progress=False)
    assert len(parallel) == len(SMALL.runs())
    assert {r.run_id: r.loss for r in parallel} == {r.run_id: r.loss for r in serial}


@pytest.mark.timeout(60)
def test_an_interrupted_sweep_keeps_finished_runs_and_resumes_without_duplicates(tmp_path, monkeypatch):
    out = tmp_path / "results.csv"
    real_train, calls = sweep_module.train, []

    def interrupted_second_run(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_train(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "train", interrupted_second_run)
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C still stops the caller (the CLI exits 130)
        run_sweep(SMALL, out, workers=1, settings=TINY, progress=False)
    assert len(read_results(out)) == 1
    monkeypatch.setattr(sweep_module, "train", real_train)
    resumed = run_sweep(SMALL, out, workers=1, settings=TINY, progress=False)
    ids = [r.run_id for r in read_results(out)]
    assert len(resumed) == len(SMALL.runs()) - 1 and len(ids) == len(set(ids)) == len(SMALL.runs())


@pytest.mark.timeout(10)
@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_a_bad_worker_count_is_rejected_before_training(tmp_path, workers):
    with pytest.raises(ValueError, match="workers"):
        run_sweep(SMALL, tmp_path / "results.csv", workers=workers, settings=TINY, progress=False)
    assert not (tmp_path / "results.csv").exists()


@pytest.mark.timeout(10)
def test_an_unknown_preset_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="preset"):
        run_sweep("huge", tmp_path / "results.csv")


@pytest.mark.timeout(30)
def test_pydoc_corpus_splits_without_overlap_and_trains(tmp_path):
    """Character-level pydoc_data text: fixed 90/10 split, a hash to record, no oracle."""
    corpus = PydocCorpus()
    assert len(corpus.validation_tokens) == pytest.approx(len(corpus.train_tokens) / 9, rel=1e-3)
    assert len(corpus.data_hash()) == 16 and corpus.data_hash() == PydocCorpus().data_hash()
    from pydoc_data import topics

    text = "".join(topics.topics[key] for key in sorted(topics.topics))
    assert corpus.decode(corpus.train_tokens[:300]) == text[:300]
    config = ModelConfig(1, 32, n_ctx=16, vocab_size=corpus.vocab_size)
    result = train(config, corpus, 512, settings=TINY, progress=False, threads=1).result
    assert result.corpus == "pydoc" and np.isnan(result.oracle_loss)
    assert 0 < result.loss < np.log(corpus.vocab_size) + 0.5


@pytest.mark.timeout(30)
def test_dry_run_prints_flops_and_an_estimated_time(capsys):
    from course_utils.__main__ import main

    assert main(["lab", "sweep", "--preset", "quick", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "FLOP as 6ND" in out and "estimated time" in out and "minutes" in out


def test_the_sweeps_progress_bar_shows_the_estimate_it_started_with():
    from course_utils.lab.sweep import _description

    assert _description(6, 2, 44.4) == "6 runs on 2 workers, estimated 44 s"
    assert _description(6, 1, None) == "6 runs on 1 worker"
