"""Specification of the shipped course sweep (course_utils/data/sweep_course.csv).

The file is produced by ``python -m course_utils lab sweep --preset course`` and analysed
by lessons 03 and 04. These tests check that it is what the preset says, that it
reproduces, that it is physically sane, and they pin what lesson 03 says about it: the
seed-averaged compute-efficient frontier follows L = E + A·C^(−α) onto the window floor of
the language (the source's own loss on the validation windows), the fitted E lands on that
floor, and a fit made before the bend does not. If a new sweep changes these findings, these
tests fail and the lessons' text must change with the data.

The measured values quoted below come from the shipped file (see course_utils/data/SOURCES.md).
"""

import numpy as np
import pytest

from course_utils.chinchilla import budget_frontier, compute_budgets, fit_isoflop_scaling
from course_utils.datasets import sweep_results
from course_utils.lab import PRESETS, SyntheticLanguage, TrainSettings, train
from course_utils.lab.train import run_id
from course_utils.powerlaw import bootstrap, fit_saturating_power_law, log_r_squared
from course_utils.results import mean_over_seeds

PRESET = PRESETS["course"]


@pytest.fixture(scope="module")
def runs():
    return sweep_results("course")


@pytest.fixture(scope="module")
def configs(runs):
    return mean_over_seeds(runs)


@pytest.fixture(scope="module")
def floor(configs):
    """The window floor: every run is scored on the same windows, so one value."""
    assert np.ptp(configs["oracle_loss"]) == 0
    return float(configs["oracle_loss"][0])


@pytest.fixture(scope="module")
def language():
    return SyntheticLanguage(seed=0, vocab_size=PRESET.vocab_size)


@pytest.fixture(scope="module")
def frontier(configs):
    """Seed-averaged best run of each budget, when it beats every cheaper budget, by compute."""
    on = budget_frontier(configs["flops_6nd"], configs["loss"])
    order = np.argsort(configs["flops_6nd"][on])
    return configs["flops_6nd"][on][order], configs["loss"][on][order]


@pytest.fixture(scope="module")
def floor_fit(frontier):
    C, L = frontier
    return fit_saturating_power_law(C, L), bootstrap(fit_saturating_power_law, C, L, n=300, seed=0)


# ------------------------------------------------------------------ what the file is


def test_the_shipped_sweep_is_exactly_the_course_preset(runs, language):
    expected = {run_id(language, config, tokens, seed, TrainSettings()) for config, tokens, seed in PRESET.runs()}
    assert sorted(r.run_id for r in runs) == sorted(expected)


def test_the_window_floor_is_the_oracle_loss_of_the_validation_windows(floor, language):
    """Recomputed here from the language: 1,024 windows of 65 tokens, the source's own NLL."""
    windows = language.validation_windows(TrainSettings().n_val_windows, PRESET.n_ctx + 1)
    assert floor == pytest.approx(language.oracle_loss(windows), abs=1e-12)
    assert floor > language.entropy_rate()


def test_no_run_and_no_seed_average_lies_below_the_floor(runs, configs, floor):
    """No model beats the source's own NLL of the same windows."""
    assert all(r.loss > r.oracle_loss for r in runs)
    assert (configs["loss"] > floor).all()


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_rerunning_the_cheapest_configuration_reproduces_its_shipped_loss(runs, language):
    """Same code, seed and thread count: the loss matches within 0.5 % (exact on the machine that made it)."""
    shipped = min(runs, key=lambda r: (r.flops_counted, r.seed))
    config = next(c for c, t, s in PRESET.runs() if run_id(language, c, t, s, TrainSettings()) == shipped.run_id)
    again = train(config, language, shipped.tokens, shipped.seed, progress=False, threads=1).result
    assert again.run_id == shipped.run_id
    assert again.loss == pytest.approx(shipped.loss, rel=5e-3)


# ------------------------------------------------------------------ the design


