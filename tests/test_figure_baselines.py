"""The lessons' figures built from shipped data and published numbers cannot change unnoticed.

Each test builds one figure with the same builder its lesson calls (:mod:`course_utils.figures`,
:mod:`course_utils.lab.figures`, the explorers of :mod:`course_utils.widgets`) from the course's
own data, and returns it; pytest-mpl (``--mpl`` is in ``addopts``) compares it with its image in
``tests/baseline/``. After an intended change, look at the new figure, then regenerate:

    pytest tests/test_figure_baselines.py --mpl-generate-path=tests/baseline

Bootstraps run with fewer draws than the lessons use: the figures are the lessons', their
bands a little rougher.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import literature as lit
from course_utils.datasets import notable_models, notable_models_arrays, sweep_results
from course_utils.figure_audit import figure_problems
from course_utils.figures import capstone, chinchilla, data_limits, history, since_chinchilla
from course_utils.lab import figures as lab_figures
from course_utils.results import mean_over_seeds

compare = pytest.mark.mpl_image_compare(baseline_dir="baseline", tolerance=3, style="default",
                                        savefig_kwargs={"dpi": 72, "bbox_inches": "tight"})


@pytest.fixture(scope="module")
def columns():
    return notable_models_arrays()


@pytest.fixture(scope="module")
def lab():
    """The course sweep as lesson 03 reads it: configurations, frontier and the window floor."""
    from course_utils.chinchilla import budget_frontier
    from course_utils.lab import SyntheticLanguage, TrainSettings

    language = SyntheticLanguage(seed=0, vocab_size=64)
    oracle = language.oracle_nll(language.validation_windows(TrainSettings().n_val_windows, 65))
    configs = mean_over_seeds(sweep_results("course"))
    frontier = budget_frontier(configs["flops_6nd"], configs["loss"])
    return dict(configs=configs, frontier=frontier, oracle=oracle, h=language.entropy_rate(),
                floor=float(oracle.mean()))


def _checked(fig):
    problems = figure_problems(fig)
    assert problems == [], problems
    return fig


# ------------------------------------------------------------------ lesson 01


@compare
def test_lesson01_compute_of_notable_models(columns):
    return _checked(history.compute_figure(columns))


@compare
def test_lesson01_trend_against_moore(columns):
    from course_utils.trends import fit_exponential_trend, moores_law

    known = np.isfinite(columns["flops"])
    trend = fit_exponential_trend(columns["year"][known], columns["flops"][known])
    start = columns["year"][columns["name"] == "Transformer (big)"][0]
    years = np.linspace(start, 2025.5, 100)
    return _checked(history.trend_figure(columns, trend, start, moores_law(years, start, trend.predict(start)), years))


# ------------------------------------------------------------------ lessons 03 and 04: the lab sweep


@compare
def test_lesson03_window_floor(lab):
    return _checked(lab_figures.oracle_figure(lab["oracle"], lab["h"]))


@compare
def test_lesson03_slices_of_the_sweep(lab):
    configs = lab["configs"]
    N = configs["params_non_embedding"]
    size = max(np.unique(N), key=lambda n: ((N == n).sum(), n))
    return _checked(lab_figures.slices_figure(configs, size, lab["floor"]))


@compare
def test_lesson03_frontier_and_its_fit(lab):
    from course_utils.powerlaw import fit_saturating_power_law

    configs, frontier = lab["configs"], lab["frontier"]
    order = np.argsort(configs["flops_6nd"][frontier])
    fit = fit_saturating_power_law(configs["flops_6nd"][frontier][order], configs["loss"][frontier][order])
    return _checked(lab_figures.frontier_figure(configs, frontier, fit, lab["floor"], extend=10))


@compare
def test_lesson03_two_fits_with_their_bands(lab):
    from course_utils.powerlaw import bootstrap, fit_saturating_power_law

    configs, frontier = lab["configs"], lab["frontier"]
    order = np.argsort(configs["flops_6nd"][frontier])
    C, L = configs["flops_6nd"][frontier][order], configs["loss"][frontier][order]
    full = fit_saturating_power_law(C, L)
    boot = bootstrap(lambda x, y: fit_saturating_power_law(x, y, starts=[[full.E, full.A, full.alpha]]), C, L, n=60)
    half = len(C) // 2
    early = fit_saturating_power_law(C[:half], L[:half])
    early_boot = bootstrap(fit_saturating_power_law, C[:half], L[:half], n=100)
    return _checked(lab_figures.two_fits_figure(C, L, configs["loss_sd"][frontier][order],
                                                [(full, boot, len(C), "fit"), (early, early_boot, half, "comparison")],
                                                lab["floor"], lab["h"]))


@compare
def test_lesson04_approaches_on_the_lab_sweep(lab):
    from course_utils.chinchilla import fit_chinchilla, fit_isoflop_scaling

    runs, configs = sweep_results("course"), lab["configs"]
    scaling = fit_isoflop_scaling([r.params_non_embedding for r in runs], [r.tokens for r in runs],
                                  [r.loss for r in runs], n_boot=100, seed=0)
    law = fit_chinchilla(configs["params_non_embedding"], configs["tokens"], configs["loss"]).law
    return _checked(lab_figures.approaches_figure(configs, lab["frontier"], scaling, law))


# ------------------------------------------------------------------ lesson 04: published laws


@compare
def test_lesson04_allocation_under_three_laws():
    from course_utils.chinchilla import BESIROGLU_2024, HOFFMANN_2022

    return _checked(chinchilla.allocation_figure(np.geomspace(1e18, 1e26, 80), HOFFMANN_2022, BESIROGLU_2024,
                                                 lit.CHINCHILLA))


@compare
def test_lesson04_isoflop_profiles_of_simulated_runs():
    from course_utils.chinchilla import BESIROGLU_2024, fit_isoflop_profile, synthetic_isoflop_data

    N, D, L = synthetic_isoflop_data(BESIROGLU_2024, seed=0)
    C = 6 * N * D
    groups = [np.isclose(C, c, rtol=1e-6) for c in np.unique(C.round(-12))]
    profiles = [fit_isoflop_profile(N[g], L[g]) for g in groups]
    return _checked(chinchilla.isoflop_figure(N, L, [C[g][0] for g in groups], groups, profiles,
                                              BESIROGLU_2024.name))


# ------------------------------------------------------------------ lesson 05


@compare
def test_lesson05_training_sets_against_the_stock(columns):
    from course_utils.data_limits import data_exhaustion_year
    from course_utils.trends import decimal_year, fit_exponential_trend

    has = np.isfinite(columns["tokens"])
    trend = fit_exponential_trend(columns["year"][has], columns["tokens"][has])
    start, growth = decimal_year(lit.LLAMA3_RELEASE_DATE), lit.EPOCH_2024_DATASET_GROWTH_PER_YEAR
    year = data_exhaustion_year(lit.LLAMA3_TRAINING_TOKENS, start, growth)
    return _checked(data_limits.stock_figure(columns, trend, start, lit.LLAMA3_TRAINING_TOKENS, growth, year))


@compare
def test_lesson05_repeated_data():
    from course_utils.data_limits import effective_data

    epochs = np.geomspace(1, 1000, 200)
    return _checked(data_limits.repetition_figure(epochs, effective_data(1.0, epochs), lit.MUENNIGHOFF_2023_R_D_STAR))


# ------------------------------------------------------------------ lesson 06


@compare
def test_lesson06_coverage():
    from course_utils.inference_scaling import beta_coverage, fit_beta_coverage

    swe = lit.BROWN_2024_SWE_BENCH_LITE
    p1 = swe["coverage"][0]
    a, b = fit_beta_coverage(p1, swe["samples"][1], swe["coverage"][1])
    k = np.geomspace(1, 1e4, 200)
    return _checked(since_chinchilla.coverage_figure(k, beta_coverage(k, a, b), 1 - (1 - p1) ** k, (a, b), p1, swe))


@compare
def test_lesson06_stored_against_active_parameters():
    rows = [m for m in notable_models() if m.active_params] + [m for m in notable_models()
                                                                if m.name == "Llama 3.1 405B"]
    return _checked(since_chinchilla.moe_figure([m.name for m in rows], np.array([m.params for m in rows]) / 1e9,
                                                np.array([m.active_params or m.params for m in rows]) / 1e9))


@compare
def test_lesson06_precision():
    from course_utils.precision_scaling import compute_optimal_precision, loss_at_precision

    fit, bits, budgets = lit.KUMAR_2024_FIT, np.linspace(3.6, 16, 200), (1e19, 1e21, 1e23)
    extra = [loss - loss.min() for loss in (loss_at_precision(b, bits, fit) for b in budgets)]
    return _checked(since_chinchilla.precision_figure(bits, extra, budgets,
                                                      compute_optimal_precision(fit["gamma"], fit["offset"])))


@compare
def test_lesson06_data_filtering():
    from course_utils.data_filtering import pool_error

    buckets, constants = lit.GOYAL_2024_BUCKETS, lit.GOYAL_2024_CONSTANTS
    seen = np.geomspace(1e7, 3e9, 300)
    accuracy = np.array([1 - pool_error(seen, buckets[:m], constants["bucket_size"], constants["a"], constants["d"])
                         for m in range(1, len(buckets) + 1)])
    return _checked(since_chinchilla.filtering_figure(seen, accuracy, [0.1 * m for m in range(1, len(buckets) + 1)]))


@compare
def test_lesson06_algorithmic_progress():
    from course_utils.algorithmic_progress import compute_reduction_factor

    years = np.linspace(0, 6, 100)
    arxiv, neurips = lit.HO_2024_HALVING_INTERVAL_ARXIV_95, lit.HO_2024_HALVING_INTERVAL_NEURIPS_90

    def needed(months):
        return 1 / compute_reduction_factor(years, months)

    return _checked(since_chinchilla.algorithmic_figure(
        years, needed(lit.HO_2024_HALVING_MONTHS), (needed(arxiv[0]), needed(arxiv[1])),
        (needed(neurips[0]), needed(neurips[1])), needed(24), lit.HO_2024_HALVING_MONTHS, arxiv, neurips))


# ------------------------------------------------------------------ lesson 07 and the explorers


@compare
def test_lesson07_two_metrics():
    N = np.geomspace(1e6, 1e14, 400)
    p_token = np.exp(-3.0 * (N / 1e6) ** -0.5)
    return _checked(capstone.emergence_figure(N, p_token, p_token ** 20, 20))


@compare
def test_explorer_compute_budget_opening_view():
    from course_utils.chinchilla import budget_summary
    from course_utils.widgets import budget_figure

    return _checked(budget_figure(budget_summary(lit.CHINCHILLA["flops"])))


@compare
def test_explorer_data_limits_opening_view():
    from course_utils.data_limits import data_limits_summary
    from course_utils.widgets import data_limits_figure

    return _checked(data_limits_figure(data_limits_summary()))
