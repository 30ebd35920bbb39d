"""SweepQueries (course_utils.lab.query): a sweep served one configuration at a time, each
query charged its runs' 6ND against a FLOP budget."""

import numpy as np
import pytest

from course_utils.lab.query import BudgetExceeded, SweepQueries
from course_utils.results import FIELDS, RunResult


def _run(n, tokens, seed, loss):
    values = {name: 0 for name in FIELDS}
    values.update(run_id=f"n{n}-t{tokens}-s{seed}", corpus="synthetic", n_layer=1, d_model=n // 1000,
                  params_non_embedding=n, params_total=n, tokens=tokens, flops_6nd=6.0 * n * tokens,
                  flops_counted=6.0 * n * tokens, loss=loss, train_loss=loss, oracle_loss=0.5, seed=seed,
                  seconds=1.0, data_hash="h")
    return RunResult(**values)


#: Three configurations × two seeds: 6ND per run 6e9, 1.2e10 and 2.4e10 FLOP.
RUNS = [_run(1000, 1_000_000, s, 2.0 + 0.1 * s) for s in (0, 1)] + \
       [_run(2000, 1_000_000, s, 1.8 + 0.1 * s) for s in (0, 1)] + \
       [_run(4000, 1_000_000, s, 1.7 + 0.1 * s) for s in (0, 1)]


def test_the_catalogue_lists_costs_but_no_losses_cheapest_first():
    catalogue = SweepQueries(1e12, RUNS).catalogue()
    assert "loss" not in catalogue
    np.testing.assert_allclose(catalogue["C"], [6e9, 1.2e10, 2.4e10])
    np.testing.assert_allclose(catalogue["cost"], [1.2e10, 2.4e10, 4.8e10])  # two seeds each


def test_a_query_returns_the_seed_average_and_charges_every_seed():
    lab = SweepQueries(1e11, RUNS)
    answer = lab.query(1)
    assert answer["loss"] == pytest.approx(1.85) and answer["N"] == 2000
    assert answer["loss_sd"] == pytest.approx(np.std([1.8, 1.9], ddof=1))
    assert lab.spent == pytest.approx(2.4e10) and lab.remaining == pytest.approx(7.6e10)


def test_asking_again_is_free():
    lab = SweepQueries(1e11, RUNS)
    lab.query(2)
    lab.query(2)
    assert lab.spent == pytest.approx(4.8e10)


def test_a_query_past_the_budget_is_refused_and_costs_nothing():
    lab = SweepQueries(5e10, RUNS)
    lab.query(0)
    with pytest.raises(BudgetExceeded, match="remain"):
        lab.query(2)
    assert lab.spent == pytest.approx(1.2e10) and len(lab.results()["N"]) == 1


def test_query_all_is_all_or_nothing():
    lab = SweepQueries(5e10, RUNS)
    with pytest.raises(BudgetExceeded):
        lab.query_all([0, 1, 2])  # 8.4e10 > 5e10
    assert lab.spent == 0
    answers = lab.query_all([1, 0])
    np.testing.assert_allclose(answers["N"], [2000, 1000])


def test_runs_above_the_per_run_cap_are_not_served():
    assert len(SweepQueries(1e12, RUNS, max_run_flops=1.2e10)) == 2


@pytest.mark.parametrize("index", [-1, 3, 1.0, True, "0"])
def test_a_bad_index_is_rejected(index):
    with pytest.raises(ValueError, match="index"):
        SweepQueries(1e12, RUNS).query(index)


@pytest.mark.parametrize("budget", [0, -1.0, float("nan"), True, "1e12"])
def test_a_bad_budget_is_rejected(budget):
    with pytest.raises(ValueError, match="flop_budget"):
        SweepQueries(budget, RUNS)


def test_by_default_it_serves_the_shipped_course_sweep():
    lab = SweepQueries(1e13)
    assert len(lab) > 0 and lab.catalogue()["seeds"].min() >= 2