def test_every_budget_has_at_least_four_sizes_and_the_sweep_spans_what_a_law_needs(configs):
    """Eight IsoFLOP budgets of five sizes; tokens span ≥ 32× (measured 72×), compute ≥ 100× (128×)."""
    budgets = compute_budgets(configs["flops_6nd"])
    sizes = [np.unique(configs["params_non_embedding"][budgets == k]).size for k in range(budgets.max() + 1)]
    assert budgets.max() + 1 >= 8 and min(sizes) >= 4
    assert np.ptp(np.log(configs["tokens"])) >= np.log(32)
    assert np.ptp(np.log(configs["flops_6nd"])) >= np.log(100)


def test_seeds_agree_closely(configs):
    """Seeds of a configuration differ far less than the loss moves across the sweep (measured:
    median standard deviation 0.0009 nats, largest 0.020, the oversized 28k-parameter model on
    the smallest budget, against a range of 0.36)."""
    assert (configs["n_seeds"] == len(PRESET.seeds)).all()
    spread = np.ptp(configs["loss"])
    assert np.median(configs["loss_sd"]) < 0.02 * spread and configs["loss_sd"].max() < 0.1 * spread


# ------------------------------------------------------------------ what lesson 03 says


def test_the_frontier_has_a_point_per_budget_and_follows_a_saturating_power_law(frontier, floor_fit):
    """Eight frontier points; R² of log L 0.9993 (measured)."""
    C, L = frontier
    fit, _ = floor_fit
    assert len(C) >= 8 and log_r_squared(L, fit.predict(C)) >= 0.99


def test_the_fitted_floor_lands_on_the_window_floor(floor_fit, floor):
    """|E − floor| ≤ 0.05 nats and the 90 % bootstrap interval of E holds the floor (measured:
    E = 0.5466 against a floor of 0.5462, interval 0.530 to 0.566)."""
    fit, boot = floor_fit
    low, high = boot.interval("E")
    assert abs(fit.E - floor) <= 0.05
    assert low <= floor <= high


def test_a_fit_without_the_largest_budget_predicts_it_within_1_percent(frontier):
    """Measured: 0.5924 predicted against 0.5891, +0.57 %."""
    C, L = frontier
    fit = fit_saturating_power_law(C[:-1], L[:-1])
    assert fit.predict(C[-1:])[0] == pytest.approx(L[-1], rel=0.01)


def test_the_best_run_is_within_a_tenth_of_a_nat_of_the_floor(configs, floor):
    """Measured: 0.043 nats above it."""
    assert configs["loss"].min() - floor <= 0.10


def test_a_fit_before_the_bend_misplaces_the_floor(frontier, floor_fit, floor):
    """The cheapest half of the frontier, still far above the floor, leaves E undetermined:
    its fit lands further from the floor than the full fit, with a 90 % interval at least
    three times as wide (lesson 03's pre-asymptotic regime; measured: E = 0.581, interval 0.000
    to 0.640, against 0.547 and 0.530 to 0.565)."""
    C, L = frontier
    half = len(C) // 2
    full = floor_fit[1].interval("E")
    early = bootstrap(fit_saturating_power_law, C[:half], L[:half], n=200, seed=0).interval("E")
    assert early[1] - early[0] >= 3 * (full[1] - full[0])
    assert abs(fit_saturating_power_law(C[:half], L[:half]).E - floor) > abs(floor_fit[0].E - floor)


# ------------------------------------------------------------------ what lesson 04 says


def test_isoflop_minima_grow_with_compute_and_give_a_near_one_half(runs):
    """Approach 2 on every run and seed: at least seven of the eight budgets bracket their
    parabola minimum (measured: all but the largest, whose minimum falls below its smallest
    size), N_opt grows with C at every step, and a lies between 0.5 and 0.6 with a 90 %
    interval narrower than 0.1 (measured: 0.548, 0.535 to 0.569); b = 1 − a."""
    scaling = fit_isoflop_scaling([r.params_non_embedding for r in runs], [r.tokens for r in runs],
                                  [r.loss for r in runs], n_boot=1000, seed=0)
    low, high = scaling.interval("a")
    assert len(scaling.budgets) >= 7 and np.all(np.diff(scaling.N_opt) > 0)
    assert 0.5 < low <= scaling.a <= high < 0.6 and high - low < 0.1
    assert scaling.b == pytest.approx(1 - scaling.a)
